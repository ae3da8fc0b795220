/* File-name identification (see pkgname.h).  Strict on purpose: a name
 * that is only almost right yields "unknown" rather than a guessed field. */
#include "pkgname.h"
#include "rf_str.h"

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

static int is_md5_prefix(const char *s)
{
	return strlen(s) == 10 && all(s, is_hexl);
}

static int is_android(const char *s) /* 6.0, 4.4, 7.1.2, 14.0 */
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

static int split(char *s, const char *sep, char **tok)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
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

/* ".tgz.part", "NAME (1).tgz": the name as published, and what happened
 * to it in `n->note`. */
static void undo_browser(char *name, struct rf_pkgname *n)
{
	static const char *const partial[] = { ".part", ".crdownload", ".download", NULL };
	for (const char *const *p = partial; *p; p++)
		if (strip_suffix(name, *p)) {
			n->partial = 1;
			snprintf(n->note, sizeof n->note, "an unfinished download (%s): "
				 "the file is not the whole package", *p);
			break;
		}
	/* "NAME (1).tgz", "NAME(2).zip": a second copy the browser saved */
	char *ext = strrchr(name, '.');
	char *open = ext ? ext : name + strlen(name);
	while (open > name && open[-1] != '(')
		open--;
	if (open > name && ext && ext[-1] == ')' && open < ext - 1) {
		char *k = open;
		while (isdigit((unsigned char)*k))
			k++;
		if (k == ext - 1) {
			char *cut = open - 1;
			if (cut > name && cut[-1] == ' ')
				cut--;
			if (!n->note[0])
				snprintf(n->note, sizeof n->note, "a copy the browser "
					 "renamed (\"%.*s\"): the name is read without it",
					 (int)(ext - cut), cut);
			memmove(cut, ext, strlen(ext) + 1);
		}
	}
}

