/* Phones in an adb mode: Android with USB debugging on ("device"),
 * recovery, sideload.  Finding and opening one (USB interface ff/42/01, or
 * adb over TCP), what its banner says, moving it between modes.
 *
 * Selectors are the command line's: NULL (exactly one attached adb phone),
 * a USB serial number, "usb:BUS-PORT[.PORT]", or "tcp:HOST[:PORT]" (adb's
 * port 5555 by default).  The user's adb key (adb_key.h) is loaded only if
 * the phone asks for AUTH.  Nothing here prints: what the user must do
 * (accept the prompt on the phone) arrives through callbacks. */
#ifndef RF_ADB_DEVICE_H
#define RF_ADB_DEVICE_H

#include <signal.h>
#include "adb.h"
#include "adb_key.h"
#include "transport.h"

struct rf_adb_phone_opts {
	const char *selector;
	const volatile sig_atomic_t *stop;   /* may be NULL */
	/* The phone shows "Allow USB debugging?" now (our key was offered);
	 * may be NULL.  no_prompt: never offer the key (a listing must not
	 * make phones ask their users anything). */
	void (*on_prompt)(void *user);
	void *user;
	int no_prompt;
	int prompt_timeout_ms;  /* 0: 60 s */
	int timeout_ms;         /* connecting and each reply; 0: 5 s */
};

struct rf_adb_phone {
	struct rf_transport *t;
	struct rf_adb adb;        /* connected: adb.banner says the mode */
	struct rf_adb_key key;
	int key_loaded;
	int tcp;
	int unauthorized;         /* the phone wants a key it does not trust */
	char id[64];              /* serial, else location (tcp:HOST:PORT) */
	char location[64];
	char err[RF_ERRLEN];
};

/* Open and connect.  RF_ENODEV (none), RF_EMULTIPLE (several, listed),
 * RF_EACCESS (no permission, or the phone did not accept our key), link
 * errors.  On any error p is closed already. */
int rf_adb_phone_open(struct rf_adb_phone *p, const struct rf_adb_phone_opts *o);
void rf_adb_phone_close(struct rf_adb_phone *p);

static inline enum rf_adb_mode rf_adb_phone_mode(const struct rf_adb_phone *p)
{
	return p->adb.banner.mode;
}

/* Ask the phone to reboot into `target` ("bootloader", "recovery",
 * "sideload", "" for Android).  RF_OK once it took the request (it then
 * leaves the bus); RF_EFAIL when it refused (p->err has its words: a retail
 * Android says "'adb root' is required" for sideload, minadbd refuses every
 * reboot).  The connection is unusable afterwards: close it. */
int rf_adb_phone_reboot(struct rf_adb_phone *p, const char *target);

/* Wait up to timeout_s for the phone `id` (a serial or tcp: address; NULL:
 * o->selector) to be back in one of the modes of `modes` (bit 1 << mode),
 * then leave it open in p.  `tick(user, elapsed_s)` about once a second.
 * RF_ENODEV after the time is up, RF_EINTR on a stop request. */
int rf_adb_phone_wait(struct rf_adb_phone *p, const struct rf_adb_phone_opts *o,
		      const char *id, unsigned modes, int timeout_s,
		      void (*tick)(void *user, int elapsed_s), void *user);

/* What a listing shows for an adb phone: its mode ("device", "recovery",
 * "sideload", "unauthorized" when it wants a key it does not trust, "adb"
 * when it cannot be asked -- busy with another program), its product
 * (ro.product.device), its serial and location.  Quick: a short timeout,
 * no prompt.  RF_OK when a phone answered in adb (even unauthorized). */
struct rf_adb_description {
	char mode[16], product[64], serial[64], location[64];
};
int rf_adb_phone_describe(const char *selector, struct rf_adb_description *d);

/* "tcp:..." selectors are adb over TCP (and fastboot's TCP transport). */
int rf_adb_selector_is_tcp(const char *selector);

#endif
