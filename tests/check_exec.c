/* The flash executor on its own: plans run against in-process fake phones
 * (tests/helpers/fake_phone.c), no binary, no sockets.
 *
 * Step dispatch (every step kind, in order, bytes written), the failure of
 * each kind of step (what the report says the phone's state is, what
 * progress is saved), resume bookkeeping (identity recorded, start step,
 * cleared at the end), several phones (one fails, the others finish; one
 * waits for the other to finish entirely: the phones do not run in
 * lockstep; one falls behind the shared window and reads on its own),
 * and the preflight's refusals (sizes, package for another phone,
 * anti-rollback answers retried, another phone after a reboot). */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fake_phone.h"
#include "flash_exec.h"
#include "flash_run.h"
#include "image_feed.h"
#include "package.h"
#include "part_table.h"
#include "phone_id.h"
#include "plan.h"
#include "resume.h"

#define PKGNAME "cancro_global_images_7.12.8_20171208.0000.00_6.0_global"
#define MAX_EV 4096

static char tmp[256];

/* ---- a package folder ---- */

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert(fwrite(data, 1, n, f) == n);
	fclose(f);
}

static unsigned char *pattern(size_t n, unsigned seed)
{
	unsigned char *b = malloc(n ? n : 1);
	unsigned x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (unsigned char)(x >> 16);
	}
	return b;
}

/* images/NAME of n pseudo-random bytes (seed) */
static void image(const char *dir, const char *name, size_t n, unsigned seed)
{
	char path[600];
	unsigned char *b = pattern(n, seed);
	snprintf(path, sizeof path, "%s/images/%s", dir, name);
	write_file(path, b, n);
	free(b);
}

/* A package folder named `name` whose keep-data script is `script`. */
static const char *package(const char *name, const char *script)
{
	static char dir[512];
	char path[700];
	snprintf(dir, sizeof dir, "%s/%s", tmp, name);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/images", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/flash_all_except_storage.sh", dir);
	write_file(path, script, strlen(script));
	return dir;
}

static const char *const SCRIPT =
	"fastboot $* getvar product 2>&1 | grep \"^product: *MSM8974$\"\n"
	"if [ $? -ne 0 ] ; then echo \"Missmatching image and device\"; exit 1; fi\n"
	"fastboot $* flash tz `dirname $0`/images/tz.mbn\n"
	"fastboot $* erase boot\n"
	"if [ $? -ne 0 ] ; then echo \"Erase boot error\"; exit 1; fi\n"
	"fastboot $* oem lock\n"
	"if [ $? -ne 0 ] ; then echo \"Oem lock error\"; exit 1; fi\n"
	"fastboot $* set_active a\n"
	"if [ $? -ne 0 ] ; then echo \"Set active error\"; exit 1; fi\n"
	"fastboot $* reboot-bootloader\n"
	"sleep 0\n"
	"fastboot $* flash system `dirname $0`/images/system.img\n"
	"fastboot $* flash boot `dirname $0`/images/boot.img\n"
	"fastboot $* reboot\n";

static const char *std_package(void)
{
	const char *dir = package(PKGNAME, SCRIPT);
	image(dir, "tz.mbn", 70000, 1);
	image(dir, "system.img", 3 * 1024 * 1024 + 123, 2);
	image(dir, "boot.img", 200000, 3);
	return dir;
}

/* ---- events ---- */

struct seen {
	enum rf_ev_type type;
	char phone[32];
	size_t index;
	char text[600];
	int report_step, report_rc;
	char state[600], wrote[256], erased[256], resume[600];
};

static struct {
	pthread_mutex_t mu;
	struct seen ev[MAX_EV];
	int n;
} E = { PTHREAD_MUTEX_INITIALIZER, { { 0 } }, 0 };

