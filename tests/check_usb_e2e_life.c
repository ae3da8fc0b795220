/* End-to-end, real life: the romflash binary against emulated USB phones
 * that write at an eMMC's pace, re-enumerate slowly, share the bus with
 * phones romflash cannot use, and are left in odd states by a host that
 * was killed.  Runs under umockdev-wrapper (helpers/rf_run.h). */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport_usb.h"
#include "helpers/phone_data.h"
#include "helpers/rf_run.h"
#include "helpers/usb_emu.h"

#define NOBODY "65534"

/* Wait until the phone's commands.log has a line starting with `what`. */
static void wait_for_command(const char *state, const char *what, double limit_s)
{
	double t0 = phone_now_s();
	for (;;) {
		char *log = e2e_commands_log(state);
		int seen = e2e_count_lines_starting(log, what) > 0;
		free(log);
		if (seen)
			return;
		ck_assert_msg(phone_now_s() - t0 < limit_s, "the phone never got %s", what);
		usleep(20 * 1000);
	}
}

/* romflash ARGS... started, killed (SIGKILL) once the phone got `cmd`, as
 * a user's kill -9 or a closed laptop; the kernel's cleanup is told to
 * the harness (usb_emu_host_died). */
static void run_killed_at(struct usb_emu *u, const char *state, const char *cmd,
			  const char *a0, const char *a1, const char *a2)
{
	pid_t pid = e2e_rf_start_as(NULL, a0, a1, a2, NULL);
	wait_for_command(state, cmd, 20);
	kill(pid, SIGKILL);
	ck_assert_int_eq(e2e_rf_collect(pid), 128 + SIGKILL);
	usb_emu_host_died(u, 0);
}

/* ---- the phone writing at an eMMC's pace ----------------------------------- */

