/* An in-memory rf_transport for protocol tests.
 *
 * Writes are recorded byte for byte with their boundaries, so a test can
 * assert exactly what went on the wire and how it was cut.  Reads return
 * scripted replies, one per read call, in order; a scripted reply can also
 * be an error code (timeout, disconnect).  When the script runs out, reads
 * return RF_ETIMEDOUT (a silent device).
 *
 *   struct fake_transport *f = fake_transport_new();
 *   fake_transport_reply(f, "OKAY");
 *   rf_fb_init(&fb, &f->t);
 *   ... ck_assert(fake_transport_write_is(f, 0, "getvar:product"));
 *   rf_transport_close(&f->t);
 */
#ifndef FAKE_TRANSPORT_H
#define FAKE_TRANSPORT_H

#include <signal.h>
#include <stddef.h>
#include "transport.h"

struct fake_transport_reply {
	int code;            /* RF_OK: return the bytes; else this error */
	size_t len;
	unsigned char *data;
};

struct fake_transport {
	struct rf_transport t; /* first member */

	/* script */
	struct fake_transport_reply *replies;
	size_t nreplies, next_reply, replies_cap;

	/* everything written, and where each write call ended */
	unsigned char *wire;
	size_t wire_len, wire_cap;
	size_t *write_end;
	size_t nwrites, write_end_cap;

	/* knobs a test may set */
	long long disconnect_after; /* accept this many bytes, then
				       RF_EDISCONNECTED forever; < 0: never */
	int write_error;            /* non-zero: every write fails with it */
	int flush_error;            /* non-zero: flush fails with it */
	/* set *cancel_flag = 1 once this many writes have succeeded */
	volatile sig_atomic_t *cancel_flag;
	size_t cancel_after_writes;

	/* observations */
	int disconnected;
	size_t reads, flushes;
	int last_read_timeout, last_write_timeout;
	size_t last_read_cap;
};

struct fake_transport *fake_transport_new(void);

/* Queue one reply (a C string without its NUL, or raw bytes). */
void fake_transport_reply(struct fake_transport *f, const char *s);
void fake_transport_reply_bytes(struct fake_transport *f, const void *b,
				size_t n);
/* Queue an error for one read call (RF_ETIMEDOUT, RF_EDISCONNECTED...). */
void fake_transport_reply_error(struct fake_transport *f, int code);

/* Bytes of write call i (0-based), NULL when there is none. */
const unsigned char *fake_transport_write(const struct fake_transport *f,
					  size_t i, size_t *len);
/* Write call i carried exactly the string s (no NUL). */
int fake_transport_write_is(const struct fake_transport *f, size_t i,
			    const char *s);
/* Replies not consumed yet. */
size_t fake_transport_pending(const struct fake_transport *f);

#endif
