/* Which phone this is, and one romflash at a time per phone.
 *
 * Identity: the bootloader's serial number (getvar serialno, else the USB
 * serial string), its product (getvar product) and, for the record, its
 * bootloader version.  Saved progress is keyed and checked by it, never by
 * the address (a tcp: address or a USB port can hold another phone later),
 * and a phone that comes back after a reboot must still be the same one.
 *
 * Lock: flock() on $ROMFLASH_LOCK_DIR, else $XDG_RUNTIME_DIR/romflash, else
 * /tmp/romflash-UID, file <key>.lock holding the holder's pid and command.
 * Taken once the phone is identified, held through every reboot of the run
 * (the file descriptor stays open; the kernel drops it if romflash dies). */
#ifndef RF_PHONE_ID_H
#define RF_PHONE_ID_H

#include <stddef.h>
#include "fastboot.h"

struct rf_phone_id {
	char serial[64];     /* "" when the phone has none */
	char product[64];    /* getvar product, "" when it does not say */
	char bootloader[64]; /* getvar version-bootloader (not compared: a
				flash of aboot changes it) */
	char address[96];    /* where it was found: tcp:HOST:PORT, usb:1-2 */
};

/* Ask the phone (getvar) and its transport.  A getvar the bootloader does
 * not know leaves the field ""; a link error is returned. */
int rf_phone_identify(struct rf_fastboot *fb, struct rf_phone_id *id, char *err);

/* File-name-safe key: the serial, else "noserial-PRODUCT-ADDRESS". */
void rf_phone_key(const struct rf_phone_id *id, char *key, size_t cap);

/* Same phone: same serial (both non-empty) and same product. */
int rf_phone_same(const struct rf_phone_id *a, const struct rf_phone_id *b);

/* "EMU0001 (MSM8974)" or "a phone without serial number (MSM8974) at
 * tcp:..." for messages. */
void rf_phone_describe(const struct rf_phone_id *id, char *out, size_t cap);

struct rf_phone_lock;

/* Take the lock of this phone; `what` (the command line) is written into
 * the file for a second process to show.  RF_EBUSY when another process
 * holds it (err names it), RF_ESYS when the lock file cannot be made. */
int rf_phone_lock(const struct rf_phone_id *id, const char *what,
		  struct rf_phone_lock **lk, char *err);
void rf_phone_unlock(struct rf_phone_lock *lk);

#endif
