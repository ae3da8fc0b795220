/* A PACKAGE argument (SPEC): a file or folder, an http(s):// URL, or a
 * catalog version ("7.12.8", with a region when several match).  URLs and
 * versions are downloaded (download.h) and verified; the result is a local
 * path and, when known, the package's full MD5 (from the catalog), which
 * the package reader checks again. */
#ifndef RF_RESOLVE_H
#define RF_RESOLVE_H

#include "catalog.h"
#include "download.h"

enum rf_pkg_source {
	RF_SRC_LOCAL = 0,  /* a path, used as given */
	RF_SRC_URL,
	RF_SRC_CATALOG,
};

struct rf_resolve_opts {
	const struct rf_catalog *catalog; /* may be NULL: no versions */
	const char *region;     /* --region, NULL: any */
	enum rf_rom_type type;  /* the kind the command takes (RF_ROM_ANY: fetch) */
	const char *md5;        /* --md5, NULL */
	struct rf_dl_opts dl;   /* dir, cacert, timeouts, stop, events
				   (url, name, md5 are set here) */
};

struct rf_resolved {
	enum rf_pkg_source source;
	char path[4096];          /* the local file */
	char md5[33];             /* full MD5 known for it, "" none */
	const struct rf_rom *rom; /* its catalog entry, or NULL */
	int download_failed;      /* the error is a download's (exit 5) */
	struct rf_dl_result dl;   /* URL, CATALOG: the download */
	char err[RF_ERRLEN];
};

/* Classify `arg`: an existing path is LOCAL, "http(s)://" a URL, a version
 * shape (rf_catalog_is_version) CATALOG, anything else LOCAL (the package
 * reader will say it does not exist). */
enum rf_pkg_source rf_pkg_source_of(const char *arg);

/* Resolve and, for URL and CATALOG, download.  Errors: RF_EINVAL (an
 * unknown or ambiguous version, an unusable URL; out->err lists the
 * candidates), RF_EINTR, or a download failure (out->download_failed). */
int rf_resolve_package(const char *arg, const struct rf_resolve_opts *o,
		       struct rf_resolved *out);

#endif
