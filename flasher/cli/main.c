/* romflash: the command line.  Global options, then a command. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "interrupt_msg.h"
#include "output.h"
#include "rf_error.h"

#define RF_VERSION "0.1.0"

static void on_signal(int sig)
{
	/* First signal: the command stops where it safely can, exit 130 --
	 * a flash finishes the download under way (the bootloader would read
	 * the next command as image data) and saves progress; the message
	 * is the command's (interrupt_msg.h).
	 * A second one more than half a second later: the user means it.
	 * (GNU timeout delivers one signal twice, to the child and to its
	 * process group: that must not count as two.) */
	static struct timespec first;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (rf_interrupted) {
		long ms = (now.tv_sec - first.tv_sec) * 1000 +
			  (now.tv_nsec - first.tv_nsec) / 1000000;
		if (ms >= 500)
			_exit(130);
		return;
	}
	first = now;
	rf_interrupted = sig;
	size_t len;
	const char *msg = rf_cli_interrupt_msg(&len); /* the command's words */
	if (write(STDERR_FILENO, msg, len) < 0) {
		/* nothing to do: we are in a signal handler */
	}
}

static const struct {
	const char *name;
	int (*fn)(struct rf_cli *, int, char **);
	const char *args, *help;
} commands[] = {
	{ "devices", cmd_devices, "", "attached phones: serial, mode, product" },
	{ "info", cmd_info, "PACKAGE", "what a package is, verified" },
	{ "plan", cmd_plan, "PACKAGE [--mode MODE]", "dry run: the ordered steps" },
	{ "flash", cmd_flash, "PACKAGE [--mode MODE] [--yes] [--no-reboot] [--resume]",
	  "flash a fastboot ROM package" },
	{ "sideload", cmd_sideload, "ZIP|URL|VERSION [--md5 MD5] [--yes]",
	  "send a recovery zip to a phone in sideload mode" },
	{ "fetch", cmd_fetch, "URL|VERSION [-o DIR]",
	  "download a package into the cache, resumable, verified" },
	{ "catalog", cmd_catalog, "[CODENAME|VERSION]", "known ROMs (--json: all fields)" },
	{ "getvar", cmd_getvar, "NAME", "read a bootloader variable" },
	{ "flash-image", cmd_flash_image, "PARTITION FILE",
	  "write one image (raw or sparse) to a partition" },
	{ "erase", cmd_erase, "PARTITION", "erase a partition" },
	{ "reboot", cmd_reboot, "[bootloader|recovery|sideload]", "reboot the phone" },
};

/* Usage goes to stderr, always (output.h). */
static void usage(void)
{
	out_stderr("usage: romflash [-s DEVICE] [-v|-q] [--json] COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		out_stderr("  %-12s %-28s %s", commands[i].name, commands[i].args,
			  commands[i].help);
	out_stderr("\nDEVICE: a USB serial number, usb:BUS-PORT[.PORT...], or tcp:HOST[:PORT]\n"
		  "MODE: keep-data (default), clean (wipes data), lock (wipes, relocks)\n"
		  "Exit status: 0 done, 1 device/protocol failure, 2 usage, 3 package invalid,\n"
		  "4 no/several/wrong device, 5 download failed, 130 interrupted.\n"
		  "See romflash(1).");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct rf_cli cli = { 0 };
	struct sigaction sa;
	int c;

	/* "+": stop at the command; its own options follow it. */
	while ((c = getopt_long(argc, argv, "+s:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 's': cli.device = optarg; break;
		case 'v': cli.verbose = 1; break;
		case 'q': cli.quiet = 1; break;
		case 'j': cli.json = 1; break;
		case 'h': usage(); return RF_EXIT_OK;
		case 'V': out_value("romflash %s", RF_VERSION); return RF_EXIT_OK;
		default: usage(); return RF_EXIT_USAGE;
		}
	}
	if (cli.verbose && cli.quiet) {
		out_error("-v and -q exclude each other");
		return RF_EXIT_USAGE;
	}
	out_init(cli.json, cli.verbose, cli.quiet);
	if (optind >= argc) {
		usage();
		return RF_EXIT_USAGE;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			int rc;
			char **sub = argv + optind;
			int subc = argc - optind;
			optind = 0; /* commands parse their own options (0: glibc re-initialises getopt) */
			rc = commands[i].fn(&cli, subc, sub);
			if (rf_interrupted && rc != RF_EXIT_OK)
				rc = RF_EXIT_INTERRUPTED;
			return rc;
		}
	}
	out_error("unknown command '%s'", argv[optind]);
	usage();
	return RF_EXIT_USAGE;
}
