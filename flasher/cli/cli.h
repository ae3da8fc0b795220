/* The command line: global options, exit statuses, and the commands.
 * Each command is `int cmd_NAME(struct rf_cli *cli, int argc, char **argv)`
 * with argv[0] the command name; it returns an exit status (enum rf_exit). */
#ifndef RF_CLI_H
#define RF_CLI_H

#include <signal.h>
#include "device.h"

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
 * (a warning), an unfinished download (an error: RF_EXIT_PACKAGE). */
int rf_cli_name_check(const char *path);

int cmd_devices(struct rf_cli *cli, int argc, char **argv);
int cmd_getvar(struct rf_cli *cli, int argc, char **argv);
int cmd_flash_image(struct rf_cli *cli, int argc, char **argv);
int cmd_erase(struct rf_cli *cli, int argc, char **argv);
int cmd_reboot(struct rf_cli *cli, int argc, char **argv);
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
