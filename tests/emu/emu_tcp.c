/* Fastboot TCP v1 server for the emulated phone.  See emu_tcp.h. */
#include "emu_tcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "emu_listen.h"

#define PIECE (1024 * 1024)  /* download data goes to the emu in pieces */
#define CMD_CAP 4096         /* a command frame larger than this is junk */
#define MAX_FRAME (1ULL << 40)

struct emu_tcp {
	struct emu *e;
	struct emu_listen l;
	unsigned char *buf;
};

enum { IO_OK = 0, IO_EOF = 1, IO_STOP = 2, IO_ERR = -1 };

struct emu_tcp *emu_tcp_listen(struct emu *e, int port, char *err)
{
	struct emu_tcp *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	t->e = e;
	if (emu_listen_open(&t->l, port, err) < 0 || !(t->buf = malloc(PIECE))) {
		if (t->l.lfd >= 0)
			snprintf(err, 256, "out of memory");
		emu_tcp_free(t);
		return NULL;
	}
	return t;
}

int emu_tcp_port(const struct emu_tcp *t)
{
	return t->l.port;
}

/* Wait until fd is readable or a stop is requested. */
static int wait_in(struct emu_tcp *t, int fd)
{
	int w = emu_listen_wait(&t->l, fd, -1);
	return w > 0 ? IO_OK : w == -1 ? IO_STOP : IO_ERR;
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
		/* a fault inside the data: a pause, or a phone that hangs
		 * (reads nothing more until stopped) */
		if ((rc = wait_busy(t)) != IO_OK || (rc = flush_replies(t, fd)) != IO_OK)
			return rc;
		len -= n;
	}
	return IO_OK;
}

static void serve_client(struct emu_tcp *t, int fd)
{
	unsigned char hs[4], h[8];

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
	return emu_listen_sleep(&t->l, ms) < 0 ? IO_STOP : IO_OK;
}

int emu_tcp_serve(struct emu_tcp *t)
{
	for (;;) {
		int fd = emu_listen_accept(&t->l);
		if (fd < 0)
			return fd == -1 ? 0 : -1;
		serve_client(t, fd);
		enum emu_link l = emu_link_state(t->e);
		/* a phone leaving the bus stops listening before the host
		 * sees its connection end: a host that then connects again is
		 * refused, never accepted by a phone already gone */
		if (l != EMU_ONLINE)
			emu_listen_off(&t->l);
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
		int back = emu_listen_back(&t->l);
		if (back < 0)
			return back == -1 ? 0 : -1;
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
	return emu_listen_start(&t->l, serve_thread, t);
}

void emu_tcp_request_stop(struct emu_tcp *t)
{
	emu_listen_request_stop(&t->l);
}

void emu_tcp_free(struct emu_tcp *t)
{
	if (!t)
		return;
	emu_listen_close(&t->l);
	free(t->buf);
	free(t);
}
