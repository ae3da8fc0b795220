/* One forward pass over a package file: read it, hash it and hand out its
 * content, gunzipped with ISA-L (several times faster than zlib) or as
 * stored.  Reading, hashing and inflating run on threads of their own,
 * ahead of the caller.
 *
 *   rf_gzr_open(&g, path, 1, err);          // the verification pass
 *   rf_gzr_record_windows(g, &ws);          // window digests (vfile.h)
 *   while (rf_gzr_next(g, &p, &n) == RF_OK && n) ...;  // p valid until next call
 *   rf_gzr_finish(g, md5);   // reads and hashes what is left
 *   rf_gzr_close(g);
 *
 * Later passes read the same file only through its verified windows
 * (rf_gzr_open_verified from byte 0, rf_gzr_open_at from a resume point):
 * every byte they inflate comes from a window whose digest matched.
 *
 * A gzip stream that ends early is "truncated" (RF_EFORMAT); several gzip
 * members in a row are read as one stream (what gzip -d does); zero bytes
 * after the last member are tolerated, anything else is an error. */
#ifndef RF_INFLATE_H
#define RF_INFLATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "gz_index.h"
#include "rf_error.h"
#include "vfile.h"

struct rf_gzr;

/* `gunzip`: 1 to decompress (the file must be gzip), 0 to pass through.
 * The file is read from its start and hashed (MD5). */
int rf_gzr_open(struct rf_gzr **g, const char *path, int gunzip, char *err);
/* A gunzipping pass from byte 0 through the verified windows of `vf`
 * (which must outlive the reader).  Nothing is hashed. */
int rf_gzr_open_verified(struct rf_gzr **g, const struct rf_vfile *vf,
			 char *err);
/* A gunzipping reader resuming at `pt` (taken on the same file), through
 * the verified windows of `vf`; synchronous (the caller inflates), nothing
 * hashed: rf_gzr_finish then checks the end of the gzip stream and gives
 * an empty MD5.  RF_EFORMAT when pt lies beyond the file's end. */
int rf_gzr_open_at(struct rf_gzr **g, const struct rf_vfile *vf,
		   const struct rf_gz_point *pt, char *err);

/* Before the first rf_gzr_next of rf_gzr_open: record the digest of every
 * RF_VWIN window of the file into `ws` (complete after rf_gzr_finish). */
void rf_gzr_record_windows(struct rf_gzr *g, struct rf_winsums *ws);
/* Before the first rf_gzr_next of rf_gzr_open: the file may still be
 * growing (a download under way); wait for its bytes up to gr->expect. */
void rf_gzr_set_growing(struct rf_gzr *g, const struct rf_growing *gr);
/* Fail (RF_EFORMAT) once more than max_out bytes were inflated; may be
 * called at any time (a gzip bomb costs no more than that). */
void rf_gzr_set_limit(struct rf_gzr *g, uint64_t max_out);

/* Next piece of content; *len == 0 at the end.  RF_EFORMAT (corrupt or
 * truncated gzip), RF_ESYS (read error), RF_ECHANGED (a verified window
 * differs), RF_EINTR (cancelled). */
int rf_gzr_next(struct rf_gzr *g, const void **buf, size_t *len);
/* Consume the rest of the file, check the gzip stream ended properly, and
 * give the file's MD5 (32 hex digits; "" when nothing was hashed). */
int rf_gzr_finish(struct rf_gzr *g, char md5hex[33]);
void rf_gzr_close(struct rf_gzr *g);
const char *rf_gzr_err(const struct rf_gzr *g);
uint64_t rf_gzr_file_size(const struct rf_gzr *g);
/* Bytes of the file read so far (for progress). */
uint64_t rf_gzr_bytes_read(const struct rf_gzr *g);
/* When non-NULL and set non-zero, reading stops with RF_EINTR. */
void rf_gzr_set_cancel(struct rf_gzr *g, const volatile sig_atomic_t *cancel);

/* Uncompressed bytes handed out so far. */
uint64_t rf_gzr_out_total(const struct rf_gzr *g);
/* The identity (fstat) of the file read by rf_gzr_open: taken when it was
 * opened, and again by rf_gzr_finish (a file that was growing is
 * complete then). */
const struct stat *rf_gzr_stat(const struct rf_gzr *g);
/* Before the first rf_gzr_next of a whole-file gunzip: record a resume
 * point every `step` bytes of output or so (gz_index.h).  Ignored
 * otherwise. */
void rf_gzr_index_every(struct rf_gzr *g, uint64_t step);
/* With an index: also keep a point at most ~1 MiB before uncompressed
 * offset `out_off`, which the caller has just been handed (a tar header:
 * seeking to that entry then inflates almost nothing in vain). */
void rf_gzr_index_mark(struct rf_gzr *g, uint64_t out_off);
/* After rf_gzr_finish: the points (ascending out_off, the first at 0),
 * the caller's to free; NULL and *n == 0 without an index. */
struct rf_gz_point *rf_gzr_take_points(struct rf_gzr *g, size_t *n);

#endif
