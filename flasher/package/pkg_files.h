/* What a package is, once open (package.h opens one): its kind, its files
 * and what the pass learned of each, the bounds a package must keep, and
 * the functions over that listing (pkg_files.c).  The passes that fill it
 * (pkg_walk.c, pkg_dir.c, pkg_record.c) build on this, below package.c. */
#ifndef RF_PKG_FILES_H
#define RF_PKG_FILES_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "pkgname.h"
#include "rf_error.h"
#include "sparse.h"
#include "vfile.h"

enum rf_pkg_kind {
	RF_PKG_NONE = 0,
	RF_PKG_TGZ,  /* fastboot package, gzip'd tar */
	RF_PKG_DIR,  /* fastboot package, extracted folder */
	RF_PKG_ZIP,  /* recovery package (sideload) */
};

enum rf_md5_state {
	RF_MD5_NOT_CHECKED = 0, /* a folder: nothing to check */
	RF_MD5_NOT_KNOWN,       /* no --md5 and no prefix in the name */
	RF_MD5_FULL,            /* matched the full MD5 given */
	RF_MD5_PREFIX,          /* matched the 10-hex prefix of the name */
};

struct rf_pkg_file {
	char *path;          /* relative to the top folder: "images/boot.img" */
	uint64_t size;       /* bytes as stored */
	int sparse;          /* starts with the sparse magic */
	struct rf_sparse_layout *layout; /* sparse and valid: its layout */
	char *bad;           /* sparse but malformed: why */
	char *text;          /* scripts (*.sh, *.bat at the top) and small
				images/ text files: content */
	size_t text_len;
	/* TGZ: offset of its first tar header (extension headers included)
	 * in the uncompressed tar stream */
	uint64_t tar_off;
	/* TGZ: offset of its data in the uncompressed tar stream */
	uint64_t data_off;
	/* DIR: digests of the file's windows, read whole when opened */
	struct rf_winsums win;
};

/* The file that was verified, as fstat saw the descriptor that was hashed
 * (at the end of the pass: a file that was growing is complete then): the
 * key of its verification record.  Reads of its bytes are checked by the
 * window digests, not by this. */
struct rf_pkg_ident {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
};

struct rf_gz_point; /* gz_index.h */

struct rf_package {
	enum rf_pkg_kind kind;
	char path[4096];        /* as given */
	struct rf_pkgname name; /* from the file (or folder) name */
	char top[256];          /* TGZ: top folder inside the archive ("" none) */
	char dir[4096];         /* DIR: the top folder on disk */
	uint64_t file_size;     /* TGZ/ZIP: the file; DIR: sum of files */
	uint64_t content_size;  /* sum of the files inside */
	char md5[33];           /* TGZ/ZIP: the file's MD5 */
	enum rf_md5_state md5_state;
	char md5_expected[33];  /* what it was checked against */
	struct rf_pkg_file *files;
	size_t nfiles;
	char device[64];        /* ZIP: target device from updater-script */
	struct rf_pkg_ident ident;  /* TGZ/ZIP */
	/* TGZ/ZIP: digests of the file's windows (vfile.h) */
	struct rf_winsums win;
	/* TGZ opened with gz_index: resume points of the gunzip, ascending
	 * out_off, the first at 0 */
	struct rf_gz_point *gz_points;
	size_t ngz_points;
	int from_record;            /* read from a verification record */
	/* what the open took so far, against RF_PKG_MAX_* */
	uint64_t used_total;
	size_t used_text, used_extents, used_entries;
	char err[RF_ERRLEN];
};

struct rf_pkg_opts {
	const char *md5;   /* full MD5 the package must have (--md5, catalog) */
	int refuse_zip;    /* fail at once on a recovery zip (plan, flash) */
	const volatile sig_atomic_t *cancel;
	/* Called as the file is read (bytes read, file size), may be NULL. */
	void (*progress)(void *user, uint64_t done, uint64_t total);
	void *progress_user;
	/* TGZ: record a gunzip resume point every RF_PKG_GZ_INDEX_STEP bytes
	 * of tar (~87 KiB each: ~5 MB for a 1 GB tar) so pkg_stream can start
	 * reading near any entry.  For `flash` only. */
	int gz_index;
	uint64_t gz_index_step; /* 0: RF_PKG_GZ_INDEX_STEP (tests use less) */
	/* TGZ: the folder of verification records (rf_pkg_record_dir), or
	 * NULL for none.  A record is read when it matches the file, written
	 * after a full pass (which then also builds the index). */
	const char *record_dir;
	/* TGZ: the file may still be growing (a download under way): the
	 * pass waits for its bytes (growing->expect, or its writer's
	 * growing->wait).  A zip is read from its end: with growing->wait,
	 * once the writer says it is complete. */
	const struct rf_growing *growing;
	/* With growing: the name the file has once complete (a download's
	 * NAME.part is renamed to NAME before its writer says it is
	 * complete), or NULL.  The package's name (its MD5 prefix) is read
	 * from it, and once the file is complete the package is that file:
	 * p->path, the identity -- which must be the file read -- and the
	 * verification record are the final name's. */
	const char *final_path;
};

#define RF_PKG_GZ_INDEX_STEP (16ull << 20)

void rf_pkg_close(struct rf_package *p);

/* A file by its path relative to the top folder, or NULL. */
const struct rf_pkg_file *rf_pkg_find(const struct rf_package *p,
				      const char *rel);
/* An archive entry's name as the listing has it: "." components and
 * repeated '/' dropped.  1 done, 0 when it does not fit `cap`, -1 when a
 * component is ".." (never a package file). */
int rf_pkg_norm_path(const char *name, char *out, size_t cap);

/* Scripts present ("flash_all.sh flash_all_lock.sh ..."), for messages. */
void rf_pkg_scripts(const struct rf_package *p, char *out, size_t cap);

const char *rf_pkg_kind_name(enum rf_pkg_kind k); /* "fastboot-tgz", ... */
const char *rf_md5_state_name(enum rf_md5_state s); /* "full", "prefix", ... */

/* What a cancro package can hold (docs/design.md argues the numbers; a
 * real one: ~30 entries, 3 levels, ~1.2 GB of tar, a few scripts of a few
 * KiB).  Larger is refused from the headers, before any data is read. */
#define RF_PKG_MAX_TOTAL (16ull << 30)   /* sum of the entries' sizes */
#define RF_PKG_MAX_ENTRY RF_PKG_MAX_TOTAL
#define RF_PKG_MAX_ENTRIES 512           /* tar headers, folders included */
#define RF_PKG_MAX_DEPTH 6               /* path components */
#define RF_PKG_MAX_SCRIPT (1u << 20)     /* one script */
#define RF_PKG_MAX_TEXT (1u << 20)       /* all scripts kept in memory */
#define RF_PKG_MAX_EXTENTS (128u << 10)  /* sparse extents of all images: 4 MiB */
/* Text files in images/ (.txt) up to this size are kept as text: the
 * values scripts read (anti_version.txt, platform_security_patch.txt) */
#define RF_PKG_MAX_NOTE 256

#endif
