/* The emulated phone's adb AUTH: a token, signatures checked with RSA
 * against the trusted keys (adbkey.pub lines), an offered key accepted or
 * left waiting.  The key structure is decoded here from its description
 * (modulus size in words, n0inv, n and R^2 mod n little-endian, exponent)
 * and its precomputed values are checked, so a host that encodes them
 * wrongly is caught. */
#include "emu_adb_int.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define KEY_WORDS 64
#define KEY_LEN 524
#define AUTH_TOKEN 1
#define AUTH_SIGNATURE 2
#define AUTH_RSAPUBLICKEY 3

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* n, e from the base64 of a key line; NULL (and a log line) if the
 * structure is inconsistent. */
static EVP_PKEY *decode_key(struct emu_adb *a, const char *line)
{
	unsigned char raw[KEY_LEN + 8];
	size_t b64 = strcspn(line, " \t\r\n");
	EVP_PKEY *pk = NULL;
	BIGNUM *n = NULL, *e = NULL, *rr = NULL, *want = BN_new();
	BN_CTX *ctx = BN_CTX_new();
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = NULL;

	if (b64 != 4 * ((KEY_LEN + 2) / 3) ||
	    EVP_DecodeBlock(raw, (const unsigned char *)line, (int)b64) <
	    KEY_LEN || le32(raw) != KEY_WORDS) {
		emu_adb_logf(a, "AUTH: key is not adb's RSA-2048 structure");
		goto out;
	}
	n = BN_lebin2bn(raw + 8, 256, NULL);
	rr = BN_lebin2bn(raw + 264, 256, NULL);
	e = BN_new();
	if (!n || !rr || !e || !want || !ctx || !BN_set_word(e, le32(raw + 520)))
		goto out;
	/* n0inv * n == -1 (mod 2^32), rr == 2^4096 mod n */
	if ((uint32_t)(le32(raw + 8) * le32(raw + 4)) != 0xffffffffu ||
	    !BN_set_bit(want, 4096) || !BN_mod(want, want, n, ctx) ||
	    BN_cmp(want, rr)) {
		emu_adb_logf(a, "AUTH: key's n0inv or rr is wrong");
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) ||
	    !(pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
out:
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	BN_free(rr);
	BN_free(want);
	BN_CTX_free(ctx);
	return pk;
}

static int verify(EVP_PKEY *pk, const unsigned char *token,
		  const unsigned char *sig, size_t len)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	int ok = c && EVP_PKEY_verify_init(c) > 0 &&
		 EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
		 EVP_PKEY_CTX_set_signature_md(c, EVP_sha1()) > 0 &&
		 EVP_PKEY_verify(c, sig, len, token, 20) == 1;
	EVP_PKEY_CTX_free(c);
	return ok;
}

/* Does any trusted key verify `sig` over the current token? */
static int trusted(struct emu_adb *a, const unsigned char *sig, size_t len)
{
	FILE *f = fopen(a->keys_path, "r");
	char line[4096];
	int ok = 0;
	if (!f)
		return 0;
	while (!ok && fgets(line, sizeof line, f)) {
		if (line[0] == '\n' || line[0] == '#')
			continue;
		EVP_PKEY *pk = decode_key(a, line);
		if (pk)
			ok = verify(pk, a->token, sig, len);
		EVP_PKEY_free(pk);
	}
	fclose(f);
	return ok;
}

void emu_adb_auth_start(struct emu_adb *a)
{
	if (RAND_bytes(a->token, sizeof a->token) != 1)
		abort();
	emu_adb_send(a, A_AUTH, AUTH_TOKEN, 0, a->token, sizeof a->token);
}

static void offered_key(struct emu_adb *a, const unsigned char *d, size_t len)
{
	char *line = malloc(len + 2);
	if (!line)
		abort();
	memcpy(line, d, len);
	line[len] = 0; /* the key comes NUL-terminated; be sure */
	EVP_PKEY *pk = decode_key(a, line);
	if (!pk) {
		emu_adb_logf(a, "AUTH: offered key unusable");
	} else if (!a->o.auth_accept) {
		emu_adb_logf(a, "AUTH: prompt shown, left unanswered");
	} else {
		FILE *f = fopen(a->keys_path, "a");
		if (f) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
		emu_adb_logf(a, "AUTH: key accepted by the user");
		a->authorized = 1;
		emu_adb_send_banner(a);
	}
	EVP_PKEY_free(pk);
	free(line);
}

void emu_adb_auth_message(struct emu_adb *a, uint32_t type,
			  const unsigned char *d, size_t len)
{
	if (type == AUTH_SIGNATURE) {
		if (trusted(a, d, len)) {
			emu_adb_logf(a, "AUTH: signature accepted");
			a->authorized = 1;
			emu_adb_send_banner(a);
		} else {
			emu_adb_logf(a, "AUTH: signature refused");
			emu_adb_auth_start(a);
		}
	} else if (type == AUTH_RSAPUBLICKEY) {
		offered_key(a, d, len);
	} else {
		emu_adb_logf(a, "AUTH: unknown type %u", type);
	}
}
