/* The fastboot engine's timing against a scripted fake transport: writing
 * commands wait with no cap while the link is alive (reported through
 * on_wait), reboots return once the phone has left, and rf_fb_sync tells a
 * connection an earlier run left in a bad state from a healthy one.  Each
 * scripted RF_ETIMEDOUT is one silent slice: no real time passes. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastboot.h"
#include "helpers/fake_transport.h"

static struct fake_transport *f;
static struct rf_fastboot fb;

static void setup(void)
{
	f = fake_transport_new();
	rf_fb_init(&fb, &f->t);
}

static void teardown(void)
{
	rf_transport_close(&f->t);
	f = NULL;
}

#define WIRE_IS(i, s) ck_assert_msg(fake_transport_write_is(f, (i), (s)), \
				    "write %d is not \"%s\"", (int)(i), (s))

/* ---- writing commands: no cap while the link is alive ---- */

static int waits, waits_done, wait_bad_order;
static double wait_last;
static char wait_cmd[64];
static volatile sig_atomic_t wait_stop;
static void on_wait(void *user, const char *cmd, double el, int done)
{
	(void)user;
	if (waits_done || el < wait_last)
		wait_bad_order = 1;
	if (!waits && (el != 0 || done))
		wait_bad_order = 1; /* the phase starts at 0, not done */
	wait_last = el;
	waits++;
	waits_done += done;
	snprintf(wait_cmd, sizeof wait_cmd, "%s", cmd);
	if (waits == 3)
		wait_stop = 1; /* Ctrl-C during the write */
}

static void reset_waits(void)
{
	waits = waits_done = wait_bad_order = 0;
	wait_last = 0;
	wait_cmd[0] = 0;
	wait_stop = 0;
}

START_TEST(writing_wait_has_no_cap)
{
	reset_waits();
	fb.timeout_ms = 50;
	fb.on_wait = on_wait;
	fb.cancel = &wait_stop;
	/* 40 slices of silence: far more than any fixed reply timeout */
	for (int i = 0; i < 40; i++)
		fake_transport_reply_error(f, RF_ETIMEDOUT);
	fake_transport_reply(f, "OKAY");
	ck_assert_msg(rf_fb_flash(&fb, "system") == RF_OK, "%s", fb.err);
	ck_assert_int_eq(f->last_read_timeout, RF_FB_WAIT_SLICE_MS);
	ck_assert_uint_eq(f->reads, 41);
	/* start, one call per silent slice, end; the stop request (set at
	 * the 3rd call) did not cut the wait */
	ck_assert_int_eq(waits, 42);
	ck_assert_int_eq(waits_done, 1);
	ck_assert_int_eq(wait_bad_order, 0);
	ck_assert_str_eq(wait_cmd, "flash:system");
	ck_assert_int_eq(wait_stop, 1);
}
END_TEST

START_TEST(writing_wait_ends_with_the_link)
{
	reset_waits();
	fb.on_wait = on_wait;
	for (int i = 0; i < 3; i++)
		fake_transport_reply_error(f, RF_ETIMEDOUT);
	fake_transport_reply_error(f, RF_EDISCONNECTED);
	ck_assert_int_eq(rf_fb_erase(&fb, "userdata"), RF_EDISCONNECTED);
	ck_assert_msg(strstr(fb.err, "while writing") &&
		      strstr(fb.err, "erase:userdata"), "%s", fb.err);
	ck_assert_int_eq(waits_done, 1);
}
END_TEST

START_TEST(writing_wait_optional_cap)
{
	fb.write_timeout_ms = 30;
	/* the fake answers nothing, forever */
	ck_assert_int_eq(rf_fb_oem(&fb, "unlock"), RF_ETIMEDOUT);
	ck_assert_msg(strstr(fb.err, "no reply to 'oem unlock'"), "%s", fb.err);
	ck_assert_uint_gt(f->reads, 1);
}
END_TEST

