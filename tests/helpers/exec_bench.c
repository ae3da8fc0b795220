/* A run of the flash executor over in-process fake phones (fake_phone.h),
 * shared by check_exec.c (dispatch, failures, resume, several phones) and
 * check_preflight.c (the preflight's refusals).  See exec_bench.h. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exec_bench.h"
#include "phone_id.h"

#define BENCH_MAX_EV 4096

char bench_tmp[256];

/* ---- a package folder ---- */

void bench_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert(fwrite(data, 1, n, f) == n);
	fclose(f);
}

static unsigned char *bench_pattern(size_t n, unsigned seed)
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
void bench_image(const char *dir, const char *name, size_t n, unsigned seed)
{
	char path[600];
	unsigned char *b = bench_pattern(n, seed);
	snprintf(path, sizeof path, "%s/images/%s", dir, name);
	bench_write_file(path, b, n);
	free(b);
}

/* A package folder named `name` whose keep-data script is `script`. */
const char *bench_package(const char *name, const char *script)
{
	static char dir[512];
	char path[700];
	snprintf(dir, sizeof dir, "%s/%s", bench_tmp, name);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/images", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/flash_all_except_storage.sh", dir);
	bench_write_file(path, script, strlen(script));
	return dir;
}

static const char *const BENCH_SCRIPT =
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

const char *bench_std_package(void)
{
	const char *dir = bench_package(BENCH_PKGNAME, BENCH_SCRIPT);
	bench_image(dir, "tz.mbn", 70000, 1);
	bench_image(dir, "system.img", 3 * 1024 * 1024 + 123, 2);
	bench_image(dir, "boot.img", 200000, 3);
	return dir;
}

/* ---- events ---- */

static struct {
	pthread_mutex_t mu;
	struct bench_seen ev[BENCH_MAX_EV];
	int n;
} E = { PTHREAD_MUTEX_INITIALIZER, { { 0 } }, 0 };

static void bench_on_event(void *user, const struct rf_event *ev)
{
	(void)user;
	if (ev->type == RF_EV_PROGRESS)
		return;
	pthread_mutex_lock(&E.mu);
	if (E.n < BENCH_MAX_EV) {
		struct bench_seen *s = &E.ev[E.n++];
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

const struct bench_seen *bench_failure_of(const char *phone)
{
	for (int i = 0; i < E.n; i++)
		if (E.ev[i].type == RF_EV_FAILURE && !strcmp(E.ev[i].phone, phone))
			return &E.ev[i];
	return NULL;
}

int bench_count_events(enum rf_ev_type t, const char *phone)
{
	int n = 0;
	for (int i = 0; i < E.n; i++)
		n += E.ev[i].type == t && (!phone || !strcmp(E.ev[i].phone, phone));
	return n;
}

/* ---- a run over fake phones ---- */

static int bench_reconnect(void *user, const char *selector, int timeout_s, struct rf_transport **t,
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

void bench_open(struct bench *b, const char *dir, size_t nphones)
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
size_t bench_run(struct bench *b)
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
	b->run.on_event = bench_on_event;
	b->run.reconnect = bench_reconnect;
	b->run.reconnect_user = b;
	b->run.retry_ms = 1;
	if (!rf_flash_preflight(&b->run))
		return 0;
	ok = rf_flash_execute(&b->run);
	return ok;
}

void bench_close(struct bench *b)
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
void bench_expect_part(struct fake_phone *p, const char *part, const char *dir,
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

void bench_setup(void)
{
	char path[300];
	snprintf(bench_tmp, sizeof bench_tmp, "/tmp/exec_bench.XXXXXX");
	ck_assert(mkdtemp(bench_tmp));
	snprintf(path, sizeof path, "%s/state", bench_tmp);
	setenv("ROMFLASH_STATE_DIR", path, 1);
	snprintf(path, sizeof path, "%s/locks", bench_tmp);
	setenv("ROMFLASH_LOCK_DIR", path, 1);
}

void bench_teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", bench_tmp);
	if (system(cmd)) {
		/* a leftover folder in /tmp: nothing to fail for */
	}
}
