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

#include "inflate.h"
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

/* Feed the next n bytes of the file (at `off`) to the signature digest
 * and the block CRCs; pieces need not be block-aligned. */
static int digest(struct sig_ctx *s, struct rf_zip_verified *v,
		  const unsigned char *buf, size_t n, uint64_t off)
{
	if (v->sig == RF_ZIP_SIGNED && off < s->signed_len) {
		size_t k = s->signed_len - off < n ? (size_t)(s->signed_len - off) : n;
		if (BIO_write(s->chain, buf, (int)k) != (int)k)
			return -1;
	}
	while (n > 0) {
		uint64_t b = off / RF_ZIP_BLOCK;
		size_t in = (size_t)(off % RF_ZIP_BLOCK);
		size_t k = RF_ZIP_BLOCK - in < n ? RF_ZIP_BLOCK - in : n;
		v->crc[b] = crc32_gzip_refl(in ? v->crc[b] : 0, buf, (uint64_t)k);
		buf += k;
		off += k;
		n -= k;
	}
	return 0;
}

/* The file opened again by name must be the one rf_zip_open checked. */
static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* One read of the file: inflate.c's reader (pass-through) reads and hashes
 * MD5 on its own thread, ahead; here the signature digest and the block
 * CRCs -- two cores, each about half the work. */
int rf_zip_verify(struct rf_zip *z, const char *path,
		  const struct rf_zip_verify_opts *o, struct rf_zip_verified *v)
{
	struct sig_ctx s;
	struct rf_gzr *g = NULL;
	uint64_t off = 0;
	int rc;

	memset(&s, 0, sizeof s);
	memset(v, 0, sizeof *v);
	v->nblocks = (z->size + RF_ZIP_BLOCK - 1) / RF_ZIP_BLOCK;
	v->crc = calloc((size_t)v->nblocks + 1, sizeof *v->crc);
	if (!v->crc) {
		rc = rf_errf(z->err, RF_ENOMEM, "out of memory");
		goto out;
	}
	rc = sig_open(z, &s, v);
	if (!rc)
		rc = rf_gzr_open(&g, path, 0, z->err);
	if (!rc && !same_file(rf_gzr_stat(g), &z->st))
		rc = rf_errf(z->err, RF_EFORMAT, "%s changed while it was being "
			     "checked", path);
	if (!rc && o && o->stop)
		rf_gzr_set_cancel(g, o->stop);
	while (!rc) {
		const void *p;
		size_t n;
		rc = rf_gzr_next(g, &p, &n);
		if (rc || n == 0)
			break;
		if (off + n > z->size || digest(&s, v, p, n, off)) {
			rc = rf_errf(z->err, RF_EFORMAT, "%s changed while it was "
				     "being checked", path);
			break;
		}
		off += n;
		if (o && o->progress)
			o->progress(o->progress_user, off, z->size);
	}
	if (rc && g && rf_gzr_err(g)[0])
		rf_errf(z->err, rc, "%s", rf_gzr_err(g));
	if (!rc && (rc = rf_gzr_finish(g, v->md5)))
		rf_errf(z->err, rc, "%s", rf_gzr_err(g));
	if (!rc && off != z->size)
		rc = rf_errf(z->err, RF_EFORMAT, "%s changed while it was being "
			     "checked", path);
	if (!rc)
		sig_finish(&s, v);
out:
	rf_gzr_close(g);
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
