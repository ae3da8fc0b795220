/* Android sparse images: parse, validate, and split into pieces that each
 * fit a download.
 *
 * An image (sparse or raw) is first described by a layout: the list of
 * extents it writes, in output order.  The layout is built by reading the
 * image once front to back (chunk headers are read, data is skipped), so it
 * works on a stream.  A split groups extents into pieces of at most
 * `max_bytes` each; every piece is a complete sparse image covering the
 * whole output (blocks outside the piece are DONT_CARE), so the device can
 * write pieces one after another and only the piece's blocks change.
 * Emitting a piece reads the image forward only: pieces in order need one
 * pass over the image.
 *
 * A raw image whose size is not a multiple of the block size gets its last
 * block padded with zeros (sparse images are made of whole blocks). */
#ifndef RF_SPARSE_H
#define RF_SPARSE_H

#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

#define RF_SPARSE_MAGIC 0xed26ff3aU
#define RF_SPARSE_HEADER_LEN 28
#define RF_SPARSE_CHUNK_HEADER_LEN 12
#define RF_SPARSE_CHUNK_RAW 0xcac1
#define RF_SPARSE_CHUNK_FILL 0xcac2
#define RF_SPARSE_CHUNK_DONT_CARE 0xcac3
#define RF_SPARSE_CHUNK_CRC32 0xcac4
#define RF_SPARSE_DEFAULT_BLOCK 4096

/* Sequential reader: fill up to `len` bytes, `*got` = 0 only at the end. */
typedef int (*rf_read_fn)(void *ctx, void *buf, size_t len, size_t *got);
/* Set the reader's position to byte `off` of the image; RF_EFORMAT when
 * that is past its end. */
typedef int (*rf_seek_fn)(void *ctx, uint64_t off);
/* Sink for emitted bytes (e.g. rf_fb_download_write). */
typedef int (*rf_write_fn)(void *ctx, const void *buf, size_t len);

/* (in this order: callers build extents with positional initializers) */
struct rf_sparse_extent {
	uint16_t type;     /* RF_SPARSE_CHUNK_RAW, _FILL or _DONT_CARE */
	uint32_t out_blk;  /* first output block */
	uint32_t nblk;     /* number of blocks */
	uint64_t src_off;  /* RAW: byte offset of the data in the image */
	uint32_t fill;     /* FILL: the 32-bit pattern */
};

struct rf_sparse_layout {
	int is_sparse;       /* input was a sparse image */
	uint32_t blk_sz;
	uint32_t total_blks; /* output size in blocks */
	uint64_t out_bytes;  /* exact output size: raw input size, or
				total_blks * blk_sz for sparse input */
	uint64_t in_bytes;   /* size of the input image */
	uint32_t crc_chunks; /* CRC32 chunks met (verified) */
	size_t n, cap;
	struct rf_sparse_extent *ext;
	char err[RF_ERRLEN];
};

/* Does this buffer (>= 4 bytes) start with the sparse magic? */
int rf_sparse_is_sparse(const void *head, size_t len);

/* Layout of a raw image of `size` bytes. */
int rf_sparse_layout_raw(struct rf_sparse_layout *l, uint64_t size,
			 uint32_t blk_sz);
/* Layout of a sparse image read from `rd` (front to back; data is read and
 * discarded).  Validates header, chunk types, sizes and totals; verifies
 * CRC32 chunks.  RF_EFORMAT with a message naming the offending chunk. */
int rf_sparse_layout_scan(struct rf_sparse_layout *l, rf_read_fn rd,
			  void *ctx);
/* The same with at most `max_extents` extents (RF_EFORMAT past that): the
 * memory a caller holding many layouts lets one image take. */
int rf_sparse_layout_scan_max(struct rf_sparse_layout *l, rf_read_fn rd,
			      void *ctx, size_t max_extents);
/* The same for a reader that can seek (a file): RAW data is skipped, not
 * read, unless the image has a CRC32 chunk to verify (then it is scanned
 * again, reading).  The reader's position afterwards is unspecified. */
int rf_sparse_layout_scan_seekable(struct rf_sparse_layout *l, rf_read_fn rd,
				   rf_seek_fn seek, void *ctx);
void rf_sparse_layout_free(struct rf_sparse_layout *l);

/* Would the bootloader of a cancro (Qualcomm's LK) take this image, sent
 * as it is?  LK chooses a sparse write from the first 4 bytes alone and
 * parses the image while it writes, so what it refuses would be found with
 * the partition half written.  `head`: the image's first min(size, 4)
 * bytes; `l`: its layout when it was scanned as sparse, else NULL.
 * Refused (RF_EFORMAT, the reason in `why`): fewer than 28 bytes that
 * begin like the sparse magic (LK reads a header past the data), a block
 * size that is not a multiple of the eMMC's 512-byte sectors, a CRC32
 * chunk carrying its checksum (LK wants it without). */
int rf_sparse_lk_check(const void *head, uint64_t size,
		       const struct rf_sparse_layout *l, char *why);

struct rf_sparse_piece {
	size_t first, count;   /* extents [first, first+count) */
	/* The first/last extent may be cut: the piece covers blocks
	 * [blk_start, blk_end) of the output. */
	uint32_t blk_start, blk_end;
	uint64_t bytes;        /* exact size of the emitted piece */
};

struct rf_sparse_split {
	size_t n;
	struct rf_sparse_piece *piece;
};

/* Split a layout into pieces of at most `max_bytes` each.  RF_ETOOBIG if
 * max_bytes cannot hold even one block plus headers. */
int rf_sparse_split(struct rf_sparse_layout *l, uint64_t max_bytes,
		    struct rf_sparse_split *s);
void rf_sparse_split_free(struct rf_sparse_split *s);

/* What sending an image of `size` bytes takes at `max_bytes` per download:
 * one download of the image as stored when it fits, else the pieces of
 * rf_sparse_split over `layout` (NULL: the image is raw; its raw layout is
 * made here).  *downloads and *wire (bytes on the wire) are set; the plan
 * and the sender both count with this, so they agree. */
int rf_sparse_download_count(const struct rf_sparse_layout *layout,
			     uint64_t size, uint64_t max_bytes,
			     unsigned *downloads, uint64_t *wire, char *err);

/* Emit piece `i` of `s`: reads the image forward from its current position
 * (pieces emitted in order, from a reader positioned where the previous
 * emit left it, starting at 0) and writes exactly s->piece[i].bytes bytes.
 * `*pos` tracks the reader's offset in the image (start with 0). */
int rf_sparse_emit_piece(struct rf_sparse_layout *l,
			 const struct rf_sparse_split *s, size_t i,
			 rf_read_fn rd, void *rctx, uint64_t *pos,
			 rf_write_fn wr, void *wctx);

#endif
