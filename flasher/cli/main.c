/* romflash: the command line.  Global options go anywhere on the line
 * (SPEC): they are taken out first, and the command gets its own words, in
 * order, to parse with its own options (cli_args.c). */
#include <errno.h>
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
		if (ms >= 500) {
			size_t len;
			const char *quit = rf_cli_interrupt_quit_msg(&len);
			if (write(STDERR_FILENO, quit, len) < 0) {
				/* nothing to do: we are in a signal handler */
			}
			_exit(130);
		}
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

const struct rf_cmd rf_commands[] = {
	{ "devices", cmd_devices, &rf_help_devices },
	{ "info", cmd_info, &rf_help_info },
	{ "plan", cmd_plan, &rf_help_plan },
	{ "flash", cmd_flash, &rf_help_flash },
	{ "sideload", cmd_sideload, &rf_help_sideload },
	{ "fetch", cmd_fetch, &rf_help_fetch },
	{ "catalog", cmd_catalog, &rf_help_catalog },
	{ "getvar", cmd_getvar, &rf_help_getvar },
	{ "flash-image", cmd_flash_image, &rf_help_flash_image },
	{ "erase", cmd_erase, &rf_help_erase },
	{ "boot", cmd_boot, &rf_help_boot },
	{ "oem", cmd_oem, &rf_help_oem },
	{ "flashing", cmd_flashing, &rf_help_flashing },
	{ "set_active", cmd_set_active, &rf_help_set_active },
	{ "continue", cmd_continue, &rf_help_continue },
	{ "reboot", cmd_reboot, &rf_help_reboot },
	{ "help", cmd_help, &rf_help_help },
	{ NULL, NULL, NULL },
};

/* fastboot's names for what romflash says with an argument */
static const struct {
	const char *word, *cmd, *arg;
} aliases[] = {
	{ "reboot-bootloader", "reboot", "bootloader" },
	{ "reboot-recovery", "reboot", "recovery" },
};

