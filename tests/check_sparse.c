/* Sparse images: validation, split and emission.  Every emitted piece is
 * checked by an independent reference applier written here (not by the code
 * under test), and against AOSP's img2simg/simg2img. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sparse.h"

/* --- deterministic randomness (SPARSE_SEED overrides) --------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi) /* inclusive */
{
	return lo + rnd() % (hi - lo + 1);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = rnd();
		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void seed_rng(void)
{
	const char *s = getenv("SPARSE_SEED");
	rng_state = s ? strtoull(s, NULL, 0) | 1 : 0x9e3779b97f4a7c15ULL;
}

/* --- reference CRC32 (table, independent of the code under test) -------- */

static uint32_t crc_table[256];

static uint32_t ref_crc(uint32_t crc, const uint8_t *p, size_t n)
{
	if (!crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
			crc_table[i] = c;
		}
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* --- little-endian helpers ------------------------------------------------ */

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t r32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* --- growable byte buffer, memory reader and writer ----------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
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

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

struct mrd {
	const uint8_t *p;
	size_t len, off;
	int short_reads;
};

static int mem_read(void *ctx, void *dst, size_t len, size_t *got)
{
	struct mrd *r = ctx;
	size_t n = r->len - r->off;

	if (n > len)
		n = len;
	if (r->short_reads && n > 1)
		n = 1 + rnd() % n;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	*got = n;
	return RF_OK;
}

static int mem_write(void *ctx, const void *d, size_t len)
{
	buf_add(ctx, d, len);
	return RF_OK;
}

static int fd_read(void *ctx, void *dst, size_t len, size_t *got)
{
	ssize_t n = read(*(int *)ctx, dst, len);
	if (n < 0)
		return RF_ESYS;
	*got = (size_t)n;
	return RF_OK;
}

static int scan_mem(struct rf_sparse_layout *l, const uint8_t *p, size_t n)
{
	struct mrd r = { .p = p, .len = n, .short_reads = 1 };
	return rf_sparse_layout_scan(l, mem_read, &r);
}

static int mem_seek(void *ctx, uint64_t off)
{
	struct mrd *r = ctx;
	if (off > r->len)
		return RF_EFORMAT;
	r->off = (size_t)off;
	return RF_OK;
}

/* The seekable scan (RAW data skipped) must give the same answer. */
static int scan_mem_seekable(struct rf_sparse_layout *l, const uint8_t *p, size_t n)
{
	struct mrd r = { .p = p, .len = n, .short_reads = 1 };
	return rf_sparse_layout_scan_seekable(l, mem_read, mem_seek, &r);
}

static void same_layout(const struct rf_sparse_layout *a, const struct rf_sparse_layout *b)
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

struct sb {
	struct buf img;
	uint32_t blk_sz, blks, nchunks;
	uint32_t crc;        /* of the output, DONT_CARE counted as zeros */
	uint32_t crc_skip;   /* DONT_CARE left out (libsparse's writer) */
	struct buf content;  /* expected output bytes (zeros under DC) */
	struct buf dc;       /* one byte per block: 1 = DONT_CARE */
};

static void sb_begin(struct sb *s, uint32_t blk_sz)
{
	uint8_t h[28] = { 0 };
	memset(s, 0, sizeof(*s));
	s->blk_sz = blk_sz;
	buf_add(&s->img, h, sizeof(h));
}

static void sb_hdr(struct sb *s, uint16_t type, uint32_t nblk, uint32_t total)
{
	uint8_t h[12];
	w16(h, type);
	w16(h + 2, 0);
	w32(h + 4, nblk);
	w32(h + 8, total);
	buf_add(&s->img, h, sizeof(h));
	s->nchunks++;
}

static void sb_account(struct sb *s, const uint8_t *data, uint32_t nblk,
		       int dc)
{
	size_t n = (size_t)nblk * s->blk_sz;
	uint8_t flag = (uint8_t)dc;
	buf_add(&s->content, data, n);
	s->crc = ref_crc(s->crc, data, n);
	if (!dc)
		s->crc_skip = ref_crc(s->crc_skip, data, n);
	for (uint32_t i = 0; i < nblk; i++)
		buf_add(&s->dc, &flag, 1);
	s->blks += nblk;
}

static void sb_raw(struct sb *s, const uint8_t *data, uint32_t nblk)
{
	size_t n = (size_t)nblk * s->blk_sz;
	sb_hdr(s, RF_SPARSE_CHUNK_RAW, nblk, (uint32_t)(12 + n));
	buf_add(&s->img, data, n);
	sb_account(s, data, nblk, 0);
}

static void sb_fill(struct sb *s, uint32_t pat, uint32_t nblk)
{
	size_t n = (size_t)nblk * s->blk_sz;
	uint8_t w[4], *d = malloc(n ? n : 1);
	w32(w, pat);
	for (size_t i = 0; i < n; i += 4)
		memcpy(d + i, w, 4);
	sb_hdr(s, RF_SPARSE_CHUNK_FILL, nblk, 16);
	buf_add(&s->img, w, 4);
	sb_account(s, d, nblk, 0);
	free(d);
}

static void sb_dc(struct sb *s, uint32_t nblk)
{
	size_t n = (size_t)nblk * s->blk_sz;
	uint8_t *d = calloc(1, n ? n : 1);
	sb_hdr(s, RF_SPARSE_CHUNK_DONT_CARE, nblk, 12);
	sb_account(s, d, nblk, 1);
	free(d);
}

static void sb_crc_as(struct sb *s, uint32_t crc)
{
	uint8_t w[4];
	w32(w, crc);
	sb_hdr(s, RF_SPARSE_CHUNK_CRC32, 0, 16);
	buf_add(&s->img, w, 4);
}

static void sb_crc(struct sb *s)
{
	sb_crc_as(s, rnd() % 2 ? s->crc : s->crc_skip);
}

static void sb_finish(struct sb *s)
{
	uint8_t *h = s->img.p;
	w32(h, RF_SPARSE_MAGIC);
	w16(h + 4, 1);
	w16(h + 6, 0);
	w16(h + 8, 28);
	w16(h + 10, 12);
	w32(h + 12, s->blk_sz);
	w32(h + 16, s->blks);
	w32(h + 20, s->nchunks);
	w32(h + 24, 0);
}

static void sb_free(struct sb *s)
{
	buf_free(&s->img);
	buf_free(&s->content);
	buf_free(&s->dc);
}

/* --- reference applier ---------------------------------------------------- */

/* Write one sparse image over `out` (DONT_CARE keeps what is there).  Checks
 * its structure strictly; returns the written block range [*wlo, *whi). */
static void ref_apply(const uint8_t *img, size_t len, uint8_t *out,
		      size_t out_len, uint32_t *wlo, uint32_t *whi)
{
	uint32_t fhs, chs, bs, total, nch, blk = 0;
	size_t off;

	ck_assert_uint_ge(len, 28);
	ck_assert_uint_eq(r32(img), RF_SPARSE_MAGIC);
	ck_assert_uint_eq(r16(img + 4), 1);
	fhs = r16(img + 8);
	chs = r16(img + 10);
	bs = r32(img + 12);
	total = r32(img + 16);
	nch = r32(img + 20);
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
		type = r16(img + off);
		n = r32(img + off + 4);
		tsz = r32(img + off + 8);
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
static void split_emit_apply(struct rf_sparse_layout *l, const uint8_t *img,
			     size_t img_len, uint64_t max_bytes, uint8_t *out)
{
	struct rf_sparse_split s;
	struct mrd r = { .p = img, .len = img_len, .short_reads = 1 };
	uint64_t pos = 0;
	size_t out_len = (size_t)l->total_blks * l->blk_sz;
	int rc;

	rc = rf_sparse_split(l, max_bytes, &s);
	ck_assert_msg(rc == RF_OK, "split at %llu: %s",
		      (unsigned long long)max_bytes, l->err);
	ck_assert_uint_ge(s.n, 1);
	for (size_t i = 0; i < s.n; i++) {
		struct buf w = { 0 };
		struct rf_sparse_layout pl;
		uint32_t lo, hi;

		rc = rf_sparse_emit_piece(l, &s, i, mem_read, &r, &pos,
					  mem_write, &w);
		ck_assert_msg(rc == RF_OK, "emit %zu: %s", i, l->err);
		ck_assert_uint_eq(w.len, s.piece[i].bytes);
		ck_assert_uint_le(w.len, max_bytes);
		ck_assert_uint_eq(pos, r.off);
		rc = scan_mem(&pl, w.p, w.len);
		ck_assert_msg(rc == RF_OK, "piece %zu does not parse: %s", i,
			      pl.err);
		ck_assert_uint_eq(pl.total_blks, l->total_blks);
		ck_assert_uint_eq(pl.blk_sz, l->blk_sz);
		rf_sparse_layout_free(&pl);
		ref_apply(w.p, w.len, out, out_len, &lo, &hi);
		if (lo != UINT32_MAX) {
			ck_assert_uint_ge(lo, s.piece[i].blk_start);
			ck_assert_uint_le(hi, s.piece[i].blk_end);
		}
		/* Pieces are greedy: all but the last are nearly full. */
		if (!l->is_sparse && i + 1 < s.n)
			ck_assert_uint_gt(w.len + l->blk_sz + 24, max_bytes);
		buf_free(&w);
	}
	rf_sparse_split_free(&s);
}

/* --- tests ---------------------------------------------------------------- */

START_TEST(test_is_sparse)
{
	uint8_t m[4];
	w32(m, RF_SPARSE_MAGIC);
	ck_assert(rf_sparse_is_sparse(m, 4));
	ck_assert(!rf_sparse_is_sparse(m, 3));
	m[0] ^= 1;
	ck_assert(!rf_sparse_is_sparse(m, 4));
}
END_TEST

START_TEST(test_all_chunk_types)
{
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t data[3 * 1024];

	rnd_fill(data, sizeof(data));
	sb_begin(&s, 1024);
	sb_raw(&s, data, 2);
	sb_fill(&s, 0xdeadbeef, 3);
	sb_dc(&s, 2);
	sb_dc(&s, 1);      /* merged with the previous DONT_CARE */
	sb_crc(&s);
	sb_raw(&s, data + 2048, 1);
	sb_fill(&s, 0, 0); /* empty chunks produce no extent */
	sb_crc(&s);
	sb_finish(&s);

	ck_assert_int_eq(scan_mem(&l, s.img.p, s.img.len), RF_OK);
	ck_assert(l.is_sparse);
	ck_assert_uint_eq(l.blk_sz, 1024);
	ck_assert_uint_eq(l.total_blks, 9);
	ck_assert_uint_eq(l.out_bytes, 9 * 1024);
	ck_assert_uint_eq(l.in_bytes, s.img.len);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.ext[0].type, RF_SPARSE_CHUNK_RAW);
	ck_assert_uint_eq(l.ext[0].out_blk, 0);
	ck_assert_uint_eq(l.ext[0].nblk, 2);
	ck_assert_uint_eq(l.ext[0].src_off, 40);
	ck_assert_uint_eq(l.ext[1].type, RF_SPARSE_CHUNK_FILL);
	ck_assert_uint_eq(l.ext[1].out_blk, 2);
	ck_assert_uint_eq(l.ext[1].nblk, 3);
	ck_assert_uint_eq(l.ext[1].fill, 0xdeadbeef);
	ck_assert_uint_eq(l.ext[2].type, RF_SPARSE_CHUNK_DONT_CARE);
	ck_assert_uint_eq(l.ext[2].out_blk, 5);
	ck_assert_uint_eq(l.ext[2].nblk, 3);
	ck_assert_uint_eq(l.ext[3].type, RF_SPARSE_CHUNK_RAW);
	ck_assert_uint_eq(l.ext[3].out_blk, 8);
	ck_assert_uint_eq(l.ext[3].src_off,
			  40 + 2048 + 16 + 12 + 12 + 16 + 12);

	/* One piece holding everything reproduces the content. */
	{
		uint8_t out[9 * 1024];
		memset(out, 0, sizeof(out));
		split_emit_apply(&l, s.img.p, s.img.len, 1 << 20, out);
		ck_assert(memcmp(out, s.content.p, sizeof(out)) == 0);
	}
	rf_sparse_layout_free(&l);
	rf_sparse_layout_free(&l); /* idempotent */
	sb_free(&s);
}
END_TEST

/* Base image for the error cases: chunk offsets are fixed so cases can patch
 * them.  blk 1024: RAW 2 @28, FILL 3 @2088, DC 2 @2104, CRC @2116,
 * RAW 1 @2132, end 3168. */
static void base_image(struct sb *s)
{
	uint8_t data[3 * 1024];
	rnd_fill(data, sizeof(data));
	sb_begin(s, 1024);
	sb_raw(s, data, 2);
	sb_fill(s, 0x01020304, 3);
	sb_dc(s, 2);
	sb_crc(s);
	sb_raw(s, data + 2048, 1);
	sb_finish(s);
	ck_assert_uint_eq(s->img.len, 3168);
}

struct bad_case {
	const char *what;
	const char *msg; /* substring expected in the error */
};

static const struct bad_case bad_cases[] = {
	{ "bad magic", "magic" },
	{ "major version 2", "version" },
	{ "file header 20", "header sizes" },
	{ "chunk header 8", "header sizes" },
	{ "block size 0", "block size" },
	{ "block size 1022", "block size" },
	{ "unknown chunk type", "chunk 1 at offset 0x828 has unknown type" },
	{ "RAW total_sz", "chunk 0 at offset 0x1c" },
	{ "FILL total_sz", "total size 20, expected 16" },
	{ "DONT_CARE total_sz", "total size 16, expected 12" },
	{ "CRC32 total_sz", "total size 12, expected 16" },
	{ "past total_blks", "past the image end" },
	{ "sum < total_blks", "chunks cover 8 blocks, header says 13" },
	{ "total_chunks too big", "image ends after 5 chunks, header says 6" },
	{ "total_chunks too small", "trailing data" },
	{ "ends in chunk data", "chunk 4 at offset 0x854 runs past the end" },
	{ "ends in chunk header", "chunk 4 at offset 0x854 runs past the end" },
	{ "trailing garbage", "trailing data after the last chunk at offset 0xc60" },
	{ "CRC mismatch", "chunk 3 at offset 0x844: CRC32 mismatch" },
	{ "10-byte file", "too short" },
	{ "empty file", "too short" },
	{ "CRC32 with blocks", "CRC32 chunk claims 1 blocks" },
	{ "total_sz < header", "smaller than its header" },
	{ "huge block size", "block size" },
	{ "huge output", "absurdly large" },
	{ "file header runs past end", "too short for its sparse header" },
	{ "chunk header extra past end", "chunk 0 at offset 0x1c runs past" },
	{ "short 3-byte file", "too short" },
};

START_TEST(test_bad_images)
{
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t *p;
	size_t len;

	base_image(&s);
	p = s.img.p;
	len = s.img.len;
	switch (_i) {
	case 0: p[0] ^= 0xff; break;
	case 1: w16(p + 4, 2); break;
	case 2: w16(p + 8, 20); break;
	case 3: w16(p + 10, 8); break;
	case 4: w32(p + 12, 0); break;
	case 5: w32(p + 12, 1022); break;
	case 6: w16(p + 2088, 0xcac5); break;
	case 7: w32(p + 28 + 8, 12 + 2048 - 4); break;
	case 8: w32(p + 2088 + 8, 20); break;
	case 9: w32(p + 2104 + 8, 16); break;
	case 10: w32(p + 2116 + 8, 12); break;
	case 11: w32(p + 16, 6); break;
	case 12: w32(p + 16, 13); break;
	case 13: w32(p + 20, 6); break;
	case 14: w32(p + 20, 4); w32(p + 16, 7); break;
	case 15: len -= 100; break;
	case 16: len = 2132 + 5; break;
	case 17: buf_add(&s.img, "x", 1); p = s.img.p; len++; break;
	case 18: p[100] ^= 1; break;
	case 19: len = 10; break;
	case 20: len = 0; break;
	case 21: w32(p + 2116 + 4, 1); break;
	case 22: w32(p + 28 + 8, 8); break;
	case 23: w32(p + 12, 128u << 20); break;
	case 24: w32(p + 12, 4096); w32(p + 16, 0xffffffffu); break;
	case 25: w16(p + 8, 60000); break;
	case 26: w16(p + 10, 60000); break;
	case 27: len = 3; break;
	}
	memset(&l, 0x5a, sizeof(l));
	ck_assert_int_eq(scan_mem(&l, p, len), RF_EFORMAT);
	ck_assert_msg(strstr(l.err, bad_cases[_i].msg) != NULL,
		      "%s: message '%s' lacks '%s'", bad_cases[_i].what, l.err,
		      bad_cases[_i].msg);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.ext);
	rf_sparse_layout_free(&l);
	/* skipping RAW data must not let any of them through */
	memset(&l, 0x5a, sizeof(l));
	ck_assert_msg(scan_mem_seekable(&l, p, len) == RF_EFORMAT,
		      "%s: seekable scan accepted it", bad_cases[_i].what);
	ck_assert_uint_eq(l.n, 0);
	rf_sparse_layout_free(&l);
	sb_free(&s);
}
END_TEST

/* libsparse accepts longer headers and skips the extra bytes. */
START_TEST(test_longer_headers)
{
	struct sb s;
	struct buf img = { 0 };
	struct rf_sparse_layout l;
	const uint8_t *p;
	uint8_t pad[8] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
	uint8_t out[8 * 1024];
	size_t off = 28;

	base_image(&s);
	p = s.img.p;
	buf_add(&img, p, 28);
	w16(img.p + 8, 32);
	w16(img.p + 10, 16);
	buf_add(&img, pad, 4);
	while (off < s.img.len) {
		uint32_t tsz = r32(p + off + 8);
		uint8_t h[12];
		memcpy(h, p + off, 12);
		w32(h + 8, tsz + 4);
		buf_add(&img, h, 12);
		buf_add(&img, pad, 4);
		buf_add(&img, p + off + 12, tsz - 12);
		off += tsz;
	}
	ck_assert_int_eq(scan_mem(&l, img.p, img.len), RF_OK);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.ext[0].src_off, 32 + 16);
	rnd_fill(out, sizeof(out));
	split_emit_apply(&l, img.p, img.len, 3000, out);
	for (uint32_t b = 0; b < 8; b++)
		if (!s.dc.p[b])
			ck_assert(memcmp(out + b * 1024, s.content.p + b * 1024,
					 1024) == 0);
	rf_sparse_layout_free(&l);
	buf_free(&img);
	sb_free(&s);
}
END_TEST

