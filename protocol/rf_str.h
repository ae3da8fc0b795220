/* Bounded string copy shared by every module: copies at most cap-1 bytes
 * and always terminates (snprintf("%s") does the same but makes gcc warn
 * about truncation at some -O levels, which is the intent here). */
#ifndef RF_STR_H
#define RF_STR_H

#include <stddef.h>
#include <string.h>

static inline size_t rf_strlcpy(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);
	if (cap) {
		size_t k = n < cap ? n : cap - 1;
		memcpy(dst, src, k);
		dst[k] = 0;
	}
	return n;
}

#endif
