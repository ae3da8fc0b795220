/* The command line: global options, exit statuses, and the commands.
 * Each command is `int cmd_NAME(struct rf_cli *cli, int argc, char **argv)`
 * with argv[0] the command name; it returns an exit status (enum rf_exit). */
#ifndef RF_CLI_H
#define RF_CLI_H

#include <getopt.h>
#include <signal.h>
#include "device.h"
#include "steps.h"

#include "resolve.h"

enum rf_exit {
	RF_EXIT_OK = 0,
	RF_EXIT_DEVICE = 1,      /* device or protocol failure */
	RF_EXIT_USAGE = 2,
	RF_EXIT_PACKAGE = 3,     /* package invalid or not verified */
	RF_EXIT_NODEV = 4,       /* no device, several devices, wrong device */
	RF_EXIT_DOWNLOAD = 5,    /* download failed */
	RF_EXIT_INTERRUPTED = 130,
};

#define RF_WAIT_DEFAULT_S 30

struct rf_cli {
	const char *device; /* -s DEVICE, else $ANDROID_SERIAL, or NULL */
	int wait_s;         /* --wait SECONDS for the phone (0: not at all) */
	int wait_given;     /* --wait was on the line (else wait_s is the default) */
	int verbose;        /* -v */
	int quiet;          /* -q */
	int json;           /* --json */
};

/* Set by the SIGINT/SIGTERM/SIGHUP handler (main.c); long operations poll
 * it (cli_env.c). */
extern volatile sig_atomic_t rf_interrupted;

/* The device layer's view of the command line (cli_env.c). */
void rf_cli_device_env(const struct rf_cli *cli, struct rf_device_env *env);

/* Exit status for a protocol error code (RF_E*) (exit_status.c). */
int rf_exit_for(int rf_err);

/* What the package's file name says before it is read: a browser's copy
 * (a warning), an unfinished download (an error: RF_EXIT_PACKAGE)
 * (cmd_fetch.c, beside the opening of a package from a path, URL or
 * version). */
int rf_cli_name_check(const char *path);

/* ---- commands (main.c's table), their help (help.c), their arguments
 * (cli_args.c) ---- */

struct rf_cmd_help {
	const char *usage;   /* after "usage: romflash ", lines within 80 columns */
	const char *head;    /* the command and its main argument, for the list */
	const char *summary; /* one line */
	const char *text;    /* what it does, its options */
	int single;          /* a single fastboot/adb operation (the second list) */
};

struct rf_cmd {
	const char *name;
	int (*fn)(struct rf_cli *cli, int argc, char **argv);
	const struct rf_cmd_help *help;
};

extern const struct rf_cmd rf_commands[]; /* ends with a NULL name */
extern const struct rf_cmd_help rf_help_devices, rf_help_info, rf_help_plan, rf_help_flash,
	rf_help_sideload, rf_help_fetch, rf_help_catalog, rf_help_getvar, rf_help_flash_image,
	rf_help_erase, rf_help_boot, rf_help_oem, rf_help_flashing, rf_help_set_active,
	rf_help_continue, rf_help_reboot, rf_help_help;
const struct rf_cmd *rf_cli_command(const char *name);

/* help [COMMAND] on stdout (NULL: all of romflash); a usage error's
 * lines on stderr (NULL: romflash's). */
void rf_help(const struct rf_cmd *c);
void rf_usage_error(const struct rf_cmd *c);
/* The name of `names` nearest to `word` (a typo, a prefix), or NULL. */
const char *rf_suggest(const char *word, const char *const *names, size_t n);

/* getopt_long for a command (argv[0] its name): the command's own
 * options only (main.c took the global ones out); an unknown option or a
 * missing value is said once, with the nearest option and the usage
 * (exit status 2 for the caller: '?' is returned). */
int rf_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *opts);
/* The command main.c is about to run, for the usage line that follows a
 * usage error (given by main.c, so that the arguments' parser needs
 * nothing from the entry point's table). */
