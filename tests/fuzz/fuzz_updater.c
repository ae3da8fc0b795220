/* libFuzzer harness: the updater-script of a recovery zip, for the
 * devices its first assert accepts (rf_zip_script_devices in
 * flasher/package/zip.c).  fuzz_zip reaches it only through an entry whose
 * CRC must match; here the text comes straight in.
 *
 * Input: the script text.  Whatever it holds: no crash, at most
 * RF_ZIP_MAX_DEVICES names, each non-empty, terminated, distinct, and
 * found quoted in the text. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char dev[RF_ZIP_MAX_DEVICES][64];
	char *text = malloc(len + 1);
	size_t n;

	if (!text)
		abort();
	memcpy(text, data, len);
	text[len] = 0; /* the zip reader hands it NUL-terminated */
	n = rf_zip_script_devices(text, dev);
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
	free(text);
	return 0;
}
