/* Fastboot TCP transport v1 server for the emulated phone: "FB01"
 * handshake, then 8-byte big-endian length frames both ways.
 *
 * One client at a time.  When the phone reboots (EMU_DROPPED) the client
 * and the listening socket are closed, so the port refuses connections
 * for reboot_delay_ms like a phone that left the bus; then it listens again
 * on the same port.  EMU_GONE ends emu_tcp_serve.
 *
 * Usable from a Check suite in a thread:
 *     struct emu_tcp *t = emu_tcp_listen(e, 0, err);
 *     emu_tcp_start(t);  ... connect to emu_tcp_port(t) ...
 *     emu_tcp_free(t);   (stops and joins the thread)  then emu_free(e). */
#ifndef EMU_TCP_H
#define EMU_TCP_H

#include "emu.h"

struct emu_tcp;

/* Listen on 127.0.0.1:port (0: an ephemeral port).  NULL + err (256
 * bytes) on failure.  `e` stays owned by the caller. */
struct emu_tcp *emu_tcp_listen(struct emu *e, int port, char *err);

/* The port actually bound. */
int emu_tcp_port(const struct emu_tcp *t);

/* Serve until the phone is gone (returns 0), a stop was requested
 * (returns 0) or the socket failed (returns -1, message on stderr). */
int emu_tcp_serve(struct emu_tcp *t);

/* Run emu_tcp_serve in a new thread.  0 or -1. */
int emu_tcp_start(struct emu_tcp *t);

/* Ask emu_tcp_serve to return soon.  Async-signal-safe. */
void emu_tcp_request_stop(struct emu_tcp *t);

/* Stop (joining the thread if emu_tcp_start ran it) and free. */
void emu_tcp_free(struct emu_tcp *t);

#endif
