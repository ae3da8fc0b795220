/* The user's adb key, in adb's own files, so romflash and AOSP adb share
 * one identity (a phone that trusts one trusts the other):
 *
 *   $ANDROID_USER_HOME/adbkey, else ~/.android/adbkey: the RSA-2048 private
 *       key, PEM (PKCS#8 as adb writes it; PKCS#1 is read too), mode 0600;
 *   adbkey.pub beside it: base64 of adb's RSAPublicKey structure (modulus
 *       size in words, n0inv, modulus and R^2 mod n little-endian,
 *       exponent) followed by " user@host".
 *
 * Both are created when the private key is missing.  Signing an AUTH token
 * is RSA PKCS#1 v1.5 over the 20-byte token taken as a SHA-1 digest. */
#ifndef RF_ADB_KEY_H
#define RF_ADB_KEY_H

#include <stddef.h>
#include "rf_error.h"

#define RF_ADB_PUBKEY_WORDS 64 /* 2048-bit modulus */
#define RF_ADB_PUBKEY_LEN (4 + 4 + 256 + 256 + 4)

struct rf_adb_key {
	void *pkey;            /* EVP_PKEY */
	char path[4096];       /* the private key file */
	char *public_line;     /* "BASE64 user@host", malloc'ed */
	int created;           /* made just now */
};

/* Where the key lives: $ANDROID_USER_HOME/adbkey or $HOME/.android/adbkey
 * (the password database when HOME is unset).  RF_EINVAL when neither. */
int rf_adb_key_path(char *out, size_t cap, char *err);

/* Load the key, creating both files when the private key is missing.
 * RF_ESYS / RF_EFORMAT with the file named in `err`. */
int rf_adb_key_load(struct rf_adb_key *k, char *err);
void rf_adb_key_free(struct rf_adb_key *k);

/* rf_adb_sign_fn for protocol/adb: `user` is the struct rf_adb_key. */
int rf_adb_key_sign(void *user, const unsigned char *token, size_t len,
		    unsigned char *sig, size_t cap, size_t *siglen, char *err);

/* What Android shows in its "Allow USB debugging?" prompt: the MD5 of
 * the public key structure, "AB:CD:..." (48 bytes with the NUL). */
int rf_adb_key_fingerprint(const struct rf_adb_key *k, char out[48], char *err);

/* adb's public key structure of an RSA-2048 key (exposed for tests). */
int rf_adb_key_encode_public(void *pkey,
			     unsigned char out[RF_ADB_PUBKEY_LEN], char *err);

#endif
