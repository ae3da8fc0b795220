/* The TCP transport against a tiny peer running in a thread on
 * 127.0.0.1:<ephemeral port>: FB01 handshake, framing both ways, stream
 * mode, and the ways a peer can go wrong (bad handshake, silence, closing,
 * oversized frames, refusing connections, a writing wait ended by the
 * peer).  Against the emulated phone: check_tcp_emu.c. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fastboot.h"
#include "transport_tcp.h"

#define PEER_WAIT_MS 5000

struct peer;
typedef int (*peer_script)(struct peer *p, int fd);

struct peer {
	int lfd, port;
	pthread_t th;
	peer_script script;
	int result;        /* 0: the script saw what it expected */
	char msg[256];
	int accept_none;   /* never accept (handshake timeout tests) */
};

static int peer_fail(struct peer *p, const char *fmt, const char *arg)
{
	snprintf(p->msg, sizeof p->msg, fmt, arg);
	return -1;
}

static int peer_recv(int fd, void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t done = 0;
	while (done < len) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, PEER_WAIT_MS) <= 0)
			return -1;
		ssize_t n = recv(fd, b + done, len - done, 0);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int peer_send(int fd, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static void be64(unsigned char *h, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		h[i] = (unsigned char)v;
		v >>= 8;
	}
}

static int peer_send_frame(int fd, const void *buf, size_t len)
{
	unsigned char h[8];
	be64(h, len);
	if (peer_send(fd, h, 8))
		return -1;
	return peer_send(fd, buf, len);
}

/* Receive one frame into malloc'ed *out. */
static int peer_recv_frame(int fd, unsigned char **out, size_t *len)
{
	unsigned char h[8];
	if (peer_recv(fd, h, 8))
		return -1;
	uint64_t l = 0;
	for (int i = 0; i < 8; i++)
		l = (l << 8) | h[i];
	if (l > 64 * 1024 * 1024)
		return -1;
	*out = malloc(l ? l : 1);
	if (!*out || peer_recv(fd, *out, l)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = l;
	return 0;
}

static int peer_expect_frame(struct peer *p, int fd, const char *s)
{
	unsigned char *b = NULL;
	size_t l = 0;
	if (peer_recv_frame(fd, &b, &l))
		return peer_fail(p, "no frame (wanted \"%s\")", s);
	int ok = l == strlen(s) && memcmp(b, s, l) == 0;
	free(b);
	return ok ? 0 : peer_fail(p, "frame is not \"%s\"", s);
}

static int peer_handshake(struct peer *p, int fd, const char *answer)
{
	char hs[4];
	if (peer_recv(fd, hs, 4) || memcmp(hs, "FB01", 4) != 0)
		return peer_fail(p, "%s", "client did not send FB01");
	return peer_send(fd, answer, 4);
}

/* Block until the client closes (or PEER_WAIT_MS passes). */
static void peer_wait_close(int fd)
{
	char c;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	while (poll(&pf, 1, PEER_WAIT_MS) > 0 && recv(fd, &c, 1, 0) > 0)
		;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct pollfd pf = { .fd = p->lfd, .events = POLLIN };
	if (p->accept_none) {
		p->result = 0;
		return NULL;
	}
	if (poll(&pf, 1, PEER_WAIT_MS) <= 0) {
		p->result = peer_fail(p, "%s", "no connection");
		return NULL;
	}
	int fd = accept(p->lfd, NULL, NULL);
	if (fd < 0) {
		p->result = peer_fail(p, "accept: %s", strerror(errno));
		return NULL;
	}
	p->result = p->script(p, fd);
	close(fd);
	return NULL;
}

static int listen_local(int backlog, int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	socklen_t al = sizeof a;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void peer_start(struct peer *p, peer_script s)
{
	memset(p, 0, sizeof *p);
	p->script = s;
	p->lfd = listen_local(4, &p->port);
	ck_assert_int_eq(pthread_create(&p->th, NULL, peer_main, p), 0);
}

static void peer_join(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
	ck_assert_msg(p->result == 0, "peer: %s", p->msg);
}

static struct rf_transport *open_fb(struct peer *p, int *rc, char *err)
{
	struct rf_transport *t = NULL;
	*rc = rf_tcp_open("127.0.0.1", p->port, RF_TCP_FASTBOOT, 3000, &t,
			  err);
	return t;
}

/* ---- handshake and framing ---- */

#define BIG (300 * 1000 + 7)

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 31 + (i >> 8));
}