/* FILL and DONT_CARE runs of several MiB exercise the algebraic CRC. */
START_TEST(test_crc_long_runs)
{
	struct sb s;
	struct rf_sparse_layout l;
	uint8_t data[4096 * 3];

	rnd_fill(data, sizeof(data));
	sb_begin(&s, 4096);
	sb_raw(&s, data, 1);
	sb_fill(&s, 0xa5a5a5a5, 700);  /* 2.7 MiB: past the 1 MiB unit */
	sb_crc(&s);
	sb_dc(&s, 3000);
	sb_crc(&s);
	sb_fill(&s, 0x12345678, 257);
	sb_crc(&s);
	sb_fill(&s, 0x0badf00d, 1800); /* 7 units: several doublings */
	sb_crc(&s);
	sb_raw(&s, data + 4096, 2);
	sb_fill(&s, 0, 1);
	sb_dc(&s, 1);
	sb_crc_as(&s, s.crc);
	sb_crc_as(&s, s.crc_skip);
	sb_finish(&s);
	ck_assert(s.crc != s.crc_skip);
	ck_assert_msg(scan_mem(&l, s.img.p, s.img.len) == RF_OK, "%s", l.err);
	rf_sparse_layout_free(&l);
	/* Any other value is refused. */
	s.img.p[s.img.len - 1] ^= 0x10;
	ck_assert_int_eq(scan_mem(&l, s.img.p, s.img.len), RF_EFORMAT);
	ck_assert(strstr(l.err, "CRC32 mismatch") != NULL);
	sb_free(&s);
}
END_TEST

