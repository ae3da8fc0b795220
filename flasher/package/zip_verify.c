/* One verification pass over a recovery zip.  See zip_verify.h. */
#include "zip_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "fanout.h"
#include "md5.h"
#include "rf_str.h"

#define FOOTER_LEN 6
#define MAX_OTACERT (64u << 10)

/* The signature as found in the comment, ready to digest the file. */
struct sig_ctx {
	PKCS7 *p7;
	X509 *signer;           /* not owned: inside p7, or ota */
	X509 *ota;              /* META-INF/com/android/otacert, owned */
	BIO *chain;             /* digest BIOs over a null sink */
	uint64_t signed_len;    /* bytes of the file it covers */
};

static void sig_free(struct sig_ctx *s)
{
	BIO_free_all(s->chain);
	PKCS7_free(s->p7);
	X509_free(s->ota);
	memset(s, 0, sizeof *s);
}

static X509 *read_otacert(struct rf_zip *z)
{
	const struct rf_zip_entry *e = rf_zip_find(z, RF_ZIP_OTACERT);
	char *pem = NULL;
	size_t len = 0;
	X509 *x = NULL;

	if (!e || rf_zip_read_entry(z, e, MAX_OTACERT, &pem, &len))
		return NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (b)
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	return x;
}

static void describe_signer(X509 *x, struct rf_zip_verified *v)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
				    XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ &
				    ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) > 0)
		snprintf(v->signer, sizeof v->signer, "%.*s", (int)len, p);
	BIO_free(b);
	if (X509_digest(x, EVP_sha256(), md, &n) && n >= 8) {
		size_t k = (size_t)snprintf(v->fingerprint, sizeof v->fingerprint,
					    "SHA-256 ");
		for (unsigned i = 0; i < 8; i++)
			k += (size_t)snprintf(v->fingerprint + k,
					      sizeof v->fingerprint - k, "%s%02x",
					      i ? ":" : "", md[i]);
		snprintf(v->fingerprint + k, sizeof v->fingerprint - k, ":...");
	}
}

/* Parse the footer and the PKCS#7 block.  Fills v->sig: UNSIGNED (no
 * footer) or BROKEN (v->why) when there is nothing to digest; on RF_OK with
 * v->sig == RF_ZIP_SIGNED the caller digests the file through s->chain. */
static int sig_open(struct rf_zip *z, struct sig_ctx *s,
		    struct rf_zip_verified *v)
{
	unsigned char f[FOOTER_LEN], *der = NULL;
	const unsigned char *p;
	size_t start, comment;

	v->sig = RF_ZIP_UNSIGNED;
	if (z->comment_len < FOOTER_LEN)
		return RF_OK;
	if (rf_zip_read_at(z, f, FOOTER_LEN, z->size - FOOTER_LEN, "the footer"))
		return RF_ESYS;
	if (f[2] != 0xff || f[3] != 0xff)
		return RF_OK;
	v->sig = RF_ZIP_SIG_BROKEN;
	start = (size_t)(f[0] | f[1] << 8);
	comment = (size_t)(f[4] | f[5] << 8);
	if (comment != z->comment_len || start <= FOOTER_LEN || start > comment) {
		snprintf(v->why, sizeof v->why, "its signature footer does not "
			 "match the zip comment (signature %zu, comment %zu of "
			 "%u bytes)", start, comment, z->comment_len);
		return RF_OK;
	}
	der = malloc(start - FOOTER_LEN);
	if (!der)
		return rf_errf(z->err, RF_ENOMEM, "out of memory");
	if (rf_zip_read_at(z, der, start - FOOTER_LEN, z->size - start,
			   "the signature")) {
		free(der);
		return RF_ESYS;
	}
	p = der;
	s->p7 = d2i_PKCS7(NULL, &p, (long)(start - FOOTER_LEN));
	free(der);
	if (!s->p7 || !PKCS7_type_is_signed(s->p7) || !PKCS7_is_detached(s->p7) ||
	    sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(s->p7)) != 1) {
		snprintf(v->why, sizeof v->why, "its signature block is not a "
			 "detached PKCS#7 signature with one signer");
		return RF_OK;
	}
	s->ota = read_otacert(z);
	STACK_OF(X509) *extra = sk_X509_new_null();
	if (extra && s->ota)
		sk_X509_push(extra, s->ota);
	STACK_OF(X509) *signers = PKCS7_get0_signers(s->p7, extra, 0);
	if (signers && sk_X509_num(signers) == 1)
		s->signer = sk_X509_value(signers, 0);
	sk_X509_free(signers);
	sk_X509_free(extra);
	if (!s->signer) {
		snprintf(v->why, sizeof v->why, "its signer's certificate is "
			 "neither in the signature nor in %s", RF_ZIP_OTACERT);
		return RF_OK;
	}
	describe_signer(s->signer, v);
	if (s->ota && X509_cmp(s->ota, s->signer))
		snprintf(v->warning, sizeof v->warning, "%s is not the signer's "
			 "certificate (a re-signed package?)", RF_ZIP_OTACERT);
	s->chain = PKCS7_dataDecode(s->p7, NULL, BIO_new(BIO_s_null()), NULL);
	if (!s->chain) {
		snprintf(v->why, sizeof v->why, "its signature uses a digest "
			 "this libcrypto does not know");
		return RF_OK;
	}
	s->signed_len = z->size - z->comment_len - 2;
	v->sig = RF_ZIP_SIGNED; /* provisionally: decided after the pass */
	return RF_OK;
}

