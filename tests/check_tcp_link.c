/* The TCP transport's link going wrong, against a tiny peer in a thread on
 * 127.0.0.1:<ephemeral port> (tests/helpers/tcp_peer.c): the peer closing
 * after the handshake or mid-frame, a frame over the cap, a reply late
 * (a read timeout, then a retry), a peer that never reads (a write
 * timeout), connections refused or timing out, bad arguments, and a
 * writing wait ended by the peer closing.  Handshake, framing, stream
 * mode and specs: check_tcp.c. */
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
#include "tcp_peer.h"
#include "transport_tcp.h"

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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	peer_be64(h, 10);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	int fd = peer_listen_local(1, &port);
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
	int lfd = peer_listen_local(0, &port);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	Suite *s = suite_create("tcp_link");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tcp_peer_closes);
	tcase_add_test(tc, tcp_peer_closes_mid_frame);
	tcase_add_test(tc, tcp_frame_over_cap);
	tcase_add_test(tc, tcp_read_timeout_then_retry);
	tcase_add_test(tc, tcp_write_timeout);
	tcase_add_test(tc, tcp_connect_refused);
	tcase_add_test(tc, tcp_connect_timeout);
	tcase_add_test(tc, tcp_open_bad_args);
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
