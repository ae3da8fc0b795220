/* The phone's side of an adb link for the adb and sideload harnesses: the
 * fuzz input is what the phone sends, fed to protocol/adb.c through a fake
 * transport; what the host sent back is walked message by message and
 * checked (every message well formed whatever the phone did). */
#ifndef RF_FUZZ_ADB_FEED_H
#define RF_FUZZ_ADB_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "adb.h"
#include "fake_transport.h"

/* A fake transport whose reads return `phone` (n bytes) and then report a
 * pulled cable.  stream = 0: USB, one read per transfer (a 24-byte header,
 * then the payload its length field announces); stream != 0: a byte
 * stream cut into reads of sizes drawn from `cut`. */
struct fake_transport *fz_adb_phone(const uint8_t *phone, size_t n, int stream,
				    uint8_t cut);

/* Walk the host's writes: each message must be whole (USB: a header and
 * then its payload, each one write; stream: whole messages per write),
 * have its magic, a known command, a payload within `max_payload`, and the
 * checksum adb says it must carry (the right sum before the connection and
 * for peers older than 0x01000001, else 0).  `old_peer`: the connection
 * came up with such a peer.  `visit` (may be NULL) sees each message.
 * Aborts on the first broken promise. */
void fz_adb_check_host(const struct fake_transport *f, int stream, int old_peer,
		       uint32_t max_payload,
		       void (*visit)(void *user, const struct rf_adb_header *h,
				     const uint8_t *payload),
		       void *user);

#endif