START_TEST(writing_commands)
{
	const char *yes[] = { "flash:system", "flash:a+b", "erase:cache", "boot",
			      "oem unlock", "flashing lock", "format:ext4:userdata",
			      "set_active:a" };
	const char *no[] = { "getvar:product", "download:00001000", "reboot",
			     "reboot-bootloader", "continue", "booted", "flash" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		ck_assert_msg(rf_fb_is_writing(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		ck_assert_msg(!rf_fb_is_writing(no[i]), "%s", no[i]);
}
END_TEST

/* ---- reboots wait for the phone to leave ---- */

START_TEST(reboot_waits_until_gone)
{
	fake_transport_reply(f, "OKAY");
	fake_transport_reply_error(f, RF_ETIMEDOUT);
	fake_transport_reply(f, "INFOrebooting"); /* ignored */
	fake_transport_reply_error(f, RF_ETIMEDOUT);
	fake_transport_reply_error(f, RF_EDISCONNECTED);
	ck_assert_int_eq(rf_fb_reboot_bootloader(&fb), RF_OK);
	ck_assert_uint_eq(f->reads, 5);
	ck_assert_uint_eq(fake_transport_pending(f), 0);
}
END_TEST

START_TEST(reboot_phone_never_leaves)
{
	fb.leave_timeout_ms = 30;
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_reboot_bootloader(&fb), RF_ETIMEDOUT);
	ck_assert_msg(strstr(fb.err, "still there"), "%s", fb.err);
}
END_TEST

/* ---- a connection left in a bad state by an earlier run ---- */

START_TEST(sync_clean)
{
	char stale[256];
	fake_transport_reply_error(f, RF_ETIMEDOUT);
	fake_transport_reply(f, "OKAY0.4");
	ck_assert_msg(rf_fb_sync(&fb, stale, sizeof stale) == RF_OK, "%s", fb.err);
	ck_assert_str_eq(stale, "");
	WIRE_IS(0, "getvar:version");
	ck_assert_uint_eq(f->nwrites, 1);
	ck_assert_int_eq(f->last_read_timeout, RF_FB_DRAIN_MS);
}
END_TEST

START_TEST(sync_drops_stale_replies)
{
	char stale[256];
	/* a flash an earlier run gave up on, answered after it left */
	fake_transport_reply(f, "INFOwritten");
	fake_transport_reply(f, "OKAY");
	fake_transport_reply_error(f, RF_ETIMEDOUT);
	fake_transport_reply(f, "OKAY0.4");
	ck_assert_msg(rf_fb_sync(&fb, stale, sizeof stale) == RF_OK, "%s", fb.err);
	ck_assert_str_eq(stale, "\"INFOwritten\", \"OKAY\"");
	/* what follows is read in step */
	fake_transport_reply(f, "OKAYMSM8974");
	char v[65];
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", v, sizeof v), RF_OK);
	ck_assert_str_eq(v, "MSM8974");
}
END_TEST

START_TEST(sync_stale_reply_comes_late)
{
	char stale[256];
	fake_transport_reply_error(f, RF_ETIMEDOUT);
	/* the phone finished an earlier write just now: its OKAY comes
	 * first, then the probe's answer */
	fake_transport_reply(f, "OKAY");
	fake_transport_reply(f, "OKAY0.4");
	ck_assert_msg(rf_fb_sync(&fb, stale, sizeof stale) == RF_OK, "%s", fb.err);
	ck_assert_uint_eq(fake_transport_pending(f), 0);
	ck_assert_ptr_nonnull(strstr(stale, "OKAY0.4"));
}
END_TEST

START_TEST(sync_phone_busy)
{
	f->flush_error = RF_ETIMEDOUT;
	ck_assert_int_eq(rf_fb_sync(&fb, NULL, 0), RF_EBUSY);
	ck_assert_msg(strstr(fb.err, "busy") && strstr(fb.err, "earlier run"),
		      "%s", fb.err);
}
END_TEST

START_TEST(sync_inside_download)
{
	/* nothing left, and the probe is swallowed as image data */
	ck_assert_int_eq(rf_fb_sync(&fb, NULL, 0), RF_EPROTO);
	ck_assert_msg(strstr(fb.err, "inside a download") &&
		      strstr(fb.err, "unplug and re-plug"), "%s", fb.err);
	ck_assert_int_eq(f->last_read_timeout, RF_FB_PROBE_MS);
}
END_TEST

static Suite *timing_suite(void)
{
	Suite *s = suite_create("fastboot_timing");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, writing_wait_has_no_cap);
	tcase_add_test(tc, writing_wait_ends_with_the_link);
	tcase_add_test(tc, writing_wait_optional_cap);
	tcase_add_test(tc, writing_commands);
	tcase_add_test(tc, reboot_waits_until_gone);
	tcase_add_test(tc, reboot_phone_never_leaves);
	tcase_add_test(tc, sync_clean);
	tcase_add_test(tc, sync_drops_stale_replies);
	tcase_add_test(tc, sync_stale_reply_comes_late);
	tcase_add_test(tc, sync_phone_busy);
	tcase_add_test(tc, sync_inside_download);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(timing_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
