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
#include "zip_devices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *text = malloc(len + 1);

	if (!text)
		abort();
	memcpy(text, data, len);
	text[len] = 0; /* the zip reader hands it NUL-terminated */
	fz_check_script_devices(text);
	free(text);
	return 0;
}
