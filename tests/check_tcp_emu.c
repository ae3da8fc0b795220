/* fastboot over TCP against the emulated phone (tests/emu) served in a
 * thread: a write at an eMMC's pace far longer than the reply timeout, and
 * a reboot that returns once the phone has left (it lingers, then the port
 * refuses). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emu.h"
#include "emu_tcp.h"
#include "fastboot.h"
#include "transport_tcp.h"

/* The emulated phone (tests/emu) served over TCP in a thread, its state in
 * a fresh folder; a fastboot context connected to it. */
struct emu_peer {
	char dir[32];
	struct emu *em;
	struct emu_tcp *srv;
	struct rf_transport *t;
	struct rf_fastboot fb;
};

static void emu_peer_start(struct emu_peer *p, struct emu_opts o)
{
	char e[256];
	snprintf(p->dir, sizeof p->dir, "/tmp/check_tcp.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	o.state_dir = p->dir;
	p->em = emu_new(&o, e);
	ck_assert_msg(p->em != NULL, "%s", e);
	p->srv = emu_tcp_listen(p->em, 0, e);
	ck_assert_msg(p->srv != NULL, "%s", e);
	ck_assert_int_eq(emu_tcp_start(p->srv), 0);
	ck_assert_int_eq(rf_tcp_open("127.0.0.1", emu_tcp_port(p->srv), RF_TCP_FASTBOOT,
				     3000, &p->t, e), RF_OK);
	rf_fb_init(&p->fb, p->t);
}

static void emu_peer_stop(struct emu_peer *p)
{
	char cmd[64];
	rf_transport_close(p->t);
	emu_tcp_free(p->srv);
	emu_free(p->em);
	snprintf(cmd, sizeof cmd, "rm -rf %s", p->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int tcp_waits;
static double tcp_wrote;
static void tcp_on_wait(void *user, const char *cmd, double el, int done)
{
	(void)user;
	(void)cmd;
	tcp_waits++;
	if (done)
		tcp_wrote = el;
}

/* The emulated phone writes at 3 MB/s, silent: far longer than the reply
 * timeout, and no limit applies while the connection is alive. */
START_TEST(tcp_emu_slow_write)
{
	struct emu_peer p;
	emu_peer_start(&p, (struct emu_opts){ .write_mbps = 3 });
	p.fb.timeout_ms = 400;
	p.fb.on_wait = tcp_on_wait;
	tcp_waits = 0;
	static unsigned char buf[1 << 20];
	int rc = rf_fb_download_begin(&p.fb, 6u << 20);
	for (int i = 0; i < 6 && !rc; i++)
		rc = rf_fb_download_write(&p.fb, buf, sizeof buf);
	if (!rc)
		rc = rf_fb_download_end(&p.fb);
	ck_assert_msg(rc == RF_OK, "%s", p.fb.err);
	ck_assert_msg(rf_fb_flash(&p.fb, "system") == RF_OK, "%s", p.fb.err);
	ck_assert_msg(tcp_wrote >= 1.8, "wrote for %.2f s", tcp_wrote);
	ck_assert_int_ge(tcp_waits, 3);
	char v[65];
	ck_assert_int_eq(rf_fb_getvar(&p.fb, "product", v, sizeof v), RF_OK);
	emu_peer_stop(&p);
}
END_TEST

/* reboot-bootloader returns once the phone closed the connection (after
 * lingering 700 ms), and the port refuses until it is back. */
START_TEST(tcp_emu_reboot_leaves)
{
	struct emu_peer p;
	struct rf_transport *t2 = NULL;
	char e[256];
	emu_peer_start(&p, (struct emu_opts){ .leave_delay_ms = 700,
					     .reboot_delay_ms = 1000 });
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_msg(rf_fb_reboot_bootloader(&p.fb) == RF_OK, "%s", p.fb.err);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double dt = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	ck_assert_msg(dt >= 0.6, "returned after %.2f s", dt);
	ck_assert_int_eq(rf_tcp_open("127.0.0.1", emu_tcp_port(p.srv), RF_TCP_FASTBOOT,
				     1000, &t2, e), RF_ENODEV);
	emu_peer_stop(&p);
}
END_TEST

static Suite *tcp_emu_suite(void)
{
	Suite *s = suite_create("tcp_emu");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tcp_emu_slow_write);
	tcase_add_test(tc, tcp_emu_reboot_leaves);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tcp_emu_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
