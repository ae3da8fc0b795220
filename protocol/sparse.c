/* Android sparse images: layout scan, split into pieces, piece emission.
 * See sparse.h for the model.  Everything streams through one fixed buffer
 * so a multi-gigabyte image never sits in memory. */
#include "sparse.h"

#include <isa-l/crc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Overridable (a multiple of 4) so the fuzzer can run with small buffers,
 * which also exercises the buffer-boundary paths. */
#ifndef SPARSE_BUF_LEN
#define SPARSE_BUF_LEN (1u << 20)
#endif
#define BUF_LEN ((size_t)SPARSE_BUF_LEN)
/* Bounds that keep arithmetic and memory sane on hostile input; real cancro
 * images use 4 KiB blocks and a few thousand chunks. */
#define MAX_EXTENTS (4u << 20)
#define MAX_BLK_SZ (64u << 20)
#define MAX_OUT_BYTES (1ULL << 42)
/* A piece is one fastboot download, whose size is a 32-bit field; keeping
 * pieces below 4 GiB also keeps every RAW chunk's total_sz in range. */
#define MAX_PIECE_BYTES 0xffffffffULL
#define CRC_POLY 0xedb88320u

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* --- CRC32 over data we never hold in memory ------------------------------
 * DONT_CARE and FILL chunks can describe gigabytes; their CRC is computed
 * algebraically (GF(2) polynomial arithmetic, reflected representation where
 * bit 31 is x^0) instead of feeding that many bytes through the CRC.  A
 * stock system.img has tens of thousands of chunks, so this arithmetic is
 * table driven: the scan is on the critical path of verifying a ROM. */

/* Size of the pattern buffer FILL chunks are CRC'd from: one-block FILLs
 * (most of them) are plain crc32 calls, longer ones go algebraic. */
#define FILL_LEN (BUF_LEN < 65536 ? BUF_LEN : (size_t)65536)

static uint32_t crc_tab[256];  /* crc_tab[i] = i(x)·x^8 mod P (i: x^31 at bit 0) */
static uint32_t x8pow[64];     /* x8pow[k] = x^(8·2^k) mod P */
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/* The bit-serial product: slow, only used to build the tables. */
static uint32_t gf_mul_slow(uint32_t a, uint32_t b)
{
	uint32_t p = 0;
	for (int i = 0; i < 32; i++) {
		if (a & (0x80000000u >> i))
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ CRC_POLY : b >> 1;
	}
	return p;
}

static void crc_tables_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC_POLY : c >> 1;
		crc_tab[i] = c;
	}
	x8pow[0] = 0x80000000u >> 8;
	for (int k = 1; k < 64; k++)
		x8pow[k] = gf_mul_slow(x8pow[k - 1], x8pow[k - 1]);
}

/* a·b mod P.  The 63-bit carry-less product is built a nibble of `a` at a
 * time (bits 63..32 of `p` hold x^0..x^31, bits 31..0 x^32..x^62), then its
 * high half is reduced a byte at a time with the CRC table, exactly as a
 * table-driven CRC shifts four zero bytes through its register. */
static uint32_t gf_mul(uint32_t a, uint32_t b)
{
	uint64_t w[16], p = 0;
	uint32_t lo;

	w[0] = 0;
	w[8] = (uint64_t)b << 32; /* nibble bit 3 is that nibble's x^0 */
	w[4] = w[8] >> 1;
	w[2] = w[8] >> 2;
	w[1] = w[8] >> 3;
	for (unsigned v = 3; v < 16; v++)
		if (v & (v - 1))
			w[v] = w[v & (v - 1)] ^ w[v & (0u - v)];
	for (unsigned k = 0; k < 8; k++)
		p ^= w[(a >> (28 - 4 * k)) & 15] >> (4 * k);
	lo = (uint32_t)p;
	for (int k = 0; k < 4; k++)
		lo = crc_tab[lo & 0xff] ^ (lo >> 8);
	return (uint32_t)(p >> 32) ^ lo;
}

