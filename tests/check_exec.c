/* The flash executor on its own: plans run against in-process fake phones
 * (tests/helpers/fake_phone.c, exec_bench.c), no binary, no sockets.
 *
 * Step dispatch (every step kind, in order, bytes written), the failure of
 * each kind of step (what the report says the phone's state is, what
 * progress is saved), resume bookkeeping (identity recorded, start step,
 * cleared at the end), several phones (one fails, the others finish; one
 * waits for the other to finish entirely: the phones do not run in
 * lockstep; one falls behind the shared window and reads on its own).
 * The preflight's refusals: check_preflight.c. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exec_bench.h"
#include "fake_phone.h"
#include "flash_exec.h"
#include "flash_run.h"
#include "image_feed.h"
#include "package.h"
#include "plan.h"
#include "resume.h"

/* ---- dispatch ---- */

START_TEST(test_dispatch)
{
	struct bench b;
	const char *dir = bench_std_package();
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 1);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "flash:tz\nerase:boot\noem lock\nset_active:a\nreboot-bootloader\n"
			    "flash:system\nflash:boot\nreboot\n");
	free(w);
	bench_expect_part(b.ph[0], "tz", dir, "tz.mbn");
	bench_expect_part(b.ph[0], "system", dir, "system.img");
	bench_expect_part(b.ph[0], "boot", dir, "boot.img");
	ck_assert_int_eq(fake_phone_rebooted(b.ph[0]), 1);
	/* every step started and done, none failed, one summary */
	ck_assert_int_eq(bench_count_events(RF_EV_STEP_START, "SER1"), (int)b.plan.steps.n);
	ck_assert_int_eq(bench_count_events(RF_EV_STEP_DONE, "SER1"), (int)b.plan.steps.n);
	ck_assert_int_eq(bench_count_events(RF_EV_FAILURE, NULL), 0);
	ck_assert_int_eq(bench_count_events(RF_EV_SUMMARY, NULL), 1);
	/* no progress left behind */
	struct rf_resume rs;
	char err[RF_ERRLEN];
	ck_assert_int_eq(rf_resume_load(&b.tg[0].ident, &rs, err), RF_ENODEV);
	bench_close(&b);
}
END_TEST

/* A raw image larger than max-download-size goes in sparse pieces. */
START_TEST(test_split)
{
	struct bench b;
	const char *dir = bench_std_package();
	bench_open(&b, dir, 1);
	fake_phone_max_download(b.ph[0], 1 << 20);
	ck_assert_int_eq(bench_run(&b), 1);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_msg(strstr(w, "flash:system\nflash:system\nflash:system\nflash:system\n"), "%s", w);
	free(w);
	bench_expect_part(b.ph[0], "system", dir, "system.img");
	bench_close(&b);
}
END_TEST

/* ---- failures ---- */

struct fault {
	const char *what;     /* fake_phone_fail prefix, or "cut", "noreturn" */
	int step;             /* 0-based step that fails */
	const char *state;    /* in the report's state */
	const char *wrote, *erased;
	int rc;
};

static const struct fault faults[] = {
	{ "flash:tz", 1, "bootloader partition tz may be half written: do NOT unplug", "", "", RF_EFAIL },
	{ "erase:boot", 2, "the phone refused to erase boot", "tz", "", RF_EFAIL },
	{ "oem lock", 3, "the phone refused 'oem lock'", "tz", "boot", RF_EFAIL },
	{ "set_active", 4, "the phone refused 'set_active a'", "tz", "boot", RF_EFAIL },
	{ "reboot-bootloader", 5, "the phone refused to restart; it is still in fastboot mode",
	  "tz", "boot", RF_EFAIL },
	{ "noreturn", 5, "did not come back in fastboot mode within 1 s", "tz", "boot",
	  RF_EDISCONNECTED },
	{ "flash:system", 6, "partition system may be incomplete", "tz", "boot", RF_EFAIL },
	{ "cut", 6, "nothing of system was written", "tz", "boot", RF_EDISCONNECTED },
	{ "flash:boot", 7, "partition boot may be incomplete", "tz, system", "boot", RF_EFAIL },
};

