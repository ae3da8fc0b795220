/* The gunzip access index: resume points taken while a .tgz is inflated
 * once from its start (inflate.c), so that later reads start near any
 * place instead of at byte 0.
 *
 * ISA-L's inflate state is self-contained between two isal_inflate calls
 * (it keeps the last 32 KiB of history itself), so a copy of it plus the
 * file offset of its next input byte is a resume point (~87 KiB).  Points
 * are taken every `step` bytes of output, never at a gzip member boundary,
 * and near every tar header the caller marks.  Memory is bounded whatever
 * the package: at most RF_GZ_MAX_POINTS regular points (when full, every
 * other one is dropped and the step doubles) and RF_GZ_MAX_MARKS marks,
 * about 8 MiB in all. */
#ifndef RF_GZ_INDEX_H
#define RF_GZ_INDEX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <isa-l/igzip_lib.h>

/* A resume point: the output resumes at uncompressed offset out_off. */
struct rf_gz_point {
	uint64_t in_off;   /* file offset of the next input byte */
	uint64_t out_off;  /* uncompressed bytes produced before this point */
	int members;
	struct inflate_state st;
};

#define RF_GZ_MAX_POINTS 64
#define RF_GZ_MAX_MARKS 32

struct rf_gz_index {
	uint64_t step, next_point;
	struct rf_gz_point *pts;   /* regular points, ascending */
	size_t npts;
	/* the last few points, one per RF_GZ_RECENT_STEP of output, for
	 * marks (the caller, a few MiB behind the inflater, picks from
	 * them under `mu`) */
	struct rf_gz_point *recent;
	uint64_t nrecent, next_recent;
	struct rf_gz_point *marks; /* the caller's picks, ascending */
	size_t nmarks;
	int lost;                  /* out of memory: no index at all */
	pthread_mutex_t *mu;
};

/* Start an index with a point every `step` bytes (0: none kept). */
void rf_gzi_init(struct rf_gz_index *x, uint64_t step, pthread_mutex_t *mu);
/* The inflater, between two isal_inflate calls, at output offset out_off
 * with its next input byte at in_off: keep a point if one is due. */
void rf_gzi_offer(struct rf_gz_index *x, const struct inflate_state *st,
		  uint64_t in_off, uint64_t out_off, int members);
/* The caller was just handed uncompressed offset out_off (a tar header):
 * keep a point at most ~1 MiB before it. */
void rf_gzi_mark(struct rf_gz_index *x, uint64_t out_off);
/* Every point, ascending out_off, one per offset, the first at 0; the
 * caller's to free.  NULL (and *n 0) when there is none. */
struct rf_gz_point *rf_gzi_take(struct rf_gz_index *x, size_t *n);
void rf_gzi_free(struct rf_gz_index *x);

#endif
