/* Android sparse images: the layout scan (see sparse.h).  Chunk headers are
 * read and checked, RAW data is read only to verify CRC32 chunks (or
 * skipped with a seekable reader), everything through one fixed buffer. */
#include "sparse_int.h"

#include <isa-l/crc.h>
#include <stdlib.h>
#include <string.h>

/* State of one scan: the reader, its offset, and the running CRC of the
 * output data that CRC32 chunks are checked against.  libsparse disagrees
 * with itself here: its reader counts DONT_CARE blocks as zeros, its writer
 * leaves them out; both conventions are tracked and either one matching is
 * accepted (a real image must never be refused for the writer's choice). */
struct scan {
	struct rf_sparse_layout *l;
	rf_read_fn rd;
	void *ctx;
	uint64_t pos;
	/* Both conventions see the same bytes between DONT_CARE chunks, so
	 * those bytes go through one plain running CRC, `seg`, and are folded
	 * into the two only at a DONT_CARE or CRC32 chunk: RAW and FILL
	 * chunks, nearly all of an image, cost no polynomial arithmetic.
	 * The two are kept as CRC registers (not inverted), where appending
	 * zeros is a bare multiplication, so DONT_CARE bytes are just counted
	 * and applied in the same multiplication as the next fold. */
	uint32_t reg;       /* DONT_CARE as zeros: output before `zeros` */
	uint32_t reg_skip;  /* DONT_CARE left out: output before `seg` */
	uint64_t zeros;     /* DONT_CARE bytes since, not yet in `reg` */
	uint32_t seg;       /* crc32_gzip_refl chain over the RAW/FILL bytes
			       after those */
	uint64_t seg_len;
	struct sp_fill_cache fill;
	uint8_t *buf;
	size_t max_ext;     /* extents allowed */
	rf_seek_fn seek;    /* when set, RAW data is skipped, not read */
	int skipped;        /* some data was skipped: CRCs are unknown */
};

static void scan_crc_init(struct scan *sc)
{
	sc->reg = sc->reg_skip = ~0u; /* the register of an empty CRC */
	sc->zeros = 0;
	sc->seg = ~0u; /* its chain starts from a zero register */
	sc->seg_len = 0;
}

/* Append the DONT_CARE bytes and `seg` to the registers (R·x^8n ^ R_seg,
 * R_seg being seg's register from zero), then start an empty `seg`. */
static void scan_crc_fold(struct scan *sc)
{
	uint32_t rseg = ~sc->seg;

	sc->reg = sp_gf_mul(sp_x8n(sc->zeros + sc->seg_len), sc->reg) ^ rseg;
	sc->reg_skip = sp_gf_mul(sp_x8n(sc->seg_len), sc->reg_skip) ^ rseg;
	sc->zeros = 0;
	sc->seg = ~0u;
	sc->seg_len = 0;
}

/* Internal: a CRC32 chunk met after skipping data: scan again, reading. */
#define SCAN_NEEDS_DATA 1

/* Read exactly len bytes (to buf, or discarded when buf is NULL, which also
 * feeds them to the CRC when `crc` is set).  *short_read tells EOF apart
 * from a reader error. */
static int scan_read(struct scan *sc, void *dst, uint64_t len, int crc,
		     int *short_read)
{
	*short_read = 0;
	while (len) {
		size_t want = len < BUF_LEN ? (size_t)len : BUF_LEN;
		uint8_t *p = dst ? dst : sc->buf;
		size_t got;
		int rc = sp_read_full(sc->rd, sc->ctx, p, want, &got);

		sc->pos += got;
		if (crc)
			sc->seg = crc32_gzip_refl(sc->seg, p, got);
		if (rc != RF_OK)
			return rf_errf(sc->l->err, rc,
				       "reading the image at offset 0x%llx "
				       "failed (%s)",
				       (unsigned long long)sc->pos,
				       rf_strerror(rc));
		if (got < want) {
			*short_read = 1;
			return RF_EFORMAT;
		}
		len -= got;
		if (dst)
			dst = (uint8_t *)dst + got;
	}
	return RF_OK;
}


/* One chunk as its header describes it. */
struct chunk {
	uint32_t idx;
	uint64_t off;      /* of its header in the image */
	uint16_t type;
	uint32_t nblk;
	uint64_t data_sz;  /* bytes after its header */
};

