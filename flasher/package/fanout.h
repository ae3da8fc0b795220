/* One read of a file, several checks over it at once.
 *
 * The caller's thread reads the file once, in order, into a ring of
 * RF_FANOUT_SLOTS buffers of RF_FANOUT_SLOT bytes; every consumer runs on a
 * thread of its own and is handed every buffer, in order; a buffer is read
 * into again only once every consumer is done with it.  Checks that each
 * need every byte (an MD5, a signature digest, block CRCs) then cost the
 * slowest of them instead of their sum, the file is read once, and memory
 * stays at the ring whatever the file's size.
 *
 *   struct rf_fanout_consumer c[] = { { md5_eat, &md5 }, { crc_eat, &crc } };
 *   rc = rf_fanout_file(fd, size, c, 2, &opts, err);
 *
 * Consumers see only their own state: they need no locking of their own.
 * When rf_fanout_file returns, every consumer thread has ended. */
#ifndef RF_FANOUT_H
#define RF_FANOUT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

#define RF_FANOUT_SLOTS 8
#define RF_FANOUT_SLOT (1u << 20)
#define RF_FANOUT_MAX 4 /* consumers */

/* The next `len` bytes of the file, which start at `off`.  Anything but
 * RF_OK stops the pass (message in err, RF_ERRLEN bytes). */
typedef int (*rf_fanout_fn)(void *user, const unsigned char *buf, size_t len,
			    uint64_t off, char *err);

struct rf_fanout_consumer {
	rf_fanout_fn eat;
	void *user;
};

struct rf_fanout_opts {
	/* Checked before every read: non-zero stops the pass (RF_EINTR). */
	const volatile sig_atomic_t *stop;
	/* On the caller's thread: bytes every consumer has taken. */
	void (*progress)(void *user, uint64_t done, uint64_t total);
	void *progress_user;
};

/* Bytes [0, size) of fd, with pread (the descriptor's offset is left
 * alone), to each of the n consumers (1..RF_FANOUT_MAX).  RF_OK when every
 * consumer took every byte.  Otherwise the first error, message in err:
 * RF_ESYS (a read failed), RF_EFORMAT (the file ends before `size`),
 * RF_EINTR, RF_ENOMEM, RF_EINVAL, or the code a consumer returned. */
int rf_fanout_file(int fd, uint64_t size, const struct rf_fanout_consumer *c,
		   size_t n, const struct rf_fanout_opts *o, char *err);

#endif
