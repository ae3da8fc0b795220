/* Test helpers for package tests (check_pkg_stream.c, check_gzindex.c,
 * check_vfile.c, check_record.c): a tree of image files under a private
 * folder, packed as a .tgz in several ways, and a comparison of what a
 * pkg_stream hands out with the source files. */
#ifndef RF_TEST_PKG_FIXTURE_H
#define RF_TEST_PKG_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include "pkg_stream.h"

#define PF_TOP "cancro_images_7.12.8_20171208.0000.00_6.0_cn"

/* Content kinds of an image file. */
enum pf_kind {
	PF_TEXT,    /* text-like: short matches */
	PF_RANDOM,  /* random: stored deflate blocks */
	PF_REPEAT,  /* one random 30011-byte block repeated: matches reaching
		       ~30 KiB back, across the inflater's output calls */
};

struct pf_tree {
	char root[64];               /* the private folder */
	int n;
	const char *const *rel;      /* "images/a.img", ... */
	const size_t *size;
};

/* xorshift over *state */
uint64_t pf_rnd(uint64_t *state);
/* system(), which must succeed */
void pf_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* root/src/PF_TOP/flash_all.sh and the images, kind[i] each. */
void pf_tree_make(struct pf_tree *t, const char *tag, const char *const *rel,
		  const size_t *size, const enum pf_kind *kind, int n);
/* rm -rf root */
void pf_tree_remove(struct pf_tree *t);
/* A .tgz at root/NAME: tar FORMAT ("gnu", "pax"), gzip'd with `gzip`
 * options OPTS, the script first and the images in the tree's order. */
void pf_tree_tgz(const struct pf_tree *t, const char *name,
		 const char *format, const char *opts, char *out, size_t cap);
/* The same tar cut into gzip members at these offsets (ascending). */
void pf_tree_tgz_members(const struct pf_tree *t, const char *name,
			 const size_t *cuts, int ncuts, char *out, size_t cap);
/* The same tar, deflate with stored blocks only (gzip level 0). */
void pf_tree_tgz_stored(const struct pf_tree *t, const char *name, char *out,
			size_t cap);
/* cp src root/TAG (returns the path in out) */
void pf_copy(const struct pf_tree *t, const char *src, const char *tag,
	     char *out, size_t cap);
/* XOR byte `off` of a file with 0x01, in place (same size). */
void pf_flip(const char *path, uint64_t off);
/* Index of `rel` in the tree (aborts when unknown). */
int pf_index(const struct pf_tree *t, const char *rel);

/* Read image `rel` from the stream, `limit` bytes at most (SIZE_MAX: all),
 * in uneven pieces, comparing every byte with the tree's file.  The first
 * error (its message in the stream's), else RF_OK. */
int pf_check_image(struct rf_pkg_stream *s, const struct pf_tree *t,
		   const char *rel, size_t limit);

#endif
