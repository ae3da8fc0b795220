/* Android sparse images: the split of a layout into pieces that each fit
 * one download, and the emission of a piece (see sparse.h).  A piece is
 * emitted while reading the image forward, through one fixed buffer. */
#include "sparse_int.h"

#include <stdlib.h>
#include <string.h>

void rf_sparse_split_free(struct rf_sparse_split *s)
{
	if (!s)
		return;
	free(s->piece);
	s->piece = NULL;
	s->n = 0;
}

static int add_piece(struct rf_sparse_split *s, size_t *cap,
		     const struct rf_sparse_piece *p)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct rf_sparse_piece *np = realloc(s->piece,
						     ncap * sizeof(*np));
		if (!np)
			return RF_ENOMEM;
		s->piece = np;
		*cap = ncap;
	}
	s->piece[s->n++] = *p;
	return RF_OK;
}

/* Greedy packing.  DONT_CARE extents at either end of a piece are left to
 * the piece's leading/trailing DONT_CARE chunk, so no piece is spent on
 * blocks that need no writing. */
int rf_sparse_split(struct rf_sparse_layout *l, uint64_t max_bytes,
		    struct rf_sparse_split *s)
{
	const uint64_t H = RF_SPARSE_HEADER_LEN, C = RF_SPARSE_CHUNK_HEADER_LEN;
	uint64_t bs = l->blk_sz;
	size_t i = 0, cap = 0;
	uint32_t cur = 0;
	int rc = RF_OK;

