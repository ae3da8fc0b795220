/* The transport interface: how protocol code moves bytes to a phone.
 *
 * A backend (USB in transport_usb.c, TCP in transport_tcp.c, fakes in tests)
 * embeds `struct rf_transport` as its first member and fills in the function
 * pointers.  Protocol code (fastboot.c, adb.c) sees only this interface.
 *
 * read:  receive ONE message (a USB bulk-IN transfer, or one FB01 frame over
 *        TCP) of at most `cap` bytes into `buf`; `*got` is set to its length.
 *        In stream mode (adb over TCP) it returns what is available (>= 1
 *        byte).  A message longer than `cap` is RF_EPROTO.
 * write: send `len` bytes.  A backend may queue the data (it copies it) and
 *        return before it is on the wire, so the bus never idles between
 *        calls; an error of queued data is reported by a later write or by
 *        flush.
 * flush: wait until everything written is on the wire (or failed).
 * close: release the device and free the backend.
 *
 * Every call takes a timeout in milliseconds (0 = the backend's default).
 * Errors are RF_E* codes with a message left in `err`. */
#ifndef RF_TRANSPORT_H
#define RF_TRANSPORT_H

#include <stddef.h>
#include "rf_error.h"

struct rf_transport {
	int (*read)(struct rf_transport *t, void *buf, size_t cap, size_t *got,
		    int timeout_ms);
	int (*write)(struct rf_transport *t, const void *buf, size_t len,
		     int timeout_ms);
	int (*flush)(struct rf_transport *t, int timeout_ms);
	void (*close)(struct rf_transport *t);
	/* Bytes written that the phone has not acknowledged yet (queued in
	 * the backend or the kernel's socket buffer); NULL: the backend
	 * cannot tell.  Progress counts what the phone took. */
	size_t (*unacked)(struct rf_transport *t);
	char err[RF_ERRLEN];
	char serial[64];   /* serial number, or the tcp:HOST:PORT address */
	char location[64]; /* "usb:BUS-PORT[.PORT...]" or "tcp:HOST:PORT" */
};

static inline int rf_transport_read(struct rf_transport *t, void *buf,
				    size_t cap, size_t *got, int timeout_ms)
{
	return t->read(t, buf, cap, got, timeout_ms);
}

static inline int rf_transport_write(struct rf_transport *t, const void *buf,
				     size_t len, int timeout_ms)
{
	return t->write(t, buf, len, timeout_ms);
}

static inline int rf_transport_flush(struct rf_transport *t, int timeout_ms)
{
	return t->flush ? t->flush(t, timeout_ms) : RF_OK;
}

static inline size_t rf_transport_unacked(struct rf_transport *t)
{
	return t && t->unacked ? t->unacked(t) : 0;
}

static inline void rf_transport_close(struct rf_transport *t)
{
	if (t)
		t->close(t);
}

#endif
