/* See sparse_build.h. */
#include "sparse_build.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- deterministic randomness (SPARSE_SEED overrides) --------------------- */

static uint64_t st_rng_state = 0x9e3779b97f4a7c15ULL;

uint64_t st_rnd(void)
{
	uint64_t x = st_rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return st_rng_state = x;
}

uint64_t st_rnd_range(uint64_t lo, uint64_t hi) /* inclusive */
{
	return lo + st_rnd() % (hi - lo + 1);
}

void st_rnd_fill(uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = st_rnd();
		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)st_rnd();
}

void st_seed_rng(void)
{
	const char *s = getenv("SPARSE_SEED");
	st_rng_state = s ? strtoull(s, NULL, 0) | 1 : 0x9e3779b97f4a7c15ULL;
}

/* --- reference CRC32 (table, independent of the code under test) -------- */

static uint32_t st_crc_table[256];

uint32_t st_ref_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	if (!st_crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
			st_crc_table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = st_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- little-endian helpers ------------------------------------------------ */

void st_w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void st_w32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
uint16_t st_r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
uint32_t st_r32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* --- growable byte buffer, memory reader and writer ----------------------- */

void st_buf_add(struct st_buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : 4096;
		while (c < b->len + n)
			c *= 2;
		b->p = realloc(b->p, c);
		ck_assert_ptr_nonnull(b->p);
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
}

void st_buf_free(struct st_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int st_mem_read(void *ctx, void *dst, size_t len, size_t *got)
{
	struct st_mrd *r = ctx;
	size_t n = r->len - r->off;

	if (n > len)
		n = len;
	if (r->short_reads && n > 1)
		n = 1 + st_rnd() % n;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	*got = n;
	return RF_OK;
}

int st_mem_write(void *ctx, const void *d, size_t len)
{
	st_buf_add(ctx, d, len);
	return RF_OK;
}

int st_fd_read(void *ctx, void *dst, size_t len, size_t *got)
{
	ssize_t n = read(*(int *)ctx, dst, len);
	if (n < 0)
		return RF_ESYS;
	*got = (size_t)n;
	return RF_OK;
}

int st_scan_mem(struct rf_sparse_layout *l, const uint8_t *p, size_t n)
{
	struct st_mrd r = { .p = p, .len = n, .short_reads = 1 };
	return rf_sparse_layout_scan(l, st_mem_read, &r);
}

int st_mem_seek(void *ctx, uint64_t off)
{
	struct st_mrd *r = ctx;
	if (off > r->len)
		return RF_EFORMAT;
	r->off = (size_t)off;
	return RF_OK;
}

/* The seekable scan (RAW data skipped) must give the same answer. */
int st_scan_mem_seekable(struct rf_sparse_layout *l, const uint8_t *p, size_t n)
{
	struct st_mrd r = { .p = p, .len = n, .short_reads = 1 };
	return rf_sparse_layout_scan_seekable(l, st_mem_read, st_mem_seek, &r);
}

void st_same_layout(const struct rf_sparse_layout *a, const struct rf_sparse_layout *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_uint_eq(a->blk_sz, b->blk_sz);
	ck_assert_uint_eq(a->total_blks, b->total_blks);
	ck_assert_uint_eq(a->out_bytes, b->out_bytes);
	ck_assert_uint_eq(a->in_bytes, b->in_bytes);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_uint_eq(a->ext[i].type, b->ext[i].type);
		ck_assert_uint_eq(a->ext[i].out_blk, b->ext[i].out_blk);
		ck_assert_uint_eq(a->ext[i].nblk, b->ext[i].nblk);
		ck_assert_uint_eq(a->ext[i].src_off, b->ext[i].src_off);
		ck_assert_uint_eq(a->ext[i].fill, b->ext[i].fill);
	}
}

/* --- sparse image builder ------------------------------------------------- */

void sb_begin(struct sb *s, uint32_t blk_sz)
{
	uint8_t h[28] = { 0 };
	memset(s, 0, sizeof(*s));
	s->blk_sz = blk_sz;
	st_buf_add(&s->img, h, sizeof(h));
}

static void sb_hdr(struct sb *s, uint16_t type, uint32_t nblk, uint32_t total)
{
	uint8_t h[12];
	st_w16(h, type);
	st_w16(h + 2, 0);
	st_w32(h + 4, nblk);
	st_w32(h + 8, total);
	st_buf_add(&s->img, h, sizeof(h));
	s->nchunks++;
}

static void sb_account(struct sb *s, const uint8_t *data, uint32_t nblk,
		       int dc)
{
	size_t n = (size_t)nblk * s->blk_sz;
	uint8_t flag = (uint8_t)dc;
	st_buf_add(&s->content, data, n);
	s->crc = st_ref_crc(s->crc, data, n);
	if (!dc)
		s->crc_skip = st_ref_crc(s->crc_skip, data, n);
	for (uint32_t i = 0; i < nblk; i++)
		st_buf_add(&s->dc, &flag, 1);
	s->blks += nblk;
}

void sb_raw(struct sb *s, const uint8_t *data, uint32_t nblk)
{
	size_t n = (size_t)nblk * s->blk_sz;
	sb_hdr(s, RF_SPARSE_CHUNK_RAW, nblk, (uint32_t)(12 + n));
	st_buf_add(&s->img, data, n);
	sb_account(s, data, nblk, 0);
}

void sb_fill(struct sb *s, uint32_t pat, uint32_t nblk)
{
	size_t n = (size_t)nblk * s->blk_sz;
	uint8_t w[4], *d = malloc(n ? n : 1);
	st_w32(w, pat);
	for (size_t i = 0; i < n; i += 4)
		memcpy(d + i, w, 4);
	sb_hdr(s, RF_SPARSE_CHUNK_FILL, nblk, 16);
	st_buf_add(&s->img, w, 4);
	sb_account(s, d, nblk, 0);
	free(d);
}

void sb_dc(struct sb *s, uint32_t nblk)
{
	size_t n = (size_t)nblk * s->blk_sz;
	uint8_t *d = calloc(1, n ? n : 1);
	sb_hdr(s, RF_SPARSE_CHUNK_DONT_CARE, nblk, 12);
	sb_account(s, d, nblk, 1);
	free(d);
}

void sb_crc_as(struct sb *s, uint32_t crc)
{
	uint8_t w[4];
	st_w32(w, crc);
	sb_hdr(s, RF_SPARSE_CHUNK_CRC32, 0, 16);
	st_buf_add(&s->img, w, 4);
}

void sb_crc(struct sb *s)
{
	sb_crc_as(s, st_rnd() % 2 ? s->crc : s->crc_skip);
}

void sb_finish(struct sb *s)
{
	uint8_t *h = s->img.p;
	st_w32(h, RF_SPARSE_MAGIC);
	st_w16(h + 4, 1);
	st_w16(h + 6, 0);
	st_w16(h + 8, 28);
	st_w16(h + 10, 12);
	st_w32(h + 12, s->blk_sz);
	st_w32(h + 16, s->blks);
	st_w32(h + 20, s->nchunks);
	st_w32(h + 24, 0);
}

void sb_free(struct sb *s)
{
	st_buf_free(&s->img);
	st_buf_free(&s->content);
	st_buf_free(&s->dc);
}

/* --- reference applier ---------------------------------------------------- */

/* Write one sparse image over `out` (DONT_CARE keeps what is there).  Checks
 * its structure strictly; returns the written block range [*wlo, *whi). */
void st_ref_apply(const uint8_t *img, size_t len, uint8_t *out,
		      size_t out_len, uint32_t *wlo, uint32_t *whi)
{
	uint32_t fhs, chs, bs, total, nch, blk = 0;
	size_t off;

	ck_assert_uint_ge(len, 28);
	ck_assert_uint_eq(st_r32(img), RF_SPARSE_MAGIC);
	ck_assert_uint_eq(st_r16(img + 4), 1);
	fhs = st_r16(img + 8);
	chs = st_r16(img + 10);
	bs = st_r32(img + 12);
	total = st_r32(img + 16);
	nch = st_r32(img + 20);
	ck_assert_uint_eq(fhs, 28);
	ck_assert_uint_eq(chs, 12);
	ck_assert_uint_eq((uint64_t)total * bs, out_len);
	*wlo = UINT32_MAX;
	*whi = 0;
	off = fhs;
	for (uint32_t c = 0; c < nch; c++) {
		uint16_t type;
		uint32_t n, tsz;
		size_t bytes;

		ck_assert_uint_le(off + 12, len);
		type = st_r16(img + off);
		n = st_r32(img + off + 4);
		tsz = st_r32(img + off + 8);
		bytes = (size_t)n * bs;
		ck_assert_uint_le((uint64_t)blk + n, total);
		ck_assert_uint_le(off + tsz, len);
		if (type != RF_SPARSE_CHUNK_DONT_CARE &&
		    type != RF_SPARSE_CHUNK_CRC32 && n) {
			if (blk < *wlo)
				*wlo = blk;
			*whi = blk + n;
		}
		switch (type) {
		case RF_SPARSE_CHUNK_RAW:
			ck_assert_uint_eq(tsz, 12 + bytes);
			memcpy(out + (size_t)blk * bs, img + off + 12, bytes);
			break;
		case RF_SPARSE_CHUNK_FILL:
			ck_assert_uint_eq(tsz, 16);
			for (size_t i = 0; i < bytes; i += 4)
				memcpy(out + (size_t)blk * bs + i,
				       img + off + 12, 4);
			break;
		case RF_SPARSE_CHUNK_DONT_CARE:
			ck_assert_uint_eq(tsz, 12);
			break;
		default:
			ck_abort_msg("unexpected chunk type 0x%x in a piece",
				     type);
		}
		blk += n;
		off += tsz;
	}
	ck_assert_uint_eq(blk, total);
	ck_assert_uint_eq(off, len);
}

/* Split `l` at max_bytes, emit every piece from `img`, check each one
 * (size, self-parse, written range) and apply them in order over `out`. */
void st_split_emit_apply(struct rf_sparse_layout *l, const uint8_t *img,
			     size_t img_len, uint64_t max_bytes, uint8_t *out)
{
	struct rf_sparse_split s;
	struct st_mrd r = { .p = img, .len = img_len, .short_reads = 1 };
	uint64_t pos = 0;
	size_t out_len = (size_t)l->total_blks * l->blk_sz;
	int rc;

	rc = rf_sparse_split(l, max_bytes, &s);
	ck_assert_msg(rc == RF_OK, "split at %llu: %s",
		      (unsigned long long)max_bytes, l->err);
	ck_assert_uint_ge(s.n, 1);
	for (size_t i = 0; i < s.n; i++) {
		struct st_buf w = { 0 };
		struct rf_sparse_layout pl;
		uint32_t lo, hi;

		rc = rf_sparse_emit_piece(l, &s, i, st_mem_read, &r, &pos,
					  st_mem_write, &w);
		ck_assert_msg(rc == RF_OK, "emit %zu: %s", i, l->err);
		ck_assert_uint_eq(w.len, s.piece[i].bytes);
		ck_assert_uint_le(w.len, max_bytes);
		ck_assert_uint_eq(pos, r.off);
		rc = st_scan_mem(&pl, w.p, w.len);
		ck_assert_msg(rc == RF_OK, "piece %zu does not parse: %s", i,
			      pl.err);
		ck_assert_uint_eq(pl.total_blks, l->total_blks);
		ck_assert_uint_eq(pl.blk_sz, l->blk_sz);
		rf_sparse_layout_free(&pl);
		st_ref_apply(w.p, w.len, out, out_len, &lo, &hi);
		if (lo != UINT32_MAX) {
			ck_assert_uint_ge(lo, s.piece[i].blk_start);
			ck_assert_uint_le(hi, s.piece[i].blk_end);
		}
		/* Pieces are greedy: all but the last are nearly full. */
		if (!l->is_sparse && i + 1 < s.n)
			ck_assert_uint_gt(w.len + l->blk_sz + 24, max_bytes);
		st_buf_free(&w);
	}
	rf_sparse_split_free(&s);
}
