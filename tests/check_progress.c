/* Progress as the user sees it (issue 14): sending counts the bytes the
 * phone took, not those the transport still holds (image_send.c against a
 * transport that holds some); the sink's rate is the phone's pace over
 * the last seconds of a sending phase and "not known" (-1) for its first
 * half second; each step's sending and writing times, and the run's, in
 * step_done and the summary (out_events.c, its JSON read back). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_transport.h"
#include "fastboot.h"
#include "flash_event.h"
#include "image_send.h"
#include "output.h"

/* ---- image_send: done = written - held ---- */

static size_t held; /* what the fake transport says it still holds */

static size_t held_bytes(struct rf_transport *t)
{
	(void)t;
	return held;
}

struct mem_image {
	const unsigned char *p;
	size_t len, off;
};

static int mem_read(void *ctx, void *buf, size_t cap, size_t *got)
{
	struct mem_image *m = ctx;
	size_t n = m->len - m->off < cap ? m->len - m->off : cap;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	*got = n;
	return RF_OK;
}

struct seen {
	uint64_t done[64], sent_then[64];
	enum rf_send_phase phase[64];
	int n;
	struct fake_transport *f;
};

static void on_progress(void *user, enum rf_send_phase ph, uint64_t done, uint64_t total)
{
	struct seen *s = user;
	(void)total;
	if (s->n < 64) {
		s->phase[s->n] = ph;
		s->done[s->n] = done;
		s->sent_then[s->n] = s->f->wire_len;
		s->n++;
	}
}

START_TEST(test_counts_what_the_phone_took)
{
	enum { LEN = 1 << 20 };
	unsigned char *data = calloc(1, LEN);
	struct fake_transport *f = fake_transport_new();
	struct mem_image m = { data, LEN, 0 };
	struct rf_image img = { .read = mem_read, .ctx = &m, .read_err = "", .size = LEN };
	struct rf_fastboot fb;
	struct rf_send snd;
	struct seen s = { .f = f };
	char data_reply[16];
	size_t cmd_len = strlen("download:00100000");

	f->t.unacked = held_bytes;
	held = 300000; /* a socket buffer's worth */
	snprintf(data_reply, sizeof data_reply, "DATA%08x", LEN);
	fake_transport_reply(f, data_reply);
	fake_transport_reply(f, "OKAY");
	fake_transport_reply(f, "OKAY");
	rf_fb_init(&fb, &f->t);
	memset(&snd, 0, sizeof snd);
	snd.fb = &fb;
	snd.max_dl = 2 * LEN;
	snd.progress = on_progress;
	snd.user = &s;
	ck_assert_msg(rf_image_flash(&snd, "boot", &img) == RF_OK, "%s", snd.err);
	ck_assert_int_ge(s.n, 2);
	for (int i = 0; i < s.n; i++) {
		uint64_t written = s.sent_then[i] - cmd_len; /* image bytes on the wire */
		if (s.phase[i] == RF_PHASE_SENDING)
			ck_assert_msg(s.done[i] == (written > held ? written - held : 0),
				      "event %d: done %llu, written %llu, held %zu", i,
				      (unsigned long long)s.done[i], (unsigned long long)written,
				      held);
		else /* writing: the phone answered OKAY to all of it */
			ck_assert_uint_eq(s.done[i], LEN);
	}
	ck_assert_int_eq(s.phase[s.n - 1], RF_PHASE_WRITING);
	rf_transport_close(&f->t);
	free(data);
}
END_TEST

/* ---- the sink: rate, phases, times ---- */

static char out_path[] = "/tmp/check_progress.XXXXXX";

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

static struct rf_step step = { .op = RF_OP_FLASH, .partition = "system",
			       .image = "images/system.img", .size = 8 << 20 };

static void send_event(enum rf_ev_type type, enum rf_send_phase ph, uint64_t done)
{
	struct rf_event ev;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.phone = "EMU0001";
	ev.steps = 1;
	ev.step = &step;
	ev.phase = ph;
	ev.done = done;
	ev.total = 8 << 20;
	ev.overall = ev.overall_eta = ev.eta = -1;
	out_flash_event(NULL, &ev);
}

/* The value of "key": in the n-th line holding `what` (1-based). */
static double field(const char *what, int n, const char *key)
{
	char line[4096], pat[64];
	FILE *f = fopen(out_path, "r");
	double v = -99;
	ck_assert_ptr_nonnull(f);
	snprintf(pat, sizeof pat, "\"%s\":", key);
	while (fgets(line, sizeof line, f))
		if (strstr(line, what) && --n == 0) {
			char *p = strstr(line, pat);
			ck_assert_msg(p != NULL, "no %s in %s", key, line);
			v = strtod(p + strlen(pat), NULL);
			break;
		}
	fclose(f);
	return v;
}

START_TEST(test_rate_phases_times)
{
	int fd = mkstemp(out_path);
	double t0, t_send, rate;
	struct rf_ev_summary sum = { .phones = 1, .phones_ok = 1, .steps = 1 };
	struct rf_event ev;

	ck_assert_int_ge(fd, 0);
	ck_assert_ptr_nonnull(freopen(out_path, "w", stdout));
	out_init(1, 0, 0);
	t0 = out_now();
	send_event(RF_EV_STEP_START, RF_PHASE_NONE, 0);
	/* a buffer taking 3 MiB at once: not the phone's pace */
	send_event(RF_EV_PROGRESS, RF_PHASE_SENDING, 3 << 20);
	sleep_s(0.2);
	send_event(RF_EV_PROGRESS, RF_PHASE_SENDING, 3 << 20);
	/* then 1 MiB every 0.25 s: 4 MiB/s */
	for (int i = 1; i <= 4; i++) {
		sleep_s(0.25);
		send_event(RF_EV_PROGRESS, RF_PHASE_SENDING, (3u + (unsigned)i) << 20);
	}
	t_send = out_now() - t0;
	send_event(RF_EV_PROGRESS, RF_PHASE_WRITING, 8 << 20);
	sleep_s(0.3);
	send_event(RF_EV_STEP_DONE, RF_PHASE_NONE, 0);
	memset(&ev, 0, sizeof ev);
	ev.type = RF_EV_SUMMARY;
	ev.summary = &sum;
	out_flash_event(NULL, &ev);
	fflush(stdout);

	/* the first half second: not known */
	ck_assert_double_eq_tol(field("\"sending\"", 1, "rate"), -1, 1e-9);
	ck_assert_double_eq_tol(field("\"sending\"", 2, "rate"), -1, 1e-9);
	/* the last: the 4 MiB/s since the buffer filled, not 7 MiB in a second
	 * (the slack: a loaded machine sleeps longer, which only lowers it) */
	rate = field("\"sending\"", 6, "rate");
	ck_assert_msg(rate > 1.5e6 && rate < 4.5 * 1048576 * 1.15, "rate %.0f", rate);
	ck_assert_double_eq_tol(field("step_done", 1, "send_seconds"), t_send, 0.05);
	ck_assert_msg(field("step_done", 1, "write_seconds") >= 0.29, "write_seconds");
	ck_assert_double_eq_tol(field("summary", 1, "send_seconds"),
				field("step_done", 1, "send_seconds"), 0.002);
	ck_assert_double_eq_tol(field("summary", 1, "write_seconds"),
				field("step_done", 1, "write_seconds"), 0.002);
	unlink(out_path);
	close(fd);
}
END_TEST

static Suite *progress_suite(void)
{
	Suite *s = suite_create("progress");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_counts_what_the_phone_took);
	tcase_add_test(tc, test_rate_phases_times);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(progress_suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