static void sig_finish(struct sig_ctx *s, struct rf_zip_verified *v)
{
	PKCS7_SIGNER_INFO *si;
	if (v->sig != RF_ZIP_SIGNED)
		return;
	si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(s->p7), 0);
	if (PKCS7_signatureVerify(s->chain, s->p7, si, s->signer) != 1) {
		v->sig = RF_ZIP_SIG_BROKEN;
		snprintf(v->why, sizeof v->why, "its whole-file signature does "
			 "not match its content (damaged or altered after "
			 "signing)");
	}
}

/* The three checks of the pass, each a fan-out consumer on a thread of
 * its own over the same buffers (fanout.h): MD5 is the slowest (OpenSSL
 * does ~850 MB/s on one core and MD5 cannot be split), the signature
 * digest and the CRCs finish beside it. */

static int eat_md5(void *user, const unsigned char *buf, size_t n,
		   uint64_t off, char *err)
{
	(void)off;
	(void)err;
	rf_md5_update(user, buf, n);
	return RF_OK;
}

/* The signature's digest covers the file up to the comment's length. */
static int eat_sig(void *user, const unsigned char *buf, size_t n,
		   uint64_t off, char *err)
{
	struct sig_ctx *s = user;
	if (off >= s->signed_len)
		return RF_OK;
	size_t k = s->signed_len - off < n ? (size_t)(s->signed_len - off) : n;
	if (BIO_write(s->chain, buf, (int)k) != (int)k)
		return rf_errf(err, RF_ENOMEM, "digesting the signed bytes failed");
	return RF_OK;
}

/* A CRC-32 of every RF_ZIP_BLOCK block; pieces need not be aligned. */
static int eat_crc(void *user, const unsigned char *buf, size_t n,
		   uint64_t off, char *err)
{
	struct rf_zip_verified *v = user;
	(void)err;
	while (n > 0) {
		uint64_t b = off / RF_ZIP_BLOCK;
		size_t in = (size_t)(off % RF_ZIP_BLOCK);
		size_t k = RF_ZIP_BLOCK - in < n ? RF_ZIP_BLOCK - in : n;
		v->crc[b] = crc32_gzip_refl(in ? v->crc[b] : 0, buf, (uint64_t)k);
		buf += k;
		off += k;
		n -= k;
	}
	return RF_OK;
}

/* One read of the file (the descriptor rf_zip_open checked), MD5,
 * signature digest and block CRCs on three threads over the same buffers:
 * the pass costs the slowest check, not their sum. */