/* An img2simg-like image: thousands of small RAW, FILL (mostly one block
 * of zeros) and DONT_CARE chunks, CRC32 chunks among them and at the end.
 * The scan keeps one running CRC between DONT_CARE chunks and folds it
 * into both conventions only at DONT_CARE and CRC32 chunks, so every
 * neighbourhood of those (leading, consecutive, trailing DONT_CARE; a CRC32
 * chunk right after one) must agree with the byte-by-byte reference. */
START_TEST(test_crc_many_chunks)
{
	uint8_t data[4 * 4096];

	seed_rng();
	for (int skip = 0; skip < 2; skip++) {
		struct sb s;
		struct rf_sparse_layout l, l2;
		uint32_t good;

		sb_begin(&s, 4096);
		sb_crc(&s);                /* nothing yet: the empty CRC */
		if (skip)
			sb_dc(&s, 3);      /* zeros before any data */
		for (int c = 0; c < 2000; c++) {
			uint32_t n;
			switch (rnd() % 10) {
			case 0: case 1: case 2: case 3:
				n = (uint32_t)rnd_range(1, 4);
				rnd_fill(data, (size_t)n * 4096);
				sb_raw(&s, data, n);
				break;
			case 4: case 5:
				sb_fill(&s, 0, 1);
				break;
			case 6: /* up to 40 blocks: past the scan's 64 KiB unit */
				sb_fill(&s, rnd() % 2 ? (uint32_t)rnd() : 0,
					(uint32_t)rnd_range(1, 40));
				break;
			case 7: case 8:
				sb_dc(&s, (uint32_t)rnd_range(1, 8));
				break;
			default:
				sb_crc(&s);
				break;
			}
		}
		sb_dc(&s, 2);
		sb_crc(&s);                /* right after a DONT_CARE */
		rnd_fill(data, 4096);
		sb_raw(&s, data, 1);
		sb_dc(&s, 5);              /* trailing: the conventions differ */
		ck_assert(s.crc != s.crc_skip);
		good = skip ? s.crc_skip : s.crc;
		sb_crc_as(&s, good);
		sb_finish(&s);

		ck_assert_msg(scan_mem(&l, s.img.p, s.img.len) == RF_OK,
			      "skip=%d: %s", skip, l.err);
		ck_assert_uint_eq(l.total_blks, s.blks);
		ck_assert_msg(scan_mem_seekable(&l2, s.img.p, s.img.len) ==
			      RF_OK, "skip=%d (seekable): %s", skip, l2.err);
		same_layout(&l, &l2);
		rf_sparse_layout_free(&l);
		rf_sparse_layout_free(&l2);

		/* Any other final value is refused, by both scans. */
		for (int bit = 0; bit < 32; bit += 5) {
			w32(s.img.p + s.img.len - 4, good ^ (1u << bit));
			ck_assert_int_eq(scan_mem(&l, s.img.p, s.img.len),
					 RF_EFORMAT);
			ck_assert_msg(strstr(l.err, "CRC32 mismatch") != NULL,
				      "%s", l.err);
			ck_assert_int_eq(scan_mem_seekable(&l, s.img.p,
							   s.img.len),
					 RF_EFORMAT);
			ck_assert_msg(strstr(l.err, "CRC32 mismatch") != NULL,
				      "%s", l.err);
		}
		sb_free(&s);
	}
}
END_TEST

