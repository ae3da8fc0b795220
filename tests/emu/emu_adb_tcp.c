/* adb over TCP for the emulated phone.  See emu_adb_tcp.h. */
#include "emu_adb_tcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "emu_listen.h"

#define BUF (1024 * 1024)

struct emu_adb_tcp {
	struct emu_adb *a;
	struct emu_listen l;
	unsigned char *in, *out;
};

struct emu_adb_tcp *emu_adb_tcp_listen(struct emu_adb *a, int port, char *err)
{
	struct emu_adb_tcp *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	t->a = a;
	if (emu_listen_open(&t->l, port, err) < 0) {
		emu_adb_tcp_free(t);
		return NULL;
	}
	t->in = malloc(BUF);
	t->out = malloc(BUF);
	if (!t->in || !t->out) {
		snprintf(err, 256, "out of memory");
		emu_adb_tcp_free(t);
		return NULL;
	}
	return t;
}

int emu_adb_tcp_port(const struct emu_adb_tcp *t)
{
	return t->l.port;
}

/* 1: fd readable; otherwise stop (or a failed poll). */
static int readable(struct emu_adb_tcp *t, int fd)
{
	return emu_listen_wait(&t->l, fd, -1) == 1;
}

/* Everything the phone has queued, in as few sends as it fits. */
static int send_replies(struct emu_adb_tcp *t, int fd)
{
	for (;;) {
		size_t n = 0, k;
		while (n < BUF && (k = emu_adb_reply(t->a, t->out + n, BUF - n)) > 0)
			n += k;
		if (n == 0)
			return 0;
		for (size_t done = 0; done < n;) {
			ssize_t w = send(fd, t->out + done, n - done, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
			done += (size_t)w;
		}
	}
}

/* --throttle: a slow link, n more bytes taken (their time owed, to the
 * millisecond).  -1 when stopped. */
static int throttle(struct emu_adb_tcp *t, size_t n, double *owed_ms)
{
	double rate = emu_adb_throttle_mbps(t->a);
	if (rate <= 0)
		return 0;
	*owed_ms += (double)n / (rate * 1e3);
	int ms = (int)*owed_ms;
	*owed_ms -= ms;
	return ms > 0 ? emu_listen_sleep(&t->l, ms) : 0;
}

static void serve_client(struct emu_adb_tcp *t, int fd)
{
	size_t got = 0;
	double owed_ms = 0;

	/* adb starts with CNXN; anything else (fastboot's FB01) is not for
	 * a phone in an adb mode */
	while (got < 4) {
		if (!readable(t, fd))
			return;
		ssize_t n = recv(fd, t->in + got, 4 - got, 0);
		if (n <= 0)
			return;
		got += (size_t)n;
	}
	if (memcmp(t->in, "CNXN", 4))
		return;
	enum emu_link l = emu_adb_receive(t->a, t->in, 4);
	while (l == EMU_ONLINE) {
		double hold = emu_adb_busy_s(t->a); /* a slow fault */
		if (hold > 0 && emu_listen_sleep(&t->l, (int)(hold * 1000) + 1) < 0)
			break;
		if (send_replies(t, fd) < 0 || !readable(t, fd))
			break;
		ssize_t n = recv(fd, t->in, BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || throttle(t, (size_t)n, &owed_ms) < 0)
			break;
		l = emu_adb_receive(t->a, t->in, (size_t)n);
	}
	/* the last words (OKAY to a reboot, DONEDONE) go out before the link */
	send_replies(t, fd);
	if (l == EMU_ONLINE)
		emu_adb_host_closed(t->a);
}

int emu_adb_tcp_serve(struct emu_adb_tcp *t)
{
	for (;;) {
		int fd = emu_listen_accept(&t->l);
		if (fd < 0)
			return fd == -1 ? 0 : -1;
		serve_client(t, fd);
		enum emu_link l = emu_adb_link_state(t->a);
		/* off the bus: nobody listens until the phone is back -- and
		 * before the host sees its connection end, so a host quick to
		 * connect again is refused, never taken in by a phone gone */
		if (l != EMU_ONLINE)
			emu_listen_off(&t->l);
		close(fd);
		if (l == EMU_ONLINE)
			continue;
		if (l == EMU_GONE)
			return 0;
		if (emu_listen_sleep(&t->l, emu_adb_reboot_delay_ms(t->a)) < 0)
			return 0;
		emu_adb_reset_link(t->a);
		if (emu_adb_mode(t->a) == EMU_ADB_FASTBOOT)
			return 1;
		int back = emu_listen_back(&t->l);
		if (back < 0)
			return back == -1 ? 0 : -1;
	}
}

static void *serve_thread(void *arg)
{
	emu_adb_tcp_serve(arg);
	return NULL;
}

int emu_adb_tcp_start(struct emu_adb_tcp *t)
{
	return emu_listen_start(&t->l, serve_thread, t);
}

void emu_adb_tcp_request_stop(struct emu_adb_tcp *t)
{
	emu_listen_request_stop(&t->l);
}

void emu_adb_tcp_free(struct emu_adb_tcp *t)
{
	if (!t)
		return;
	emu_listen_close(&t->l);
	free(t->in);
	free(t->out);
	free(t);
}
