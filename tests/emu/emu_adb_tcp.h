/* adb over TCP for the emulated phone in its adb modes: a plain byte
 * stream on 127.0.0.1, one client at a time (adb's server, or romflash).
 *
 * A connection that does not start with "CNXN" (a fastboot client's
 * "FB01") is closed at once: nothing answers fastboot while the phone is
 * in an adb mode.  A reboot closes the connection and the listening socket
 * for the reboot delay, as a phone leaving the bus; the phone comes back on
 * the same port in its new mode -- unless that is the bootloader: then
 * emu_adb_tcp_serve returns 1 and the caller serves fastboot on the port
 * (emu_tcp.h), so one address is the phone whatever its mode.
 *
 *     struct emu_adb_tcp *t = emu_adb_tcp_listen(a, 0, err);
 *     emu_adb_tcp_start(t);  ... tcp:127.0.0.1:emu_adb_tcp_port(t) ...
 *     emu_adb_tcp_free(t);   (stops and joins)  then emu_adb_free(a). */
#ifndef EMU_ADB_TCP_H
#define EMU_ADB_TCP_H

#include "emu_adb.h"

struct emu_adb_tcp;

struct emu_adb_tcp *emu_adb_tcp_listen(struct emu_adb *a, int port, char *err);
int emu_adb_tcp_port(const struct emu_adb_tcp *t);

/* 0: the phone is gone, or a stop was requested; 1: it rebooted into the
 * bootloader (the port is closed, free for fastboot); -1: socket failure
 * (message on stderr). */
int emu_adb_tcp_serve(struct emu_adb_tcp *t);
int emu_adb_tcp_start(struct emu_adb_tcp *t);
/* Async-signal-safe. */
void emu_adb_tcp_request_stop(struct emu_adb_tcp *t);
void emu_adb_tcp_free(struct emu_adb_tcp *t);

#endif
