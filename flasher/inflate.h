/* One forward pass over a package file: read it once, hash every byte
 * (MD5, in a second thread) and hand out its content, gunzipped with
 * ISA-L (several times faster than zlib) or as stored.
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
#include "rf_error.h"

struct rf_gzr;

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

#endif
