/* Recovery packages (miui_*.zip): the zip's structure, checked before a
 * byte goes to the phone, and the few entries romflash reads itself.
 *
 * rf_zip_open reads the end record, the central directory and every
 * entry's local header (small reads; the file is never loaded) and refuses
 * anything recovery could read differently from us: a second end record in
 * the comment, zip64, several disks, encryption, methods other than stored
 * and deflate, duplicate names, local headers that disagree with the
 * central directory, entries that overlap or leave bytes unaccounted for.
 * The descriptor stays open: the verification pass and the bytes served to
 * the phone come from this same file. */
#ifndef RF_ZIP_H
#define RF_ZIP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "rf_error.h"

#define RF_ZIP_MAX_ENTRIES 65535
#define RF_ZIP_MAX_CD (16u << 20)
#define RF_ZIP_UPDATER_SCRIPT "META-INF/com/google/android/updater-script"
#define RF_ZIP_OTACERT "META-INF/com/android/otacert"
#define RF_ZIP_MAX_DEVICES 8

struct rf_zip_entry {
	const char *name;   /* into rf_zip.names, NUL-terminated */
	uint64_t local_off; /* its local header */
	uint64_t data_off;  /* its data */
	uint64_t csize, usize;
	uint32_t crc;
	uint16_t method, flags;
};

struct rf_zip {
	int fd;
	struct stat st;         /* the file as opened: identity for later */
	uint64_t size;
	uint64_t cd_off, cd_size, eocd_off;
	uint16_t comment_len;
	struct rf_zip_entry *e;
	size_t n;
	char *names;
	char err[RF_ERRLEN];
};

/* Open and check `path`.  RF_EFORMAT: not a zip recovery can read the way
 * we do (message says what); RF_ESYS: cannot read it. */
int rf_zip_open(struct rf_zip *z, const char *path);
/* After rf_zip_open (whatever it returned). */
void rf_zip_close(struct rf_zip *z);

const struct rf_zip_entry *rf_zip_find(const struct rf_zip *z,
				       const char *name);

/* Exactly n bytes at `off` of the open file.  RF_ESYS (read error) or
 * RF_EFORMAT (the file ends first), naming `what`, in z->err. */
int rf_zip_read_at(struct rf_zip *z, void *buf, size_t n, uint64_t off,
		   const char *what);

/* The entry's content, inflated and CRC-checked, NUL-terminated, at most
 * `max` bytes (larger is RF_EFORMAT); free() it. */
int rf_zip_read_entry(struct rf_zip *z, const struct rf_zip_entry *e,
		      size_t max, char **out, size_t *len);

/* The devices the first assert of an updater-script accepts:
 * getprop("ro.product.device") == "X" and getprop("ro.build.product") ==
 * "X" inside the first assert(...) that has such a comparison.
 * Returns how many (0: the script names none). */
size_t rf_zip_script_devices(const char *script,
			     char dev[RF_ZIP_MAX_DEVICES][64]);

#endif