static int script_framing(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB01"))
		return -1;
	if (peer_expect_frame(p, fd, "getvar:product"))
		return -1;
	if (peer_send_frame(fd, "OKAYMSM8974", 11))
		return -1;
	/* a frame split into tiny pieces must be reassembled */
	unsigned char h[8];
	be64(h, 4);
	for (int i = 0; i < 8; i++) {
		if (peer_send(fd, h + i, 1))
			return -1;
		usleep(2000);
	}
	if (peer_send(fd, "IN", 2) || (usleep(2000), 0) ||
	    peer_send(fd, "FO", 2))
		return -1;
	/* two frames in one segment come out as two reads */
	unsigned char two[8 + 6 + 8 + 4];
	be64(two, 6);
	memcpy(two + 8, "INFOhi", 6);
	be64(two + 14, 4);
	memcpy(two + 22, "OKAY", 4);
	if (peer_send(fd, two, sizeof two))
		return -1;
	/* a large frame from the client */
	unsigned char *b = NULL;
	size_t l = 0;
	if (peer_recv_frame(fd, &b, &l))
		return peer_fail(p, "%s", "no big frame");
	int ok = l == BIG;
	for (size_t i = 0; ok && i < l; i++)
		ok = b[i] == pattern(i);
	free(b);
	if (!ok)
		return peer_fail(p, "%s", "big frame corrupted");
	/* an empty frame both ways */
	if (peer_expect_frame(p, fd, ""))
		return -1;
	if (peer_send_frame(fd, "", 0))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_handshake_and_framing)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_framing);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "open: %s", err);
	char loc[64];
	snprintf(loc, sizeof loc, "tcp:127.0.0.1:%d", p.port);
	ck_assert_str_eq(t->location, loc);
	ck_assert_str_eq(t->serial, loc);

	char buf[64];
	size_t got = 99;
	ck_assert_int_eq(rf_transport_write(t, "getvar:product", 14, 2000),
			 RF_OK);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_OK);
	ck_assert_uint_eq(got, 11);
	ck_assert_mem_eq(buf, "OKAYMSM8974", 11);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_OK);
	ck_assert_uint_eq(got, 4);
	ck_assert_mem_eq(buf, "INFO", 4);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_OK);
	ck_assert_uint_eq(got, 6);
	ck_assert_mem_eq(buf, "INFOhi", 6);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_OK);
	ck_assert_uint_eq(got, 4);
	ck_assert_mem_eq(buf, "OKAY", 4);

	unsigned char *big = malloc(BIG);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < BIG; i++)
		big[i] = pattern(i);
	ck_assert_int_eq(rf_transport_write(t, big, BIG, 2000), RF_OK);
	free(big);
	ck_assert_int_eq(rf_transport_flush(t, 2000), RF_OK);
	ck_assert_int_eq(rf_transport_write(t, "", 0, 2000), RF_OK);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_OK);
	ck_assert_uint_eq(got, 0);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