int rf_zip_verify(struct rf_zip *z, const char *path,
		  const struct rf_zip_verify_opts *o, struct rf_zip_verified *v)
{
	struct sig_ctx s;
	struct rf_md5 md5 = { 0 };
	struct rf_fanout_consumer c[3];
	struct rf_fanout_opts fo = { 0 };
	char why[RF_ERRLEN];
	size_t n = 0;
	int rc;

	memset(&s, 0, sizeof s);
	memset(v, 0, sizeof *v);
	v->nblocks = (z->size + RF_ZIP_BLOCK - 1) / RF_ZIP_BLOCK;
	v->crc = calloc((size_t)v->nblocks + 1, sizeof *v->crc);
	if (!v->crc || rf_md5_init(&md5)) {
		rc = rf_errf(z->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	rc = sig_open(z, &s, v);
	if (rc)
		goto out;
	c[n++] = (struct rf_fanout_consumer){ eat_md5, &md5 };
	c[n++] = (struct rf_fanout_consumer){ eat_crc, v };
	if (v->sig == RF_ZIP_SIGNED)
		c[n++] = (struct rf_fanout_consumer){ eat_sig, &s };
	if (o) {
		fo.stop = o->stop;
		fo.progress = o->progress;
		fo.progress_user = o->progress_user;
	}
	rc = rf_fanout_file(z->fd, z->size, c, n, &fo, why);
	if (rc == RF_EFORMAT)
		rf_errf(z->err, rc, "%s changed while it was being checked: %s",
			path, why);
	else if (rc)
		rf_errf(z->err, rc, "%s", why);
	if (!rc) {
		rf_md5_final(&md5, v->md5);
		sig_finish(&s, v);
	}
out:
	rf_md5_free(&md5);
	sig_free(&s);
	if (rc)
		rf_zip_verified_free(v);
	return rc;
}

void rf_zip_verified_free(struct rf_zip_verified *v)
{
	free(v->crc);
	v->crc = NULL;
	v->nblocks = 0;
}

/* ---- serving the verified bytes ----------------------------------------- */

/* Block `b` into dst (its full length), its CRC checked. */
static int verified_block(struct rf_zip_blocks *r, uint64_t b, void *dst,
			  char *err)
{
	uint64_t off = b * RF_ZIP_BLOCK;
	size_t len = r->z->size - off < RF_ZIP_BLOCK ?
		(size_t)(r->z->size - off) : RF_ZIP_BLOCK;

	if (b >= r->v->nblocks)
		return rf_errf(err, RF_EINVAL, "block %llu past the end",
			       (unsigned long long)b);
	if (rf_zip_read_at(r->z, dst, len, off, "a block of the zip"))
		return rf_errf(err, RF_ESYS, "%s", r->z->err);
	if (crc32_gzip_refl(0, dst, (uint64_t)len) != r->v->crc[b])
		return rf_errf(err, RF_EFORMAT, "the zip changed since it was "
			       "verified (block %llu differs): nothing more is "
			       "sent", (unsigned long long)b);
	return RF_OK;
}

int rf_zip_blocks_read(void *user, uint64_t off, void *buf, size_t len,
		       char *err)
{
	struct rf_zip_blocks *r = user;
	unsigned char *out = buf;

	if (off + len > r->z->size)
		return rf_errf(err, RF_EINVAL, "read past the end of the zip");
	while (len > 0) {
		uint64_t b = off / RF_ZIP_BLOCK;
		size_t in = (size_t)(off % RF_ZIP_BLOCK);
		size_t blen = r->z->size - b * RF_ZIP_BLOCK < RF_ZIP_BLOCK ?
			(size_t)(r->z->size - b * RF_ZIP_BLOCK) : RF_ZIP_BLOCK;
		size_t n = blen - in < len ? blen - in : len;
		int rc;
		if (in == 0 && n == blen) {
			/* a whole block: straight into the caller's buffer */
			rc = verified_block(r, b, out, err);
		} else {
			/* part of a block (legacy sideload's chunks): the
			 * block is read and checked once, then kept */
			if (!r->buf && !(r->buf = malloc(RF_ZIP_BLOCK)))
				return rf_errf(err, RF_ENOMEM, "out of memory");
			rc = r->have && r->cached == b ? RF_OK :
				verified_block(r, b, r->buf, err);
			r->have = !rc;
			r->cached = b;
			if (!rc)
				memcpy(out, r->buf + in, n);
		}
		if (rc)
			return rc;
		out += n;
		off += n;
		len -= n;
	}
	return RF_OK;
}

void rf_zip_blocks_free(struct rf_zip_blocks *r)
{
	free(r->buf);
	r->buf = NULL;
	r->have = 0;
}
