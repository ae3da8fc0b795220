/* libFuzzer harness: names from outside -- package file names
 * (flasher/package/pkgname.c: fastboot .tgz, recovery and HyperOS zips,
 * regional names, browser copies, unfinished downloads), archive entry
 * names (rf_pkg_norm_path), the file name a download URL gives
 * (rf_dl_name_from_url) and what passes for a catalog version
 * (rf_catalog_is_version).
 *
 * Input: a name or URL (up to its first NUL).  Whatever it is: no crash;
 * a name is recognised (kind set, its mandatory fields filled, the MD5
 * prefix 10 lower-case hex digits, the build date a date) or nothing is
 * set; a folder in front of it changes nothing; an entry name normalises
 * to a plain path (the same again) or is refused, always when it goes up;
 * a URL gives "" or a name that is safe as a file name in the cache
 * folder. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "download.h"
#include "harness.h"
#include "package.h"
#include "pkgname.h"

static void check_fields(const struct rf_pkgname *n)
{
	fz_check_str(n->codename, sizeof n->codename);
	fz_check_str(n->model, sizeof n->model);
	fz_check_str(n->region, sizeof n->region);
	fz_check_str(n->version, sizeof n->version);
	fz_check_str(n->build, sizeof n->build);
	fz_check_str(n->build_date, sizeof n->build_date);
	fz_check_str(n->android, sizeof n->android);
	fz_check_str(n->md5_prefix, sizeof n->md5_prefix);
	fz_check_str(n->top, sizeof n->top);
	fz_check_str(n->note, sizeof n->note);
	if (n->md5_prefix[0]) {
		if (strlen(n->md5_prefix) != 10)
			abort();
		for (const char *p = n->md5_prefix; *p; p++)
			if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
				abort();
	}
	if (n->build_date[0] &&
	    (strlen(n->build_date) != 10 || n->build_date[4] != '-' ||
	     n->build_date[7] != '-'))
		abort();
}

static void check_name(const char *s)
{
	struct rf_pkgname n, m;
	char *path = malloc(strlen(s) + 8);
	int r;

	if (!path)
		abort();
	memset(&n, 0, sizeof n);
	memset(&m, 0, sizeof m);
	r = rf_pkgname_parse(s, &n);
	check_fields(&n);
	if (r != (n.kind != RF_NAME_UNKNOWN))
		abort();
	if (!r && (n.codename[0] || n.model[0] || n.version[0] || n.md5_prefix[0] ||
		   n.top[0]))
		abort(); /* unknown: nothing set */
	if (n.kind == RF_NAME_FASTBOOT && (!n.codename[0] || !n.version[0] || !n.top[0]))
		abort();
	if (n.kind == RF_NAME_RECOVERY && !n.version[0])
		abort();
	/* only the name counts, not the folders it is in */
	strcpy(path, "dir/x/");
	strcat(path, s);
	if (rf_pkgname_parse(path, &m) != r || memcmp(&n, &m, sizeof n))
		abort();
	free(path);
}

static void check_url(const char *s)
{
	char name[256];

	rf_dl_name_from_url(s, name, sizeof name);
	fz_check_str(name, sizeof name);
	if (!name[0])
		return;
	if (name[0] == '.' || strlen(name) > 200)
		abort();
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._+-", *p))
			abort();
}

/* An archive entry's name as the package lists it: "." components and
 * repeated '/' gone, refused with a ".." component, the same when
 * normalised again. */
static void check_entry_name(const char *s)
{
	char a[256], b[256];
	int r = rf_pkg_norm_path(s, a, sizeof a);
	int up = 0;

	for (const char *p = s; p;) { /* a ".." component? */
		const char *e = strchr(p, '/');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		up |= l == 2 && !strncmp(p, "..", 2);
		p = e ? e + 1 : NULL;
	}
	/* refused as going up only when it does; never accepted when it
	 * does (a long name may be refused as too long first) */
	if (r < -1 || r > 1 || (r == -1 && !up) || (r == 1 && up))
		abort();
	if (r != 1)
		return;
	fz_check_str(a, sizeof a);
	if (strstr(a, "//") || !strcmp(a, ".") || !strncmp(a, "./", 2) ||
	    strstr(a, "/./") || (strlen(a) >= 2 && !strcmp(a + strlen(a) - 2, "/.")))
		abort();
	if (rf_pkg_norm_path(a, b, sizeof b) != 1 || strcmp(a, b))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = 0;
	check_name(s);
	check_url(s);
	check_entry_name(s);
	if (rf_catalog_is_version(s) && (strchr(s, '/') || !strchr(s, '.')))
		abort();
	free(s);
	return 0;
}
