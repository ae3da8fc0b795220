/* Packages for the end-to-end suites, and what a phone must hold after
 * one.  See e2e_pkg.h. */
#include "e2e_pkg.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rf_run.h"

struct op {
	char kind;        /* 'f' flash, 'e' erase */
	char part[64];
	char file[128];   /* image file name under images/ */
};

/* Reads the flash and erase lines of `script` (the dialect mkpkg writes:
 * "fastboot $* flash NAME `dirname $0`/images/FILE", "fastboot $* erase
 * NAME"), leaving out the CRC lists, which are conditional on getvar crc. */
static int script_ops(const char *script, struct op *ops, int max)
{
	char *text = e2e_slurp(script, NULL), *save = NULL;
	int n = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char part[64];
		while (*l == ' ' || *l == '\t')
			l++;
		if (sscanf(l, "fastboot $* flash %63s", part) == 1) {
			const char *f = strstr(l, "/images/");
			ck_assert_msg(f != NULL, "unexpected flash line: %s", l);
			if (!strcmp(part, "crclist") || !strcmp(part, "sparsecrclist"))
				continue;
			ck_assert_int_lt(n, max);
			ops[n].kind = 'f';
			snprintf(ops[n].part, sizeof ops[n].part, "%s", part);
			snprintf(ops[n].file, sizeof ops[n].file, "%.*s",
				 (int)strcspn(f + 8, " \t\r"), f + 8);
			n++;
		} else if (sscanf(l, "fastboot $* erase %63s", part) == 1) {
			ck_assert_int_lt(n, max);
			ops[n].kind = 'e';
			snprintf(ops[n].part, sizeof ops[n].part, "%s", part);
			ops[n].file[0] = 0;
			n++;
		}
	}
	free(text);
	return n;
}

/* The phone got flash:/erase: in the script's order (a split image is
 * several flash:NAME in a row, counted once), and every partition holds
 * what the script last wrote to it. */
void e2e_expect_script_result(const char *state, const char *folder,
				 const char *script_name, int check_order)
{
	struct op ops[64];
	char sp[600];
	snprintf(sp, sizeof sp, "%s/%s", folder, script_name);
	int n = script_ops(sp, ops, 64);
	ck_assert_int_gt(n, 5);

	char *log = e2e_commands_log(state), *save = NULL, prev[160] = "";
	int k = check_order ? 0 : n;
	for (char *l = strtok_r(log, "\n", &save); l && check_order;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "flash:", 6) && strncmp(l, "erase:", 6))
			continue;
		if (!strcmp(l, prev))
			continue;
		snprintf(prev, sizeof prev, "%s", l);
		ck_assert_msg(k < n, "unexpected extra command %s", l);
		char want[160];
		snprintf(want, sizeof want, "%s:%s", ops[k].kind == 'f' ? "flash" : "erase",
			 ops[k].part);
		ck_assert_msg(!strcmp(l, want), "command %d: phone got %s, script says %s",
			      k + 1, l, want);
		k++;
	}
	free(log);
	ck_assert_msg(k == n, "phone got %d of the script's %d flash/erase commands", k, n);

	for (int i = 0; i < n; i++) {
		int later = 0;
		for (int j = i + 1; j < n; j++)
			later |= !strcmp(ops[j].part, ops[i].part);
		if (later)
			continue;
		/* "a+b": one download written to every named partition */
		char parts[64], *ps = NULL;
		snprintf(parts, sizeof parts, "%s", ops[i].part);
		for (char *p = strtok_r(parts, "+", &ps); p; p = strtok_r(NULL, "+", &ps)) {
			if (ops[i].kind == 'e') {
				e2e_expect_zero_partition(state, p);
			} else {
				char ip[600];
				snprintf(ip, sizeof ip, "%s/images/%s", folder, ops[i].file);
				e2e_expect_partition(state, p, ip);
			}
		}
	}
}

char *e2e_make_package(const char *variant, int size_mb, char *folder, size_t cap)
{
	const char *outdir = e2e_path("pkg");
	e2e_mkdir_p(outdir);
	static char mkpkg[512];
	char size[16];
	snprintf(size, sizeof size, "%d", size_mb);
	const char *root = getenv("ROOT"); /* set by tests/run-all */
	snprintf(mkpkg, sizeof mkpkg, "%s%stests/fixtures/mkpkg", root ? root : "",
		 root ? "/" : "");
	char *argv[] = { "python3", mkpkg, "--variant", (char *)variant,
			 "--order", "scripts-last", "--size-mb", size, "--out",
			 (char *)outdir, "--keep-folder", NULL };
	int rc = e2e_spawn_wait(argv, e2e_path("mkpkg.out"), e2e_path("mkpkg.err"));
	char *o = e2e_slurp(e2e_path("mkpkg.out"), NULL);
	ck_assert_msg(rc == 0, "mkpkg failed: %s", e2e_slurp(e2e_path("mkpkg.err"), NULL));
	char *nl = strchr(o, '\n');
	if (nl)
		*nl = 0;
	ck_assert_msg(strstr(o, ".tgz") != NULL, "mkpkg printed %s", o);
	/* the folder: the name without "_<md5>.tgz" */
	const char *base = strrchr(o, '/') ? strrchr(o, '/') + 1 : o;
	const char *us = strrchr(base, '_');
	ck_assert_ptr_nonnull(us);
	snprintf(folder, cap, "%s/%.*s", outdir, (int)(us - base), base);
	ck_assert_msg(access(folder, R_OK) == 0, "no folder %s", folder);
	if (o[0] != '/') {
		char *abs = malloc(strlen(o) + 2);
		ck_assert_ptr_nonnull(abs);
		strcpy(abs, o);
		free(o);
		o = abs;
	}
	return o;
}
