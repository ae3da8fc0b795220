/* CRC32 over data the sparse scan never holds in memory.
 *
 * DONT_CARE and FILL chunks can describe gigabytes; their CRC is computed
 * algebraically (GF(2) polynomial arithmetic, reflected representation where
 * bit 31 is x^0) instead of feeding that many bytes through the CRC.  A
 * stock system.img has tens of thousands of chunks, so this arithmetic is
 * table driven: the scan is on the critical path of verifying a ROM. */
#include "sparse_int.h"

#include <isa-l/crc.h>
#include <pthread.h>

#define CRC_POLY 0xedb88320u

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
uint32_t sp_gf_mul(uint32_t a, uint32_t b)
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
uint32_t sp_x8n(uint64_t n)
{
	uint32_t p = 0x80000000u;

	for (int k = 0; n; k++, n >>= 1)
		if (n & 1)
			p = sp_gf_mul(p, x8pow[k]);
	return p;
}

/* CRC of A||B from crc(A), crc(B) and len(B). */
static uint32_t crc_combine(uint32_t ca, uint32_t cb, uint64_t lenb)
{
	return sp_gf_mul(sp_x8n(lenb), ca) ^ cb;
}

/* The fill cache holds the last FILL pattern seen, as far as it was
 * needed, and the CRC of all FILL_LEN bytes of it once a long FILL needed
 * that: consecutive FILLs of one pattern (nearly always zeros) reuse it,
 * and a new pattern costs only the bytes its chunk covers (img2simg writes
 * thousands of one-block FILLs, not always of one pattern).  One-block
 * FILLs (most of them) are plain crc32 calls, longer ones go algebraic. */
static void fill_upto(struct sp_fill_cache *fc, uint32_t pat, size_t n)
{
	if (fc->pat != pat) {
		fc->filled = 0;
		fc->unit_valid = 0;
		fc->pat = pat;
	}
	for (; fc->filled < n; fc->filled += 4)
		sp_put32(fc->buf + fc->filled, pat);
}

/* crc continued over `len` bytes (a multiple of 4) of the pattern `fill`. */
uint32_t sp_crc_fill(uint32_t crc, uint32_t fill, uint64_t len,
		     struct sp_fill_cache *fc)
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
void sp_crc_init(void)
{
	pthread_once(&crc_once, crc_tables_init);
}
