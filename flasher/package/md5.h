/* MD5 of package files (OpenSSL EVP).  MD5 is what Xiaomi publishes for
 * its packages; it is a transfer check here, not a security boundary. */
#ifndef RF_MD5_H
#define RF_MD5_H

#include <stddef.h>
#include "rf_error.h"

struct rf_md5 {
	void *ctx; /* EVP_MD_CTX */
};

int rf_md5_init(struct rf_md5 *m);
void rf_md5_update(struct rf_md5 *m, const void *p, size_t n);
/* Lower-case hex digest, 32 chars + NUL.  Frees the context. */
void rf_md5_final(struct rf_md5 *m, char hex[33]);
void rf_md5_free(struct rf_md5 *m);

/* Is `s` 32 hex digits?  (10 for a prefix: rf_md5_is_hex(s, 10)). */
int rf_md5_is_hex(const char *s, size_t n);

#endif
