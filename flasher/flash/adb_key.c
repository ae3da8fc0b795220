/* The user's adb key.  See adb_key.h. */
#include "adb_key.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "rf_str.h"

static int ssl_err(char *err, int code, const char *what, const char *path)
{
	return rf_errf(err, code, "%s%s%s: libcrypto failed", what,
		       path ? " " : "", path ? path : "");
}

int rf_adb_key_path(char *out, size_t cap, char *err)
{
	const char *dir = getenv("ANDROID_USER_HOME");
	const char *home = getenv("HOME");
	int n;

	if (dir && *dir) {
		n = snprintf(out, cap, "%s/adbkey", dir);
	} else {
		if (!home || !*home) {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || !*home)
			return rf_errf(err, RF_EINVAL, "no home folder for the "
				       "adb key: set HOME or ANDROID_USER_HOME");
		n = snprintf(out, cap, "%s/.android/adbkey", home);
	}
	if (n < 0 || (size_t)n >= cap)
		return rf_errf(err, RF_EINVAL, "adb key path too long");
	return RF_OK;
}

/* n0inv = -1/n mod 2^32 and rr = (2^2048)^2 mod n, as adb's verifier
 * wants them precomputed; everything little-endian. */
int rf_adb_key_encode_public(void *pkey, unsigned char out[RF_ADB_PUBKEY_LEN],
			     char *err)
{
	BIGNUM *n = NULL, *e = NULL, *r32 = BN_new(), *n0inv = BN_new();
	BIGNUM *rr = BN_new(), *tmp = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	int rc = RF_EFORMAT;

	if (!r32 || !n0inv || !rr || !tmp || !ctx ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
		ssl_err(err, rc, "reading the adb key", NULL);
		goto out;
	}
	if (BN_num_bits(n) != 2048 || BN_num_bits(e) > 32) {
		rf_errf(err, rc, "the adb key is not RSA-2048 (%d bits)",
			BN_num_bits(n));
		goto out;
	}
	if (!BN_set_bit(r32, 32) || !BN_nnmod(tmp, n, r32, ctx) ||
	    !BN_mod_inverse(n0inv, tmp, r32, ctx) ||
	    !BN_sub(n0inv, r32, n0inv) ||
	    !BN_set_bit(rr, 4096) || !BN_mod(rr, rr, n, ctx)) {
		ssl_err(err, rc, "computing the adb public key", NULL);
		goto out;
	}
	uint32_t w = RF_ADB_PUBKEY_WORDS, inv = (uint32_t)BN_get_word(n0inv);
	uint32_t ex = (uint32_t)BN_get_word(e);
	for (int i = 0; i < 4; i++) {
		out[i] = (unsigned char)(w >> (8 * i));
		out[4 + i] = (unsigned char)(inv >> (8 * i));
		out[520 + i] = (unsigned char)(ex >> (8 * i));
	}
	if (BN_bn2lebinpad(n, out + 8, 256) != 256 ||
	    BN_bn2lebinpad(rr, out + 264, 256) != 256) {
		ssl_err(err, rc, "encoding the adb public key", NULL);
		goto out;
	}
	rc = RF_OK;
out:
	BN_free(n);
	BN_free(e);
	BN_free(r32);
	BN_free(n0inv);
	BN_free(rr);
	BN_free(tmp);
	BN_CTX_free(ctx);
	return rc;
}

/* "BASE64 user@host", as in adbkey.pub. */
static int public_line(struct rf_adb_key *k, char *err)
{
	unsigned char raw[RF_ADB_PUBKEY_LEN];
	char b64[4 * ((RF_ADB_PUBKEY_LEN + 2) / 3) + 1], host[256] = "unknown";
	const char *user = getenv("USER");
	struct passwd *pw;
	int rc = rf_adb_key_encode_public(k->pkey, raw, err);

	if (rc)
		return rc;
	EVP_EncodeBlock((unsigned char *)b64, raw, RF_ADB_PUBKEY_LEN);
	if (!user || !*user)
		user = (pw = getpwuid(getuid())) ? pw->pw_name : "unknown";
	gethostname(host, sizeof host - 1);
	size_t n = strlen(b64) + strlen(user) + strlen(host) + 3;
	k->public_line = malloc(n);
	if (!k->public_line)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	snprintf(k->public_line, n, "%s %s@%s", b64, user, host);
	return RF_OK;
}

/* Write `data` to `path` through a temporary name (mode 0600 for the
 * private key), so a reader never sees half a key.  Without `replace`,
 * RF_EBUSY when `path` exists already. */