/* x^(8n) mod P: one product per set bit of n. */
static uint32_t x8n(uint64_t n)
{
	uint32_t p = 0x80000000u;

	for (int k = 0; n; k++, n >>= 1)
		if (n & 1)
			p = gf_mul(p, x8pow[k]);
	return p;
}

/* CRC of A||B from crc(A), crc(B) and len(B). */
static uint32_t crc_combine(uint32_t ca, uint32_t cb, uint64_t lenb)
{
	return gf_mul(x8n(lenb), ca) ^ cb;
}

/* A buffer holding the last FILL pattern seen, as far as it was needed,
 * and the CRC of all FILL_LEN bytes of it once a long FILL needed that:
 * consecutive FILLs of one pattern (nearly always zeros) reuse it, and a
 * new pattern costs only the bytes its chunk covers (img2simg writes
 * thousands of one-block FILLs, not always of one pattern). */
struct fill_cache {
	uint8_t *buf;  /* FILL_LEN bytes */
	uint32_t pat;
	size_t filled; /* bytes of buf holding pat */
	int unit_valid;
	uint32_t unit_crc;
};

static void fill_upto(struct fill_cache *fc, uint32_t pat, size_t n)
{
	if (fc->pat != pat) {
		fc->filled = 0;
		fc->unit_valid = 0;
		fc->pat = pat;
	}
	for (; fc->filled < n; fc->filled += 4)
		put32(fc->buf + fc->filled, pat);
}

/* crc continued over `len` bytes (a multiple of 4) of the pattern `fill`. */
static uint32_t crc_fill(uint32_t crc, uint32_t fill, uint64_t len,
			 struct fill_cache *fc)
{
	uint32_t acc = 0, pw;
	uint64_t q, powlen, rest;

	if (!len)
		return crc;
	if (len <= FILL_LEN) {
		fill_upto(fc, fill, (size_t)len);
		return crc32_gzip_refl(crc, fc->buf, len);
	}
	fill_upto(fc, fill, FILL_LEN);
	if (!fc->unit_valid) {
		fc->unit_crc = crc32_gzip_refl(0, fc->buf, FILL_LEN);
		fc->unit_valid = 1;
	}
	/* crc(unit^q) by doubling, then the tail directly */
	q = len / FILL_LEN;
	rest = len % FILL_LEN;
	pw = fc->unit_crc;
	powlen = FILL_LEN;
	while (q) {
		if (q & 1)
			acc = crc_combine(acc, pw, powlen);
		q >>= 1;
		if (q) {
			pw = crc_combine(pw, pw, powlen);
			powlen *= 2;
		}
	}
	crc = crc_combine(crc, acc, len - rest);
	return crc32_gzip_refl(crc, fc->buf, rest);
}

/* --- reading ---------------------------------------------------------------- */

/* Read up to len bytes, looping over short reads; *got < len means EOF. */
static int read_full(rf_read_fn rd, void *ctx, void *buf, size_t len,
		     size_t *got)
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
	return len >= 4 && get32(head) == RF_SPARSE_MAGIC;
}

static void layout_init(struct rf_sparse_layout *l)
{
	memset(l, 0, sizeof(*l));
}

void rf_sparse_layout_free(struct rf_sparse_layout *l)
{
	if (!l)
		return;
	free(l->ext);
	l->ext = NULL;
	l->n = l->cap = 0;
}

