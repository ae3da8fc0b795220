/* One range of a .tgz's uncompressed stream (a large image's data),
 * inflated by two threads from the gzip index's resume points: the range is
 * cut at the points inside it, and the workers take alternate chunks, each
 * into a ring of its own, while the caller reads the chunks in order.  Two
 * cores then inflate one image, which matters only when the phone takes
 * data faster than one core inflates it (~470 MB/s here; USB 2.0 phones
 * take ~35 MB/s).
 *
 *   rf_pinf_open(&p, vf, points, npoints, off, len, err);
 *   ... rf_pinf_read(p, buf, n, &got) as an rf_read_fn: exactly len bytes ...
 *   rf_pinf_close(p);
 *
 * Like rf_gzr_open_at, the workers read the file only in whole verified
 * windows (vfile.h): every byte inflated comes from a window whose digest
 * matched the verification pass's. */
#ifndef RF_PAR_INFLATE_H
#define RF_PAR_INFLATE_H

#include <stddef.h>
#include <stdint.h>
#include "inflate.h"

struct rf_pinf;

/* points: ascending out_off, the first at or before off; vf and points
 * must outlive the reader. */
int rf_pinf_open(struct rf_pinf **p, const struct rf_vfile *vf,
		 const struct rf_gz_point *points, size_t npoints,
		 uint64_t off, uint64_t len, char *err);
int rf_pinf_read(void *p, void *buf, size_t len, size_t *got);
/* The message of a read error. */
const char *rf_pinf_err(const struct rf_pinf *p);
void rf_pinf_close(struct rf_pinf *p);

#endif