static void on_event(void *user, const struct rf_event *ev)
{
	(void)user;
	if (ev->type == RF_EV_PROGRESS)
		return;
	pthread_mutex_lock(&E.mu);
	if (E.n < MAX_EV) {
		struct seen *s = &E.ev[E.n++];
		memset(s, 0, sizeof *s);
		s->type = ev->type;
		snprintf(s->phone, sizeof s->phone, "%s", ev->phone ? ev->phone : "");
		s->index = ev->index;
		snprintf(s->text, sizeof s->text, "%s", ev->text ? ev->text : "");
		if (ev->report) {
			s->report_step = ev->report->step;
			s->report_rc = ev->report->rc;
			snprintf(s->state, sizeof s->state, "%s", ev->report->state);
			snprintf(s->wrote, sizeof s->wrote, "%s", ev->report->wrote);
			snprintf(s->erased, sizeof s->erased, "%s", ev->report->erased);
			snprintf(s->resume, sizeof s->resume, "%s",
				 ev->report->resume ? ev->report->resume : "");
		}
	}
	pthread_mutex_unlock(&E.mu);
}

static const struct seen *failure_of(const char *phone)
{
	for (int i = 0; i < E.n; i++)
		if (E.ev[i].type == RF_EV_FAILURE && !strcmp(E.ev[i].phone, phone))
			return &E.ev[i];
	return NULL;
}

static int count_events(enum rf_ev_type t, const char *phone)
{
	int n = 0;
	for (int i = 0; i < E.n; i++)
		n += E.ev[i].type == t && (!phone || !strcmp(E.ev[i].phone, phone));
	return n;
}

/* ---- a run over fake phones ---- */

#define MAX_PH 4

struct bench {
	struct rf_package pkg;
	struct rf_plan plan;
	struct fake_phone *ph[MAX_PH];
	struct rf_flash_target tg[MAX_PH];
	size_t n;
	struct rf_flash_run run;
	volatile sig_atomic_t stop;
};

static int reconnect(void *user, const char *selector, int timeout_s, struct rf_transport **t,
		     struct rf_fastboot *fb, char *err)
{
	struct bench *b = user;
	(void)timeout_s;
	for (size_t k = 0; k < b->n; k++)
		if (!strcmp(b->tg[k].selector, selector)) {
			/* "swapped": the bench may have put another phone there */
			*t = fake_phone_connect(b->ph[k]);
			if (!*t)
				return rf_errf(err, RF_ENODEV, "%s did not come back", selector);
			rf_fb_init(fb, *t);
			return RF_OK;
		}
	return rf_errf(err, RF_ENODEV, "no %s", selector);
}

static void bench_open(struct bench *b, const char *dir, size_t nphones)
{
	char err[RF_ERRLEN];
	memset(b, 0, sizeof *b);
	E.n = 0;
	ck_assert_msg(rf_pkg_open(&b->pkg, dir, NULL) == RF_OK, "%s", b->pkg.err);
	ck_assert_msg(rf_plan_build(&b->plan, &b->pkg, RF_MODE_KEEP_DATA, 0) == RF_OK, "%s",
		      b->plan.err);
	b->n = nphones;
	for (size_t k = 0; k < nphones; k++) {
		char serial[32];
		snprintf(serial, sizeof serial, "SER%zu", k + 1);
		b->ph[k] = fake_phone_new(serial, "MSM8974");
	}
	(void)err;
}

/* Connect and identify every phone, then preflight and execute. */
static size_t bench_run(struct bench *b)
{
	char err[RF_ERRLEN];
	size_t ok;
	for (size_t k = 0; k < b->n; k++) {
		struct rf_flash_target *t = &b->tg[k];
		if (!t->t) {
			t->t = fake_phone_connect(b->ph[k]);
			rf_fb_init(&t->fb, t->t);
		}
		snprintf(t->id, sizeof t->id, "SER%zu", k + 1);
		snprintf(t->selector, sizeof t->selector, "SER%zu", k + 1);
		ck_assert_msg(rf_phone_identify(&t->fb, &t->ident, err) == RF_OK, "%s", err);
	}
	b->run.dev.stop = &b->stop;
	b->run.pkg = &b->pkg;
	b->run.plan = &b->plan;
	b->run.tg = b->tg;
	b->run.ntg = b->n;
	b->run.no_reboot = 0;
	b->run.wait_timeout_s = 1;
	b->run.resume_args = " flash PKG --resume";
	b->run.on_event = on_event;
	b->run.reconnect = reconnect;
	b->run.reconnect_user = b;
	b->run.retry_ms = 1;
	if (!rf_flash_preflight(&b->run))
		return 0;
	ok = rf_flash_execute(&b->run);
	return ok;
}

