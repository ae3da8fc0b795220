/* libFuzzer harness: Android sparse images (protocol/sparse.c): the scan
 * (headers, chunk types, sizes, CRC32 chunks), the split into pieces for
 * a download size, and the emitted pieces.
 *
 * Input: a sparse image (and, once, the same bytes as a raw image).
 * Whatever the bytes: no crash; a refusal explains itself; the seekable
 * scan (a file) and the streaming scan (a .tgz entry) agree; every piece
 * has its announced size, fits the download, is a sparse image of the
 * whole output again without CRC chunks, one cancro's bootloader takes
 * when it takes the image (rf_sparse_lk_check), and the extent budget is
 * exact (rf_sparse_layout_scan_max); written one after another, as the phone
 * does, the pieces leave exactly the bytes the image describes (decoded
 * here by a second, independent reader of the format). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sparse.h"

#define MAX_PIECES 64
#define MAX_OUT (1u << 20) /* outputs compared byte for byte up to this */
#define UNWRITTEN 0x5a     /* don't-care blocks keep this */

struct mrd {
	const uint8_t *p;
	size_t len, off;
};

static int mem_read(void *ctx, void *dst, size_t len, size_t *got)
{
	struct mrd *r = ctx;
	size_t n = r->len - r->off;

	/* Short reads exercise the callers' loops. */
	if (n > len)
		n = len;
	if (n > 3)
		n = n / 2 + 1;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	*got = n;
	return RF_OK;
}

static int mem_seek(void *ctx, uint64_t off)
{
	struct mrd *r = ctx;
	if (off > r->len)
		return RF_EFORMAT;
	r->off = (size_t)off;
	return RF_OK;
}

struct mwr {
	uint8_t *p;
	size_t len, cap;
};