START_TEST(test_flash_image_slow_phone)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	o.write_mbps = 2; /* 6 MiB: about 3.1 s of silence after the download */
	struct usb_emu *u = e2e_start_one(&o);
	const char *img = e2e_path("system.raw");
	e2e_make_image(img, 6 * MiB, 11, NULL, 0);

	ck_assert_msg(e2e_rf("flash-image", "system", img, NULL) == 0, RF_OUTPUT);
	e2e_expect_partition(o.state_dir, "system", img);
	/* the writing phase, apart from the sending */
	ck_assert_msg(strstr(e2e_out, "OK  sent 6.0 MiB in ") &&
		      strstr(e2e_out, "written in 3."), RF_OUTPUT);

	ck_assert_msg(e2e_rf("--json", "flash-image", "boot", img, NULL) == 0, RF_OUTPUT);
	/* the step's own progress, phase writing, once a second; its time in
	 * step_done */
	ck_assert_msg(strstr(e2e_out, "\"phase\":\"writing\"") &&
		      strstr(e2e_out, "\"write_seconds\":2.") &&
		      strstr(e2e_out, "\"send_seconds\":") &&
		      strstr(e2e_out, "\"write_seconds\":3."), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* ---- waiting for the phone ------------------------------------------------- */

/* `reboot bootloader` returns once the phone has left the bus (it lingers
 * a moment, as a real one); `getvar` right after waits for it to return. */
START_TEST(test_reboot_then_getvar)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	o.leave_delay_ms = 400;
	o.reboot_delay_ms = 1500;
	struct usb_emu *u = e2e_start_one(&o);
	struct usb_emu_stats st;

	double t0 = phone_now_s();
	ck_assert_msg(e2e_rf("reboot", "bootloader", NULL) == 0, RF_OUTPUT);
	ck_assert(phone_now_s() - t0 >= 0.4);
	usb_emu_get_stats(u, 0, &st);
	ck_assert_msg(!st.online && st.drops == 1, "still on the bus when romflash returned");

	t0 = phone_now_s();
	ck_assert_msg(e2e_rf("-v", "getvar", "product", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(phone_now_s() - t0 >= 0.8, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "product: MSM8974\n"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "waiting for a phone in fastboot mode (hold "
			     "Volume-Down + Power)"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

struct later {
	struct usb_emu *u;
	struct usb_emu_devcfg cfg;
	unsigned mode;
	int delay_ms;
};

static void *plug_later(void *arg)
{
	struct later *l = arg;
	char e[256];
	usleep((useconds_t)l->delay_ms * 1000);
	int k = usb_emu_add(l->u, &l->cfg, e);
	if (k < 0)
		fprintf(stderr, "plug_later: %s\n", e);
	else if (l->mode)
		usb_emu_set_node_mode(l->u, k, l->mode);
	return NULL;
}

START_TEST(test_waits_for_phone)
{
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	struct emu_opts o = e2e_phone_opts("phone", "LATE01");
	struct later l = { u, { .emu = &o }, 0, 1500 };
	pthread_t th;

	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	ck_assert_int_eq(pthread_create(&th, NULL, plug_later, &l), 0);
	double t0 = phone_now_s();
	int rc = e2e_rf("--wait", "20", "getvar", "serialno", NULL);
	double dt = phone_now_s() - t0;
	pthread_join(th, NULL);
	ck_assert_msg(rc == 0, RF_OUTPUT);
	ck_assert_msg(dt >= 1.4, "took %.2f s", dt);
	ck_assert_msg(strstr(e2e_out, "serialno: LATE01"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_android_serial)
{
	struct emu_opts o1 = e2e_phone_opts("p1", "EMU0001");
	struct emu_opts o2 = e2e_phone_opts("p2", "EMU0002");
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	struct usb_emu_devcfg c1 = { .emu = &o1 }, c2 = { .emu = &o2 };
	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	ck_assert_int_eq(usb_emu_add(u, &c1, e2e_errbuf), 0);
	ck_assert_int_eq(usb_emu_add(u, &c2, e2e_errbuf), 1);

	setenv("ANDROID_SERIAL", "EMU0002", 1);
	ck_assert_msg(e2e_rf("getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "serialno: EMU0002"), RF_OUTPUT);
	/* -s wins */
	ck_assert_msg(e2e_rf("-s", "EMU0001", "getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "serialno: EMU0001"), RF_OUTPUT);
	unsetenv("ANDROID_SERIAL");
	ck_assert_msg(e2e_rf("--wait", "0", "getvar", "serialno", NULL) == 4, RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* ---- devices, for real life ------------------------------------------------ */

/* A good phone, one at full speed, a Xiaomi in MTP mode and one another
 * program holds (this test process): every row says what it is, and the
 * held phone is not touched. */
START_TEST(test_devices_real_life)
{
	struct emu_opts o1 = e2e_phone_opts("p1", "GOOD01");
	struct emu_opts o2 = e2e_phone_opts("p2", "SLOW02");
	struct emu_opts o4 = e2e_phone_opts("p4", "HELD04");
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	struct usb_emu_devcfg c1 = { .emu = &o1 }, c2 = { .emu = &o2, .speed = "12" };
	struct usb_emu_devcfg c3 = { .vid = 0x2717, .pid = 0xff48, .serial = "MTP03",
				     .product = "Mi 4", .iclass = 6, .isubclass = 1,
				     .iprotocol = 1 };
	struct usb_emu_devcfg c4 = { .emu = &o4 };
	struct rf_transport *held = NULL;
	struct usb_emu_stats st;
	char err[RF_ERRLEN];

	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	ck_assert_int_eq(usb_emu_add(u, &c1, e2e_errbuf), 0);
	ck_assert_int_eq(usb_emu_add(u, &c2, e2e_errbuf), 1);
	ck_assert_int_eq(usb_emu_add(u, &c3, e2e_errbuf), 2);
	ck_assert_int_eq(usb_emu_add(u, &c4, e2e_errbuf), 3);
	ck_assert_int_eq(rf_usb_open("HELD04", RF_USB_PROTO_FASTBOOT, 0, &held, err), RF_OK);

	ck_assert_msg(e2e_rf("devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "GOOD01") && strstr(e2e_out, "MSM8974"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "slow") && strstr(e2e_out, "full speed (12 Mbit/s)"),
		      RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "MTP03") && strstr(e2e_out, "mtp") &&
		      strstr(e2e_out, "not in fastboot: hold Volume-Down + Power"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "HELD04") && strstr(e2e_out, "busy") &&
		      strstr(e2e_out, "in use by another program"), RF_OUTPUT);
	ck_assert_msg(e2e_rf("--json", "devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "\"serial\":\"SLOW02\",\"mode\":\"fastboot\","
			     "\"product\":\"MSM8974\",\"location\":\"usb:1-2\","
			     "\"speed\":\"12 Mbit/s\",\"state\":\"slow\""), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "\"mode\":\"mtp\"") &&
		      strstr(e2e_out, "\"state\":\"wrong-mode\""), RF_OUTPUT);
	/* the held phone: opened once (by us), asked nothing */
	usb_emu_get_stats(u, 3, &st);
	ck_assert_uint_eq(st.opens, 1);
	char *log = e2e_commands_log(o4.state_dir);
	ck_assert_msg(!log[0], "the held phone was talked to:\n%s", log);
	free(log);
	rf_transport_close(held);

	/* a flash to the slow phone says why it is slow */
	const char *img = e2e_path("boot.img");
	e2e_make_image(img, 64 * KiB, 3, NULL, 0);
	ck_assert_msg(e2e_rf("-s", "SLOW02", "flash-image", "boot", img, NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "warning: SLOW02 (usb:1-2) runs at USB full speed"),
		      RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* No phone in fastboot mode, but phones in other modes: the error says
 * which and how to get it into fastboot. */
START_TEST(test_wrong_mode_hint)
{
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	struct emu_opts o = e2e_phone_opts("p2", "ADB02");
	struct usb_emu_devcfg mtp = { .vid = 0x2717, .pid = 0xff48, .serial = "MTP01",
				      .iclass = 6, .isubclass = 1, .iprotocol = 1 };
	struct usb_emu_devcfg adb = { .proto = RF_USB_PROTO_ADB, .emu = &o };

	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	ck_assert_int_eq(usb_emu_add(u, &mtp, e2e_errbuf), 0);
	ck_assert_msg(e2e_rf("--wait", "0", "getvar", "product", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "usb:1-1 is in MTP or charging mode: hold "
			     "Volume-Down + Power"), RF_OUTPUT);
	ck_assert_int_eq(usb_emu_add(u, &adb, e2e_errbuf), 1);
	/* a phone in an adb mode does not come into fastboot by itself: said
	 * at once, not after the wait (flash then offers to move it) */
	double t0 = phone_now_s();
	ck_assert_msg(e2e_rf("--wait", "20", "-s", "ADB02", "getvar", "product", NULL) == 4,
		      RF_OUTPUT);
	ck_assert_msg(phone_now_s() - t0 < 10, "waited %.1f s", phone_now_s() - t0);
	ck_assert_msg(strstr(e2e_err, "ADB02 (usb:1-2) is in adb mode"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* Without permission (as user nobody, the node 0600): the row says so
 * with the fix, and a command says "no permission", not "no phone" --
 * also for a phone that appears during the wait. */
START_TEST(test_no_permission)
{
	if (access("/usr/bin/setpriv", X_OK) != 0) {
		const char *ci = getenv("CI");
		ck_assert_msg(!(ci && !strcmp(ci, "true")), "setpriv missing (util-linux)");
		printf("SKIP: test_no_permission: no setpriv\n");
		return;
	}
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	struct emu_opts o1 = e2e_phone_opts("p1", "PERM01");
	struct usb_emu_devcfg c1 = { .emu = &o1 };
	/* (no seat: an SSH or headless session, whatever session runs the
	 * tests) */
	char *as_nobody[] = { "env", "-u", "XDG_SEAT", "setpriv", "--reuid=" NOBODY,
			      "--regid=" NOBODY, "--clear-groups", NULL };

	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	/* the testbed must be readable by nobody (sysfs; and umockdev makes
	 * its uevent socket there), the node not */
	ck_assert_int_eq(chmod(usb_emu_root(u), 01777), 0);
	ck_assert_int_eq(chmod(e2e_dir, 0755), 0);
	ck_assert_int_eq(usb_emu_add(u, &c1, e2e_errbuf), 0);
	usb_emu_set_node_mode(u, 0, 0600);

	ck_assert_msg(e2e_rf_collect(e2e_rf_start_as(as_nobody, "devices", NULL)) == 0,
		      RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "PERM01") && strstr(e2e_out, "no-permission") &&
		      strstr(e2e_out, "udev") && strstr(e2e_out, "plugdev"), RF_OUTPUT);
	/* at the machine's own seat (logind's uaccess): the rules alone
	 * (romflash(1), XDG_SEAT) */
	char *at_seat[] = { "env", "XDG_SEAT=seat0", "setpriv", "--reuid=" NOBODY,
			    "--regid=" NOBODY, "--clear-groups", NULL };
	ck_assert_msg(e2e_rf_collect(e2e_rf_start_as(at_seat, "devices", NULL)) == 0,
		      RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "no-permission") && strstr(e2e_out, "udev") &&
		      !strstr(e2e_out, "plugdev"), RF_OUTPUT);
	ck_assert_msg(e2e_rf_collect(e2e_rf_start_as(as_nobody, "getvar", "product",
						     NULL)) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "no permission") && strstr(e2e_err, "udev"),
		      RF_OUTPUT);

	/* a phone that comes (back) while romflash waits, without access */
	struct emu_opts o2 = e2e_phone_opts("p2", "PERM02");
	struct later l = { u, { .emu = &o2 }, 0600, 1000 };
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, plug_later, &l), 0);
	double t0 = phone_now_s();
	int rc = e2e_rf_collect(e2e_rf_start_as(as_nobody, "--wait", "15", "-s", "PERM02",
						"getvar", "product", NULL));
	double dt = phone_now_s() - t0;
	pthread_join(th, NULL);
	ck_assert_msg(rc == 1, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "no permission") && !strstr(e2e_err, "no phone"),
		      RF_OUTPUT);
	ck_assert_msg(dt < 12, "waited %.1f s: the whole wait", dt);
	usb_emu_stop(u);
}
END_TEST

/* ---- what a killed or stopped host leaves behind ----------------------------- */

/* Killed in the middle of a download: the next run says the phone is still
 * inside a download and to re-plug it; after a re-plug all is well. */
START_TEST(test_killed_mid_download)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	o.throttle_mbps = 8;
	struct usb_emu *u = e2e_start_one(&o);
	const char *img = e2e_path("system.raw");
	e2e_make_image(img, 16 * MiB, 5, NULL, 0);

	/* the 8 MB/s phone takes 2 s for it: killed in the middle */
	run_killed_at(u, o.state_dir, "download:", "flash-image", "system", img);

	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "inside a download") &&
		      strstr(e2e_err, "unplug and re-plug"), RF_OUTPUT);
	usb_emu_replug(u, 0, 300);
	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "product: MSM8974"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* Killed while the phone writes: the phone takes no command until it is
 * done (the next run says so), then its late OKAY is dropped, not read as
 * the answer to something else. */
START_TEST(test_killed_during_write)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	o.write_mbps = 1; /* 4 MiB: about 4.2 s */
	struct usb_emu *u = e2e_start_one(&o);
	const char *img = e2e_path("boot.raw");
	e2e_make_image(img, 4 * MiB, 6, NULL, 0);

	run_killed_at(u, o.state_dir, "flash:boot", "flash-image", "boot", img);
	double t0 = phone_now_s(); /* the write began a moment before */

	/* busy: not usable now, as a phone another program holds (exit 4) */
	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "busy") && strstr(e2e_err, "earlier run"), RF_OUTPUT);
	while (phone_now_s() - t0 < 5.0)
		usleep(100 * 1000);
	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "product: MSM8974\n"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "dropped replies an earlier run left unread: "
			     "\"OKAY\""), RF_OUTPUT);
	e2e_expect_partition(o.state_dir, "boot", img);
	usb_emu_stop(u);
}
END_TEST

/* SIGHUP (a closed terminal or SSH session) stops like SIGTERM: the
 * download under way is finished, nothing more is written, exit 130, and
 * the phone is left in a state the next run can use. */
START_TEST(test_sighup_like_sigterm)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	e2e_small_max_download(&o);
	o.throttle_mbps = 2;
	struct usb_emu *u = e2e_start_one(&o);
	const char *img = e2e_path("system.raw");
	e2e_make_image(img, 4 * MiB, 7, NULL, 0);

	pid_t pid = e2e_rf_start_as(NULL, "flash-image", "system", img, NULL);
	wait_for_command(o.state_dir, "flash:system", 30);
	kill(pid, SIGHUP);
	ck_assert_msg(e2e_rf_collect(pid) == 130, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "stopping after the current download"), RF_OUTPUT);
	char *log = e2e_commands_log(o.state_dir);
	int dl = e2e_count_lines_starting(log, "download:");
	int fl = e2e_count_lines_starting(log, "flash:system");
	/* 5 pieces; the one under way when the signal came is finished and
	 * flashed or left unflashed, none is started after */
	ck_assert_msg(dl >= 1 && dl < 5 && (fl == dl || fl == dl - 1), "log:\n%s", log);
	free(log);
	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(!strstr(e2e_err, "dropped"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

static Suite *life_suite(void)
{
	Suite *s = suite_create("usb_e2e_life");
	TCase *tc = tcase_create("usb_e2e_life");
	tcase_add_checked_fixture(tc, e2e_setup, e2e_teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_flash_image_slow_phone);
	tcase_add_test(tc, test_reboot_then_getvar);
	tcase_add_test(tc, test_waits_for_phone);
	tcase_add_test(tc, test_android_serial);
	tcase_add_test(tc, test_devices_real_life);
	tcase_add_test(tc, test_wrong_mode_hint);
	tcase_add_test(tc, test_no_permission);
	tcase_add_test(tc, test_killed_mid_download);
	tcase_add_test(tc, test_killed_during_write);
	tcase_add_test(tc, test_sighup_like_sigterm);
	suite_add_tcase(s, tc);
	return s;
}


int main(void)
{
	return usb_emu_suite_main(life_suite());
}
