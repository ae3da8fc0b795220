/* PACKAGE argument -> local, verified file (resolve.h). */
#include "resolve.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "rf_str.h"

enum rf_pkg_source rf_pkg_source_of(const char *arg)
{
	struct stat st;
	if (!stat(arg, &st))
		return RF_SRC_LOCAL;
	if (!strncmp(arg, "https://", 8) || !strncmp(arg, "http://", 7))
		return RF_SRC_URL;
	if (rf_catalog_is_version(arg))
		return RF_SRC_CATALOG;
	return RF_SRC_LOCAL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The one entry of that version for this command, or an error listing
 * what matched. */
static int pick(const char *version, const struct rf_resolve_opts *o,
		struct rf_resolved *out)
{
	const struct rf_rom *m[16];
	size_t n;
	char list[200] = "";

	if (!o->catalog)
		return rf_errf(out->err, RF_EINVAL, "%s: no catalog to look versions up in",
			       version);
	n = rf_catalog_find(o->catalog, version, o->region, o->type, m, 16);
	if (n == 1) {
		out->rom = m[0];
		return RF_OK;
	}
	for (size_t i = 0; i < n && i < 16; i++) {
		size_t k = strlen(list);
		snprintf(list + k, sizeof list - k, "%s%s %s", i ? ", " : "",
			 m[i]->region, rf_rom_type_name(m[i]->type));
	}
	if (!n)
		return rf_errf(out->err, RF_EINVAL, "%s%s%s%s%s: not in the catalog "
			       "(romflash catalog lists it)", version,
			       o->region ? " " : "", o->region ? o->region : "",
			       o->type ? " " : "", o->type ? rf_rom_type_name(o->type) : "");
	return rf_errf(out->err, RF_EINVAL, "%s: %zu packages match (%s): choose with "
		       "--region%s", version, n, list, o->type ? "" : " and --type");
}

int rf_resolve_package(const char *arg, const struct rf_resolve_opts *o,
		       struct rf_resolved *out)
{
	struct rf_dl_opts dl = o->dl;
	const char *url = arg;
	int rc;

	memset(out, 0, sizeof *out);
	out->source = rf_pkg_source_of(arg);
	if (out->source == RF_SRC_LOCAL) {
		rf_strlcpy(out->path, arg, sizeof out->path);
		if (o->catalog)
			out->rom = rf_catalog_by_name(o->catalog, base_name(arg));
	} else if (out->source == RF_SRC_CATALOG) {
		rc = pick(arg, o, out);
		if (rc)
			return rc;
		url = out->rom->url;
		dl.name = out->rom->name;
	} else {
		char name[256];
		rf_dl_name_from_url(arg, name, sizeof name);
		if (o->catalog && name[0])
			out->rom = rf_catalog_by_name(o->catalog, name);
	}
	if (o->md5 && *o->md5)
		rf_strlcpy(out->md5, o->md5, sizeof out->md5);
	else if (out->rom && out->rom->md5[0])
		rf_strlcpy(out->md5, out->rom->md5, sizeof out->md5);
	if (out->source == RF_SRC_LOCAL)
		return RF_OK;
	dl.url = url;
	dl.md5 = out->md5[0] ? out->md5 : NULL;
	rc = rf_download(&dl, &out->dl);
	if (rc) {
		out->download_failed = rc != RF_EINVAL;
		rf_strlcpy(out->err, out->dl.err, sizeof out->err);
		return rc;
	}
	rf_strlcpy(out->path, out->dl.path, sizeof out->path);
	return RF_OK;
}