/* The fastboot engine over a real socket: a whole download round trip. */
static int script_fastboot(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB01"))
		return -1;
	if (peer_expect_frame(p, fd, "getvar:max-download-size") ||
	    peer_send_frame(fd, "OKAY\t0x30000000", 15))
		return -1;
	if (peer_expect_frame(p, fd, "download:00001000") ||
	    peer_send_frame(fd, "DATA00001000", 12))
		return -1;
	size_t total = 0;
	while (total < 0x1000) {
		unsigned char *b = NULL;
		size_t l = 0;
		if (peer_recv_frame(fd, &b, &l))
			return peer_fail(p, "%s", "download data missing");
		for (size_t i = 0; i < l; i++)
			if (b[i] != (unsigned char)(total + i)) {
				free(b);
				return peer_fail(p, "%s", "data corrupted");
			}
		total += l;
		free(b);
	}
	if (total != 0x1000)
		return peer_fail(p, "%s", "too much data");
	if (peer_send_frame(fd, "INFOwriting", 11) ||
	    peer_send_frame(fd, "OKAY", 4))
		return -1;
	if (peer_expect_frame(p, fd, "flash:boot") ||
	    peer_send_frame(fd, "OKAY", 4))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_fastboot_engine)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_fastboot);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "open: %s", err);
	struct rf_fastboot fb;
	rf_fb_init(&fb, t);
	fb.timeout_ms = 3000;
	uint32_t mds = 0;
	ck_assert_int_eq(rf_fb_max_download_size(&fb, &mds), RF_OK);
	ck_assert_uint_eq(mds, 0x30000000u);
	unsigned char data[0x1000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)i;
	ck_assert_int_eq(rf_fb_download_begin(&fb, sizeof data), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 1000), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data + 1000,
					      sizeof data - 1000), RF_OK);
	ck_assert_msg(rf_fb_download_end(&fb) == RF_OK, "%s", fb.err);
	ck_assert_int_eq(rf_fb_flash(&fb, "boot"), RF_OK);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

/* ---- bad handshakes ---- */

static int script_answer_xx01(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "XX01"))
		return -1;
	peer_wait_close(fd);
	return 0;
}

static int script_answer_fb00(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB00"))
		return -1;
	peer_wait_close(fd);
	return 0;
}

static int script_answer_binary(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "\x1b\xff" "AB"))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_bad_handshake)
{
	struct {
		peer_script s;
		const char *quoted;
	} cases[] = {
		{ script_answer_xx01, "\"XX01\"" },
		{ script_answer_fb00, "\"FB00\"" },
		{ script_answer_binary, "\"\\x1b\\xffAB\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct peer p;
		char err[RF_ERRLEN] = "";
		int rc;
		peer_start(&p, cases[i].s);
		struct rf_transport *t = open_fb(&p, &rc, err);
		ck_assert_int_eq(rc, RF_EPROTO);
		ck_assert_ptr_null(t);
		ck_assert_msg(strstr(err, cases[i].quoted), "%s", err);
		ck_assert_msg(strstr(err, "FB01"), "%s", err);
		peer_join(&p);
	}
}
END_TEST

static int script_answer_fb02(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB02"))
		return -1;
	if (peer_expect_frame(p, fd, "reboot"))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_newer_version_accepted)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_answer_fb02);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "%s", err);
	ck_assert_int_eq(rf_transport_write(t, "reboot", 6, 1000), RF_OK);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

static int script_close_at_once(struct peer *p, int fd)
{
	(void)p;
	(void)fd;
	return 0;
}

START_TEST(tcp_peer_closes_during_handshake)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_close_at_once);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_EDISCONNECTED, "rc %d: %s", rc, err);
	ck_assert_ptr_null(t);
	peer_join(&p);
}
END_TEST

static int script_silent(struct peer *p, int fd)
{
	(void)p;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_handshake_timeout)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	struct rf_transport *t = NULL;
	peer_start(&p, script_silent);
	int rc = rf_tcp_open("127.0.0.1", p.port, RF_TCP_FASTBOOT, 200, &t,
			     err);
	ck_assert_int_eq(rc, RF_ETIMEDOUT);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, "handshake"), "%s", err);
	peer_join(&p);
}
END_TEST

/* ---- peer going away, silence, oversized frames ---- */

static int script_close_after_handshake(struct peer *p, int fd)
{
	return peer_handshake(p, fd, "FB01");
}

