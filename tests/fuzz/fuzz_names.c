/* libFuzzer harness: names from outside -- package file names
 * (flasher/package/pkgname.c: fastboot .tgz, recovery and HyperOS zips,
 * regional names, browser copies, unfinished downloads), the file name a
 * download URL gives (rf_dl_name_from_url) and what passes for a catalog
 * version (rf_catalog_is_version).
 *
 * Input: a name or URL (up to its first NUL).  Whatever it is: no crash;
 * a name is recognised (kind set, its mandatory fields filled, the MD5
 * prefix 10 lower-case hex digits, the build date a date) or nothing is
 * set; a folder in front of it changes nothing; a URL gives "" or a name
 * that is safe as a file name in the cache folder. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "download.h"
#include "harness.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	if (!s)
		abort();
	memcpy(s, data, len);
	s[len] = 0;
	check_name(s);
	check_url(s);
	if (rf_catalog_is_version(s) && (strchr(s, '/') || !strchr(s, '.')))
		abort();
	free(s);
	return 0;
}
