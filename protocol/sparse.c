/* Android sparse images: what the scan, split and emit code share (see
 * sparse.h for the model): layouts and their extents, and what the
 * bootloader of a cancro accepts.  The scan is sparse_scan.c, the split and
 * the emission of pieces sparse_emit.c, the CRC arithmetic sparse_crc.c. */
#include "sparse_int.h"

#include <stdlib.h>
#include <string.h>

int sp_read_full(rf_read_fn rd, void *ctx, void *buf, size_t len, size_t *got)
{
	size_t done = 0;
	int rc = RF_OK;

	while (done < len) {
		size_t n = 0;
		rc = rd(ctx, (uint8_t *)buf + done, len - done, &n);
		if (rc != RF_OK)
			break;
		if (n == 0)
			break;
		done += n;
	}
	*got = done;
	return rc;
}

int rf_sparse_is_sparse(const void *head, size_t len)
{
	return len >= 4 && sp_get32(head) == RF_SPARSE_MAGIC;
}

void rf_sparse_layout_free(struct rf_sparse_layout *l)
{
	if (!l)
		return;
	free(l->ext);
	l->ext = NULL;
	l->n = l->cap = 0;
}

int sp_add_extent(struct rf_sparse_layout *l, size_t max, uint16_t type,
		  uint32_t out_blk, uint32_t nblk, uint64_t src_off,
		  uint32_t fill)
{
	struct rf_sparse_extent *e;

	if (nblk == 0)
		return RF_OK;
	if (type == RF_SPARSE_CHUNK_DONT_CARE && l->n > 0) {
		e = &l->ext[l->n - 1];
		if (e->type == RF_SPARSE_CHUNK_DONT_CARE &&
		    e->out_blk + e->nblk == out_blk) {
			e->nblk += nblk;
			return RF_OK;
		}
	}
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		if (ncap > max)
			ncap = max;
		if (l->n >= ncap)
			return rf_errf(l->err, RF_EFORMAT,
				       "sparse image has more than %zu chunks",
				       max);
		e = realloc(l->ext, ncap * sizeof(*e));
		if (!e)
			return rf_errf(l->err, RF_ENOMEM,
				       "out of memory for %zu extents", ncap);
		l->ext = e;
		l->cap = ncap;
	}
	e = &l->ext[l->n++];
	e->type = type;
	e->out_blk = out_blk;
	e->nblk = nblk;
	e->src_off = src_off;
	e->fill = fill;
	return RF_OK;
}

int rf_sparse_layout_raw(struct rf_sparse_layout *l, uint64_t size,
			 uint32_t blk_sz)
{
	uint64_t nblk;

	memset(l, 0, sizeof(*l));
	if (blk_sz == 0 || blk_sz % 4 || blk_sz > MAX_BLK_SZ)
		return rf_errf(l->err, RF_EINVAL, "bad block size %u", blk_sz);
	if (size > MAX_OUT_BYTES)
		return rf_errf(l->err, RF_ETOOBIG,
			       "image of %llu bytes is too large",
			       (unsigned long long)size);
	nblk = (size + blk_sz - 1) / blk_sz;
	if (nblk > UINT32_MAX)
		return rf_errf(l->err, RF_ETOOBIG,
			       "image of %llu bytes has too many blocks",
			       (unsigned long long)size);
	l->is_sparse = 0;
	l->blk_sz = blk_sz;
	l->total_blks = (uint32_t)nblk;
	l->out_bytes = size;
	l->in_bytes = size;
	return sp_add_extent(l, 1, RF_SPARSE_CHUNK_RAW, 0, (uint32_t)nblk, 0, 0);
}

/* LK (aboot's cmd_flash) looks at the first 4 bytes of the download alone
 * to choose between a raw and a sparse write, then parses the sparse
 * image while it writes it: whatever it rejects is found with the
 * partition half written, so it is refused here first. */
int rf_sparse_lk_check(const void *head, uint64_t size,
		       const struct rf_sparse_layout *l, char *why)
{
	static const uint8_t magic[4] = { 0x3a, 0xff, 0x26, 0xed };
	size_t n = size < 4 ? (size_t)size : 4;

	if (size > 0 && size < RF_SPARSE_HEADER_LEN && !memcmp(head, magic, n))
		return rf_errf(why, RF_EFORMAT, "%llu bytes that begin like a "
			       "sparse image: the bootloader would take them "
			       "for one and read its header past the data",
			       (unsigned long long)size);
	if (!l || !l->is_sparse)
		return RF_OK;
	/* mmc_write asserts that every write starts on a 512-byte sector */
	if (l->blk_sz % 512)
		return rf_errf(why, RF_EFORMAT, "sparse block size %u is not a "
			       "multiple of 512: the bootloader writes whole "
			       "eMMC sectors", l->blk_sz);
	if (l->crc_chunks)
		return rf_errf(why, RF_EFORMAT, "the sparse image has a CRC32 "
			       "chunk with its checksum (as libsparse writes "
			       "it): the bootloader refuses that chunk halfway "
			       "through the write");
	return RF_OK;
}