START_TEST(tcp_peer_closes)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_close_after_handshake);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "%s", err);
	peer_join(&p); /* the peer has closed its end */
	char buf[64];
	size_t got;
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_EDISCONNECTED);
	/* writes fail too, once the kernel has seen the reset */
	static unsigned char chunk[65536];
	int wrc = RF_OK;
	for (int i = 0; i < 200 && wrc == RF_OK; i++)
		wrc = rf_transport_write(t, chunk, sizeof chunk, 1000);
	ck_assert_int_eq(wrc, RF_EDISCONNECTED);
	rf_transport_close(t);
}
END_TEST

static int script_close_mid_frame(struct peer *p, int fd)
{
	unsigned char h[8];
	if (peer_handshake(p, fd, "FB01"))
		return -1;
	be64(h, 10);
	if (peer_send(fd, h, 8) || peer_send(fd, "OKA", 3))
		return -1;
	return 0;
}

START_TEST(tcp_peer_closes_mid_frame)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_close_mid_frame);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "%s", err);
	char buf[64];
	size_t got;
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_EDISCONNECTED);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

static int script_oversized(struct peer *p, int fd)
{
	char big[100];
	memset(big, 'A', sizeof big);
	if (peer_handshake(p, fd, "FB01") ||
	    peer_send_frame(fd, big, sizeof big) ||
	    peer_send_frame(fd, "OKAY", 4))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_frame_over_cap)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_oversized);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "%s", err);
	char buf[64];
	size_t got;
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_EPROTO);
	ck_assert_msg(strstr(t->err, "reply of 100 bytes exceeds"), "%s",
		      t->err);
	/* the stream is out of step now: nothing more is trusted */
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_EPROTO);
	ck_assert_int_eq(rf_transport_write(t, "x", 1, 2000), RF_EPROTO);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

static int script_late_reply(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB01"))
		return -1;
	/* let the client time out once, then answer */
	if (peer_expect_frame(p, fd, "now"))
		return -1;
	if (peer_send_frame(fd, "OKAY", 4))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_read_timeout_then_retry)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_late_reply);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "%s", err);
	char buf[64];
	size_t got;
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 100),
			 RF_ETIMEDOUT);
	ck_assert_int_eq(rf_transport_write(t, "now", 3, 1000), RF_OK);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 2000),
			 RF_OK);
	ck_assert_uint_eq(got, 4);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

static int release_pipe[2];

static int script_never_reads(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB01"))
		return -1;
	/* read nothing until the client says it is done */
	struct pollfd pf = { .fd = release_pipe[0], .events = POLLIN };
	poll(&pf, 1, 20000);
	return 0;
}

START_TEST(tcp_write_timeout)
{
	/* A peer that stops reading: the socket buffers fill and a write
	 * must give up after its timeout instead of blocking forever. */
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	ck_assert_int_eq(pipe(release_pipe), 0);
	peer_start(&p, script_never_reads);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "%s", err);
	size_t n = 1024 * 1024;
	unsigned char *chunk = calloc(1, n);
	ck_assert_ptr_nonnull(chunk);
	int wrc = RF_OK;
	for (int i = 0; i < 256 && wrc == RF_OK; i++)
		wrc = rf_transport_write(t, chunk, n, 200);
	free(chunk);
	ck_assert_msg(wrc == RF_ETIMEDOUT, "rc %d: %s", wrc, t->err);
	/* half a frame went out: the connection is unusable now */
	ck_assert_int_eq(rf_transport_write(t, "x", 1, 200), RF_EPROTO);
	ck_assert_int_eq(write(release_pipe[1], "x", 1), 1);
	rf_transport_close(t);
	peer_join(&p);
	close(release_pipe[0]);
	close(release_pipe[1]);
}
END_TEST

/* ---- connecting ---- */

START_TEST(tcp_connect_refused)
{
	int port;
	int fd = listen_local(1, &port);
	close(fd); /* nobody listens there now */
	char err[RF_ERRLEN] = "";
	struct rf_transport *t = (struct rf_transport *)1;
	int rc = rf_tcp_open("127.0.0.1", port, RF_TCP_FASTBOOT, 1000, &t,
			     err);
	ck_assert_int_eq(rc, RF_ENODEV);
	ck_assert_ptr_null(t);
	ck_assert_msg(strstr(err, "127.0.0.1"), "%s", err);
}
END_TEST