static int add_extent(struct rf_sparse_layout *l, uint16_t type,
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
		if (ncap > MAX_EXTENTS)
			ncap = MAX_EXTENTS;
		if (l->n >= ncap)
			return rf_errf(l->err, RF_EFORMAT,
				       "sparse image has more than %u chunks",
				       MAX_EXTENTS);
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

	layout_init(l);
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
	return add_extent(l, RF_SPARSE_CHUNK_RAW, 0, (uint32_t)nblk, 0, 0);
}

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
	struct fill_cache fill;
	uint8_t *buf;
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

	sc->reg = gf_mul(x8n(sc->zeros + sc->seg_len), sc->reg) ^ rseg;
	sc->reg_skip = gf_mul(x8n(sc->seg_len), sc->reg_skip) ^ rseg;
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
		int rc = read_full(sc->rd, sc->ctx, p, want, &got);

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

static int scan_chunk(struct scan *sc, uint32_t idx, uint32_t chunk_hdr_sz,
		      uint32_t *cur_blk, int *eof_at_start)
{
	struct rf_sparse_layout *l = sc->l;
	uint64_t off = sc->pos;
	uint8_t h[RF_SPARSE_CHUNK_HEADER_LEN], word[4];
	uint16_t type;
	uint32_t chunk_sz, total_sz;
	uint64_t data_sz, want_sz, start = *cur_blk;
	int short_read, rc;

	*eof_at_start = 0;
	rc = scan_read(sc, h, sizeof(h), 0, &short_read);
	if (short_read) {
		if (sc->pos == off) {
			*eof_at_start = 1;
			return RF_EFORMAT;
		}
		goto past_end;
	}
	if (rc != RF_OK)
		return rc;
	/* Larger chunk headers are allowed (libsparse skips the extra). */
	rc = scan_read(sc, NULL, chunk_hdr_sz - sizeof(h), 0, &short_read);
	if (short_read)
		goto past_end;
	if (rc != RF_OK)
		return rc;
	type = get16(h);
	chunk_sz = get32(h + 4);
	total_sz = get32(h + 8);
	if (total_sz < chunk_hdr_sz)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx: total size %u is "
			       "smaller than its header", idx,
			       (unsigned long long)off, total_sz);
	data_sz = total_sz - chunk_hdr_sz;
	switch (type) {
	case RF_SPARSE_CHUNK_RAW:
		want_sz = (uint64_t)chunk_sz * l->blk_sz;
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
			       "0x%04x", idx, (unsigned long long)off, type);
	}
	if (data_sz != want_sz)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx (type 0x%04x, %u "
			       "blocks): total size %u, expected %llu", idx,
			       (unsigned long long)off, type, chunk_sz,
			       total_sz,
			       (unsigned long long)(want_sz + chunk_hdr_sz));
	if (type == RF_SPARSE_CHUNK_CRC32) {
		uint32_t have, have_skip;
		if (chunk_sz != 0)
			return rf_errf(l->err, RF_EFORMAT,
				       "chunk %u at offset 0x%llx: CRC32 chunk "
				       "claims %u blocks", idx,
				       (unsigned long long)off, chunk_sz);
		rc = scan_read(sc, word, 4, 0, &short_read);
		if (short_read)
			goto past_end;
		if (rc != RF_OK)
			return rc;
		if (sc->skipped)
			return SCAN_NEEDS_DATA;
		scan_crc_fold(sc);
		have = ~sc->reg;
		have_skip = ~sc->reg_skip;
		if (get32(word) != have && get32(word) != have_skip)
			return rf_errf(l->err, RF_EFORMAT,
				       "chunk %u at offset 0x%llx: CRC32 "
				       "mismatch (image says 0x%08x, data "
				       "gives 0x%08x)", idx,
				       (unsigned long long)off, get32(word),
				       have);
		return RF_OK;
	}
	if (start + chunk_sz > l->total_blks)
		return rf_errf(l->err, RF_EFORMAT,
			       "chunk %u at offset 0x%llx writes blocks "
			       "%llu..%llu, past the image end (%u blocks)",
			       idx, (unsigned long long)off,
			       (unsigned long long)start,
			       (unsigned long long)(start + chunk_sz),
			       l->total_blks);
	switch (type) {
	case RF_SPARSE_CHUNK_RAW:
		rc = add_extent(l, type, (uint32_t)start, chunk_sz, sc->pos, 0);
		if (rc != RF_OK)
			return rc;
		if (sc->seek) {
			/* the data is only needed for a CRC32 chunk, which
			 * img2simg and AOSP's tools do not write */
			rc = sc->seek(sc->ctx, sc->pos + data_sz);
			if (rc == RF_EFORMAT)
				goto past_end;
			if (rc != RF_OK)
				return rf_errf(l->err, rc, "seeking in the image failed");
			sc->pos += data_sz;
			sc->skipped = 1;
			break;
		}
		rc = scan_read(sc, NULL, data_sz, 1, &short_read);
		if (short_read)
			goto past_end;
		if (rc != RF_OK)
			return rc;
		sc->seg_len += data_sz;
		break;
	case RF_SPARSE_CHUNK_FILL:
		rc = scan_read(sc, word, 4, 0, &short_read);
		if (short_read)
			goto past_end;
		if (rc != RF_OK)
			return rc;
		rc = add_extent(l, type, (uint32_t)start, chunk_sz, 0,
				get32(word));
		if (rc != RF_OK)
			return rc;
		{
			uint64_t n = (uint64_t)chunk_sz * l->blk_sz;
			sc->seg = crc_fill(sc->seg, get32(word), n, &sc->fill);
			sc->seg_len += n;
		}
		break;
	default: /* DONT_CARE */
		rc = add_extent(l, type, (uint32_t)start, chunk_sz, 0, 0);
		if (rc != RF_OK)
			return rc;
		if (sc->seg_len)
			scan_crc_fold(sc);
		sc->zeros += (uint64_t)chunk_sz * l->blk_sz;
		break;
	}
	*cur_blk = (uint32_t)(start + chunk_sz);
	return RF_OK;
