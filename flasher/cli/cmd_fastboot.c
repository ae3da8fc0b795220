/* getvar, oem, flashing, set_active, continue: single fastboot commands
 * as fastboot has them, their answers shown (the bootloader's INFO lines
 * are the answer of `oem device-info` and `getvar all`), the exit
 * statuses of the SPEC.  A relock or an unlock erases the phone: it is
 * announced and confirmed first, as a wipe of `flash` is. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "effects.h"
#include "output.h"
#include "rf_str.h"
#include "single_op.h"

/* "NAME: VALUE" (most bootloaders) or "NAME:VALUE" (LK's getvar all; the
 * name may hold colons itself: "partition-size:boot:0x..."). */
static void split_var(const char *line, char *name, size_t ncap, const char **value)
{
	const char *sep = strstr(line, ": ");
	if (!sep)
		sep = strrchr(line, ':');
	if (!sep) {
		rf_strlcpy(name, line, ncap);
		*value = "";
		return;
	}
	snprintf(name, ncap, "%.*s", (int)(sep - line), line);
	*value = sep + 1;
	while (**value == ' ' || **value == '\t')
		(*value)++;
}

static void print_var(const char *name, const char *value)
{
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "getvar");
		jw_str(&j, "name", name);
		jw_str(&j, "value", value);
		jw_end(&j);
	} else {
		out_value("%s: %s", name, value);
	}
}

static void all_line(struct single *s, const char *text)
{
	char name[RF_FB_RESP_MAX + 1];
	const char *value;
	(void)s;
	split_var(text, name, sizeof name, &value);
	print_var(name, value);
}

int cmd_getvar(struct rf_cli *cli, int argc, char **argv)
{
	struct single s = { 0 };
	char val[RF_FB_RESP_MAX + 1] = "";
	int i = single_args(argc, argv, 1, 1), rc, ex;
	int all;

	if (i < 0)
		return RF_EXIT_USAGE;
	all = !strcmp(argv[i], "all");
	if ((ex = single_open(cli, &s, "getvar")))
		return ex;
	if (all)
		s.on_line = all_line;
	rc = rf_fb_getvar(&s.fb, argv[i], val, sizeof val);
	if (rc) {
		ex = single_fail(rc, "getvar", s.fb.err);
	} else if (!all || val[0]) {
		print_var(argv[i], val);
	} else if (!s.lines) {
		out_warn("the bootloader listed no variables for getvar all: ask for one by its "
			 "name (romflash getvar product)");
	}
	single_close(&s);
	return ex;
}

/* "oem ARGS..." as one command line of at most 64 bytes. */
static int join(char **v, int n, const char *cmd, char *out, size_t cap)
{
	size_t len = 0;
	for (int k = 0; k < n; k++) {
		int w = snprintf(out + len, cap - len, "%s%s", k ? " " : "", v[k]);
		if (w < 0 || (size_t)w >= cap - len) {
			out_error("%s: the command is longer than the %d bytes fastboot allows", cmd,
				  RF_FB_CMD_MAX);
			return -1;
		}
		len += (size_t)w;
	}
	return 0;
}

/* oem/flashing: ARGS [--yes]; a lock or an unlock confirmed first. */
static int lock_cmd(struct rf_cli *cli, int argc, char **argv,
		    int (*fn)(struct rf_fastboot *, const char *))
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 },
	};
	struct single s = { 0 };
	char args[RF_FB_CMD_MAX + 1], doing[RF_FB_CMD_MAX + 16];
	int c, yes = 0, ex;
	unsigned fx;

	while ((c = rf_cli_getopt(argc, argv, "y", opts)) != -1) {
		if (c == '?')
			return RF_EXIT_USAGE;
		yes = 1;
	}
	if (optind == argc)
		return rf_cli_usage("%s: what to send is missing", argv[0]);
	/* "oem ARGS" must fit the 64 bytes of a fastboot command */
	if (join(argv + optind, argc - optind, argv[0], args,
		 RF_FB_CMD_MAX - strlen(argv[0])))
		return RF_EXIT_USAGE;
	snprintf(doing, sizeof doing, "%s %s", argv[0], args);
	fx = rf_fx_of_command(argv[0], args);
	if (rf_fx_refuse_early(fx, yes, doing))
		return RF_EXIT_USAGE;
	if ((ex = single_open(cli, &s, argv[0])))
		return ex;
	if (fx)
		rf_fx_announce(fx, yes, NULL, NULL, doing);
	if (!rf_fx_confirm(fx, yes, doing, s.id))
		ex = RF_EXIT_USAGE;
	else
		ex = single_run(&s, argv[0], NULL, args, fn, args, NULL);
	single_close(&s);
	return ex;
}

int cmd_oem(struct rf_cli *cli, int argc, char **argv)
{
	return lock_cmd(cli, argc, argv, rf_fb_oem);
}

int cmd_flashing(struct rf_cli *cli, int argc, char **argv)
{
	static const char *const known[] = { "lock", "unlock", "lock_critical",
					      "unlock_critical", "get_unlock_ability" };
	const char *near;
	/* the first word that is not an option */
	for (int k = 1; k < argc; k++) {
		if (argv[k][0] == '-')
			continue;
		for (size_t n = 0; n < sizeof known / sizeof known[0]; n++)
			if (!strcmp(argv[k], known[n]))
				return lock_cmd(cli, argc, argv, rf_fb_flashing);
		near = rf_suggest(argv[k], known, sizeof known / sizeof known[0]);
		return rf_cli_usage("flashing: unknown '%s'%s%s%s (lock, unlock, "
				    "lock_critical, unlock_critical, get_unlock_ability)", argv[k],
				    near ? " (did you mean '" : "", near ? near : "",
				    near ? "'?)" : "");
	}
	return lock_cmd(cli, argc, argv, rf_fb_flashing);
}

int cmd_set_active(struct rf_cli *cli, int argc, char **argv)
{
	struct single s = { 0 };
	int i = single_args(argc, argv, 1, 1), ex;
	const char *slot;

	if (i < 0)
		return RF_EXIT_USAGE;
	/* fastboot takes "a" and "_a" */
	slot = argv[i][0] == '_' ? argv[i] + 1 : argv[i];
	if (strcmp(slot, "a") && strcmp(slot, "b"))
		return rf_cli_usage("set_active: the slot is a or b, not '%s'", argv[i]);
	if ((ex = single_open(cli, &s, "set_active")))
		return ex;
	ex = single_run(&s, "set_active", NULL, slot, rf_fb_set_active, slot, NULL);
	single_close(&s);
	return ex;
}

int cmd_continue(struct rf_cli *cli, int argc, char **argv)
{
	struct single s = { 0 };
	int ex;

	if (single_args(argc, argv, 0, 0) < 0)
		return RF_EXIT_USAGE;
	if ((ex = single_open(cli, &s, "continue")))
		return ex;
	ex = single_run(&s, "continue", NULL, NULL, NULL, NULL, rf_fb_continue);
	if (!ex)
		out_msg("the phone is leaving fastboot mode to boot its system");
	single_close(&s);
	return ex;
}
