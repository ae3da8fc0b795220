/* What the emulated phone's two TCP servers (fastboot: emu_tcp.c, adb:
 * emu_adb_tcp.c) share: a listening socket on 127.0.0.1 that goes away
 * while the phone reboots and comes back on the same port, a stop request
 * (async-signal-safe) that wakes every wait, and the serving thread.
 *
 *     struct emu_listen l;
 *     emu_listen_open(&l, port, err);       ... l.port is the bound port
 *     fd = emu_listen_accept(&l);           (the server's loop)
 *     emu_listen_off(&l); emu_listen_sleep(&l, delay); emu_listen_back(&l);
 *     emu_listen_close(&l);                 (stops, joins, closes) */
#ifndef EMU_LISTEN_H
#define EMU_LISTEN_H

#include <pthread.h>
#include <stdatomic.h>

struct emu_listen {
	int lfd, port;        /* lfd -1: off the bus */
	int stop_pipe[2];
	atomic_int stopping;
	pthread_t thread;
	int thread_started;
};

/* Listen on 127.0.0.1:port (0: an ephemeral one).  0, or -1 with a
 * message in err (256 bytes); emu_listen_close is due either way. */
int emu_listen_open(struct emu_listen *l, int port, char *err);

/* Wait up to ms (< 0: no limit) for fd (-1: none, only the time) to be
 * readable: 1 readable, 0 time is up, -1 stop requested, -2 poll failed. */
int emu_listen_wait(struct emu_listen *l, int fd, int ms);

/* Sleep ms unless stopped: 0, or -1 stop requested. */
int emu_listen_sleep(struct emu_listen *l, int ms);

/* The next client (TCP_NODELAY set): its fd; -1 stop requested; -2 the
 * socket failed (message on stderr). */
int emu_listen_accept(struct emu_listen *l);

/* Off the bus: nothing listens (connections are refused). */
void emu_listen_off(struct emu_listen *l);

/* Back on the bus on the same port (retried while the port is not free
 * yet): 0; -1 stop requested; -2 the port stays taken (stderr). */
int emu_listen_back(struct emu_listen *l);

/* Run fn(arg) on the serving thread: 0 or -1. */
int emu_listen_start(struct emu_listen *l, void *(*fn)(void *), void *arg);

/* Ask the server to return soon.  Async-signal-safe. */
void emu_listen_request_stop(struct emu_listen *l);

/* Stop and join the thread if one runs, close everything. */
void emu_listen_close(struct emu_listen *l);

#endif