START_TEST(test_fail_each_kind)
{
	const struct fault *f = &faults[_i];
	struct bench b;
	struct rf_resume rs;
	char err[RF_ERRLEN];
	const char *dir = bench_std_package();

	bench_open(&b, dir, 1);
	if (!strcmp(f->what, "cut"))
		fake_phone_cut_after(b.ph[0], 70000 + 1000000); /* inside system */
	else if (!strcmp(f->what, "noreturn"))
		fake_phone_no_return(b.ph[0]);
	else
		fake_phone_fail(b.ph[0], f->what, 1, NULL);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].failed_step, f->step);
	ck_assert_int_eq(b.tg[0].rc, f->rc);
	const struct bench_seen *s = bench_failure_of("SER1");
	ck_assert_msg(s, "%s: no failure event", f->what);
	ck_assert_int_eq(s->report_step, f->step);
	ck_assert_msg(strstr(s->state, f->state), "%s: state '%s', want '%s'", f->what, s->state,
		      f->state);
	ck_assert_str_eq(s->wrote, f->wrote);
	ck_assert_str_eq(s->erased, f->erased);
	ck_assert_msg(strstr(s->resume, "romflash -s SER1 flash PKG --resume"), "%s", s->resume);
	/* the failed step is where the resume starts */
	ck_assert_int_eq(rf_resume_load(&b.tg[0].ident, &rs, err), RF_OK);
	ck_assert_int_eq(rs.next, (size_t)f->step);
	ck_assert_str_eq(rs.phone.serial, "SER1");
	ck_assert_str_eq(rs.phone.product, "MSM8974");
	bench_close(&b);
}
END_TEST

/* The bootloader chain warning only when `flash:` was sent: a transfer
 * cut before it wrote nothing. */
START_TEST(test_cut_bootloader_download)
{
	struct bench b;
	bench_open(&b, bench_std_package(), 1);
	fake_phone_cut_after(b.ph[0], 30000); /* inside tz's download */
	ck_assert_int_eq(bench_run(&b), 0);
	const struct bench_seen *s = bench_failure_of("SER1");
	ck_assert(s);
	ck_assert_msg(strstr(s->state, "nothing of tz was written"), "%s", s->state);
	ck_assert_msg(!strstr(s->state, "do NOT unplug"), "%s", s->state);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "");
	free(w);
	bench_close(&b);
}
END_TEST

/* A failed erase the script does not check is a warning, as with bash:
 * the flash goes on (the step is reported skipped, not erased). */
START_TEST(test_unchecked_erase)
{
	struct bench b;
	const char *dir = bench_package(BENCH_PKGNAME,
		"fastboot $* erase DDR\n"
		"fastboot $* flash boot `dirname $0`/images/boot.img\n");
	bench_image(dir, "boot.img", 1000, 3);
	bench_open(&b, dir, 1);
	fake_phone_fail(b.ph[0], "erase:DDR", 1, NULL);
	ck_assert_int_eq(bench_run(&b), 1);
	ck_assert_int_eq(bench_count_events(RF_EV_WARNING, "SER1"), 1);
	ck_assert_int_eq(bench_count_events(RF_EV_STEP_SKIPPED, "SER1"), 1);
	ck_assert_int_eq(bench_count_events(RF_EV_FAILURE, NULL), 0);
	bench_expect_part(b.ph[0], "boot", dir, "boot.img");
	bench_close(&b);
}
END_TEST

/* ---- resume ---- */

START_TEST(test_resume_start)
{
	struct bench b;
	struct rf_resume rs;
	char err[RF_ERRLEN];
	const char *dir = bench_std_package();

	bench_open(&b, dir, 1);
	fake_phone_fail(b.ph[0], "flash:system", 1, NULL);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(rf_resume_load(&b.tg[0].ident, &rs, err), RF_OK);
	ck_assert_int_eq(rs.next, 6);
	ck_assert_str_eq(rs.mode, "keep-data");
	bench_close(&b);
	/* the resumed run starts at the saved step: system, boot, reboot */
	bench_open(&b, dir, 1);
	b.tg[0].start = rs.next;
	ck_assert_int_eq(bench_run(&b), 1);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "flash:system\nflash:boot\nreboot\n");
	free(w);
	ck_assert_int_eq(bench_count_events(RF_EV_STEP_START, "SER1"), 3);
	/* done: nothing left to resume */
	ck_assert_int_eq(rf_resume_load(&b.tg[0].ident, &rs, err), RF_ENODEV);
	bench_close(&b);
}
END_TEST

/* Progress is saved by identity: another phone at the same address finds
 * the first one's progress as somebody else's. */
START_TEST(test_resume_identity)
{
	struct rf_resume rs, other;
	struct rf_phone_id a = { "AAAA1111", "MSM8974", "", "tcp:127.0.0.1:5554" };
	struct rf_phone_id b = { "BBBB2222", "MSM8974", "", "tcp:127.0.0.1:5554" };
	char err[RF_ERRLEN];
	memset(&rs, 0, sizeof rs);
	rs.phone = a;
	rs.nsteps = 18;
	rs.next = 9;
	ck_assert_int_eq(rf_resume_save(&rs, err), RF_OK);
	ck_assert_int_eq(rf_resume_load(&b, &other, err), RF_ENODEV);
	ck_assert_int_eq(rf_resume_find_at(b.address, &b, &other), RF_OK);
	ck_assert_str_eq(other.phone.serial, "AAAA1111");
	ck_assert_int_eq(rf_resume_find_at(a.address, &a, &other), RF_ENODEV);
	ck_assert_int_eq(rf_resume_load(&a, &other, err), RF_OK);
	ck_assert_int_eq(other.next, 9);
}
END_TEST

