/* libFuzzer target: the input is a catalog text (docs/catalog.md).
 * Whatever the bytes, parsing must not crash or read out of bounds; an
 * accepted text must give entries whose fields are terminated and valid,
 * and parsing it again must replace them one for one (same names). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* catalog.c's built-in catalog, which this target does not link */
const char rf_catalog_builtin[1] = "", rf_catalog_builtin_end[1] = "";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct rf_catalog c = { 0 };
	if (rf_catalog_parse(&c, (const char *)data, len, "fuzz") == RF_OK) {
		size_t n = c.n;
		for (size_t i = 0; i < n; i++) {
			const struct rf_rom *r = &c.v[i];
			if (!r->name[0] || strlen(r->name) >= sizeof r->name ||
			    strlen(r->url) >= sizeof r->url || !rf_catalog_is_version(r->version) ||
			    (r->md5[0] && strlen(r->md5) != 32) ||
			    (r->type != RF_ROM_FASTBOOT && r->type != RF_ROM_RECOVERY))
				abort();
		}
		if (rf_catalog_parse(&c, (const char *)data, len, "fuzz") != RF_OK || c.n != n)
			abort();
	}
	rf_catalog_free(&c);
	return 0;
}
