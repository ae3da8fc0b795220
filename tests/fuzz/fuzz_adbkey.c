/* libFuzzer harness: the user's adb key file, ~/.android/adbkey, shared
 * with AOSP adb (flasher/flash/adb_key.c: PEM, PKCS#8 or PKCS#1).
 *
 * Input: the file's content.  Whatever it holds: no crash; a key that
 * loads is RSA-2048 and gives a public line "BASE64 user@host" with adb's
 * 524-byte structure, a 256-byte signature of an AUTH token and the
 * "AB:CD:..." fingerprint Android shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adb_key.h"
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const unsigned char token[20] = "romflash-fuzz-token";
	unsigned char sig[512];
	char path[400], err[RF_ERRLEN], fp[48];
	struct rf_adb_key k;
	size_t siglen = 0;

	/* the file is always there: a missing one would be created */
	setenv("ANDROID_USER_HOME", fz_dir(), 1);
	snprintf(path, sizeof path, "%s/adbkey", fz_dir());
	fz_write_file(path, data, len);
	if (rf_adb_key_load(&k, err) == RF_OK) {
		const char *sp = strchr(k.public_line, ' ');
		/* base64 of 524 bytes: 700 characters, then " user@host" */
		if (k.created || !sp || sp - k.public_line != 700)
			abort();
		if (rf_adb_key_sign(&k, token, sizeof token, sig, sizeof sig,
				    &siglen, err) || siglen != 256)
			abort();
		if (rf_adb_key_fingerprint(&k, fp, err) || strlen(fp) != 47)
			abort();
		rf_adb_key_free(&k);
	} else {
		fz_check_str(err, sizeof err);
		if (!err[0] || k.pkey || k.public_line)
			abort();
	}
	return 0;
}