START_TEST(tcp_connect_timeout)
{
	/* A listener whose accept queue is full drops new SYNs, so connect
	 * neither succeeds nor fails: only the timeout ends it. */
	int port;
	int lfd = listen_local(0, &port);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fillers[4];
	for (int i = 0; i < 4; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fillers[i], (struct sockaddr *)&a, sizeof a);
	}
	usleep(50000);
	char err[RF_ERRLEN] = "";
	struct rf_transport *t = NULL;
	int rc = rf_tcp_open("127.0.0.1", port, RF_TCP_STREAM, 300, &t, err);
	/* SYN-dropping is the kernel's choice; when it completes the
	 * connection anyway, the handshake-less stream mode succeeds and
	 * there is nothing to assert. */
	if (rc != RF_OK) {
		ck_assert_msg(rc == RF_ETIMEDOUT, "rc %d: %s", rc, err);
		ck_assert_msg(strstr(err, "timed out"), "%s", err);
	} else {
		rf_transport_close(t);
	}
	for (int i = 0; i < 4; i++)
		close(fillers[i]);
	close(lfd);
}
END_TEST

START_TEST(tcp_open_bad_args)
{
	/* (no DNS lookup here: on a machine without network a resolver
	 * timeout would make the suite slow) */
	char err[RF_ERRLEN] = "";
	struct rf_transport *t = NULL;
	ck_assert_int_eq(rf_tcp_open("", 5554, RF_TCP_FASTBOOT, 1000, &t, err),
			 RF_EINVAL);
	ck_assert_int_eq(rf_tcp_open("127.0.0.1", 0, RF_TCP_FASTBOOT, 1000, &t,
				     err), RF_EINVAL);
}
END_TEST

/* ---- stream mode ---- */

static int script_stream(struct peer *p, int fd)
{
	char b[10];
	if (peer_recv(fd, b, 10) || memcmp(b, "CNXN\0\0\0\0ab", 10) != 0)
		return peer_fail(p, "%s", "stream bytes wrong (or framed)");
	if (peer_send(fd, "xyz", 3))
		return -1;
	peer_wait_close(fd);
	return 0;
}

START_TEST(tcp_stream_mode)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	struct rf_transport *t = NULL;
	peer_start(&p, script_stream);
	int rc = rf_tcp_open("localhost", p.port, RF_TCP_STREAM, 2000, &t,
			     err);
	if (rc == RF_ENODEV) {
		/* localhost resolving only to ::1 on some machines */
		rc = rf_tcp_open("127.0.0.1", p.port, RF_TCP_STREAM, 2000, &t,
				 err);
	}
	ck_assert_msg(rc == RF_OK, "%s", err);
	ck_assert_int_eq(rf_transport_write(t, "CNXN\0\0\0\0ab", 10, 1000),
			 RF_OK);
	char buf[16];
	size_t got = 0, total = 0;
	while (total < 3) {
		ck_assert_int_eq(rf_transport_read(t, buf + total,
						   sizeof buf - total, &got,
						   2000), RF_OK);
		ck_assert_uint_ge(got, 1);
		total += got;
	}
	ck_assert_uint_eq(total, 3);
	ck_assert_mem_eq(buf, "xyz", 3);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof buf, &got, 100),
			 RF_ETIMEDOUT);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

/* ---- parsing tcp: specs ---- */