static int past_end(struct scan *sc, const struct chunk *c)
{
	return rf_errf(sc->l->err, RF_EFORMAT,
		       "chunk %u at offset 0x%llx runs past the end of the "
		       "file (0x%llx)", c->idx, (unsigned long long)c->off,
		       (unsigned long long)sc->pos);
}

/* Read and check a chunk header.  *eof_at_start: the image ended right
 * before it (the caller says how many chunks were expected). */
static int chunk_header(struct scan *sc, uint32_t chunk_hdr_sz,
			struct chunk *c, int *eof_at_start)
{
	struct rf_sparse_layout *l = sc->l;
	uint8_t h[RF_SPARSE_CHUNK_HEADER_LEN];
	uint32_t total_sz;
	uint64_t want_sz;
	int short_read, rc;

	*eof_at_start = 0;
	c->off = sc->pos;
	rc = scan_read(sc, h, sizeof(h), 0, &short_read);
	if (short_read) {
		*eof_at_start = sc->pos == c->off;
		return *eof_at_start ? RF_EFORMAT : past_end(sc, c);
	}
	if (rc != RF_OK)
		return rc;
	/* Larger chunk headers are allowed (libsparse skips the extra). */
	rc = scan_read(sc, NULL, chunk_hdr_sz - sizeof(h), 0, &short_read);
	if (short_read)
		return past_end(sc, c);
	if (rc != RF_OK)
		return rc;
	c->type = sp_get16(h);
	c->nblk = sp_get32(h + 4);
	total_sz = sp_get32(h + 8);
	if (total_sz < chunk_hdr_sz)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx: total size %u is "
			       "smaller than its header", c->idx,
			       (unsigned long long)c->off, total_sz);
	c->data_sz = total_sz - chunk_hdr_sz;
	switch (c->type) {
	case RF_SPARSE_CHUNK_RAW:
		want_sz = (uint64_t)c->nblk * l->blk_sz;
		break;
	case RF_SPARSE_CHUNK_FILL:
	case RF_SPARSE_CHUNK_CRC32:
		want_sz = 4;
		break;
	case RF_SPARSE_CHUNK_DONT_CARE:
		want_sz = 0;
		break;
	default:
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx has unknown type "
			       "0x%04x", c->idx, (unsigned long long)c->off,
			       c->type);
	}
	if (c->data_sz != want_sz)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx (type 0x%04x, %u "
			       "blocks): total size %u, expected %llu", c->idx,
			       (unsigned long long)c->off, c->type, c->nblk,
			       total_sz,
			       (unsigned long long)(want_sz + chunk_hdr_sz));
	return RF_OK;
}

/* A CRC32 chunk: the CRC of all output so far, in either convention. */
static int chunk_crc(struct scan *sc, const struct chunk *c)
{
	struct rf_sparse_layout *l = sc->l;
	uint8_t word[4];
	uint32_t have, have_skip;
	int short_read, rc;

	if (c->nblk != 0)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx: CRC32 chunk "
			       "claims %u blocks", c->idx,
			       (unsigned long long)c->off, c->nblk);
	rc = scan_read(sc, word, 4, 0, &short_read);
	if (short_read)
		return past_end(sc, c);
	if (rc != RF_OK)
		return rc;
	l->crc_chunks++;
	if (sc->skipped)
		return SCAN_NEEDS_DATA;
	scan_crc_fold(sc);
	have = ~sc->reg;
	have_skip = ~sc->reg_skip;
	if (sp_get32(word) != have && sp_get32(word) != have_skip)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx: CRC32 "
			       "mismatch (image says 0x%08x, data "
			       "gives 0x%08x)", c->idx,
			       (unsigned long long)c->off, sp_get32(word),
			       have);
	return RF_OK;
}

static int chunk_raw(struct scan *sc, const struct chunk *c, uint32_t start)
{
	int short_read, rc = sp_add_extent(sc->l, sc->max_ext, c->type, start,
					   c->nblk, sc->pos, 0);
	if (rc != RF_OK)
		return rc;
	if (sc->seek) {
		/* the data is only needed for a CRC32 chunk, which
		 * img2simg and AOSP's tools do not write */
		rc = sc->seek(sc->ctx, sc->pos + c->data_sz);
		if (rc == RF_EFORMAT)
			return past_end(sc, c);
		if (rc != RF_OK)
			return rf_errf(sc->l->err, rc, "seeking in the image failed");
		sc->pos += c->data_sz;
		sc->skipped = 1;
		return RF_OK;
	}
	rc = scan_read(sc, NULL, c->data_sz, 1, &short_read);
	if (short_read)
		return past_end(sc, c);
	if (rc != RF_OK)
		return rc;
	sc->seg_len += c->data_sz;
	return RF_OK;
}