/* ---- several phones ---- */

START_TEST(test_several_one_fails)
{
	struct bench b;
	const char *dir = bench_std_package();
	bench_open(&b, dir, 3);
	fake_phone_fail(b.ph[1], "flash:system", 1, NULL);
	ck_assert_int_eq(bench_run(&b), 2);
	ck_assert_int_eq(b.tg[0].rc, RF_OK);
	ck_assert_int_eq(b.tg[1].failed_step, 6);
	ck_assert_int_eq(b.tg[2].rc, RF_OK);
	bench_expect_part(b.ph[0], "boot", dir, "boot.img");
	bench_expect_part(b.ph[2], "boot", dir, "boot.img");
	ck_assert(bench_failure_of("SER2"));
	ck_assert(!bench_failure_of("SER1") && !bench_failure_of("SER3"));
	bench_close(&b);
}
END_TEST

/* Phone 2 does not answer its first flash: before phone 1 has finished
 * the whole plan: in lockstep phone 1 could never finish (a deadlock,
 * ended by the hook's time limit as a failure). */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fake_phone *first;
	int open;
};

static int wait_for_first(struct fake_phone *p, const char *cmd, void *user)
{
	struct gate *g = user;
	struct timespec until;
	int rc = 0;
	(void)p;
	if (strncmp(cmd, "flash:", 6))
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	pthread_mutex_lock(&g->mu);
	while (!g->open && !rc)
		rc = pthread_cond_timedwait(&g->cv, &g->mu, &until);
	pthread_mutex_unlock(&g->mu);
	return rc != 0; /* timed out: FAIL */
}

static int open_when_done(struct fake_phone *p, const char *cmd, void *user)
{
	struct gate *g = user;
	(void)p;
	if (!strcmp(cmd, "reboot")) {
		pthread_mutex_lock(&g->mu);
		g->open = 1;
		pthread_cond_broadcast(&g->cv);
		pthread_mutex_unlock(&g->mu);
	}
	return 0;
}

START_TEST(test_several_independent)
{
	struct bench b;
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0 };
	const char *dir = bench_std_package();
	bench_open(&b, dir, 2);
	fake_phone_hook_set(b.ph[0], open_when_done, &g);
	fake_phone_hook_set(b.ph[1], wait_for_first, &g);
	/* a window smaller than the system image: phone 2 falls behind it */
	b.run.window = 2u << 20;
	ck_assert_int_eq(bench_run(&b), 2);
	bench_expect_part(b.ph[0], "system", dir, "system.img");
	bench_expect_part(b.ph[1], "system", dir, "system.img");
	bench_expect_part(b.ph[1], "boot", dir, "boot.img");
	bench_close(&b);
}
END_TEST

/* ---- the shared window on its own ---- */

START_TEST(test_feed_far_ahead)
{
	struct bench b;
	struct rf_feed *f;
	struct rf_feed_opts o;
	const char *order[] = { "images/system.img", "images/boot.img" };
	char err[RF_ERRLEN];
	unsigned char buf[4096];
	uint64_t size;
	size_t got, total = 0;

	bench_open(&b, bench_std_package(), 0);
	memset(&o, 0, sizeof o);
	o.pkg = &b.pkg;
	o.order = order;
	o.n = 2;
	o.window = 1 << 20; /* boot starts 3 MiB in: beyond the window */
	ck_assert_int_eq(rf_feed_start(&f, &o, err), RF_OK);
	struct rf_feed_rd *r = rf_feed_reader(f, 1);
	ck_assert_int_eq(rf_feed_image(r, 1, &size, err), RF_OK);
	ck_assert_int_eq(size, 200000);
	while (rf_feed_read(r, buf, sizeof buf, &got) == RF_OK && got)
		total += got;
	ck_assert_int_eq(total, 200000);
	rf_feed_leave(r);
	struct rf_feed_stats st;
	rf_feed_stats(f, &st);
	ck_assert_int_eq(st.private_opens, 1); /* read on its own */
	rf_feed_stop(f);
	bench_close(&b);
}
END_TEST
static Suite *suite(void)
{
	Suite *s = suite_create("exec");
	TCase *tc = tcase_create("exec");
	tcase_add_checked_fixture(tc, bench_setup, bench_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_split);
	tcase_add_loop_test(tc, test_fail_each_kind, 0, sizeof faults / sizeof faults[0]);
	tcase_add_test(tc, test_cut_bootloader_download);
	tcase_add_test(tc, test_unchecked_erase);
	tcase_add_test(tc, test_resume_start);
	tcase_add_test(tc, test_resume_identity);
	tcase_add_test(tc, test_several_one_fails);
	tcase_add_test(tc, test_several_independent);
	tcase_add_test(tc, test_feed_far_ahead);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