static void raw_roundtrip(uint64_t size, uint32_t bs, uint64_t max)
{
	struct rf_sparse_layout l;
	size_t out_len;
	uint8_t *img = malloc(size ? size : 1), *out;

	rnd_fill(img, size);
	ck_assert_int_eq(rf_sparse_layout_raw(&l, size, bs), RF_OK);
	ck_assert(!l.is_sparse);
	ck_assert_uint_eq(l.out_bytes, size);
	ck_assert_uint_eq(l.total_blks, (size + bs - 1) / bs);
	out_len = (size_t)l.total_blks * bs;
	out = malloc(out_len ? out_len : 1);
	rnd_fill(out, out_len);
	split_emit_apply(&l, img, size, max, out);
	ck_assert_msg(memcmp(out, img, size) == 0, "size %llu max %llu",
		      (unsigned long long)size, (unsigned long long)max);
	for (size_t i = size; i < out_len; i++)
		ck_assert_msg(out[i] == 0, "pad byte %zu not zero", i);
	rf_sparse_layout_free(&l);
	free(img);
	free(out);
}

START_TEST(test_raw_edges)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 4, 4095, 4096, 4097,
					  8191, 8192, 8193, 12345, 65536,
					  1048575, 1048577 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		raw_roundtrip(sizes[i], 4096, 8192);
		if (sizes[i] < 100000)
			raw_roundtrip(sizes[i], 4096, 4096 + 64); /* minimum */
		raw_roundtrip(sizes[i], 4096, 1 << 20);
	}
}
END_TEST