static int parse_fastboot(const char *base, struct rf_pkgname *n)
{
	char buf[256], whole[256], *tok[MAXTOK];
	snprintf(buf, sizeof buf, "%.255s", base);
	if (!strip_suffix(buf, ".tgz") && !strip_suffix(buf, ".tar.gz"))
		strip_suffix(buf, ".tar");
	snprintf(whole, sizeof whole, "%s", buf);
	int nt = split(buf, "_", tok), im = -1;
	for (int i = 1; i < nt && im < 0; i++)
		if (!strcmp(tok[i], "images"))
			im = i;
	/* codename, then nothing (China), "global", or REGION "global" */
	if (im < 1 || im > 3)
		return 0;
	int rest = nt - im - 1;
	if (rest != 4 && rest != 5)
		return 0;
	if (!all(tok[0], is_alnum_) || strlen(tok[0]) >= sizeof n->codename)
		return 0;
	if ((im >= 2 && strcmp(tok[im - 1], "global")) ||
	    (im == 3 && (!all(tok[1], is_lower) || !strcmp(tok[1], "global"))))
		return 0;
	const char *ver = tok[im + 1], *bld = tok[im + 2], *and = tok[im + 3],
		   *reg = tok[im + 4];
	if (!is_version(ver) || !is_build(bld) || !is_android(and) ||
	    !all(reg, is_lower) || strlen(reg) >= sizeof n->region ||
	    strlen(and) >= sizeof n->android || strlen(bld) >= sizeof n->build)
		return 0;
	/* the words before "images" and the tag after the version agree:
	 * cancro_global_..._global, raphaelin_in_global_..._in, cancro_..._cn */
	const char *said = im == 3 ? tok[1] : im == 2 ? "global" : NULL;
	if (said ? strcmp(said, reg) : !strcmp(reg, "global"))
		return 0;
	if (rest == 5) {
		if (!is_md5_prefix(tok[im + 5]))
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

/* The region in a recovery model word: "MI9EEAGlobal" -> eea,
 * "REDMINOTE8PROINGlobal" -> in, "MI3WMI4WGlobal" -> global, "MI3WMI4W" -> cn. */
static void model_region(const char *model, char *region, size_t cap)
{
	static const char *const regions[] = { "EEA", "IN", "RU", "ID", "TR", "TW",
					       "JP", "KR", NULL };
	size_t ml = strlen(model);
	if (ml <= 6 || strcmp(model + ml - 6, "Global")) {
		snprintf(region, cap, "cn");
		return;
	}
	snprintf(region, cap, "global");
	for (const char *const *r = regions; *r; r++) {
		size_t rl = strlen(*r);
		if (ml > 6 + rl + 1 && !strncmp(model + ml - 6 - rl, *r, rl)) {
			snprintf(region, cap, "%s", *r);
			lower(region);
			return;
		}
	}
}

/* miui_MODEL_VERSION_MD5_ANDROID.zip */
static int parse_miui_zip(char *buf, struct rf_pkgname *n)
{
	char *tok[MAXTOK];
	int nt = split(buf, "_", tok);
	if (nt != 5 || strcmp(tok[0], "miui"))
		return 0;
	if (!all(tok[1], is_alnum_) || strlen(tok[1]) >= sizeof n->model ||
	    !is_version(tok[2]) || !is_md5_prefix(tok[3]) || !is_android(tok[4]) ||
	    strlen(tok[4]) >= sizeof n->android)
		return 0;
	snprintf(n->model, sizeof n->model, "%s", tok[1]);
	snprintf(n->version, sizeof n->version, "%s", tok[2]);
	snprintf(n->md5_prefix, sizeof n->md5_prefix, "%s", tok[3]);
	snprintf(n->android, sizeof n->android, "%s", tok[4]);
	model_region(tok[1], n->region, sizeof n->region);
	return 1;
}

/* HyperOS: CODENAME[_REGION][_global]-ota_full-VERSION-user-ANDROID-MD5.zip */
static int parse_ota_zip(char *buf, struct rf_pkgname *n)
{
	char *tok[MAXTOK], *sub[MAXTOK], dev[64];
	int nt = split(buf, "-", tok);
	if (nt != 6 || strcmp(tok[1], "ota_full") || !is_version(tok[2]) ||
	    strcmp(tok[3], "user") || !is_android(tok[4]) || !is_md5_prefix(tok[5]) ||
	    strlen(tok[4]) >= sizeof n->android || strlen(tok[0]) >= sizeof dev)
		return 0;
	snprintf(dev, sizeof dev, "%s", tok[0]);
	int ns = split(dev, "_", sub);
	if (ns < 1 || ns > 3 || !all(sub[0], is_alnum_) ||
	    strlen(sub[0]) >= sizeof n->codename ||
	    (ns >= 2 && strcmp(sub[ns - 1], "global")) ||
	    (ns == 3 && !all(sub[1], is_lower)))
		return 0;
	snprintf(n->codename, sizeof n->codename, "%s", sub[0]);
	snprintf(n->model, sizeof n->model, "%s", tok[0]);
	snprintf(n->region, sizeof n->region, "%s", ns == 3 ? sub[1] : ns == 2 ? "global" : "cn");
	snprintf(n->version, sizeof n->version, "%s", tok[2]);
	snprintf(n->android, sizeof n->android, "%s", tok[4]);
	snprintf(n->md5_prefix, sizeof n->md5_prefix, "%s", tok[5]);
	return 1;
}

static int parse_recovery(const char *base, struct rf_pkgname *n)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%.255s", base);
	if (!strip_suffix(buf, ".zip"))
		return 0;
	char copy[256];
	snprintf(copy, sizeof copy, "%s", buf);
	if (!parse_miui_zip(buf, n) && !parse_ota_zip(copy, n))
		return 0;
	lower(n->md5_prefix);
	n->kind = RF_NAME_RECOVERY;
	return 1;
}

int rf_pkgname_parse(const char *path, struct rf_pkgname *n)
{
	char buf[512], base[256], note[128];
	memset(n, 0, sizeof *n);
	snprintf(buf, sizeof buf, "%s", path ? path : "");
	size_t l = strlen(buf);
	while (l > 1 && buf[l - 1] == '/')
		buf[--l] = 0;
	const char *b = strrchr(buf, '/');
	b = b ? b + 1 : buf;
	if (strlen(b) >= sizeof base)
		return 0;
	rf_strlcpy(base, b, sizeof base);
	undo_browser(base, n);
	int partial = n->partial;
	rf_strlcpy(note, n->note, sizeof note);
	if (parse_fastboot(base, n) || parse_recovery(base, n)) {
		n->partial = partial;
		rf_strlcpy(n->note, note, sizeof n->note);
		return 1;
	}
	memset(n, 0, sizeof *n);
	return 0;
}
