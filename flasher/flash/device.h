/* Which phone to talk to: the -s selector, opening one (listing them:
 * device_list.h).
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
 * which phone (the -s selector, NULL = the only one attached), how long
 * to wait for it, when to stop waiting (a flag the caller owns, set by
 * its signal handler), and where the bootloader's INFO/TEXT lines, the
 * waits and the warnings go.  The device layer itself never prints. */
struct rf_device_env {
	const char *selector;
	const volatile sig_atomic_t *stop;          /* may be NULL */
	/* Seconds to wait for the phone to appear when none is there (a
	 * TCP address that refuses, too); 0: do not wait. */
	int wait_s;
	void (*on_info)(void *user, const char *kind, const char *text);
	void (*on_warn)(void *user, const char *msg);
	/* Waiting for the phone: once when the wait starts (elapsed 0), then
	 * about once a second, and with elapsed -1 when it is over.  `what`:
	 * "a phone in fastboot mode", "EMU0001 in fastboot mode",
	 * "tcp:HOST:PORT".  May be NULL. */
	void (*on_waiting)(void *user, const char *what, int elapsed_s);
	/* The phone writing for a command: fastboot's on_wait (fastboot.h).
	 * May be NULL. */
	void (*on_writing)(void *user, const char *cmd, double elapsed_s,
			   int done);
	void *user;
};

/* Why this process may not open a USB phone, and the fix: the udev rules
 * (installed or not), uaccess needing a local seat, or the plugdev group
 * on a headless or SSH-driven station. */
void rf_device_access_hint(char *out, size_t cap);

/* Open a fastboot connection to the phone selected by env->selector,
 * waiting up to env->wait_s for it to appear.  On success *t is the
 * transport (close with rf_transport_close) and `fb` is initialised on
 * it, with env's callbacks.  Over USB the connection is first checked
 * for what an earlier run may have left (rf_fb_sync: stale replies are
 * dropped with a warning; a phone still writing or still inside a
 * download is an error saying what to do), and a phone below USB high
 * speed is warned about.  fb->cancel is left unset: a Ctrl-C must not cut
 * a download in the middle (the bootloader would take the next command as
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
 * back in fastboot mode after a reboot-bootloader, then open it as
 * rf_device_open_fastboot does.  (rf_fb_reboot_bootloader returns once
 * the old device has left, so this never finds the phone on its way out.)
 * Over USB the wait uses libusb's hotplug events where there are any and
 * reads serials from sysfs: no other phone is opened.  A phone that is
 * back but may not be opened is RF_EACCESS (a permission problem), not
 * "did not come back".  Calls `tick(user, elapsed_s)` about once a second
 * so the caller can show it (env->on_waiting when NULL). */
int rf_device_wait_fastboot(const struct rf_device_env *env, const char *serial,
			    int timeout_s, void (*tick)(void *, int),
			    void *user, struct rf_transport **t,
			    struct rf_fastboot *fb, char *err);

#endif