static int chunk_fill(struct scan *sc, const struct chunk *c, uint32_t start)
{
	uint8_t word[4];
	uint64_t n = (uint64_t)c->nblk * sc->l->blk_sz;
	int short_read, rc = scan_read(sc, word, 4, 0, &short_read);

	if (short_read)
		return past_end(sc, c);
	if (rc != RF_OK)
		return rc;
	rc = sp_add_extent(sc->l, sc->max_ext, c->type, start, c->nblk, 0,
			   sp_get32(word));
	if (rc != RF_OK)
		return rc;
	sc->seg = sp_crc_fill(sc->seg, sp_get32(word), n, &sc->fill);
	sc->seg_len += n;
	return RF_OK;
}

static int chunk_dont_care(struct scan *sc, const struct chunk *c,
			   uint32_t start)
{
	int rc = sp_add_extent(sc->l, sc->max_ext, c->type, start, c->nblk, 0, 0);
	if (rc != RF_OK)
		return rc;
	if (sc->seg_len)
		scan_crc_fold(sc);
	sc->zeros += (uint64_t)c->nblk * sc->l->blk_sz;
	return RF_OK;
}

static int scan_chunk(struct scan *sc, uint32_t idx, uint32_t chunk_hdr_sz,
		      uint32_t *cur_blk, int *eof_at_start)
{
	struct rf_sparse_layout *l = sc->l;
	struct chunk c = { .idx = idx };
	uint64_t start = *cur_blk;
	int rc = chunk_header(sc, chunk_hdr_sz, &c, eof_at_start);

	if (rc != RF_OK)
		return rc;
	if (c.type == RF_SPARSE_CHUNK_CRC32)
		return chunk_crc(sc, &c);
	if (start + c.nblk > l->total_blks)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx writes blocks "
			       "%llu..%llu, past the image end (%u blocks)",
			       idx, (unsigned long long)c.off,
			       (unsigned long long)start,
			       (unsigned long long)(start + c.nblk),
			       l->total_blks);
	if (c.type == RF_SPARSE_CHUNK_RAW)
		rc = chunk_raw(sc, &c, (uint32_t)start);
	else if (c.type == RF_SPARSE_CHUNK_FILL)
		rc = chunk_fill(sc, &c, (uint32_t)start);
	else
		rc = chunk_dont_care(sc, &c, (uint32_t)start);
	if (rc == RF_OK)
		*cur_blk = (uint32_t)(start + c.nblk);
	return rc;
}

/* The file header: checked, its fields into the layout. */
static int scan_header(struct scan *sc, uint32_t *chunk_hdr_sz,
		       uint32_t *total_chunks)
{
	struct rf_sparse_layout *l = sc->l;
	uint8_t h[RF_SPARSE_HEADER_LEN];
	uint32_t file_hdr_sz;
	int rc, short_read;

	rc = scan_read(sc, h, sizeof(h), 0, &short_read);
	if (short_read) {
		if (sc->pos >= 4 && !rf_sparse_is_sparse(h, 4))
			return rf_errf(l->err, RF_EFORMAT,
				       "not a sparse image (bad magic)");
		return rf_errf(l->err, RF_EFORMAT, "file too short for a "
			       "sparse header (%llu bytes)",
			       (unsigned long long)sc->pos);
	}
	if (rc != RF_OK)
		return rc;
	if (!rf_sparse_is_sparse(h, sizeof(h)))
		return rf_errf(l->err, RF_EFORMAT,
			       "not a sparse image (magic 0x%08x)", sp_get32(h));
	/* Minor versions are compatible additions (libsparse ignores it). */
	if (sp_get16(h + 4) != 1)
		return rf_errf(l->err, RF_EFORMAT, "unsupported sparse format "
			       "version %u.%u", sp_get16(h + 4), sp_get16(h + 6));
	file_hdr_sz = sp_get16(h + 8);
	*chunk_hdr_sz = sp_get16(h + 10);
	l->blk_sz = sp_get32(h + 12);
	l->total_blks = sp_get32(h + 16);
	*total_chunks = sp_get32(h + 20);
	if (file_hdr_sz < RF_SPARSE_HEADER_LEN ||
	    *chunk_hdr_sz < RF_SPARSE_CHUNK_HEADER_LEN)
		return rf_errf(l->err, RF_EFORMAT, "bad sparse header sizes "
			       "(file %u, chunk %u)", file_hdr_sz, *chunk_hdr_sz);
	if (l->blk_sz == 0 || l->blk_sz % 4 || l->blk_sz > MAX_BLK_SZ)
		return rf_errf(l->err, RF_EFORMAT, "bad sparse block size %u",
			       l->blk_sz);
	l->out_bytes = (uint64_t)l->total_blks * l->blk_sz;
	if (l->out_bytes > MAX_OUT_BYTES)
		return rf_errf(l->err, RF_EFORMAT, "sparse image output of "
			       "%llu bytes is absurdly large",
			       (unsigned long long)l->out_bytes);
	rc = scan_read(sc, NULL, file_hdr_sz - RF_SPARSE_HEADER_LEN, 0,
		       &short_read);
	if (short_read)
		return rf_errf(l->err, RF_EFORMAT,
			       "file too short for its sparse header");
	return rc;
}