START_TEST(test_raw_random)
{
	static const uint32_t bss[] = { 4096, 4096, 512, 1024, 4 };
	seed_rng();
	for (int t = 0; t < 60; t++) {
		uint32_t bs = bss[rnd() % 5];
		uint64_t size = rnd() % 4 ? rnd_range(0, 3 << 20)
					  : rnd_range(1, 40) * bs +
						    rnd_range(0, 2) - 1;
		uint64_t max = rnd_range(8192, 1 << 20);
		if (bs == 4)
			size %= 100000;
		raw_roundtrip(size, bs, max);
	}
}
END_TEST

START_TEST(test_sparse_random)
{
	static const uint32_t bss[] = { 4096, 1024, 512, 4 };
	seed_rng();
	for (int t = 0; t < 40; t++) {
		struct sb s;
		struct rf_sparse_layout l;
		uint32_t bs = bss[rnd() % 4];
		int nch = (int)rnd_range(0, 60);
		uint8_t *data, *out;
		size_t out_len;

		sb_begin(&s, bs);
		data = malloc((size_t)64 * bs);
		for (int c = 0; c < nch; c++) {
			uint32_t n = (uint32_t)rnd_range(0, 64);
			switch (rnd() % 7) {
			case 0: case 1: case 2:
				rnd_fill(data, (size_t)n * bs);
				sb_raw(&s, data, n);
				break;
			case 3:
				sb_fill(&s, (uint32_t)rnd(), n);
				break;
			case 4: case 5:
				sb_dc(&s, n * (uint32_t)rnd_range(1, 20));
				break;
			default:
				sb_crc(&s);
				break;
			}
		}
		sb_finish(&s);
		free(data);
		ck_assert_msg(scan_mem(&l, s.img.p, s.img.len) == RF_OK,
			      "case %d: %s", t, l.err);
		ck_assert_uint_eq(l.total_blks, s.blks);
		{
			struct rf_sparse_layout l2;
			ck_assert_msg(scan_mem_seekable(&l2, s.img.p, s.img.len) == RF_OK,
				      "case %d (seekable): %s", t, l2.err);
			same_layout(&l, &l2);
			rf_sparse_layout_free(&l2);
		}
		/* DONT_CARE never repeats: neighbours are merged. */
		for (size_t i = 1; i < l.n; i++)
			ck_assert(l.ext[i].type != RF_SPARSE_CHUNK_DONT_CARE ||
				  l.ext[i - 1].type !=
					  RF_SPARSE_CHUNK_DONT_CARE);
		out_len = (size_t)s.blks * bs;
		out = malloc(out_len ? out_len : 1);
		/* Tiny pieces only for small images: one scan per piece. */
		for (int k = 0; k < (s.blks * (uint64_t)bs < (1 << 20) ? 2 : 1);
		     k++) {
			uint64_t max = k ? rnd_range(bs + 64, 3 * bs + 200)
					 : rnd_range(8192, 1 << 20);
			if (max < (uint64_t)bs + 64)
				max = bs + 64;
			rnd_fill(out, out_len);
			{
				uint8_t *old = malloc(out_len ? out_len : 1);
				memcpy(old, out, out_len);
				split_emit_apply(&l, s.img.p, s.img.len, max,
						 out);
				for (uint32_t b = 0; b < s.blks; b++) {
					const uint8_t *want = s.dc.p[b] ? old :
							      s.content.p;
					ck_assert_msg(memcmp(out + (size_t)b * bs,
							     want + (size_t)b * bs,
							     bs) == 0,
						      "case %d max %llu block "
						      "%u differs", t,
						      (unsigned long long)max,
						      b);
				}
				free(old);
			}
		}
		free(out);
		rf_sparse_layout_free(&l);
		sb_free(&s);
	}
}
END_TEST

