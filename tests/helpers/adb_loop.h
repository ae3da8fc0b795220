/* An rf_transport wired straight to the emulated adb phone (tests/emu/
 * emu_adb.h), in memory: every write is handed to emu_adb_receive, every
 * read returns the phone's next piece (a header or a payload, as USB
 * transfers).  Deterministic and fast: protocol tests run every sideload
 * order, version and AUTH case against the model without sockets.
 *
 * A read with nothing queued is RF_ETIMEDOUT while the link is up, and
 * RF_EDISCONNECTED once the phone dropped it (after its last words). */
#ifndef ADB_LOOP_H
#define ADB_LOOP_H

#include "emu_adb.h"
#include "transport.h"

struct adb_loop {
	struct rf_transport t; /* first member */
	struct emu_adb *phone; /* not owned */
	unsigned long long bytes_in, writes;
	long long fail_writes_after; /* < 0: never; else RF_EIO after N bytes */
};

/* A transport on `phone`; close it with rf_transport_close. */
struct rf_transport *adb_loop_new(struct emu_adb *phone);

#endif