static void bench_close(struct bench *b)
{
	for (size_t k = 0; k < b->n; k++) {
		rf_transport_close(b->tg[k].t);
		fake_phone_free(b->ph[k]);
	}
	rf_plan_free(&b->plan);
	rf_pkg_close(&b->pkg);
}

/* The partition holds exactly the image (a split raw image is padded to
 * whole blocks with zeros). */
static void expect_part(struct fake_phone *p, const char *part, const char *dir,
			const char *img)
{
	char path[700];
	FILE *f;
	size_t len, n;
	snprintf(path, sizeof path, "%s/images/%s", dir, img);
	f = fopen(path, "rb");
	ck_assert(f);
	fseek(f, 0, SEEK_END);
	n = (size_t)ftell(f);
	rewind(f);
	unsigned char *want = malloc(n);
	ck_assert(fread(want, 1, n, f) == n);
	fclose(f);
	const unsigned char *have = fake_phone_part(p, part, &len);
	ck_assert_msg(have, "%s never written", part);
	ck_assert_msg(len >= n, "%s: %zu bytes, image %zu", part, len, n);
	ck_assert_msg(!memcmp(have, want, n), "%s differs from %s", part, img);
	for (size_t i = n; i < len; i++)
		ck_assert_msg(!have[i], "%s: byte %zu past the image is not zero", part, i);
	free(want);
}

static void setup(void)
{
	char path[300];
	snprintf(tmp, sizeof tmp, "/tmp/check_exec.XXXXXX");
	ck_assert(mkdtemp(tmp));
	snprintf(path, sizeof path, "%s/state", tmp);
	setenv("ROMFLASH_STATE_DIR", path, 1);
	snprintf(path, sizeof path, "%s/locks", tmp);
	setenv("ROMFLASH_LOCK_DIR", path, 1);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd)) {
		/* a leftover folder in /tmp: nothing to fail for */
	}
}

/* ---- dispatch ---- */

START_TEST(test_dispatch)
{
	struct bench b;
	const char *dir = std_package();
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 1);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "flash:tz\nerase:boot\noem lock\nset_active:a\nreboot-bootloader\n"
			    "flash:system\nflash:boot\nreboot\n");
	free(w);
	expect_part(b.ph[0], "tz", dir, "tz.mbn");
	expect_part(b.ph[0], "system", dir, "system.img");
	expect_part(b.ph[0], "boot", dir, "boot.img");
	ck_assert_int_eq(fake_phone_rebooted(b.ph[0]), 1);
	/* every step started and done, none failed, one summary */
	ck_assert_int_eq(count_events(RF_EV_STEP_START, "SER1"), (int)b.plan.steps.n);
	ck_assert_int_eq(count_events(RF_EV_STEP_DONE, "SER1"), (int)b.plan.steps.n);
	ck_assert_int_eq(count_events(RF_EV_FAILURE, NULL), 0);
	ck_assert_int_eq(count_events(RF_EV_SUMMARY, NULL), 1);
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
	const char *dir = std_package();
	bench_open(&b, dir, 1);
	fake_phone_max_download(b.ph[0], 1 << 20);
	ck_assert_int_eq(bench_run(&b), 1);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_msg(strstr(w, "flash:system\nflash:system\nflash:system\nflash:system\n"), "%s", w);
	free(w);
	expect_part(b.ph[0], "system", dir, "system.img");
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
	const char *dir = std_package();

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
	const struct seen *s = failure_of("SER1");
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
	bench_open(&b, std_package(), 1);
	fake_phone_cut_after(b.ph[0], 30000); /* inside tz's download */
	ck_assert_int_eq(bench_run(&b), 0);
	const struct seen *s = failure_of("SER1");
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
	const char *dir = package(PKGNAME,
		"fastboot $* erase DDR\n"
		"fastboot $* flash boot `dirname $0`/images/boot.img\n");
	image(dir, "boot.img", 1000, 3);
	bench_open(&b, dir, 1);
	fake_phone_fail(b.ph[0], "erase:DDR", 1, NULL);
	ck_assert_int_eq(bench_run(&b), 1);
	ck_assert_int_eq(count_events(RF_EV_WARNING, "SER1"), 1);
	ck_assert_int_eq(count_events(RF_EV_STEP_SKIPPED, "SER1"), 1);
	ck_assert_int_eq(count_events(RF_EV_FAILURE, NULL), 0);
	expect_part(b.ph[0], "boot", dir, "boot.img");
	bench_close(&b);
}
END_TEST