past_end:
	return rf_errf(l->err, RF_EFORMAT,
		       "chunk %u at offset 0x%llx runs past the end of the "
		       "file (0x%llx)", idx, (unsigned long long)off,
		       (unsigned long long)sc->pos);
}

static int scan(struct rf_sparse_layout *l, rf_read_fn rd, rf_seek_fn seek,
		void *ctx);

int rf_sparse_layout_scan(struct rf_sparse_layout *l, rf_read_fn rd,
			  void *ctx)
{
	return scan(l, rd, NULL, ctx);
}

int rf_sparse_layout_scan_seekable(struct rf_sparse_layout *l, rf_read_fn rd,
				   rf_seek_fn seek, void *ctx)
{
	int rc = scan(l, rd, seek, ctx);
	if (rc != SCAN_NEEDS_DATA)
		return rc;
	/* A CRC32 chunk: verify it, which takes every byte. */
	rc = seek(ctx, 0);
	if (rc != RF_OK)
		return rf_errf(l->err, rc, "seeking in the image failed");
	return scan(l, rd, NULL, ctx);
}

static int scan(struct rf_sparse_layout *l, rf_read_fn rd, rf_seek_fn seek,
		void *ctx)
{
	struct scan sc = { .l = l, .rd = rd, .ctx = ctx, .seek = seek };
	uint8_t h[RF_SPARSE_HEADER_LEN];
	uint32_t file_hdr_sz, chunk_hdr_sz, total_chunks, cur_blk = 0, i;
	int rc, short_read, eof;
	uint8_t extra;

	layout_init(l);
	pthread_once(&crc_once, crc_tables_init);
	scan_crc_init(&sc);
	sc.buf = malloc(BUF_LEN);
	sc.fill.buf = malloc(FILL_LEN);
	if (!sc.buf || !sc.fill.buf) {
		rc = rf_errf(l->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	rc = scan_read(&sc, h, sizeof(h), 0, &short_read);
	if (short_read) {
		if (sc.pos >= 4 && !rf_sparse_is_sparse(h, 4))
			rc = rf_errf(l->err, RF_EFORMAT,
				     "not a sparse image (bad magic)");
		else
			rc = rf_errf(l->err, RF_EFORMAT,
				     "file too short for a sparse header "
				     "(%llu bytes)",
				     (unsigned long long)sc.pos);
		goto out;
	}
	if (rc != RF_OK)
		goto out;
	rc = RF_EFORMAT;
	if (!rf_sparse_is_sparse(h, sizeof(h))) {
		rf_errf(l->err, rc, "not a sparse image (magic 0x%08x)",
			get32(h));
		goto out;
	}
	/* Minor versions are compatible additions (libsparse ignores it). */
	if (get16(h + 4) != 1) {
		rf_errf(l->err, rc, "unsupported sparse format version %u.%u",
			get16(h + 4), get16(h + 6));
		goto out;
	}
	file_hdr_sz = get16(h + 8);
	chunk_hdr_sz = get16(h + 10);
	l->blk_sz = get32(h + 12);
	l->total_blks = get32(h + 16);
	total_chunks = get32(h + 20);
	if (file_hdr_sz < RF_SPARSE_HEADER_LEN ||
	    chunk_hdr_sz < RF_SPARSE_CHUNK_HEADER_LEN) {
		rf_errf(l->err, rc, "bad sparse header sizes (file %u, chunk "
			"%u)", file_hdr_sz, chunk_hdr_sz);
		goto out;
	}
	if (l->blk_sz == 0 || l->blk_sz % 4 || l->blk_sz > MAX_BLK_SZ) {
		rf_errf(l->err, rc, "bad sparse block size %u", l->blk_sz);
		goto out;
	}
	l->out_bytes = (uint64_t)l->total_blks * l->blk_sz;
	if (l->out_bytes > MAX_OUT_BYTES) {
		rf_errf(l->err, rc, "sparse image output of %llu bytes is "
			"absurdly large", (unsigned long long)l->out_bytes);
		goto out;
	}
	rc = scan_read(&sc, NULL, file_hdr_sz - RF_SPARSE_HEADER_LEN, 0,
		       &short_read);
	if (short_read) {
		rc = rf_errf(l->err, RF_EFORMAT,
			     "file too short for its sparse header");
		goto out;
	}
	if (rc != RF_OK)
		goto out;
	for (i = 0; i < total_chunks; i++) {
		rc = scan_chunk(&sc, i, chunk_hdr_sz, &cur_blk, &eof);
		if (rc == SCAN_NEEDS_DATA)
			goto out;
		if (eof) {
			rc = rf_errf(l->err, RF_EFORMAT,
				     "image ends after %u chunks, header "
				     "says %u", i, total_chunks);
			goto out;
		}
		if (rc != RF_OK)
			goto out;
	}
	rc = RF_EFORMAT;
	if (cur_blk != l->total_blks) {
		rf_errf(l->err, rc, "chunks cover %u blocks, header says %u",
			cur_blk, l->total_blks);
		goto out;
	}
	rc = scan_read(&sc, &extra, 1, 0, &short_read);
	if (!short_read && rc == RF_OK) {
		rc = rf_errf(l->err, RF_EFORMAT,
			     "trailing data after the last chunk at offset "
			     "0x%llx", (unsigned long long)sc.pos - 1);
		goto out;
	}
	if (!short_read)
		goto out;
	rc = RF_OK;
	l->is_sparse = 1;
	l->in_bytes = sc.pos;
out:
	free(sc.buf);
	free(sc.fill.buf);
	if (rc != RF_OK)
		rf_sparse_layout_free(l);
	return rc;
}

/* --- split ------------------------------------------------------------------ */

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

	put16(h, type);
	put16(h + 2, 0);
	put32(h + 4, nblk);
	put32(h + 8, RF_SPARSE_CHUNK_HEADER_LEN + data_sz);
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

int rf_sparse_emit_piece(struct rf_sparse_layout *l,
			 const struct rf_sparse_split *s, size_t i,
			 rf_read_fn rd, void *rctx, uint64_t *pos,
			 rf_write_fn wr, void *wctx)
{
	struct emit em = { .l = l, .rd = rd, .rctx = rctx, .pos = pos,
			   .wr = wr, .wctx = wctx };
	const struct rf_sparse_piece *p;
	uint8_t h[RF_SPARSE_HEADER_LEN];
	uint32_t nchunks;
	uint64_t bs = l->blk_sz;
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

	nchunks = (uint32_t)p->count + (p->blk_start > 0) +
		  (p->blk_end < l->total_blks);
	put32(h, RF_SPARSE_MAGIC);
	put16(h + 4, 1);
	put16(h + 6, 0);
	put16(h + 8, RF_SPARSE_HEADER_LEN);
	put16(h + 10, RF_SPARSE_CHUNK_HEADER_LEN);
	put32(h + 12, l->blk_sz);
	put32(h + 16, l->total_blks);
	put32(h + 20, nchunks);
	put32(h + 24, 0);
	if ((rc = em_put(&em, h, sizeof(h))) != RF_OK)
		goto out;
	if (p->blk_start > 0 &&
	    (rc = em_chunk(&em, RF_SPARSE_CHUNK_DONT_CARE, p->blk_start, 0)))
		goto out;
	for (size_t j = p->first; j < p->first + p->count; j++) {
		const struct rf_sparse_extent *e = &l->ext[j];
		uint32_t a = e->out_blk, b = e->out_blk + e->nblk;
		uint8_t word[4];

		if (a < p->blk_start)
			a = p->blk_start;
		if (b > p->blk_end)
			b = p->blk_end;
		if (a >= b) {
			rc = rf_errf(l->err, RF_EINVAL, "sparse piece %zu "
				     "has an empty extent", i);
			goto out;
		}
		switch (e->type) {
		case RF_SPARSE_CHUNK_RAW: {
			uint64_t src = e->src_off + (uint64_t)(a - e->out_blk) * bs;
			uint64_t len = (uint64_t)(b - a) * bs, avail = len;

			if (len + RF_SPARSE_CHUNK_HEADER_LEN > UINT32_MAX) {
				rc = rf_errf(l->err, RF_EINVAL, "sparse piece "
					     "%zu has a RAW chunk over 4 GiB",
					     i);
				goto out;
			}
			/* A raw image's last block is padded with zeros. */
			if (!l->is_sparse)
				avail = src >= l->in_bytes ? 0 :
					l->in_bytes - src < len ?
					l->in_bytes - src : len;
			if ((rc = em_chunk(&em, e->type, b - a,
					   (uint32_t)len)) ||
			    (rc = em_copy(&em, src, avail)) ||
			    (rc = em_zeros(&em, len - avail)))
				goto out;
			break;
		}
		case RF_SPARSE_CHUNK_FILL:
			put32(word, e->fill);
			if ((rc = em_chunk(&em, e->type, b - a, 4)) ||
			    (rc = em_put(&em, word, 4)))
				goto out;
			break;
		default:
			if ((rc = em_chunk(&em, RF_SPARSE_CHUNK_DONT_CARE,
					   b - a, 0)))
				goto out;
			break;
		}
	}
	if (p->blk_end < l->total_blks &&
	    (rc = em_chunk(&em, RF_SPARSE_CHUNK_DONT_CARE,
			   l->total_blks - p->blk_end, 0)))
		goto out;
	if ((rc = em_flush(&em)) != RF_OK)
		goto out;
	if (em.written != p->bytes)
		rc = rf_errf(l->err, RF_EINVAL, "sparse piece %zu came out as "
			     "%llu bytes, expected %llu", i,
			     (unsigned long long)em.written,
			     (unsigned long long)p->bytes);
out:
	free(em.buf);
	return rc;
}