/* Every chunk, then nothing after the last. */
static int scan_body(struct scan *sc, uint32_t chunk_hdr_sz,
		     uint32_t total_chunks)
{
	struct rf_sparse_layout *l = sc->l;
	uint32_t cur_blk = 0;
	uint8_t extra;
	int rc, short_read, eof;

	for (uint32_t i = 0; i < total_chunks; i++) {
		rc = scan_chunk(sc, i, chunk_hdr_sz, &cur_blk, &eof);
		if (rc == SCAN_NEEDS_DATA)
			return rc;
		if (eof)
			return rf_errf(l->err, RF_EFORMAT, "image ends after "
				       "%u chunks, header says %u", i,
				       total_chunks);
		if (rc != RF_OK)
			return rc;
	}
	if (cur_blk != l->total_blks)
		return rf_errf(l->err, RF_EFORMAT, "chunks cover %u blocks, "
			       "header says %u", cur_blk, l->total_blks);
	rc = scan_read(sc, &extra, 1, 0, &short_read);
	if (!short_read && rc == RF_OK)
		return rf_errf(l->err, RF_EFORMAT,
			       "trailing data after the last chunk at offset "
			       "0x%llx", (unsigned long long)sc->pos - 1);
	return short_read ? RF_OK : rc;
}

static int scan(struct rf_sparse_layout *l, rf_read_fn rd, rf_seek_fn seek,
		void *ctx, size_t max_ext)
{
	struct scan sc = { .l = l, .rd = rd, .ctx = ctx, .seek = seek,
			   .max_ext = max_ext };
	uint32_t chunk_hdr_sz = 0, total_chunks = 0;
	int rc;

	memset(l, 0, sizeof(*l));
	sp_crc_init();
	scan_crc_init(&sc);
	sc.buf = malloc(BUF_LEN);
	sc.fill.buf = malloc(FILL_LEN);
	if (!sc.buf || !sc.fill.buf)
		rc = rf_errf(l->err, RF_ENOMEM, "out of memory");
	else
		rc = scan_header(&sc, &chunk_hdr_sz, &total_chunks);
	if (rc == RF_OK)
		rc = scan_body(&sc, chunk_hdr_sz, total_chunks);
	if (rc == RF_OK) {
		l->is_sparse = 1;
		l->in_bytes = sc.pos;
	}
	free(sc.buf);
	free(sc.fill.buf);
	if (rc != RF_OK)
		rf_sparse_layout_free(l);
	return rc;
}

int rf_sparse_layout_scan(struct rf_sparse_layout *l, rf_read_fn rd,
			  void *ctx)
{
	return scan(l, rd, NULL, ctx, MAX_EXTENTS);
}

int rf_sparse_layout_scan_max(struct rf_sparse_layout *l, rf_read_fn rd,
			      void *ctx, size_t max_extents)
{
	return scan(l, rd, NULL, ctx,
		    max_extents < MAX_EXTENTS ? max_extents : MAX_EXTENTS);
}

int rf_sparse_layout_scan_seekable(struct rf_sparse_layout *l, rf_read_fn rd,
				   rf_seek_fn seek, void *ctx)
{
	int rc = scan(l, rd, seek, ctx, MAX_EXTENTS);
	if (rc != SCAN_NEEDS_DATA)
		return rc;
	/* A CRC32 chunk: verify it, which takes every byte. */
	rc = seek(ctx, 0);
	if (rc != RF_OK)
		return rf_errf(l->err, rc, "seeking in the image failed");
	return scan(l, rd, NULL, ctx, MAX_EXTENTS);
}