START_TEST(tcp_parse_specs)
{
	char host[64], err[RF_ERRLEN];
	int port = 0;
	struct {
		const char *spec;
		const char *host;
		int port;
	} good[] = {
		{ "tcp:192.168.1.5", "192.168.1.5", 5554 },
		{ "tcp:192.168.1.5:1234", "192.168.1.5", 1234 },
		{ "tcp:phone.lan:65535", "phone.lan", 65535 },
		{ "tcp:[::1]:5556", "::1", 5556 },
		{ "tcp:[fe80::1%eth0]", "fe80::1%eth0", 5554 },
		{ "[::1]:7", "::1", 7 },
		{ "tcp:::1", "::1", 5554 },
		{ "localhost:1", "localhost", 1 },
		{ "tcp:h", "h", 5554 },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int rc = rf_tcp_parse(good[i].spec, 5554, host, sizeof host,
				      &port, err);
		ck_assert_msg(rc == RF_OK, "%s: %s", good[i].spec, err);
		ck_assert_str_eq(host, good[i].host);
		ck_assert_int_eq(port, good[i].port);
	}
	const char *bad[] = {
		"tcp:", "tcp::5554", "tcp:host:", "tcp:host:0",
		"tcp:host:65536", "tcp:host:12a", "tcp:host:-1",
		"tcp:host:+5", "tcp:[::1", "tcp:[::1]x", "tcp:[::1]:",
		"tcp:[]:5554", "tcp:ho st", "tcp:host\n", "tcp:[::1]:99999999",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		int rc = rf_tcp_parse(bad[i], 5554, host, sizeof host, &port,
				      err);
		ck_assert_msg(rc == RF_EINVAL, "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
	}
	/* host too long for the caller's buffer */
	char tiny[4];
	ck_assert_int_eq(rf_tcp_parse("tcp:abcd", 5554, tiny, sizeof tiny,
				      &port, err), RF_EINVAL);
	ck_assert_int_eq(rf_tcp_parse("tcp:abc", 5555, tiny, sizeof tiny,
				      &port, err), RF_OK);
	ck_assert_int_eq(port, 5555);
}
END_TEST

/* ---- a writing command waits until the connection ends ---- */

static int script_silent_then_close(struct peer *p, int fd)
{
	if (peer_handshake(p, fd, "FB01") ||
	    peer_expect_frame(p, fd, "erase:userdata"))
		return -1;
	usleep(1500 * 1000); /* silent for more than a wait slice */
	return 0;             /* then the connection closes */
}

START_TEST(tcp_writing_wait_ends_on_close)
{
	struct peer p;
	char err[RF_ERRLEN] = "";
	int rc;
	peer_start(&p, script_silent_then_close);
	struct rf_transport *t = open_fb(&p, &rc, err);
	ck_assert_msg(rc == RF_OK, "open: %s", err);
	struct rf_fastboot fb;
	rf_fb_init(&fb, t);
	fb.timeout_ms = 300;
	ck_assert_int_eq(rf_fb_erase(&fb, "userdata"), RF_EDISCONNECTED);
	ck_assert_msg(strstr(fb.err, "while writing"), "%s", fb.err);
	rf_transport_close(t);
	peer_join(&p);
}
END_TEST

static Suite *tcp_suite(void)
{
	Suite *s = suite_create("tcp");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tcp_handshake_and_framing);
	tcase_add_test(tc, tcp_fastboot_engine);
	tcase_add_test(tc, tcp_bad_handshake);
	tcase_add_test(tc, tcp_newer_version_accepted);
	tcase_add_test(tc, tcp_peer_closes_during_handshake);
	tcase_add_test(tc, tcp_handshake_timeout);
	tcase_add_test(tc, tcp_peer_closes);
	tcase_add_test(tc, tcp_peer_closes_mid_frame);
	tcase_add_test(tc, tcp_frame_over_cap);
	tcase_add_test(tc, tcp_read_timeout_then_retry);
	tcase_add_test(tc, tcp_write_timeout);
	tcase_add_test(tc, tcp_connect_refused);
	tcase_add_test(tc, tcp_connect_timeout);
	tcase_add_test(tc, tcp_open_bad_args);
	tcase_add_test(tc, tcp_stream_mode);
	tcase_add_test(tc, tcp_parse_specs);
	tcase_add_test(tc, tcp_writing_wait_ends_on_close);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tcp_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
