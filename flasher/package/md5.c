/* MD5 through OpenSSL's EVP interface (the low-level MD5_* calls are
 * deprecated in OpenSSL 3). */
#include "md5.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

int rf_md5_init(struct rf_md5 *m)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return RF_ENOMEM;
	if (EVP_DigestInit_ex(c, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return RF_ENOMEM;
	}
	m->ctx = c;
	return RF_OK;
}

void rf_md5_update(struct rf_md5 *m, const void *p, size_t n)
{
	if (m->ctx && n)
		EVP_DigestUpdate(m->ctx, p, n);
}

void rf_md5_final(struct rf_md5 *m, char hex[33])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	hex[0] = 0;
	if (!m->ctx)
		return;
	if (EVP_DigestFinal_ex(m->ctx, d, &n) == 1 && n == 16)
		for (unsigned i = 0; i < 16; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
	rf_md5_free(m);
}

void rf_md5_free(struct rf_md5 *m)
{
	if (m->ctx)
		EVP_MD_CTX_free(m->ctx);
	m->ctx = NULL;
}

int rf_md5_is_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}
