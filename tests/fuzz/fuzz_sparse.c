/* libFuzzer target: the input is a sparse image (and, once, a raw image).
 * Whatever the bytes, scan/split/emit must not crash, and every emitted
 * piece must have its announced size and parse again as a sparse image
 * covering the same output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sparse.h"

#define MAX_PIECES 64

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

static void split_and_emit(struct rf_sparse_layout *l, const uint8_t *data,
			   size_t size, uint64_t max)
{
	struct rf_sparse_split s;
	struct mrd r = { data, size, 0 };
	uint64_t pos = 0;

	if (rf_sparse_split(l, max, &s) != RF_OK)
		return;
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
		if (pl.total_blks != l->total_blks || pl.blk_sz != l->blk_sz)
			abort();
		rf_sparse_layout_free(&pl);
		free(w.p);
	}
	rf_sparse_split_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rf_sparse_layout l;
	struct mrd r = { data, size, 0 };
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	if (rf_sparse_layout_scan(&l, mem_read, &r) == RF_OK) {
		split_and_emit(&l, data, size, l.blk_sz + 64 + h % 65536);
		split_and_emit(&l, data, size, 1 << 20);
		rf_sparse_layout_free(&l);
	} else if (l.err[0] == 0) {
		abort(); /* every failure explains itself */
	}
	if (rf_sparse_layout_raw(&l, size, 4u << (h % 4)) == RF_OK) {
		split_and_emit(&l, data, size, (4u << (h % 4)) + 64 + h % 512);
		rf_sparse_layout_free(&l);
	}
	return 0;
}