/* ---- resume ---- */

START_TEST(test_resume_start)
{
	struct bench b;
	struct rf_resume rs;
	char err[RF_ERRLEN];
	const char *dir = std_package();

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
	ck_assert_int_eq(count_events(RF_EV_STEP_START, "SER1"), 3);
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
	const char *dir = std_package();
	bench_open(&b, dir, 3);
	fake_phone_fail(b.ph[1], "flash:system", 1, NULL);
	ck_assert_int_eq(bench_run(&b), 2);
	ck_assert_int_eq(b.tg[0].rc, RF_OK);
	ck_assert_int_eq(b.tg[1].failed_step, 6);
	ck_assert_int_eq(b.tg[2].rc, RF_OK);
	expect_part(b.ph[0], "boot", dir, "boot.img");
	expect_part(b.ph[2], "boot", dir, "boot.img");
	ck_assert(failure_of("SER2"));
	ck_assert(!failure_of("SER1") && !failure_of("SER3"));
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
	const char *dir = std_package();
	bench_open(&b, dir, 2);
	fake_phone_hook_set(b.ph[0], open_when_done, &g);
	fake_phone_hook_set(b.ph[1], wait_for_first, &g);
	/* a window smaller than the system image: phone 2 falls behind it */
	b.run.window = 2u << 20;
	ck_assert_int_eq(bench_run(&b), 2);
	expect_part(b.ph[0], "system", dir, "system.img");
	expect_part(b.ph[1], "system", dir, "system.img");
	expect_part(b.ph[1], "boot", dir, "boot.img");
	bench_close(&b);
}
END_TEST

/* ---- the preflight ---- */

START_TEST(test_size_from_phone)
{
	struct bench b;
	bench_open(&b, std_package(), 1);
	fake_phone_var(b.ph[0], "partition-size:system", "0x100000");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].rc, RF_EFORMAT);
	ck_assert_msg(strstr(b.tg[0].err, "size from the phone"), "%s", b.tg[0].err);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "");
	free(w);
	ck_assert_int_eq(failure_of("SER1")->report_step, -1);
	bench_close(&b);
}
END_TEST

/* The Mi 4 reports no sizes: the known cancro layout (tz is 1 MiB). */
START_TEST(test_size_known_layout)
{
	struct bench b;
	const char *dir = std_package();
	image(dir, "tz.mbn", (1 << 20) + 1, 1);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "known cancro layout"), "%s", b.tg[0].err);
	char *w = fake_phone_writes(b.ph[0]);
	ck_assert_str_eq(w, "");
	free(w);
	bench_close(&b);
}
END_TEST

/* A GPT as mkpkg writes it: `sizes` in 512-byte sectors. */
static size_t make_gpt(unsigned char *buf, const char *const *names, const uint64_t *sectors,
		       int n);

START_TEST(test_size_package_gpt)
{
	static const char *const names[] = { "tz", "system", "boot" };
	const uint64_t sectors[] = { 100, 8192, 2048 }; /* tz: 50 KiB */
	unsigned char gpt[34 * 512];
	char path[700];
	struct bench b;
	const char *dir = package(PKGNAME,
		"fastboot $* flash partition `dirname $0`/images/gpt_both0.bin\n"
		"fastboot $* flash tz `dirname $0`/images/tz.mbn\n");
	image(dir, "tz.mbn", 70000, 1);
	size_t n = make_gpt(gpt, names, sectors, 3);
	snprintf(path, sizeof path, "%s/images/gpt_both0.bin", dir);
	write_file(path, gpt, n);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "package's partition table"), "%s", b.tg[0].err);
	bench_close(&b);
	/* the same table, valid, with room: flashed */
	image(dir, "tz.mbn", 50000, 1);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 1);
	bench_close(&b);
	/* a broken table is never written */
	gpt[600] ^= 1;
	write_file(path, gpt, n);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "not a valid GPT"), "%s", b.tg[0].err);
	bench_close(&b);
}
END_TEST

