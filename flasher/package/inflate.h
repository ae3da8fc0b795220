/* One forward pass over a package file: read it once, hash every byte
 * (MD5) and hand out its content, gunzipped with ISA-L (several times
 * faster than zlib) or as stored.  Reading, hashing and inflating run on
 * threads of their own, ahead of the caller.
 *
 *   rf_gzr_open(&g, path, 1, err);
 *   while (rf_gzr_next(g, &p, &n) == RF_OK && n) ...;  // p valid until next call
 *   rf_gzr_finish(g, md5);   // reads and hashes what is left
 *   rf_gzr_close(g);
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
#include <isa-l/igzip_lib.h>
#include "rf_error.h"

struct rf_gzr;

/* Where inflating can resume without reading the file from its start:
 * ISA-L's state is self-contained between calls (it keeps the last 32 KiB
 * of history itself), so a copy of it plus the file offset of its next
 * input byte is enough.  The output resumes at uncompressed offset
 * out_off.  ~87 KiB each. */
struct rf_gz_point {
	uint64_t in_off;   /* file offset of the next input byte */
	uint64_t out_off;  /* uncompressed bytes produced before this point */
	int members;
	struct inflate_state st;
};

/* `gunzip`: 1 to decompress (the file must be gzip), 0 to pass through. */
int rf_gzr_open(struct rf_gzr **g, const char *path, int gunzip, char *err);
/* Next piece of content; *len == 0 at the end.  RF_EFORMAT (corrupt or
 * truncated gzip), RF_ESYS (read error), RF_EINTR (cancelled). */
int rf_gzr_next(struct rf_gzr *g, const void **buf, size_t *len);
/* Consume the rest of the file, check the gzip stream ended properly, and
 * give the file's MD5 (32 hex digits). */
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
/* The identity (fstat) of the file being read, taken when it was opened. */
const struct stat *rf_gzr_stat(const struct rf_gzr *g);
/* Before the first rf_gzr_next of a whole-file gunzip: record a resume
 * point every `step` bytes of output or so (never at a gzip member
 * boundary: the next possible place instead).  Ignored otherwise. */
void rf_gzr_index_every(struct rf_gzr *g, uint64_t step);
/* With an index: also keep a point at most ~1 MiB before uncompressed
 * offset `out_off`, which the caller has just been handed (a tar header:
 * seeking to that entry then inflates almost nothing in vain). */
void rf_gzr_index_mark(struct rf_gzr *g, uint64_t out_off);
/* After rf_gzr_finish: the points (ascending out_off, the first at 0),
 * the caller's to free; NULL and *n == 0 without an index. */
struct rf_gz_point *rf_gzr_take_points(struct rf_gzr *g, size_t *n);
/* A gunzipping reader resuming at `pt` (taken on the same file).  It
 * hashes nothing: rf_gzr_finish then checks the end of the gzip stream and
 * gives an empty MD5.  RF_EFORMAT when pt lies beyond the file's end. */
int rf_gzr_open_at(struct rf_gzr **g, const char *path,
		   const struct rf_gz_point *pt, char *err);

#endif
