/* A command's own arguments: its options (main.c took the global ones
 * out, wherever they stood), the mode, an MD5.  Errors are usage errors
 * (exit status 2), said once, with the nearest name when there is one. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "md5.h"
#include "output.h"

static const struct rf_cmd *running;

void rf_cli_running(const struct rf_cmd *c)
{
	running = c;
}

int rf_cli_usage(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	out_error("%s", msg);
	rf_usage_error(running);
	return RF_EXIT_USAGE;
}

/* "--mdo5=x" -> the nearest long option of the command, "--md5". */
static const char *near_option(const char *bad, const struct option *opts)
{
	const char *names[64];
	char word[64];
	size_t n = 0;
	if (!opts || strncmp(bad, "--", 2))
		return NULL;
	snprintf(word, sizeof word, "%s", bad + 2);
	word[strcspn(word, "=")] = 0;
	for (; opts[n].name && n < 64; n++)
		names[n] = opts[n].name;
	return rf_suggest(word, names, n);
}

int rf_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *opts)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	char so[64];
	const char *bad, *near;
	int c;

	snprintf(so, sizeof so, ":%s", shortopts ? shortopts : "");
	opterr = 0; /* said here, once, with the usage */
	c = getopt_long(argc, argv, so, opts ? opts : none, NULL);
	if (c != '?' && c != ':')
		return c;
	bad = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (c == ':') {
		if (!strncmp(bad, "--", 2))
			rf_cli_usage("%s: %s needs a value", argv[0], bad);
		else
			rf_cli_usage("%s: -%c needs a value", argv[0], optopt);
		return '?';
	}
	if (optopt) { /* an unknown short option */
		rf_cli_usage("%s: unknown option -%c", argv[0], optopt);
		return '?';
	}
	near = near_option(bad, opts);
	if (near)
		rf_cli_usage("%s: unknown option %s (did you mean --%s?)", argv[0], bad,
			     near);
	else
		rf_cli_usage("%s: unknown option %s", argv[0], bad);
	return '?';
}

/* ---- the mode ---- */

static const struct {
	const char *name;
	enum rf_mode mode;
} mode_aliases[] = {
	{ "keep-data", RF_MODE_KEEP_DATA }, { "clean", RF_MODE_CLEAN },
	{ "lock", RF_MODE_LOCK },
	/* MiFlash's radio buttons */
	{ "save user data", RF_MODE_KEEP_DATA }, { "clean all", RF_MODE_CLEAN },
	{ "clean all and lock", RF_MODE_LOCK },
};

#define N_MODES (sizeof mode_aliases / sizeof mode_aliases[0])

/* "Clean_All" and "clean-all" are "clean all"; "keep data" is keep-data. */
static void fold(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 1 < cap; s++)
		out[n++] = *s == '_' || *s == '-' ? ' ' : (char)tolower((unsigned char)*s);
	out[n] = 0;
}

int rf_cli_mode(const char *cmd, const char *arg, enum rf_mode *m)
{
	const char *names[N_MODES];
	char want[64], have[64];
	const char *near;

	fold(arg, want, sizeof want);
	for (size_t i = 0; i < N_MODES; i++) {
		fold(mode_aliases[i].name, have, sizeof have);
		if (!strcmp(want, have)) {
			*m = mode_aliases[i].mode;
			return 0;
		}
		names[i] = mode_aliases[i].name;
	}
	near = rf_suggest(arg, names, N_MODES);
	rf_cli_usage("%s: unknown mode '%s'%s%s%s: keep-data, clean or lock (MiFlash: "
		     "\"save user data\", \"clean all\", \"clean all and lock\")", cmd, arg,
		     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	return -1;
}

const char *rf_cli_mode_miflash(enum rf_mode m)
{
	return m == RF_MODE_CLEAN ? "clean all" : m == RF_MODE_LOCK ? "clean all and lock"
								     : "save user data";
}

int rf_cli_md5_arg(const char *cmd, const char *md5)
{
	if (!md5 || rf_md5_is_hex(md5, 32))
		return 0;
	rf_cli_usage("%s: --md5 wants the package's full MD5 (32 hex digits), not "
		     "\"%s\"", cmd, md5);
	return -1;
}
