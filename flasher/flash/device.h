/* Which phone to talk to: the -s selector, listing phones, opening one.
 *
 * DEVICE is a USB serial number, "usb:BUS-PORT[.PORT...]", or
 * "tcp:HOST[:PORT]" (fastboot TCP, default port 5554; adb default 5555).
 * Without -s exactly one attached phone is used; with several, romflash
 * lists them and refuses to guess. */
#ifndef RF_DEVICE_H
#define RF_DEVICE_H

#include <signal.h>
#include <stddef.h>
#include "fastboot.h"
#include "transport.h"

/* What the device layer needs from its caller, passed down as a value:
 * which phone (the -s selector, NULL = the only one attached), when to
 * stop waiting (a flag the caller owns, set by its signal handler), and
 * where the bootloader's INFO/TEXT lines and warnings go.  The device
 * layer itself never prints. */
struct rf_device_env {
	const char *selector;
	const volatile sig_atomic_t *stop;          /* may be NULL */
	void (*on_info)(void *user, const char *kind, const char *text);
	void (*on_warn)(void *user, const char *msg);
	void *user;
};

struct rf_device_row {
	char serial[64];
	char mode[16];     /* fastboot | sideload | recovery | device | adb */
	char product[64];
	char location[64];
};

/* Attached phones (USB; plus the -s tcp: one if given).  *rows malloc'ed. */
int rf_devices_list(const struct rf_device_env *env, struct rf_device_row **rows,
		    size_t *n, char *err);

/* Open a fastboot connection to the phone selected by env->selector.
 * On success *t is the transport (close with rf_transport_close) and `fb`
 * is initialised on it.  fb->cancel is left unset: a Ctrl-C must not cut a
 * download in the middle (the bootloader would take the next command as
 * image data); callers stop between downloads instead. */
int rf_device_open_fastboot(const struct rf_device_env *env,
			    struct rf_transport **t, struct rf_fastboot *fb,
			    char *err);

/* The phone's max-download-size; a bootloader that does not report it
 * gets the Mi 4's 0x30000000 (env->on_warn says so; a smaller real limit
 * shows as "data too large" before anything is written). */
int rf_device_max_download(const struct rf_device_env *env,
			   struct rf_fastboot *fb, const char *id, uint32_t *out);

/* The size the phone reports for `part` ("a+b": the smaller of the two);
 * *size = 0 when it does not say (Xiaomi's LK answers partition-size:*
 * empty).  Errors are the link's, message in fb->err. */
int rf_device_partition_size(struct rf_fastboot *fb, const char *part,
			     uint64_t *size);

/* Wait up to timeout_s for the phone `serial` (or the tcp: address) to come
 * back in fastboot mode after a reboot-bootloader, then open it.  Calls
 * `tick(user, elapsed_s)` about once a second so the caller can show it. */
int rf_device_wait_fastboot(const struct rf_device_env *env, const char *serial,
			    int timeout_s, void (*tick)(void *, int),
			    void *user, struct rf_transport **t,
			    struct rf_fastboot *fb, char *err);

#endif
