/* adb over TCP for the emulated phone.  See emu_adb_tcp.h. */
#include "emu_adb_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF (1024 * 1024)

struct emu_adb_tcp {
	struct emu_adb *a;
	int lfd, port;
	int stop_pipe[2];
	atomic_int stopping;
	pthread_t thread;
	int thread_started;
	unsigned char *in, *out;
};

static int listen_on(int port, int *bound, char *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		snprintf(err, 256, "adb on 127.0.0.1:%d: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

struct emu_adb_tcp *emu_adb_tcp_listen(struct emu_adb *a, int port, char *err)
{
	struct emu_adb_tcp *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	t->a = a;
	t->lfd = t->stop_pipe[0] = t->stop_pipe[1] = -1;
	t->in = malloc(BUF);
	t->out = malloc(BUF);
	if (!t->in || !t->out || pipe2(t->stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, 256, "setup: %s", strerror(errno));
		emu_adb_tcp_free(t);
		return NULL;
	}
	t->lfd = listen_on(port, &t->port, err);
	if (t->lfd < 0) {
		emu_adb_tcp_free(t);
		return NULL;
	}
	return t;
}

int emu_adb_tcp_port(const struct emu_adb_tcp *t)
{
	return t->port;
}

/* Wait up to `ms` (< 0: no limit) for fd (-1: none, only sleep) to be
 * readable.  1 readable, 0 time is up, -1 stop requested or poll failed. */
static int wait_readable(struct emu_adb_tcp *t, int fd, int ms)
{
	struct pollfd p[2] = { { t->stop_pipe[0], POLLIN, 0 }, { fd, POLLIN, 0 } };
	for (;;) {
		if (atomic_load(&t->stopping))
			return -1;
		int n = poll(p, fd >= 0 ? 2 : 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || p[0].revents)
			return -1;
		return n > 0;
	}
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

static void serve_client(struct emu_adb_tcp *t, int fd)
{
	int one = 1;
	size_t got = 0;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* adb starts with CNXN; anything else (fastboot's FB01) is not for
	 * a phone in an adb mode */
	while (got < 4) {
		if (wait_readable(t, fd, -1) != 1)
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
		if (send_replies(t, fd) < 0 || wait_readable(t, fd, -1) != 1)
			break;
		ssize_t n = recv(fd, t->in, BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
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
	char err[256];
	for (;;) {
		int w = wait_readable(t, t->lfd, -1);
		if (w < 0)
			return 0;
		int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "romflash-emu: accept: %s\n", strerror(errno));
			return -1;
		}
		serve_client(t, fd);
		close(fd);
		enum emu_link l = emu_adb_link_state(t->a);
		if (l == EMU_ONLINE)
			continue;
		/* off the bus: nobody listens until the phone is back */
		close(t->lfd);
		t->lfd = -1;
		if (l == EMU_GONE)
			return 0;
		if (wait_readable(t, -1, emu_adb_reboot_delay_ms(t->a)) < 0)
			return 0;
		emu_adb_reset_link(t->a);
		if (emu_adb_mode(t->a) == EMU_ADB_FASTBOOT)
			return 1;
		for (int tries = 0; t->lfd < 0; tries++) {
			int bound;
			t->lfd = listen_on(t->port, &bound, err);
			if (t->lfd >= 0)
				break;
			if (tries == 50) {
				fprintf(stderr, "romflash-emu: %s\n", err);
				return -1;
			}
			if (wait_readable(t, -1, 100) < 0)
				return 0;
		}
	}
}

static void *serve_thread(void *arg)
{
	emu_adb_tcp_serve(arg);
	return NULL;
}

int emu_adb_tcp_start(struct emu_adb_tcp *t)
{
	if (pthread_create(&t->thread, NULL, serve_thread, t))
		return -1;
	t->thread_started = 1;
	return 0;
}

void emu_adb_tcp_request_stop(struct emu_adb_tcp *t)
{
	atomic_store(&t->stopping, 1);
	if (t->stop_pipe[1] >= 0) {
		ssize_t n = write(t->stop_pipe[1], "x", 1);
		(void)n; /* a full pipe says "stop" already */
	}
}

void emu_adb_tcp_free(struct emu_adb_tcp *t)
{
	if (!t)
		return;
	if (t->thread_started) {
		emu_adb_tcp_request_stop(t);
		pthread_join(t->thread, NULL);
	}
	if (t->lfd >= 0)
		close(t->lfd);
	for (int i = 0; i < 2; i++)
		if (t->stop_pipe[i] >= 0)
			close(t->stop_pipe[i]);
	free(t->in);
	free(t->out);
	free(t);
}