void rf_cli_running(const struct rf_cmd *c);
/* A usage error of the running command: the message, then its usage.
 * Returns RF_EXIT_USAGE. */
int rf_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --mode: romflash's names and MiFlash's ("save user data", "clean all",
 * "clean all and lock", any case, '_' or '-' for spaces).  0, or -1 with
 * the error said. */
int rf_cli_mode(const char *cmd, const char *arg, enum rf_mode *m);
/* MiFlash's name of a mode. */
const char *rf_cli_mode_miflash(enum rf_mode m);
/* --md5: 32 hex digits, else the error is said (exit status 2). */
int rf_cli_md5_arg(const char *cmd, const char *md5);

int cmd_help(struct rf_cli *cli, int argc, char **argv);
int cmd_devices(struct rf_cli *cli, int argc, char **argv);
int cmd_getvar(struct rf_cli *cli, int argc, char **argv);
int cmd_flash_image(struct rf_cli *cli, int argc, char **argv);
int cmd_erase(struct rf_cli *cli, int argc, char **argv);
int cmd_reboot(struct rf_cli *cli, int argc, char **argv);
int cmd_boot(struct rf_cli *cli, int argc, char **argv);
int cmd_oem(struct rf_cli *cli, int argc, char **argv);
int cmd_flashing(struct rf_cli *cli, int argc, char **argv);
int cmd_set_active(struct rf_cli *cli, int argc, char **argv);
int cmd_continue(struct rf_cli *cli, int argc, char **argv);
int cmd_info(struct rf_cli *cli, int argc, char **argv);
int cmd_plan(struct rf_cli *cli, int argc, char **argv);
int cmd_flash(struct rf_cli *cli, int argc, char **argv);
int cmd_sideload(struct rf_cli *cli, int argc, char **argv);
int cmd_fetch(struct rf_cli *cli, int argc, char **argv);
int cmd_catalog(struct rf_cli *cli, int argc, char **argv);

/* The catalog (built in, or $ROMFLASH_CATALOG, plus the user's file),
 * loaded once; NULL with *exit_status set (and said) when invalid. */
const struct rf_catalog *rf_cli_catalog(int *exit_status);

/* Options of a download (fetch's; NULL members: the defaults). */
struct rf_cli_fetch {
	const char *dir, *region, *md5, *cacert;
	unsigned stall_s;          /* 0: default */
	int retries;               /* < 0: default */
	struct rf_dl_watch *watch; /* a reader beside the download, or NULL */
	/* Open the package while it downloads (rf_resolve_open): its options
	 * and where it goes; the result in res->pkg_opened, res->pkg_rc. */
	const struct rf_pkg_opts *pkg_opts;
	struct rf_package *pkg;
};

/* A PACKAGE argument (file, folder, URL, catalog version) to a local,
 * verified file: downloads URLs and versions into the cache with progress.
 * Returns an exit status (5 for a failed download); res->path is the file
 * and res->md5 the full MD5 known for it ("" none), for the package check.
 * `type`: the kind of package the command takes.  With f->pkg_opts, a
 * downloaded package is opened (checked) while it arrives: res->pkg_opened
 * and res->pkg_rc say so (a local one is left to the caller). */
int rf_cli_resolve(struct rf_cli *cli, const struct rf_cli_fetch *f,
		   const char *arg, enum rf_rom_type type, struct rf_resolved *res);

/* plan and info: a fastboot PACKAGE resolved (rf_cli_resolve, its name
 * checked) and opened with *po -- while it downloaded, or now; po->md5 NULL
 * takes the MD5 resolved.  Returns the exit status of the argument or the
 * download (non-zero: nothing to close); the package's own result is
 * *pkg_rc (its message in pkg->err). */
int rf_cli_open_package(struct rf_cli *cli, const struct rf_cli_fetch *f,
			const char *arg, struct rf_pkg_opts *po,
			struct rf_package *pkg, struct rf_resolved *src, int *pkg_rc);

#endif