START_TEST(test_split_limits)
{
	struct rf_sparse_layout l;
	struct rf_sparse_split s;
	struct sb b;

	ck_assert_int_eq(rf_sparse_layout_raw(&l, 100000, 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 4096 + 63, &s), RF_ETOOBIG);
	ck_assert(l.err[0] != 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(rf_sparse_split(&l, 4096 + 64, &s), RF_OK);
	ck_assert_uint_eq(s.n, 25);
	rf_sparse_split_free(&s);
	/* Split with a huge limit: one piece, chunks under 4 GiB. */
	ck_assert_int_eq(rf_sparse_split(&l, UINT64_MAX, &s), RF_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.piece[0].bytes, 28 + 12 + 25 * 4096);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);

	/* A 12 GiB raw image: pieces stay under 4 GiB. */
	ck_assert_int_eq(rf_sparse_layout_raw(&l, 12ULL << 30, 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, UINT64_MAX, &s), RF_OK);
	ck_assert_uint_eq(s.n, 4);
	for (size_t i = 0; i < s.n; i++)
		ck_assert_uint_le(s.piece[i].bytes, 0xffffffffULL);
	rf_sparse_split_free(&s);
	ck_assert_int_eq(rf_sparse_split(&l, 0x30000000, &s), RF_OK);
	ck_assert_uint_eq(s.n, 17);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);

	ck_assert_int_eq(rf_sparse_layout_raw(&l, 100, 0), RF_EINVAL);
	ck_assert_int_eq(rf_sparse_layout_raw(&l, 100, 6), RF_EINVAL);
	ck_assert_int_eq(rf_sparse_layout_raw(&l, 1ULL << 50, 4096),
			 RF_ETOOBIG);

	/* All DONT_CARE: one piece of headers only. */
	sb_begin(&b, 4096);
	sb_dc(&b, 1000);
	sb_finish(&b);
	ck_assert_int_eq(scan_mem(&l, b.img.p, b.img.len), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 8192, &s), RF_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.piece[0].bytes, 40);
	rf_sparse_split_free(&s);
	{
		uint8_t *out = calloc(1000, 4096);
		split_emit_apply(&l, b.img.p, b.img.len, 8192, out);
		free(out);
	}
	rf_sparse_layout_free(&l);
	sb_free(&b);
}
END_TEST