static int mem_write(void *ctx, const void *d, size_t len)
{
	struct mwr *w = ctx;

	if (w->len + len > w->cap) {
		size_t c = w->cap ? w->cap : 4096;
		uint8_t *np;
		while (c < w->len + len)
			c *= 2;
		np = realloc(w->p, c);
		if (!np)
			return RF_ENOMEM;
		w->p = np;
		w->cap = c;
	}
	memcpy(w->p + w->len, d, len);
	w->len += len;
	return RF_OK;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Write sparse image `s` (already accepted by the scan) onto out[0..cap),
 * as a bootloader would: raw and fill blocks written, don't-care left. */
static void apply(const uint8_t *s, size_t len, uint8_t *out, size_t cap)
{
	size_t hdr = s[8] | s[9] << 8, chdr = s[10] | s[11] << 8, off = hdr;
	uint32_t blk = le32(s + 12), chunks = le32(s + 20);
	uint64_t at = 0;

	for (uint32_t c = 0; c < chunks; c++) {
		if (off + chdr > len)
			abort();
		uint16_t type = (uint16_t)(s[off] | s[off + 1] << 8);
		uint64_t bytes = (uint64_t)le32(s + off + 4) * blk;
		const uint8_t *d = s + off + chdr;
		if (at + bytes > cap && type != RF_SPARSE_CHUNK_CRC32)
			abort();
		if (type == RF_SPARSE_CHUNK_RAW)
			memcpy(out + at, d, (size_t)bytes);
		for (uint64_t i = 0; type == RF_SPARSE_CHUNK_FILL && i < bytes; i++)
			out[at + i] = d[i % 4];
		if (type != RF_SPARSE_CHUNK_CRC32)
			at += bytes;
		off += le32(s + off + 8);
	}
}

/* Split at `max`, emit every piece, and compare what they write with the
 * image's own content `want` (NULL: not compared).  `lk_ok`: cancro's
 * bootloader takes the image, so it must take every piece. */
static void split_and_emit(struct rf_sparse_layout *l, const uint8_t *data,
			   size_t size, uint64_t max, const uint8_t *want,
			   int lk_ok)
{
	char why[RF_ERRLEN];

	struct rf_sparse_split s;
	struct mrd r = { data, size, 0 };
	uint64_t pos = 0, out_len = (uint64_t)l->total_blks * l->blk_sz;
	uint8_t *out = want ? malloc(out_len ? out_len : 1) : NULL;

	if (want && !out)
		abort();
	if (out)
		memset(out, UNWRITTEN, out_len);
	if (rf_sparse_split(l, max, &s) != RF_OK) {
		free(out);
		return;
	}
	for (size_t i = 0; i < s.n && i < MAX_PIECES; i++) {
		struct mwr w = { 0 };
		struct rf_sparse_layout pl;
		struct mrd pr;

		if (s.piece[i].bytes > max)
			abort();
		if (rf_sparse_emit_piece(l, &s, i, mem_read, &r, &pos,
					 mem_write, &w) != RF_OK)
			abort(); /* the layout came from these very bytes */
		if (w.len != s.piece[i].bytes)
			abort();
		pr = (struct mrd){ w.p, w.len, 0 };
		if (rf_sparse_layout_scan(&pl, mem_read, &pr) != RF_OK)
			abort();
		if (pl.total_blks != l->total_blks || pl.blk_sz != l->blk_sz ||
		    pl.crc_chunks)
			abort();
		if (lk_ok && rf_sparse_lk_check(w.p, w.len, &pl, why))
			abort(); /* a piece LK would refuse halfway */
		rf_sparse_layout_free(&pl);
		if (out)
			apply(w.p, w.len, out, (size_t)out_len);
		free(w.p);
	}
	if (out && s.n <= MAX_PIECES && memcmp(out, want, (size_t)out_len))
		abort(); /* the pieces write other bytes than the image */
	rf_sparse_split_free(&s);
	free(out);
}

/* The extent budget: an image needing n extents fits n, not n - 1. */
static void check_budget(const struct rf_sparse_layout *l, const uint8_t *data,
			 size_t size)
{
	struct rf_sparse_layout m;
	struct mrd r = { data, size, 0 };

	if (rf_sparse_layout_scan_max(&m, mem_read, &r, l->n) != RF_OK)
		abort();
	if (m.n != l->n)
		abort();
	rf_sparse_layout_free(&m);
	r.off = 0;
	if (l->n && rf_sparse_layout_scan_max(&m, mem_read, &r, l->n - 1) == RF_OK)
		abort();
}

static void same_layout(const struct rf_sparse_layout *a,
			const struct rf_sparse_layout *b)
{
	if (a->n != b->n || a->blk_sz != b->blk_sz || a->total_blks != b->total_blks ||
	    a->out_bytes != b->out_bytes || a->in_bytes != b->in_bytes)
		abort();
	for (size_t i = 0; i < a->n; i++)
		if (a->ext[i].type != b->ext[i].type || a->ext[i].out_blk != b->ext[i].out_blk ||
		    a->ext[i].nblk != b->ext[i].nblk || a->ext[i].fill != b->ext[i].fill ||
		    (a->ext[i].type == RF_SPARSE_CHUNK_RAW &&
		     a->ext[i].src_off != b->ext[i].src_off))
			abort();
}

/* The image's content: sparse decoded, or raw padded with zeros. */
static uint8_t *content(const struct rf_sparse_layout *l, const uint8_t *data,
			size_t size)
{
	uint64_t n = (uint64_t)l->total_blks * l->blk_sz;
	uint8_t *out;

	if (n > MAX_OUT)
		return NULL;
	out = malloc(n ? n : 1);
	if (!out)
		abort();
	if (l->is_sparse) {
		memset(out, UNWRITTEN, n);
		apply(data, size, out, (size_t)n);
	} else {
		memset(out, 0, n);
		memcpy(out, data, size);
	}
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_sparse_layout l, ls;
	struct mrd r = { data, size, 0 }, rs = { data, size, 0 };
	uint32_t h = 2166136261u;
	uint8_t *want;
	char why[RF_ERRLEN];
	int rc, rcs, lk_ok;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	rc = rf_sparse_layout_scan(&l, mem_read, &r);
	rcs = rf_sparse_layout_scan_seekable(&ls, mem_read, mem_seek, &rs);
	if ((rc == RF_OK) != (rcs == RF_OK))
		abort(); /* a file and a stream of the same bytes */
	if (rc == RF_OK) {
		same_layout(&l, &ls);
		rf_sparse_layout_free(&ls);
		check_budget(&l, data, size);
		lk_ok = !rf_sparse_lk_check(data, size, &l, why);
		want = content(&l, data, size);
		split_and_emit(&l, data, size, l.blk_sz + 64 + h % 65536, want, lk_ok);
		split_and_emit(&l, data, size, 1 << 20, want, lk_ok);
		free(want);
		rf_sparse_layout_free(&l);
	} else if (l.err[0] == 0 || ls.err[0] == 0) {
		abort(); /* every failure explains itself */
	}
	if (rf_sparse_layout_raw(&l, size, 4u << (h % 4)) == RF_OK) {
		want = content(&l, data, size);
		split_and_emit(&l, data, size, (4u << (h % 4)) + 64 + h % 512, want, 0);
		free(want);
		rf_sparse_layout_free(&l);
	}
	return 0;
}
