/* Test helpers for sparse images (check_sparse*.c): deterministic
 * randomness, a reference CRC32 and a reference applier independent of the
 * code under test, memory readers and writers, and a sparse image builder
 * that also records the output the image stands for. */
#ifndef RF_TEST_SPARSE_BUILD_H
#define RF_TEST_SPARSE_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include "sparse.h"

/* xorshift; SPARSE_SEED in the environment overrides the seed */
uint64_t st_rnd(void);
uint64_t st_rnd_range(uint64_t lo, uint64_t hi); /* inclusive */
void st_rnd_fill(uint8_t *p, size_t n);
void st_seed_rng(void);

/* CRC32 (gzip's), table driven, independent of protocol/ */
uint32_t st_ref_crc(uint32_t crc, const uint8_t *p, size_t n);

void st_w16(uint8_t *p, uint16_t v);
void st_w32(uint8_t *p, uint32_t v);
uint16_t st_r16(const uint8_t *p);
uint32_t st_r32(const uint8_t *p);

/* A growable byte buffer; st_mem_write (rf_write_fn) appends to one. */
struct st_buf {
	uint8_t *p;
	size_t len, cap;
};
void st_buf_add(struct st_buf *b, const void *d, size_t n);
void st_buf_free(struct st_buf *b);
int st_mem_write(void *ctx, const void *d, size_t len);

/* A memory reader (rf_read_fn, rf_seek_fn), with random short reads. */
struct st_mrd {
	const uint8_t *p;
	size_t len, off;
	int short_reads;
};
int st_mem_read(void *ctx, void *dst, size_t len, size_t *got);
int st_mem_seek(void *ctx, uint64_t off);
/* rf_read_fn over a descriptor (ctx: int *) */
int st_fd_read(void *ctx, void *dst, size_t len, size_t *got);

/* Scan a sparse image in memory, plain or seekable (RAW data skipped). */
int st_scan_mem(struct rf_sparse_layout *l, const uint8_t *p, size_t n);
int st_scan_mem_seekable(struct rf_sparse_layout *l, const uint8_t *p, size_t n);
void st_same_layout(const struct rf_sparse_layout *a,
		    const struct rf_sparse_layout *b);

/* Sparse image builder: chunks appended, header written by sb_finish. */
struct sb {
	struct st_buf img;
	uint32_t blk_sz, blks, nchunks;
	uint32_t crc;        /* of the output, DONT_CARE counted as zeros */
	uint32_t crc_skip;   /* DONT_CARE left out (libsparse's writer) */
	struct st_buf content;  /* expected output bytes (zeros under DC) */
	struct st_buf dc;       /* one byte per block: 1 = DONT_CARE */
};
void sb_begin(struct sb *s, uint32_t blk_sz);
void sb_raw(struct sb *s, const uint8_t *data, uint32_t nblk);
void sb_fill(struct sb *s, uint32_t pat, uint32_t nblk);
void sb_dc(struct sb *s, uint32_t nblk);
void sb_crc_as(struct sb *s, uint32_t crc);
void sb_crc(struct sb *s); /* the right CRC, either convention */
void sb_finish(struct sb *s);
void sb_free(struct sb *s);

/* Write one sparse image over `out` (DONT_CARE keeps what is there),
 * checking its structure strictly; the written block range [*wlo, *whi). */
void st_ref_apply(const uint8_t *img, size_t len, uint8_t *out,
		  size_t out_len, uint32_t *wlo, uint32_t *whi);
/* Split `l` at max_bytes, emit every piece from `img`, check each one
 * (size, self-parse, written range) and apply them in order over `out`. */
void st_split_emit_apply(struct rf_sparse_layout *l, const uint8_t *img,
			 size_t img_len, uint64_t max_bytes, uint8_t *out);

#endif
