/* The command line: global options, exit statuses, and the commands.
 * Each command is `int cmd_NAME(struct rf_cli *cli, int argc, char **argv)`
 * with argv[0] the command name; it returns an exit status (enum rf_exit). */
#ifndef RF_CLI_H
#define RF_CLI_H

#include <signal.h>
#include "device.h"

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

/* Set by the SIGINT/SIGTERM/SIGHUP handler; long operations poll it. */
extern volatile sig_atomic_t rf_interrupted;

/* The device layer's view of the command line (cli_env.c). */
void rf_cli_device_env(const struct rf_cli *cli, struct rf_device_env *env);

/* Exit status for a protocol error code (RF_E*). */
int rf_exit_for(int rf_err);

int cmd_devices(struct rf_cli *cli, int argc, char **argv);
int cmd_getvar(struct rf_cli *cli, int argc, char **argv);
int cmd_flash_image(struct rf_cli *cli, int argc, char **argv);
int cmd_erase(struct rf_cli *cli, int argc, char **argv);
int cmd_reboot(struct rf_cli *cli, int argc, char **argv);
int cmd_info(struct rf_cli *cli, int argc, char **argv);
int cmd_plan(struct rf_cli *cli, int argc, char **argv);
int cmd_flash(struct rf_cli *cli, int argc, char **argv);

#endif
