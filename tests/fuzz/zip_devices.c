/* See zip_devices.h. */
#include "zip_devices.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "zip.h"

void fz_check_script_devices(const char *text)
{
	char dev[RF_ZIP_MAX_DEVICES][64];
	size_t n = rf_zip_script_devices(text, dev);

	if (n > RF_ZIP_MAX_DEVICES)
		abort();
	for (size_t i = 0; i < n; i++) {
		fz_check_str(dev[i], sizeof dev[i]);
		if (!dev[i][0])
			abort();
		for (size_t j = 0; j < i; j++)
			if (!strcmp(dev[i], dev[j]))
				abort();
		/* copied from the text (a backslash escape drops the
		 * backslash, a long name is cut: a prefix) */
		if (!strchr(text, '\\') && !strstr(text, dev[i]))
			abort();
	}
}