static int write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, int replace, char *err)
{
	char tmp[4200];
	int fd, rc = RF_OK;

	snprintf(tmp, sizeof tmp, "%s.romflash-%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		rc = rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
	if (close(fd) < 0 && !rc)
		rc = rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
	/* link(): never replace a key another adb made meanwhile */
	if (!rc && (replace ? rename(tmp, path) : link(tmp, path)) < 0)
		rc = errno == EEXIST ? RF_EBUSY :
			rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
	unlink(tmp);
	return rc;
}

static int create_key(struct rf_adb_key *k, char *err)
{
	char dir[4096], *slash;
	BIO *b = NULL;
	char *pem;
	long len;
	int rc;

	rf_strlcpy(dir, k->path, sizeof dir);
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return rf_errf(err, RF_ESYS, "%s: %s", dir,
				       strerror(errno));
	}
	k->pkey = EVP_RSA_gen(2048);
	if (!k->pkey)
		return ssl_err(err, RF_ENOMEM, "making an adb key", NULL);
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey(b, k->pkey, NULL, NULL, 0, NULL,
					    NULL) ||
	    (len = BIO_get_mem_data(b, &pem)) <= 0) {
		BIO_free(b);
		return ssl_err(err, RF_ENOMEM, "writing", k->path);
	}
	rc = write_atomic(k->path, pem, (size_t)len, 0600, 0, err);
	BIO_free(b);
	if (!rc)
		rc = public_line(k, err);
	if (!rc) {
		char pub[4200];
		snprintf(pub, sizeof pub, "%s.pub", k->path);
		/* a .pub without its key is stale: replaced */
		rc = write_atomic(pub, k->public_line,
				  strlen(k->public_line), 0644, 1, err);
	}
	k->created = !rc;
	return rc;
}

int rf_adb_key_load(struct rf_adb_key *k, char *err)
{
	FILE *f;
	int rc;

	memset(k, 0, sizeof *k);
	rc = rf_adb_key_path(k->path, sizeof k->path, err);
	if (rc)
		return rc;
	f = fopen(k->path, "re");
	if (!f && errno == ENOENT) {
		rc = create_key(k, err);
		if (rc != RF_EBUSY)
			goto out;
		/* another adb made one in between: use that one */
		rf_adb_key_free(k);
		k->created = 0;
		f = fopen(k->path, "re");
	}
	if (!f)
		return rf_errf(err, RF_ESYS, "%s: %s", k->path, strerror(errno));
	k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k->pkey || EVP_PKEY_get_base_id(k->pkey) != EVP_PKEY_RSA) {
		rc = rf_errf(err, RF_EFORMAT, "%s: not an RSA private key in "
			     "PEM form", k->path);
		goto out;
	}
	rc = public_line(k, err);
out:
	if (rc)
		rf_adb_key_free(k);
	return rc;
}

void rf_adb_key_free(struct rf_adb_key *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->public_line);
	k->pkey = NULL;
	k->public_line = NULL;
}

int rf_adb_key_sign(void *user, const unsigned char *token, size_t len,
		    unsigned char *sig, size_t cap, size_t *siglen, char *err)
{
	struct rf_adb_key *k = user;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
	size_t n = cap;
	int ok = c && EVP_PKEY_sign_init(c) > 0 &&
		 EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
		 EVP_PKEY_CTX_set_signature_md(c, EVP_sha1()) > 0 &&
		 EVP_PKEY_sign(c, sig, &n, token, len) > 0;

	EVP_PKEY_CTX_free(c);
	if (!ok)
		return ssl_err(err, RF_EINVAL, "signing the AUTH token with",
			       k->path);
	*siglen = n;
	return RF_OK;
}

int rf_adb_key_fingerprint(const struct rf_adb_key *k, char out[48], char *err)
{
	unsigned char raw[RF_ADB_PUBKEY_LEN], md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = rf_adb_key_encode_public(k->pkey, raw, err);

	if (rc)
		return rc;
	if (!EVP_Digest(raw, sizeof raw, md, &n, EVP_md5(), NULL) || n != 16)
		return ssl_err(err, RF_EINVAL, "fingerprint of", k->path);
	size_t len = 0;
	for (unsigned i = 0; i < 16; i++)
		len += (size_t)snprintf(out + len, 48 - len, "%s%02X",
					i ? ":" : "", md[i]);
	return RF_OK;
}
