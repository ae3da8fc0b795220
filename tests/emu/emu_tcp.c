/* Fastboot TCP v1 server for the emulated phone.  See emu_tcp.h. */
#include "emu_tcp.h"

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
#include <time.h>
#include <unistd.h>

#define PIECE (1024 * 1024)  /* download data goes to the emu in pieces */
#define CMD_CAP 4096         /* a command frame larger than this is junk */
#define MAX_FRAME (1ULL << 40)

struct emu_tcp {
	struct emu *e;
	int lfd, port;
	int stop_pipe[2];
	atomic_int stopping;
	pthread_t thread;
	int thread_started;
	unsigned char *buf;
};

enum { IO_OK = 0, IO_EOF = 1, IO_STOP = 2, IO_ERR = -1 };

static int open_listener(int port, int *bound, char *err)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, 256, "socket: %s", strerror(errno));
		return -1;
	}
	/* the port is re-bound after every emulated reboot */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		snprintf(err, 256, "127.0.0.1:%d: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

struct emu_tcp *emu_tcp_listen(struct emu *e, int port, char *err)
{
	struct emu_tcp *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	t->e = e;
	t->stop_pipe[0] = t->stop_pipe[1] = -1;
	t->buf = malloc(PIECE);
	if (!t->buf || pipe2(t->stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, 256, "setup: %s", strerror(errno));
		t->lfd = -1;
		emu_tcp_free(t);
		return NULL;
	}
	t->lfd = open_listener(port, &t->port, err);
	if (t->lfd < 0) {
		emu_tcp_free(t);
		return NULL;
	}
	return t;
}

int emu_tcp_port(const struct emu_tcp *t)
{
	return t->port;
}

/* Wait until fd is readable or a stop is requested. */
static int wait_in(struct emu_tcp *t, int fd)
{
	struct pollfd p[2] = {{fd, POLLIN, 0}, {t->stop_pipe[0], POLLIN, 0}};
	for (;;) {
		if (atomic_load(&t->stopping))
			return IO_STOP;
		int n = poll(p, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return IO_ERR;
		if (p[1].revents)
			return IO_STOP;
		if (p[0].revents)
			return IO_OK;
	}
}

static int read_full(struct emu_tcp *t, int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		int w = wait_in(t, fd);
		if (w != IO_OK)
			return w;
		ssize_t n = recv(fd, (char *)buf + done, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return IO_ERR;
		if (n == 0)
			return IO_EOF;
		done += (size_t)n;
	}
	return IO_OK;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done,
				 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return IO_ERR;
		done += (size_t)n;
	}
	return IO_OK;
}

static int send_frame(int fd, const void *msg, size_t len)
{
	unsigned char h[8];
	uint64_t l = len;
	for (int i = 7; i >= 0; i--, l >>= 8)
		h[i] = (unsigned char)(l & 0xff);
	if (write_full(fd, h, 8) != IO_OK)
		return IO_ERR;
	return write_full(fd, msg, len);
}

static int flush_replies(struct emu_tcp *t, int fd)
{
	char msg[256];
	size_t n;
	while ((n = emu_reply(t->e, msg, sizeof(msg))) > 0)
		if (send_frame(fd, msg, n) != IO_OK)
			return IO_ERR;
	return IO_OK;
}

static int sleep_ms(struct emu_tcp *t, int ms);

/* LK reads nothing while it writes: the host's next frames wait in the
 * socket until the eMMC is done. */
static int wait_busy(struct emu_tcp *t)
{
	double b;
	while ((b = emu_busy_s(t->e)) > 0) {
		int rc = sleep_ms(t, (int)(b * 1000) + 1);
		if (rc != IO_OK)
			return rc;
	}
	return IO_OK;
}

/* Skip `len` bytes of a frame we will not use. */
static int discard(struct emu_tcp *t, int fd, uint64_t len)
{
	while (len > 0) {
		size_t n = len > PIECE ? PIECE : (size_t)len;
		int rc = read_full(t, fd, t->buf, n);
		if (rc != IO_OK)
			return rc;
		len -= n;
	}
	return IO_OK;
}

/* One frame.  Download data may come in frames of any size (Debian's
 * fastboot sends whole pieces at once): they are streamed through
 * t->buf, never held whole. */
static int frame(struct emu_tcp *t, int fd, uint64_t len)
{
	int rc;
	if (emu_download_remaining(t->e) == 0) {
		size_t n = len > CMD_CAP ? CMD_CAP : (size_t)len;
		if ((rc = read_full(t, fd, t->buf, n)) != IO_OK)
			return rc;
		/* a too-long "command" still reaches the emu, which FAILs it */
		if ((rc = discard(t, fd, len - n)) != IO_OK)
			return rc;
		emu_receive(t->e, t->buf, n);
		if ((rc = wait_busy(t)) != IO_OK)
			return rc;
		return flush_replies(t, fd);
	}
	while (len > 0) {
		uint64_t left = emu_download_remaining(t->e);
		if (left == 0) {
			/* more bytes in the frame than the download wanted: the
			 * real phone would read them as a command -- refuse */
			fprintf(stderr, "romflash-emu: frame carries %llu bytes "
				"past the end of the download; closing\n",
				(unsigned long long)len);
			return IO_ERR;
		}
		size_t n = len > PIECE ? PIECE : (size_t)len;
		if ((rc = read_full(t, fd, t->buf, n)) != IO_OK)
			return rc;
		enum emu_link l = emu_receive(t->e, t->buf, n);
		if ((rc = flush_replies(t, fd)) != IO_OK)
			return rc;
		if (l != EMU_ONLINE)
			return IO_OK;
		len -= n;
	}
	return IO_OK;
}

static void serve_client(struct emu_tcp *t, int fd)
{
	unsigned char hs[4], h[8];
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (read_full(t, fd, hs, 4) != IO_OK)
		return;
	if (memcmp(hs, "FB", 2) != 0) {
		fprintf(stderr, "romflash-emu: bad handshake\n");
		return;
	}
	if (write_full(fd, "FB01", 4) != IO_OK)
		return;
	while (emu_link_state(t->e) == EMU_ONLINE) {
		if (read_full(t, fd, h, 8) != IO_OK)
			return;
		uint64_t len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[i];
		if (len > MAX_FRAME) {
			fprintf(stderr, "romflash-emu: absurd frame length\n");
			return;
		}
		if (frame(t, fd, len) != IO_OK)
			return;
	}
	/* a rebooting phone takes a moment to leave the bus */
	sleep_ms(t, emu_leave_delay_ms(t->e));
}

static int sleep_ms(struct emu_tcp *t, int ms)
{
	struct pollfd p = {t->stop_pipe[0], POLLIN, 0};
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		if (atomic_load(&t->stopping))
			return IO_STOP;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (long)(end.tv_sec - now.tv_sec) * 1000 +
			    (end.tv_nsec - now.tv_nsec) / 1000000L;
		if (left <= 0)
			return IO_OK;
		if (poll(&p, 1, (int)left) > 0)
			return IO_STOP;
	}
}

