/* The TCP transport against a tiny peer running in a thread on
 * 127.0.0.1:<ephemeral port> (tests/helpers/tcp_peer.c): the FB01
 * handshake (good, bad, newer, cut short, silent), framing both ways, the
 * fastboot engine over it, stream mode, and parsing tcp: specs.  A link
 * that goes wrong after the handshake (a peer closing, silence, oversized
 * frames, refused connections, a writing wait ended by the peer):
 * check_tcp_link.c.  Against the emulated phone: check_tcp_emu.c. */
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
	peer_be64(h, 4);
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
	peer_be64(two, 6);
	memcpy(two + 8, "INFOhi", 6);
	peer_be64(two + 14, 4);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
		struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	struct rf_transport *t = peer_open_fb(&p, &rc, err);
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
	tcase_add_test(tc, tcp_stream_mode);
	tcase_add_test(tc, tcp_parse_specs);
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