START_TEST(test_package_for_another_phone)
{
	struct bench b;
	const char *dir = package("aries_images_4.1.1_20130101.0000.00_4.1_cn",
				  "fastboot $* flash boot `dirname $0`/images/boot.img\n");
	image(dir, "boot.img", 1000, 3);
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].rc, RF_EWRONGDEV);
	ck_assert_msg(strstr(b.tg[0].err, "aries") && strstr(b.tg[0].err, "--force-device"), "%s",
		      b.tg[0].err);
	bench_close(&b);
	/* the user vouches for it */
	bench_open(&b, dir, 1);
	b.run.force_device = "aries";
	ck_assert_int_eq(bench_run(&b), 1);
	bench_close(&b);
	/* a cancro package on a phone answering another product */
	bench_open(&b, std_package(), 1);
	fake_phone_free(b.ph[0]);
	b.ph[0] = fake_phone_new("SER1", "MSM8960");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_int_eq(b.tg[0].rc, RF_EWRONGDEV);
	bench_close(&b);
}
END_TEST

static const char *const ANTI_SCRIPT =
	"CURRENT_ANTI_VER=1\n"
	"ver=`fastboot $* getvar anti 2>&1 | grep -oP \"anti: \\K[0-9]+\"`\n"
	"if [ -z \"$ver\" ]; then ver=0; fi\n"
	"if [ $ver -gt $CURRENT_ANTI_VER ]; then echo \"too new\"; exit 1; fi\n"
	"fastboot $* flash boot `dirname $0`/images/boot.img\n";

START_TEST(test_anti_retried)
{
	struct bench b;
	const char *dir = package(PKGNAME, ANTI_SCRIPT);
	image(dir, "boot.img", 1000, 3);
	/* a one-off FAIL, then the truth: version 5 > 1 -> refused */
	bench_open(&b, dir, 1);
	fake_phone_var(b.ph[0], "anti", "5");
	fake_phone_fail(b.ph[0], "getvar:anti", 1, "busy");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "anti-rollback"), "%s", b.tg[0].err);
	bench_close(&b);
	/* FAIL every time with no sign of "unknown": refused, not read as 0 */
	bench_open(&b, dir, 1);
	fake_phone_var(b.ph[0], "anti", "0");
	fake_phone_fail(b.ph[0], "getvar:anti", -1, "busy");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "cannot tell"), "%s", b.tg[0].err);
	bench_close(&b);
	/* an answer that is not a number */
	bench_open(&b, dir, 1);
	fake_phone_var(b.ph[0], "anti", "x2");
	ck_assert_int_eq(bench_run(&b), 0);
	ck_assert_msg(strstr(b.tg[0].err, "not a version number"), "%s", b.tg[0].err);
	bench_close(&b);
	/* a bootloader without the variable: the script's ver=0 */
	bench_open(&b, dir, 1);
	ck_assert_int_eq(bench_run(&b), 1);
	bench_close(&b);
}
END_TEST

START_TEST(test_other_phone_after_reboot)
{
	struct bench b;
	bench_open(&b, std_package(), 1);
	/* the reboot hands the address to another phone */
	struct fake_phone *first = b.ph[0];
	struct fake_phone *second = fake_phone_new("OTHER9", "MSM8974");
	b.tg[0].t = fake_phone_connect(first);
	rf_fb_init(&b.tg[0].fb, b.tg[0].t);
	b.ph[0] = second;
	ck_assert_int_eq(bench_run(&b), 0);
	/* identify ran on... the bench identifies through tg[0].t: first */
	ck_assert_int_eq(b.tg[0].rc, RF_EWRONGDEV);
	ck_assert_int_eq(b.tg[0].failed_step, 5);
	ck_assert_msg(strstr(failure_of("SER1")->state, "another phone"), "%s",
		      failure_of("SER1")->state);
	char *w = fake_phone_writes(second);
	ck_assert_str_eq(w, "");
	free(w);
	fake_phone_free(first);
	bench_close(&b);
}
END_TEST

