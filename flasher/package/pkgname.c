/* File-name identification (see pkgname.h).  Strict on purpose: a name
 * that is only almost right yields "unknown" rather than a guessed field. */
#include "pkgname.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAXTOK 16

static int all(const char *s, int (*f)(int))
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!f((unsigned char)*s))
			return 0;
	return 1;
}

static int is_hexl(int c) { return isxdigit(c) != 0; }
static int is_lower(int c) { return islower(c) != 0; }
static int is_alnum_(int c) { return isalnum(c) != 0; }

static int is_android(const char *s) /* 6.0, 4.4, 7.1.2 */
{
	int dots = 0, digits = 0;
	for (; *s; s++) {
		if (*s == '.') {
			if (!digits)
				return 0;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)*s)) {
			digits++;
		} else {
			return 0;
		}
	}
	return dots >= 1 && digits > 0;
}

static int is_build(const char *s) /* 20171208.0000.00 */
{
	size_t n = strlen(s);
	if (n < 10 || n > 24)
		return 0;
	for (int i = 0; i < 8; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	if (s[8] != '.')
		return 0;
	for (size_t i = 9; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			return 0;
	return 1;
}

static int is_version(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.')
			return 0;
	return 1;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int split(char *s, char **tok)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, "_", &save); t; t = strtok_r(NULL, "_", &save)) {
		if (n == MAXTOK)
			return -1;
		tok[n++] = t;
	}
	return n;
}

static int strip_suffix(char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	if (n > m && !strcmp(s + n - m, suf)) {
		s[n - m] = 0;
		return 1;
	}
	return 0;
}

static int parse_fastboot(const char *base, struct rf_pkgname *n)
{
	char buf[256], *tok[MAXTOK];
	snprintf(buf, sizeof buf, "%.255s", base);
	if (!strip_suffix(buf, ".tgz") && !strip_suffix(buf, ".tar.gz"))
		strip_suffix(buf, ".tar");
	char whole[256];
	snprintf(whole, sizeof whole, "%s", buf);
	int nt = split(buf, tok);
	int im = -1;
	for (int i = 1; i < nt; i++)
		if (!strcmp(tok[i], "images")) {
			im = i;
			break;
		}
	if (im < 1 || im > 2)
		return 0;
	int rest = nt - im - 1;
	if (rest != 4 && rest != 5)
		return 0;
	if (!all(tok[0], is_alnum_) || strlen(tok[0]) >= sizeof n->codename)
		return 0;
	if (im == 2 && !all(tok[1], is_lower))
		return 0;
	const char *ver = tok[im + 1], *bld = tok[im + 2], *and = tok[im + 3],
		   *reg = tok[im + 4];
	if (!is_version(ver) || !is_build(bld) || !is_android(and) ||
	    !all(reg, is_lower) || strlen(reg) >= sizeof n->region ||
	    strlen(and) >= sizeof n->android || strlen(bld) >= sizeof n->build)
		return 0;
	if (im == 2 && strcmp(tok[1], reg))
		return 0; /* "cancro_global_..._cn" contradicts itself */
	if (rest == 5) {
		if (strlen(tok[im + 5]) != 10 || !all(tok[im + 5], is_hexl))
			return 0;
		snprintf(n->md5_prefix, sizeof n->md5_prefix, "%s", tok[im + 5]);
		lower(n->md5_prefix);
		whole[strlen(whole) - 11] = 0; /* drop "_<md5>" */
	}
	n->kind = RF_NAME_FASTBOOT;
	snprintf(n->codename, sizeof n->codename, "%s", tok[0]);
	snprintf(n->version, sizeof n->version, "%s", ver);
	snprintf(n->build, sizeof n->build, "%s", bld);
	snprintf(n->build_date, sizeof n->build_date, "%.4s-%.2s-%.2s", bld,
		 bld + 4, bld + 6);
	snprintf(n->android, sizeof n->android, "%s", and);
	snprintf(n->region, sizeof n->region, "%s", reg);
	snprintf(n->top, sizeof n->top, "%s", whole);
	return 1;
}

static int parse_recovery(const char *base, struct rf_pkgname *n)
{
	char buf[256], *tok[MAXTOK];
	snprintf(buf, sizeof buf, "%.255s", base);
	if (!strip_suffix(buf, ".zip"))
		return 0;
	int nt = split(buf, tok);
	if (nt != 5 || strcmp(tok[0], "miui"))
		return 0;
	if (!all(tok[1], is_alnum_) || strlen(tok[1]) >= sizeof n->model ||
	    !is_version(tok[2]) || strlen(tok[3]) != 10 ||
	    !all(tok[3], is_hexl) || !is_android(tok[4]) ||
	    strlen(tok[4]) >= sizeof n->android)
		return 0;
	n->kind = RF_NAME_RECOVERY;
	snprintf(n->model, sizeof n->model, "%s", tok[1]);
	snprintf(n->version, sizeof n->version, "%s", tok[2]);
	snprintf(n->md5_prefix, sizeof n->md5_prefix, "%s", tok[3]);
	lower(n->md5_prefix);
	snprintf(n->android, sizeof n->android, "%s", tok[4]);
	size_t ml = strlen(tok[1]);
	snprintf(n->region, sizeof n->region, "%s",
		 ml > 6 && !strcmp(tok[1] + ml - 6, "Global") ? "global" : "cn");
	return 1;
}

int rf_pkgname_parse(const char *path, struct rf_pkgname *n)
{
	memset(n, 0, sizeof *n);
	char buf[512];
	snprintf(buf, sizeof buf, "%s", path ? path : "");
	size_t l = strlen(buf);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = 0;
	const char *base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	if (strlen(base) >= 256)
		return 0;
	if (parse_fastboot(base, n) || parse_recovery(base, n))
		return 1;
	memset(n, 0, sizeof *n);
	return 0;
}
