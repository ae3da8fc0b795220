/* Internal to the sparse-image code (sparse*.c): byte order helpers, the
 * bounds that keep hostile input sane, the CRC32 arithmetic the scan needs
 * for data it never holds in memory, and the extent list.  Not a public
 * header: callers use sparse.h. */
#ifndef RF_SPARSE_INT_H
#define RF_SPARSE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "sparse.h"

/* Overridable (a multiple of 4) so the fuzzer can run with small buffers,
 * which also exercises the buffer-boundary paths. */
#ifndef SPARSE_BUF_LEN
#define SPARSE_BUF_LEN (1u << 20)
#endif
#define BUF_LEN ((size_t)SPARSE_BUF_LEN)
/* Bounds that keep arithmetic and memory sane on hostile input; real cancro
 * images use 4 KiB blocks and a few thousand chunks (a million extents are
 * 32 MiB). */
#define MAX_EXTENTS (1u << 20)
#define MAX_BLK_SZ (64u << 20)
#define MAX_OUT_BYTES (1ULL << 42)
/* A piece is one fastboot download, whose size is a 32-bit field; keeping
 * pieces below 4 GiB also keeps every RAW chunk's total_sz in range. */
#define MAX_PIECE_BYTES 0xffffffffULL

static inline uint16_t sp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t sp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void sp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void sp_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Read up to len bytes, looping over short reads; *got < len means EOF. */
int sp_read_full(rf_read_fn rd, void *ctx, void *buf, size_t len,
		 size_t *got);

/* Append an extent (adjacent DONT_CAREs merge); at most `max` extents. */
int sp_add_extent(struct rf_sparse_layout *l, size_t max, uint16_t type,
		  uint32_t out_blk, uint32_t nblk, uint64_t src_off,
		  uint32_t fill);

/* --- sparse_crc.c: CRC32 of data never held in memory ------------------- */

/* Size of the pattern buffer FILL chunks are CRC'd from. */
#define FILL_LEN (BUF_LEN < 65536 ? BUF_LEN : (size_t)65536)

/* The last FILL pattern seen, as far as it was needed (see sparse_crc.c). */
struct sp_fill_cache {
	uint8_t *buf;  /* FILL_LEN bytes */
	uint32_t pat;
	size_t filled; /* bytes of buf holding pat */
	int unit_valid;
	uint32_t unit_crc;
};

/* Build the tables (once per process; thread-safe). */
void sp_crc_init(void);
/* a·b mod P, the CRC polynomial (reflected: bit 31 is x^0). */
uint32_t sp_gf_mul(uint32_t a, uint32_t b);
/* x^(8n) mod P. */
uint32_t sp_x8n(uint64_t n);
/* crc continued over `len` bytes (a multiple of 4) of the pattern `fill`. */
uint32_t sp_crc_fill(uint32_t crc, uint32_t fill, uint64_t len,
		     struct sp_fill_cache *fc);

#endif