int emu_tcp_serve(struct emu_tcp *t)
{
	char err[256];
	for (;;) {
		int w = wait_in(t, t->lfd);
		if (w == IO_STOP)
			return 0;
		if (w != IO_OK)
			return -1;
		int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "romflash-emu: accept: %s\n", strerror(errno));
			return -1;
		}
		serve_client(t, fd);
		enum emu_link l = emu_link_state(t->e);
		/* a phone leaving the bus stops listening before the host
		 * sees its connection end: a host that then connects again is
		 * refused, never accepted by a phone already gone */
		if (l != EMU_ONLINE) {
			close(t->lfd);
			t->lfd = -1;
		}
		close(fd);
		if (l == EMU_GONE)
			return 0;
		if (l != EMU_DROPPED) {
			emu_host_closed(t->e); /* the host hung up; the phone stays */
			continue;
		}
		/* off the bus: nothing listens until the phone is back */
		if (sleep_ms(t, emu_reboot_delay_ms(t->e)) == IO_STOP)
			return 0;
		for (int tries = 0; t->lfd < 0; tries++) {
			int bound;
			t->lfd = open_listener(t->port, &bound, err);
			if (t->lfd >= 0)
				break;
			if (tries == 50) {
				fprintf(stderr, "romflash-emu: %s\n", err);
				return -1;
			}
			if (sleep_ms(t, 100) == IO_STOP)
				return 0;
		}
		emu_reset_link(t->e);
	}
}

static void *serve_thread(void *arg)
{
	emu_tcp_serve(arg);
	return NULL;
}

int emu_tcp_start(struct emu_tcp *t)
{
	if (pthread_create(&t->thread, NULL, serve_thread, t) != 0)
		return -1;
	t->thread_started = 1;
	return 0;
}

void emu_tcp_request_stop(struct emu_tcp *t)
{
	atomic_store(&t->stopping, 1);
	if (t->stop_pipe[1] >= 0) {
		ssize_t n = write(t->stop_pipe[1], "x", 1);
		(void)n; /* a full pipe already says "stop" */
	}
}

void emu_tcp_free(struct emu_tcp *t)
{
	if (!t)
		return;
	if (t->thread_started) {
		emu_tcp_request_stop(t);
		pthread_join(t->thread, NULL);
	}
	if (t->lfd >= 0)
		close(t->lfd);
	if (t->stop_pipe[0] >= 0)
		close(t->stop_pipe[0]);
	if (t->stop_pipe[1] >= 0)
		close(t->stop_pipe[1]);
	free(t->buf);
	free(t);
}
