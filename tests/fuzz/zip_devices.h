/* The devices an updater-script asserts, checked (fuzz_zip, fuzz_updater). */
#ifndef RF_FUZZ_ZIP_DEVICES_H
#define RF_FUZZ_ZIP_DEVICES_H

/* rf_zip_script_devices on `text` (NUL-terminated, as the zip reader hands
 * it); aborts unless it gives at most RF_ZIP_MAX_DEVICES names, each
 * non-empty, terminated, distinct, and found in the text. */
void fz_check_script_devices(const char *text);

#endif
