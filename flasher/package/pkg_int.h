/* Internal to the package code: package.c (open), pkg_files.c (the
 * listing), pkg_walk.c
 * (the pass over a .tgz), pkg_dir.c (a folder), pkg_image.c (what
 * is learned from an image's bytes), pkg_record.c (verification
 * records).  Not for other rooms: they use package.h. */
#ifndef RF_PKG_INT_H
#define RF_PKG_INT_H

#include <archive.h>
#include "pkg_files.h"

int rf_pkg_ends_with(const char *s, const char *suf);
/* *.sh, *.bat */
int rf_pkg_is_script_name(const char *base);
/* The small text files scripts read their values from
 * (images/anti_version.txt, images/platform_security_patch.txt). */
int rf_pkg_is_note_file(const char *base, uint64_t size);
/* A new file of the listing (RF_EFORMAT when it is there already or
 * there are too many; message in p->err). */
struct rf_pkg_file *rf_pkg_add_file(struct rf_package *p, const char *path,
				    uint64_t size);

/* Reads an image (an archive entry or a file) for pkg_image.c, feeding
 * the window digests of the file when `rec` is set. */
struct rf_pkg_src {
	struct archive *a; /* or */
	int fd;
	struct rf_winrec *rec;
	unsigned char head[4];
	size_t head_len, head_pos;
	uint64_t done;      /* bytes read (head included) */
	char err[RF_ERRLEN];
};

int rf_pkg_src_read(void *ctx, void *buf, size_t len, size_t *got);
/* Look at the image's first bytes: if it is (or begins like) a sparse
 * image, record its layout or why the bootloader would refuse it.  Only a
 * failure to read is an error. */
int rf_pkg_scan_image(struct rf_package *p, struct rf_pkg_file *f,
		      struct rf_pkg_src *r);
/* Read the rest of the source (for its digests). */
int rf_pkg_src_drain(struct rf_pkg_src *r);

/* The pass over a .tgz. */
int rf_pkg_walk(struct rf_package *p, const struct rf_pkg_opts *o);
/* An extracted package folder. */
int rf_pkg_open_dir(struct rf_package *p);

#endif