START_TEST(test_lock)
{
	struct rf_phone_id id = { "LOCK1", "MSM8974", "", "tcp:x" };
	struct rf_phone_lock *a = NULL, *b = NULL;
	char err[RF_ERRLEN];
	ck_assert_int_eq(rf_phone_lock(&id, "romflash flash ONE.tgz", &a, err), RF_OK);
	/* flock is per open file: a second open in this process conflicts too */
	ck_assert_int_eq(rf_phone_lock(&id, "romflash flash TWO.tgz", &b, err), RF_EBUSY);
	ck_assert_msg(strstr(err, "ONE.tgz") && strstr(err, "pid"), "%s", err);
	rf_phone_unlock(a);
	ck_assert_int_eq(rf_phone_lock(&id, "romflash flash TWO.tgz", &b, err), RF_OK);
	rf_phone_unlock(b);
}
END_TEST

START_TEST(test_gpt_parse)
{
	static const char *const names[] = { "sbl1", "userdata" };
	const uint64_t sectors[] = { 4096, 26583040 };
	unsigned char gpt[34 * 512];
	struct rf_part_table t;
	char err[RF_ERRLEN];
	size_t n = make_gpt(gpt, names, sectors, 2);
	ck_assert_int_eq(rf_gpt_parse(gpt, n, &t, err), RF_OK);
	ck_assert_int_eq(t.n, 2);
	ck_assert_int_eq(rf_part_size(&t, "sbl1"), 2u << 20);
	ck_assert(rf_part_size(&t, "userdata") == 26583040ull * 512);
	ck_assert_int_eq(rf_part_size(&t, "boot"), 0);
	gpt[512 + 20] ^= 1; /* inside the header: its CRC no longer matches */
	ck_assert_int_eq(rf_gpt_parse(gpt, n, &t, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, "header CRC32"), "%s", err);
	ck_assert_int_eq(rf_gpt_parse(gpt, 600, &t, err), RF_EFORMAT);
	ck_assert_int_eq(rf_part_size(rf_part_table_cancro(), "cache"), 384u << 20);
}
END_TEST

/* ---- the GPT writer for the tests (UEFI layout, CRC32 as zlib) ---- */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

static void le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static size_t make_gpt(unsigned char *buf, const char *const *names, const uint64_t *sectors,
		       int n)
{
	unsigned char *h = buf + 512, *e = buf + 1024;
	uint64_t lba = 34;
	memset(buf, 0, 34 * 512);
	buf[510] = 0x55;
	buf[511] = 0xaa;
	for (int i = 0; i < n; i++, e += 128) {
		e[0] = 0xa2; /* a type GUID that is not zero */
		e[16] = (unsigned char)(i + 1);
		le(e + 32, lba, 8);
		le(e + 40, lba + sectors[i] - 1, 8);
		for (size_t k = 0; names[i][k]; k++)
			e[56 + 2 * k] = (unsigned char)names[i][k];
		lba += sectors[i];
	}
	memcpy(h, "EFI PART", 8);
	le(h + 8, 0x10000, 4);
	le(h + 12, 92, 4);
	le(h + 24, 1, 8);
	le(h + 72, 2, 8);
	le(h + 80, 128, 4);
	le(h + 84, 128, 4);
	le(h + 88, crc32_of(buf + 1024, 128 * 128), 4);
	le(h + 16, crc32_of(h, 92), 4);
	return 34 * 512;
}

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

	bench_open(&b, std_package(), 0);
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
	tcase_add_checked_fixture(tc, setup, teardown);
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
	tcase_add_test(tc, test_size_from_phone);
	tcase_add_test(tc, test_size_known_layout);
	tcase_add_test(tc, test_size_package_gpt);
	tcase_add_test(tc, test_package_for_another_phone);
	tcase_add_test(tc, test_anti_retried);
	tcase_add_test(tc, test_other_phone_after_reboot);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_gpt_parse);
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