const struct rf_cmd *rf_cli_command(const char *name)
{
	for (const struct rf_cmd *c = rf_commands; name && c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int cmd_help(struct rf_cli *cli, int argc, char **argv)
{
	const struct rf_cmd *c = NULL;
	(void)cli;
	if (argc > 2)
		return rf_cli_usage("help: one command at a time");
	if (argc == 2 && !(c = rf_cli_command(argv[1]))) {
		out_error("help: no command '%s'", argv[1]);
		rf_usage_error(NULL);
		return RF_EXIT_USAGE;
	}
	rf_help(c);
	return RF_EXIT_OK;
}

/* ---- global options, anywhere ---- */

struct line {
	char **rest;  /* the command's words: rest[0] is the command */
	int n;
	int help, version;
};

static int global_flag(struct rf_cli *cli, struct line *l, char f)
{
	switch (f) {
	case 'v': cli->verbose = 1; return 1;
	case 'q': cli->quiet = 1; return 1;
	case 'h': l->help = 1; return 1;
	case 'V': l->version = 1; return 1;
	}
	return 0;
}

/* A cluster of global short options ("-vq", "-vs SERIAL", "-sSERIAL"):
 * 1 taken, 0 not (a command's), -1 error said. */
static int global_short(struct rf_cli *cli, struct line *l, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	size_t k = 1;
	while (a[k] && strchr("vqhV", a[k]))
		k++;
	if (a[k] && a[k] != 's')
		return 0;
	for (size_t j = 1; j < k; j++)
		global_flag(cli, l, a[j]);
	if (!a[k])
		return 1;
	if (a[k + 1]) {
		cli->device = a + k + 1;
	} else if (*i + 1 < argc) {
		cli->device = argv[++*i];
	} else {
		out_error("-s needs a value: a serial number, usb:BUS-PORT or tcp:HOST[:PORT]");
		return -1;
	}
	return 1;
}

/* --wait SECONDS, --wait=SECONDS */
static int global_wait(struct rf_cli *cli, int argc, char **argv, int *i)
{
	const char *v = argv[*i][6] == '=' ? argv[*i] + 7 : *i + 1 < argc ? argv[++*i] : NULL;
	char *end;
	long n;
	errno = 0;
	n = v ? strtol(v, &end, 10) : -1;
	if (!v || errno || end == v || *end || n < 0 || n > 24 * 3600) {
		out_error("--wait wants a number of seconds (0: do not wait), not '%s'",
			  v ? v : "");
		return -1;
	}
	cli->wait_s = (int)n;
	cli->wait_given = 1;
	return 1;
}

static int global_option(struct rf_cli *cli, struct line *l, int argc, char **argv, int *i)
{
	static const struct {
		const char *name;
		char flag;
	} longs[] = {
		{ "--verbose", 'v' }, { "--quiet", 'q' }, { "--help", 'h' },
		{ "--version", 'V' }, { "--json", 'j' },
	};
	const char *a = argv[*i];
	if (a[1] != '-')
		return global_short(cli, l, argc, argv, i);
	if (!strncmp(a, "--wait", 6) && (!a[6] || a[6] == '='))
		return global_wait(cli, argc, argv, i);
	for (size_t k = 0; k < sizeof longs / sizeof longs[0]; k++) {
		if (strcmp(a, longs[k].name))
			continue;
		if (longs[k].flag == 'j')
			cli->json = 1;
		else
			global_flag(cli, l, longs[k].flag);
		return 1;
	}
	return 0;
}

/* An option before the command that is not a global one. */
static int misplaced(const char *a)
{
	static const char *const names[] = { "json", "verbose", "quiet", "help", "version",
					     "wait" };
	const char *near = NULL;
	if (!strncmp(a, "--", 2))
		near = rf_suggest(a + 2, names, sizeof names / sizeof names[0]);
	if (near)
		out_error("unknown option %s (did you mean --%s?)", a, near);
	else
		out_error("%s is not a global option: a command's options go after the command "
			  "(romflash help)", a);
	rf_usage_error(NULL);
	return RF_EXIT_USAGE;
}

/* Split argv into the global options (into cli) and the command's words. */
static int split_line(struct rf_cli *cli, int argc, char **argv, struct line *l)
{
	int dashdash = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;
		if (dashdash || a[0] != '-' || !a[1]) {
			l->rest[l->n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = 1;
			if (l->n) /* the command's getopt stops there too */
				l->rest[l->n++] = argv[i];
			continue;
		}
		r = global_option(cli, l, argc, argv, &i);
		if (r < 0)
			return RF_EXIT_USAGE;
		if (r)
			continue;
		if (!l->n && !l->help && !l->version)
			return misplaced(a);
		l->rest[l->n++] = argv[i];
	}
	l->rest[l->n] = NULL;
	return RF_EXIT_OK;
}

/* fastboot's reboot-bootloader is `reboot bootloader`. */
static void expand_alias(struct line *l)
{
	for (size_t k = 0; k < sizeof aliases / sizeof aliases[0]; k++) {
		if (strcmp(l->rest[0], aliases[k].word))
			continue;
		memmove(l->rest + 2, l->rest + 1, sizeof *l->rest * (size_t)l->n);
		l->rest[0] = (char *)aliases[k].cmd;
		l->rest[1] = (char *)aliases[k].arg;
		l->n++;
		return;
	}
}

static int unknown_command(const char *word)
{
	const char *names[32];
	size_t n = 0;
	const char *near;
	for (const struct rf_cmd *c = rf_commands; c->name && n < 32; c++)
		names[n++] = c->name;
	near = rf_suggest(word, names, n);
	if (near)
		out_error("unknown command '%s' (did you mean '%s'?)", word, near);
	else
		out_error("unknown command '%s'", word);
	rf_usage_error(NULL);
	return RF_EXIT_USAGE;
}

static void signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed terminal or SSH session: stop as cleanly as on SIGTERM */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct rf_cli cli = { .wait_s = RF_WAIT_DEFAULT_S };
	const char *env_serial = getenv("ANDROID_SERIAL");
	struct line l = { 0 };
	const struct rf_cmd *cmd;
	int rc;

	l.rest = calloc((size_t)argc + 2, sizeof *l.rest);
	if (!l.rest)
		return RF_EXIT_DEVICE;
	rc = split_line(&cli, argc, argv, &l);
	if (rc)
		goto out;
	rc = RF_EXIT_USAGE;
	if (l.version) {
		out_plain("romflash %s", RF_VERSION);
		rc = RF_EXIT_OK;
		goto out;
	}
	if (!l.n) {
		if (l.help)
			rf_help(NULL);
		else
			rf_usage_error(NULL);
		rc = l.help ? RF_EXIT_OK : RF_EXIT_USAGE;
		goto out;
	}
	expand_alias(&l);
	cmd = rf_cli_command(l.rest[0]);
	if (!cmd) {
		rc = unknown_command(l.rest[0]);
		goto out;
	}
	if (l.help) {
		rf_help(cmd == rf_cli_command("help") && l.n > 1 ? rf_cli_command(l.rest[1]) : cmd);
		rc = RF_EXIT_OK;
		goto out;
	}
	/* as fastboot and adb do */
	if (!cli.device && env_serial && *env_serial)
		cli.device = env_serial;
	if (cli.verbose && cli.quiet) {
		out_error("-v and -q exclude each other");
		goto out;
	}
	out_init(cli.json, cli.verbose, cli.quiet);
	signals();
	optind = 0; /* each command parses its own options (0: glibc starts afresh) */
	rf_cli_running(cmd);
	rc = cmd->fn(&cli, l.n, l.rest);
	if (rf_interrupted && rc != RF_EXIT_OK)
		rc = RF_EXIT_INTERRUPTED;
out:
	free(l.rest);
	return rc;
}
