/* A PACKAGE argument (SPEC): a file or folder, an http(s):// URL, or a
 * catalog version ("7.12.8", with a region when several match).  URLs and
 * versions are downloaded (download.h) and verified; the result is a local
 * path and, when known, the package's full MD5 (from the catalog), which
 * the package reader checks again. */
#ifndef RF_RESOLVE_H
#define RF_RESOLVE_H

#include "catalog.h"
#include "download.h"
#include "package.h"

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
	/* rf_resolve_open, URL and CATALOG: */
	int pkg_opened;           /* the package was opened here ... */
	int pkg_rc;               /* ... with this result (its err says why;
				     closed again when not RF_OK) */
	int pkg_beside;           /* its pass read the file as it arrived */
	unsigned pkg_restarts;    /* passes started over: the server's file
				     changed mid-download */
	double pkg_after_s;       /* from the download's end to the package
				     checked (0: at once) */
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

/* rf_resolve_package, and for URL and CATALOG also rf_pkg_open(pkg, po)
 * while the file downloads: the download runs on a thread of its own and
 * the package's first pass (MD5, window digests, gzip index, tar walk,
 * sparse scans) reads NAME.part as it arrives, fed by the download's
 * watch, so the package is checked when the last byte is verified.  The
 * pass ends only once the download said DONE (MD5 verified, renamed);
 * the package is then the final file, and its verification record is
 * made for it (po->record_dir).  The server's file changing mid-download
 * starts the pass over; a pass that fails otherwise is run again over the
 * complete file (what a torn read or a race with the rename cost is one
 * more pass, never a wrong verdict).  The pass reports no progress of its
 * own (the download's is its progress); a file found complete is opened
 * as usual (its record, po->progress).  po->md5 NULL: the MD5 resolved
 * (the catalog's).  The return value is the download's, as
 * rf_resolve_package's; the package's is out->pkg_rc (out->pkg_opened). */
int rf_resolve_open(const char *arg, const struct rf_resolve_opts *o,
		    const struct rf_pkg_opts *po, struct rf_package *pkg,
		    struct rf_resolved *out);

#endif