/* Pieces must be emitted in order from a forward reader; skipping ahead is
 * fine, going back is refused without writing anything. */
START_TEST(test_emit_order)
{
	struct rf_sparse_layout l;
	struct rf_sparse_split s;
	uint8_t img[40000];
	struct mrd r = { .p = img, .len = sizeof(img) };
	struct buf w = { 0 };
	uint64_t pos = 0;

	rnd_fill(img, sizeof(img));
	ck_assert_int_eq(rf_sparse_layout_raw(&l, sizeof(img), 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 3 * 4096 + 64, &s), RF_OK);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 2, mem_read, &r, &pos,
					      mem_write, &w), RF_OK);
	ck_assert_uint_eq(w.len, s.piece[2].bytes);
	ck_assert_uint_eq(pos, 9 * 4096);
	w.len = 0;
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 1, mem_read, &r, &pos,
					      mem_write, &w), RF_EINVAL);
	ck_assert(strstr(l.err, "out of order") != NULL);
	ck_assert_uint_eq(w.len, 0);
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 4, mem_read, &r, &pos,
					      mem_write, &w), RF_EINVAL);
	/* A truncated image is reported, never padded silently. */
	{
		struct mrd r2 = { .p = img, .len = 5000 };
		uint64_t pos2 = 0;
		w.len = 0;
		ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 0, mem_read,
						      &r2, &pos2, mem_write,
						      &w), RF_EFORMAT);
	}
	buf_free(&w);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);
}
END_TEST

static int fail_write(void *ctx, const void *d, size_t len)
{
	(void)ctx; (void)d; (void)len;
	return RF_EDISCONNECTED;
}

START_TEST(test_write_error)
{
	struct rf_sparse_layout l;
	struct rf_sparse_split s;
	uint8_t img[10000];
	struct mrd r = { .p = img, .len = sizeof(img) };
	uint64_t pos = 0;

	ck_assert_int_eq(rf_sparse_layout_raw(&l, sizeof(img), 4096), RF_OK);
	ck_assert_int_eq(rf_sparse_split(&l, 1 << 20, &s), RF_OK);
	ck_assert_int_eq(rf_sparse_emit_piece(&l, &s, 0, mem_read, &r, &pos,
					      fail_write, NULL),
			 RF_EDISCONNECTED);
	ck_assert(l.err[0] != 0);
	rf_sparse_split_free(&s);
	rf_sparse_layout_free(&l);
}
END_TEST

/* --- interop with AOSP img2simg / simg2img -------------------------------- */