	memset(s, 0, sizeof(*s));
	if (max_bytes > MAX_PIECE_BYTES)
		max_bytes = MAX_PIECE_BYTES;
	for (;;) {
		struct rf_sparse_piece p = { 0 };
		uint64_t used;

		while (i < l->n && l->ext[i].type == RF_SPARSE_CHUNK_DONT_CARE)
			i++;
		if (i == l->n)
			break;
		if (cur < l->ext[i].out_blk)
			cur = l->ext[i].out_blk;
		p.first = i;
		p.blk_start = cur;
		used = H + (cur > 0 ? C : 0);
		while (i < l->n) {
			const struct rf_sparse_extent *e = &l->ext[i];
			uint32_t end = e->out_blk + e->nblk;
			uint64_t rem = end - cur;
			uint64_t trail = end < l->total_blks ? C : 0;
			uint64_t cost = C;

			if (e->type == RF_SPARSE_CHUNK_RAW)
				cost += rem * bs;
			else if (e->type == RF_SPARSE_CHUNK_FILL)
				cost += 4;
			if (used + cost + trail <= max_bytes) {
				used += cost;
				cur = end;
				i++;
				p.count++;
				continue;
			}
			/* Cut a RAW extent: the piece then needs a trailing
			 * DONT_CARE, hence two chunk headers. */
			if (e->type == RF_SPARSE_CHUNK_RAW &&
			    used + 2 * C + bs <= max_bytes) {
				uint64_t k = (max_bytes - used - 2 * C) / bs;
				used += C + k * bs;
				cur += (uint32_t)k;
				p.count++;
			}
			break;
		}
		if (p.count == 0) {
			rc = rf_errf(l->err, RF_ETOOBIG,
				     "a piece of %llu bytes cannot hold one "
				     "%u-byte block plus sparse headers",
				     (unsigned long long)max_bytes, l->blk_sz);
			goto out;
		}
		if (l->ext[p.first + p.count - 1].type ==
		    RF_SPARSE_CHUNK_DONT_CARE) {
			p.count--;
			used -= C;
			i = p.first + p.count;
			cur = l->ext[i].out_blk;
		}
		p.blk_end = cur;
		p.bytes = used + (cur < l->total_blks ? C : 0);
		if (add_piece(s, &cap, &p) != RF_OK) {
			rc = rf_errf(l->err, RF_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (s->n == 0) {
		/* Nothing to write: one piece of DONT_CARE keeps the caller's
		 * "flash every piece" loop uniform. */
		struct rf_sparse_piece p = { 0 };
		p.first = l->n;
		p.bytes = H + (l->total_blks > 0 ? C : 0);
		if (p.bytes > max_bytes) {
			rc = rf_errf(l->err, RF_ETOOBIG,
				     "a piece of %llu bytes cannot hold the "
				     "sparse headers",
				     (unsigned long long)max_bytes);
			goto out;
		}
		if (add_piece(s, &cap, &p) != RF_OK) {
			rc = rf_errf(l->err, RF_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	if (rc != RF_OK)
		rf_sparse_split_free(s);
	return rc;
}

int rf_sparse_download_count(const struct rf_sparse_layout *layout,
			     uint64_t size, uint64_t max_bytes,
			     unsigned *downloads, uint64_t *wire, char *err)
{
	struct rf_sparse_layout raw;
	struct rf_sparse_split sp = { 0 };
	/* rf_sparse_split leaves its message in the layout it is given */
	struct rf_sparse_layout *l = (struct rf_sparse_layout *)layout;
	int rc;

	*downloads = 1;
	*wire = size;
	if (size <= max_bytes)
		return RF_OK;
	memset(&raw, 0, sizeof raw);
	if (!l) {
		rc = rf_sparse_layout_raw(&raw, size, RF_SPARSE_DEFAULT_BLOCK);
		if (rc) {
			rf_errf(err, rc, "%s", raw.err);
			goto out;
		}
		l = &raw;
	}
	rc = rf_sparse_split(l, max_bytes, &sp);
	if (rc) {
		rf_errf(err, rc, "%s", l->err);
		goto out;
	}
	*downloads = (unsigned)sp.n;
	*wire = 0;
	for (size_t i = 0; i < sp.n; i++)
		*wire += sp.piece[i].bytes;
out:
	rf_sparse_split_free(&sp);
	rf_sparse_layout_free(&raw);
	return rc;
}

/* --- emit ------------------------------------------------------------------- */

/* Output staging: headers are copied in, RAW data is read straight into the
 * free space, and the sink only ever sees full BUF_LEN writes (plus the
 * tail). */
struct emit {
	struct rf_sparse_layout *l;
	uint8_t *buf;
	size_t fill;
	uint64_t written, expect;
	rf_read_fn rd;
	void *rctx;
	uint64_t *pos;
	rf_write_fn wr;
	void *wctx;
};

static int em_flush(struct emit *em)
{
	int rc;

	if (!em->fill)
		return RF_OK;
	/* The download size is announced up front: never send more. */
	if (em->written + em->fill > em->expect)
		return rf_errf(em->l->err, RF_EINVAL, "sparse piece grew past "
			       "its announced %llu bytes",
			       (unsigned long long)em->expect);
	rc = em->wr(em->wctx, em->buf, em->fill);
	if (rc != RF_OK)
		return rf_errf(em->l->err, rc, "writing a sparse piece failed "
			       "(%s)", rf_strerror(rc));
	em->written += em->fill;
	em->fill = 0;
	return RF_OK;
}

static int em_put(struct emit *em, const void *p, size_t n)
{
	int rc;

	if (BUF_LEN - em->fill < n && (rc = em_flush(em)) != RF_OK)
		return rc;
	memcpy(em->buf + em->fill, p, n);
	em->fill += n;
	return RF_OK;
}

static int em_chunk(struct emit *em, uint16_t type, uint32_t nblk,
		    uint32_t data_sz)
{
	uint8_t h[RF_SPARSE_CHUNK_HEADER_LEN];

	sp_put16(h, type);
	sp_put16(h + 2, 0);
	sp_put32(h + 4, nblk);
	sp_put32(h + 8, RF_SPARSE_CHUNK_HEADER_LEN + data_sz);
	return em_put(em, h, sizeof(h));
}

static int em_zeros(struct emit *em, uint64_t n)
{
	int rc;

	while (n) {
		size_t k;
		if (em->fill == BUF_LEN && (rc = em_flush(em)) != RF_OK)
			return rc;
		k = BUF_LEN - em->fill;
		if (k > n)
			k = (size_t)n;
		memset(em->buf + em->fill, 0, k);
		em->fill += k;
		n -= k;
	}
	return RF_OK;
}

/* Copy `len` image bytes from offset `src` into the output, first reading
 * forward (and discarding) up to `src`. */
static int em_copy(struct emit *em, uint64_t src, uint64_t len)
{
	int discard = 1, rc;

	if (src < *em->pos)
		return rf_errf(em->l->err, RF_EINVAL,
			       "piece needs image offset 0x%llx but the reader "
			       "is already at 0x%llx (pieces out of order?)",
			       (unsigned long long)src,
			       (unsigned long long)*em->pos);
	for (;;) {
		uint64_t want = discard ? src - *em->pos : len;
		size_t got = 0, k;

		if (want == 0) {
			if (!discard)
				return RF_OK;
			discard = 0;
			continue;
		}
		/* Discarding into a nearly full buffer would mean tiny reads. */
		if (BUF_LEN - em->fill < (discard ? BUF_LEN / 2 : 1) &&
		    (rc = em_flush(em)) != RF_OK)
			return rc;
		k = BUF_LEN - em->fill;
		if (k > want)
			k = (size_t)want;
		rc = em->rd(em->rctx, em->buf + em->fill, k, &got);
		if (rc != RF_OK)
			return rf_errf(em->l->err, rc,
				       "reading the image at offset 0x%llx "
				       "failed (%s)",
				       (unsigned long long)*em->pos,
				       rf_strerror(rc));
		if (got == 0)
			return rf_errf(em->l->err, RF_EFORMAT,
				       "image ends at offset 0x%llx, before "
				       "the data its layout names (did the "
				       "file change?)",
				       (unsigned long long)*em->pos);
		if (got > k)
			return rf_errf(em->l->err, RF_EINVAL,
				       "reader returned more than asked");
		*em->pos += got;
		if (discard) {
			continue;
		}
		em->fill += got;
		len -= got;
	}
}

/* The file header of piece p and its leading DONT_CARE. */
static int em_header(struct emit *em, const struct rf_sparse_piece *p)
{
	const struct rf_sparse_layout *l = em->l;
	uint8_t h[RF_SPARSE_HEADER_LEN];
	uint32_t nchunks = (uint32_t)p->count + (p->blk_start > 0) +
			   (p->blk_end < l->total_blks);
	int rc;

	sp_put32(h, RF_SPARSE_MAGIC);
	sp_put16(h + 4, 1);
	sp_put16(h + 6, 0);
	sp_put16(h + 8, RF_SPARSE_HEADER_LEN);
	sp_put16(h + 10, RF_SPARSE_CHUNK_HEADER_LEN);
	sp_put32(h + 12, l->blk_sz);
	sp_put32(h + 16, l->total_blks);
	sp_put32(h + 20, nchunks);
	sp_put32(h + 24, 0);
	if ((rc = em_put(em, h, sizeof(h))) != RF_OK)
		return rc;
	if (p->blk_start > 0)
		return em_chunk(em, RF_SPARSE_CHUNK_DONT_CARE, p->blk_start, 0);
	return RF_OK;
}

/* Extent e as far as piece `i` (p) covers it. */
static int em_extent(struct emit *em, const struct rf_sparse_piece *p,
		     size_t i, const struct rf_sparse_extent *e)
{
	struct rf_sparse_layout *l = em->l;
	uint64_t bs = l->blk_sz;
	uint32_t a = e->out_blk, b = e->out_blk + e->nblk;
	uint8_t word[4];
	int rc;

	if (a < p->blk_start)
		a = p->blk_start;
	if (b > p->blk_end)
		b = p->blk_end;
	if (a >= b)
		return rf_errf(l->err, RF_EINVAL, "sparse piece %zu has an "
			       "empty extent", i);
	if (e->type == RF_SPARSE_CHUNK_FILL) {
		sp_put32(word, e->fill);
		if ((rc = em_chunk(em, e->type, b - a, 4)))
			return rc;
		return em_put(em, word, 4);
	}
	if (e->type != RF_SPARSE_CHUNK_RAW)
		return em_chunk(em, RF_SPARSE_CHUNK_DONT_CARE, b - a, 0);

	uint64_t src = e->src_off + (uint64_t)(a - e->out_blk) * bs;
	uint64_t len = (uint64_t)(b - a) * bs, avail = len;

	if (len + RF_SPARSE_CHUNK_HEADER_LEN > UINT32_MAX)
		return rf_errf(l->err, RF_EINVAL, "sparse piece %zu has a RAW "
			       "chunk over 4 GiB", i);
	/* A raw image's last block is padded with zeros. */
	if (!l->is_sparse)
		avail = src >= l->in_bytes ? 0 :
			l->in_bytes - src < len ? l->in_bytes - src : len;
	if ((rc = em_chunk(em, e->type, b - a, (uint32_t)len)) ||
	    (rc = em_copy(em, src, avail)))
		return rc;
	return em_zeros(em, len - avail);
}

int rf_sparse_emit_piece(struct rf_sparse_layout *l,
			 const struct rf_sparse_split *s, size_t i,
			 rf_read_fn rd, void *rctx, uint64_t *pos,
			 rf_write_fn wr, void *wctx)
{
	struct emit em = { .l = l, .rd = rd, .rctx = rctx, .pos = pos,
			   .wr = wr, .wctx = wctx };
	const struct rf_sparse_piece *p;
	int rc;

	if (!s || i >= s->n)
		return rf_errf(l->err, RF_EINVAL, "no sparse piece %zu", i);
	p = &s->piece[i];
	em.expect = p->bytes;
	if (p->first + p->count > l->n || p->blk_start > p->blk_end ||
	    p->blk_end > l->total_blks)
		return rf_errf(l->err, RF_EINVAL, "sparse piece %zu does not "
			       "match its layout", i);
	em.buf = malloc(BUF_LEN);
	if (!em.buf)
		return rf_errf(l->err, RF_ENOMEM, "out of memory");
	rc = em_header(&em, p);
	for (size_t j = p->first; !rc && j < p->first + p->count; j++)
		rc = em_extent(&em, p, i, &l->ext[j]);
	if (!rc && p->blk_end < l->total_blks)
		rc = em_chunk(&em, RF_SPARSE_CHUNK_DONT_CARE,
			      l->total_blks - p->blk_end, 0);
	if (!rc)
		rc = em_flush(&em);
	if (!rc && em.written != p->bytes)
		rc = rf_errf(l->err, RF_EINVAL, "sparse piece %zu came out as "
			     "%llu bytes, expected %llu", i,
			     (unsigned long long)em.written,
			     (unsigned long long)p->bytes);
	free(em.buf);
	return rc;
}