static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/check_sparse.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[128];
	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *p;
	int fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	ck_assert_int_eq(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int have_tools(void)
{
	return access("/usr/bin/img2simg", X_OK) == 0 &&
	       access("/usr/bin/simg2img", X_OK) == 0;
}

/* Emit all pieces of `l` (read from file `src`) to tmpdir/pN.simg. */
static size_t emit_to_files(struct rf_sparse_layout *l, const char *src,
			    uint64_t max)
{
	struct rf_sparse_split s;
	uint64_t pos = 0;
	size_t n;
	int fd = open(src, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(rf_sparse_split(l, max, &s) == RF_OK, "%s", l->err);
	for (size_t i = 0; i < s.n; i++) {
		struct buf w = { 0 };
		char path[128];
		ck_assert_msg(rf_sparse_emit_piece(l, &s, i, fd_read, &fd,
						   &pos, mem_write, &w) ==
				      RF_OK, "%s", l->err);
		ck_assert_uint_le(w.len, max);
		snprintf(path, sizeof(path), "%s/p%zu.simg", tmpdir, i);
		write_file(path, w.p, w.len);
		buf_free(&w);
	}
	n = s.n;
	rf_sparse_split_free(&s);
	close(fd);
	return n;
}

/* simg2img accepts every piece alone, and applying all of them in order
 * onto one file rebuilds the image. */
static void check_with_simg2img(size_t npieces, const uint8_t *want,
				size_t want_len)
{
	char list[8192] = "", path[256];
	size_t got_len, off = 0;
	uint8_t *got;

	for (size_t i = 0; i < npieces; i++) {
		ck_assert_int_eq(run("simg2img %s/p%zu.simg %s/one.raw "
				     ">/dev/null 2>&1", tmpdir, i, tmpdir), 0);
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					" %s/p%zu.simg", tmpdir, i);
		ck_assert_uint_lt(off, sizeof(list));
	}
	ck_assert_int_eq(run("simg2img%s %s/all.raw >/dev/null 2>&1", list,
			     tmpdir), 0);
	snprintf(path, sizeof(path), "%s/all.raw", tmpdir);
	got = read_file(path, &got_len);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert(memcmp(got, want, want_len) == 0);
	free(got);
}

START_TEST(test_img2simg_interop)
{
	char raw[128], simg[128], back[128];
	struct rf_sparse_layout l;
	size_t img_len, back_len, npieces, out_len;
	uint8_t *img, *want, *out, blk[4096];
	int fd;

	if (!have_tools()) {
		fprintf(stderr, "img2simg/simg2img missing: skipped\n");
		return;
	}
	snprintf(raw, sizeof(raw), "%s/in.raw", tmpdir);
	snprintf(simg, sizeof(simg), "%s/in.simg", tmpdir);
	snprintf(back, sizeof(back), "%s/back.raw", tmpdir);
	/* Holes, random data, zero blocks, a repeated pattern, and a size
	 * that is not a multiple of the block size. */
	fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 40; i++) {
		rnd_fill(blk, sizeof(blk));
		ck_assert_int_eq(pwrite(fd, blk, sizeof(blk), i * 4096), 4096);
	}
	for (size_t i = 0; i < sizeof(blk); i += 4)
		memcpy(blk + i, "\x11\x22\x33\x44", 4);
	for (int i = 100; i < 150; i++)
		ck_assert_int_eq(pwrite(fd, blk, sizeof(blk), i * 4096), 4096);
	memset(blk, 0, sizeof(blk));
	for (int i = 150; i < 160; i++)
		ck_assert_int_eq(pwrite(fd, blk, sizeof(blk), i * 4096), 4096);
	rnd_fill(blk, sizeof(blk));
	ck_assert_int_eq(pwrite(fd, blk, 3000, 400 * 4096), 3000);
	ck_assert_int_eq(pwrite(fd, blk, 1234, 700 * 4096), 1234);
	close(fd);
	ck_assert_int_eq(run("img2simg %s %s >/dev/null 2>&1", raw, simg), 0);
	ck_assert_int_eq(run("simg2img %s %s >/dev/null 2>&1", simg, back), 0);
	want = read_file(back, &back_len);
	img = read_file(simg, &img_len);

	ck_assert_msg(scan_mem(&l, img, img_len) == RF_OK, "%s", l.err);
	ck_assert_uint_eq(l.out_bytes, back_len);
	out_len = back_len;
	out = calloc(1, out_len);
	split_emit_apply(&l, img, img_len, 64 * 1024, out);
	ck_assert(memcmp(out, want, out_len) == 0);
	free(out);

	npieces = emit_to_files(&l, simg, 50 * 1024);
	ck_assert_uint_gt(npieces, 3);
	check_with_simg2img(npieces, want, back_len);
	rf_sparse_layout_free(&l);
	free(img);
	free(want);
}
END_TEST

/* The case Debian's fastboot gets wrong: a raw image whose size is not a
 * multiple of 4096, split into pieces. */
START_TEST(test_raw_split_simg2img)
{
	static const size_t sizes[] = { 200001, 4097, 65536 * 3 + 4 };
	char raw[128];
	if (!have_tools()) {
		fprintf(stderr, "simg2img missing: skipped\n");
		return;
	}
	snprintf(raw, sizeof(raw), "%s/in.raw", tmpdir);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct rf_sparse_layout l;
		size_t n = sizes[k], padded = (n + 4095) / 4096 * 4096;
		uint8_t *img = calloc(1, padded);
		size_t npieces;

		rnd_fill(img, n);
		write_file(raw, img, n);
		ck_assert_int_eq(rf_sparse_layout_raw(&l, n, 4096), RF_OK);
		npieces = emit_to_files(&l, raw, 3 * 4096 + 64);
		ck_assert_uint_eq(npieces, (padded / 4096 + 2) / 3);
		check_with_simg2img(npieces, img, padded);
		rf_sparse_layout_free(&l);
		free(img);
	}
}
END_TEST

static Suite *sparse_suite(void)
{
	Suite *s = suite_create("sparse");
	TCase *tc = tcase_create("core");
	TCase *ti = tcase_create("interop");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_is_sparse);
	tcase_add_test(tc, test_all_chunk_types);
	tcase_add_loop_test(tc, test_bad_images, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_longer_headers);
	tcase_add_test(tc, test_crc_long_runs);
	tcase_add_test(tc, test_crc_many_chunks);
	tcase_add_test(tc, test_raw_edges);
	tcase_add_test(tc, test_raw_random);
	tcase_add_test(tc, test_sparse_random);
	tcase_add_test(tc, test_split_limits);
	tcase_add_test(tc, test_emit_order);
	tcase_add_test(tc, test_write_error);
	suite_add_tcase(s, tc);

	tcase_set_timeout(ti, 60);
	tcase_add_checked_fixture(ti, tmp_setup, tmp_teardown);
	tcase_add_test(ti, test_img2simg_interop);
	tcase_add_test(ti, test_raw_split_simg2img);
	suite_add_tcase(s, ti);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sparse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
