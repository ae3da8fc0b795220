/* Execution of a plan, each phone in its own thread.  See flash_exec.h.
 *
 * A phone's run is a loop over the steps from its start: a step is either
 * skipped (with the reason), or run by the function of its kind (one per
 * rf_op, table below); every outcome is an event and is saved as progress.
 * The first failure stops that phone (and only that phone), with a report
 * of what it means (flash_report.c). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flash_run.h"
#include "format.h"
#include "resume.h"
#include "rf_str.h"
#include "step_kinds.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void event_for(struct rf_phone_run *p, struct rf_event *ev, enum rf_ev_type type,
		      size_t i)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->phone = p->t->id;
	ev->several = p->r->ntg > 1;
	ev->index = i;
	ev->steps = p->r->plan->steps.n;
	ev->step = &p->r->plan->steps.v[i];
	ev->overall = -1;
	ev->overall_eta = -1;
	ev->eta = -1;
}

static void emit_step(struct rf_phone_run *p, enum rf_ev_type type, size_t i,
		      const char *text, double elapsed)
{
	struct rf_event ev;
	event_for(p, &ev, type, i);
	ev.text = text;
	ev.elapsed = elapsed;
	rf_flash_emit(p->r, &ev);
}

static void emit_phone(struct rf_phone_run *p, enum rf_ev_type type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void emit_phone(struct rf_phone_run *p, enum rf_ev_type type, const char *fmt, ...)
{
	char msg[RF_ERRLEN];
	struct rf_event ev;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.phone = p->t->id;
	ev.several = p->r->ntg > 1;
	ev.text = msg;
	rf_flash_emit(p->r, &ev);
}

/* ---- progress saved after every step ---- */

static void save_progress(struct rf_phone_run *p, size_t next, const char *failed)
{
	const struct rf_flash_run *r = p->r;
	struct rf_resume rs;
	char err[RF_ERRLEN];

	if (r->no_progress)
		return;
	if (next >= r->plan->steps.n) {
		rf_resume_clear(&p->t->ident);
		return;
	}
	memset(&rs, 0, sizeof rs);
	rs.phone = p->t->ident;
	if (!realpath(r->pkg->path, rs.package))
		rf_strlcpy(rs.package, r->pkg->path, sizeof rs.package);
	rf_strlcpy(rs.md5, r->pkg->md5, sizeof rs.md5);
	rf_strlcpy(rs.mode, rf_mode_name(r->plan->mode), sizeof rs.mode);
	rf_strlcpy(rs.script, r->plan->script, sizeof rs.script);
	rs.nsteps = r->plan->steps.n;
	rs.next = next;
	rf_strlcpy(rs.failed, failed ? failed : "", sizeof rs.failed);
	if (rf_resume_save(&rs, err) && !p->saved_warned++)
		emit_phone(p, RF_EV_WARNING, "cannot save progress: %s", err);
}

static int fail(struct rf_phone_run *p, int rc, enum rf_fail_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct rf_phone_run *p, int rc, enum rf_fail_kind kind, const char *fmt, ...)
{
	va_list ap;
	p->t->rc = rc;
	p->fail_kind = kind;
	va_start(ap, fmt);
	vsnprintf(p->t->err, sizeof p->t->err, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- images ---- */

struct image_step {
	struct rf_phone_run *p;
	size_t i;
	double t_send;           /* when this step's sending began */
	double t_busy0;          /* p->busy before the step */
	uint64_t share;          /* the step's image bytes in the overall */
};

/* image_send's progress, as events (at most 10 a second per phone). */
static void on_send(void *user, enum rf_send_phase phase, uint64_t done, uint64_t total)
{
	struct image_step *is = user;
	struct rf_phone_run *p = is->p;
	double now = now_s(), el = now - is->t_send;
	struct rf_event ev;

	if (phase == RF_PHASE_SENDING && done < total && now - p->last_progress < 0.1)
		return;
	p->last_progress = now;
	event_for(p, &ev, RF_EV_PROGRESS, is->i);
	ev.phase = phase;
	ev.done = done;
	ev.total = total;
	ev.elapsed = el;
	ev.rate = el > 0 ? (double)done / el : 0;
	ev.eta = ev.rate > 0 ? (double)(total - done) / ev.rate : -1;
	if (p->all_total) {
		double busy = p->busy + el;
		double d = (double)p->all_done + (total ? (double)is->share * (double)done /
						  (double)total : 0);
		ev.overall = d / (double)p->all_total;
		/* not known before 5% of the bytes: the first, small images
		 * cost far more per byte (each command's turn) than the large
		 * ones, and would promise many times the real time */
		ev.overall_eta = ev.overall >= 0.05 && busy > 0
					 ? busy * ((double)p->all_total - d) / d : -1;
	}
	rf_flash_emit(p->r, &ev);
}

/* Send `img` to the step's partition (or boot it), with progress events;
 * a failure's kind is told by what the phone was sent.  `t0`: when the
 * step began (finding its image is part of it). */
static int send_image(struct rf_phone_run *p, size_t i, const struct rf_step *s,
		      const struct rf_image *img, uint64_t share, double t0)
{
	struct rf_flash_target *t = p->t;
	struct image_step is = { p, i, t0, 0, share };
	struct rf_send snd;
	int rc;

	memset(&snd, 0, sizeof snd);
	snd.fb = &t->fb;
	snd.max_dl = t->max_dl;
	snd.stop = p->r->dev.stop;
	snd.progress = on_send;
	snd.user = &is;
	snd.label = s->image; /* "" for a format: "the image" */
	rc = s->op == RF_OP_BOOT ? rf_image_boot(&snd, img)
				 : rf_image_flash(&snd, s->partition, img);
	t->sent += snd.sent;
	p->all_done += share;
	p->busy += now_s() - is.t_send;
	if (!rc)
		return RF_OK;
	return fail(p, rc, snd.read_failed ? RF_FK_PACKAGE
			   : snd.in_flash || snd.flashed ? RF_FK_PARTIAL : RF_FK_NOT_WRITTEN,
		    "%s", snd.err);
}

static int step_image(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	const struct rf_pkg_file *pf = rf_pkg_find(p->r->pkg, s->image);
	struct rf_sparse_layout raw;
	struct rf_image img;
	double t0 = now_s();
	char err[RF_ERRLEN];
	int rc;

	memset(&raw, 0, sizeof raw);
	memset(&img, 0, sizeof img);
	if (!pf)
		return fail(p, RF_EFORMAT, RF_FK_PACKAGE, "%s is not in the package", s->image);
	if ((rc = rf_feed_image(p->rd, p->image_at[i], &img.size, err)))
		return fail(p, rc, RF_FK_PACKAGE, "%s", err);
	img.read = rf_feed_read;
	img.ctx = p->rd;
	img.read_err = rf_feed_err(p->rd);
	img.layout = pf->layout;
	if (!pf->sparse) {
		if ((rc = rf_sparse_layout_raw(&raw, img.size, RF_SPARSE_DEFAULT_BLOCK)))
			return fail(p, rc, RF_FK_PACKAGE, "%s", raw.err);
		img.layout = &raw;
	}
	rc = send_image(p, i, s, &img, s->size, t0);
	rf_sparse_layout_free(&raw);
	return rc;
}

/* The filesystem the preflight made for this phone (format.h), sent as
 * sparse pieces: what the tool wrote, the rest DONT_CARE. */
static int step_format(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	struct rf_format_image *fs = p->t->made ? p->t->made[i] : NULL;
	struct rf_image img;
	if (!fs)
		return fail(p, RF_EINVAL, RF_FK_NOT_STARTED, "%s: format %s: internal: no "
			    "filesystem was made for it", s->src, s->partition);
	rf_format_image_of(fs, &img);
	return send_image(p, i, s, &img, 0, now_s());
}

/* ---- commands ---- */

static enum rf_fail_kind command_kind(int rc)
{
	return rc == RF_EFAIL ? RF_FK_REFUSED : rc == RF_EPROTO ? RF_FK_NOT_FASTBOOT
								 : RF_FK_NO_ANSWER;
}

static int step_erase(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	int rc = rf_fb_erase(&p->t->fb, s->partition);
	(void)i;
	return rc ? fail(p, rc, command_kind(rc), "%s", p->t->fb.err) : RF_OK;
}

static int step_oem(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	int rc = s->op == RF_OP_OEM ? rf_fb_oem(&p->t->fb, s->arg)
				    : rf_fb_set_active(&p->t->fb, s->arg);
	(void)i;
	return rc ? fail(p, rc, command_kind(rc), "%s", p->t->fb.err) : RF_OK;
}

static int step_check(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	(void)p, (void)i, (void)s;
	return RF_OK; /* evaluated by the preflight, before the first write */
}

/* Everything is written by the final reboot: a phone that does not take it
 * (some reboot by themselves after `oem lock`) is not a failed flash. */
static int step_reboot(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	int rc = rf_fb_reboot(&p->t->fb);
	(void)i, (void)s;
	if (rc && rc != RF_EDISCONNECTED)
		emit_phone(p, RF_EV_WARNING, "%s did not take the reboot command (%s); restart "
			   "it by holding the power button", p->t->id, p->t->fb.err);
	return RF_OK;
}

static void sleep_unless_stopped(const struct rf_flash_run *r, unsigned s)
{
	for (unsigned i = 0; i < s * 10 && !(r->dev.stop && *r->dev.stop); i++)
		usleep(100 * 1000);
}

struct wait_tick {
	struct rf_phone_run *p;
};

static void on_wait_tick(void *user, int el)
{
	struct wait_tick *w = user;
	if (el > 0 && el % 5 == 0)
		emit_phone(w->p, RF_EV_PHONE, "has not come back in fastboot mode yet (%d s)", el);
}

static int reconnect(struct rf_phone_run *p, char *err)
{
	const struct rf_flash_run *r = p->r;
	struct rf_flash_target *t = p->t;
	struct wait_tick w = { p };

	struct rf_device_env env = r->dev;

	if (r->reconnect)
		return r->reconnect(r->reconnect_user, t->selector, r->wait_timeout_s, &t->t,
				    &t->fb, err);
	env.selector = t->selector; /* this phone's, not the whole -s list */
	return rf_device_wait_fastboot(&env, t->selector, r->wait_timeout_s, on_wait_tick,
				       &w, &t->t, &t->fb, err);
}

/* The one that came back is the one that left: its serial, or for phones
 * without one at least the product. */
static int same_phone(const struct rf_phone_id *a, const struct rf_phone_id *b)
{
	if (a->serial[0] || b->serial[0])
		return rf_phone_same(a, b);
	return !strcmp(a->product, b->product);
}

/* The phone leaves on purpose and must come back: the same phone. */
static int step_reboot_bootloader(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	struct rf_flash_target *t = p->t;
	struct rf_phone_id now;
	char err[RF_ERRLEN], was[200], is[200];
	int rc = rf_fb_reboot_bootloader(&t->fb);

	(void)i;
	/* a dropped link after (or instead of) OKAY is what a reboot looks like */
	if (rc && rc != RF_EDISCONNECTED)
		return fail(p, rc, command_kind(rc), "%s", t->fb.err);
	rf_transport_close(t->t);
	t->t = NULL;
	emit_phone(p, RF_EV_PHONE, "is restarting into the bootloader");
	sleep_unless_stopped(p->r, s->sleep_s);
	rc = reconnect(p, err);
	if (rc == RF_EINTR)
		return fail(p, rc, RF_FK_RESTARTING, "%s", err);
	if (rc) /* it left as asked: a device failure, not "no device" */
		return fail(p, rc == RF_ENODEV ? RF_EDISCONNECTED : rc, RF_FK_NOT_BACK, "%s", err);
	if ((rc = rf_phone_identify(&t->fb, &now, err)))
		return fail(p, rc, RF_FK_NO_ANSWER, "%s", err);
	if (!same_phone(&now, &t->ident)) {
		rf_phone_describe(&t->ident, was, sizeof was);
		rf_phone_describe(&now, is, sizeof is);
		return fail(p, RF_EWRONGDEV, RF_FK_OTHER_PHONE,
			    "after the restart %s answered instead of %s", is, was);
	}
	if ((rc = rf_device_max_download(&p->r->dev, &t->fb, t->id, &t->max_dl)))
		return fail(p, rc, RF_FK_NO_ANSWER, "max-download-size: %s", t->fb.err);
	emit_phone(p, RF_EV_PHONE, "is back in fastboot mode");
	return RF_OK;
}

static const struct {
	enum rf_op op;
	int (*run)(struct rf_phone_run *p, size_t i, const struct rf_step *s);
} step_kinds[] = {
	{ RF_OP_FLASH, step_image },
	{ RF_OP_CRC_FLASH, step_image },
	{ RF_OP_BOOT, step_image },
	{ RF_OP_ERASE, step_erase },
	{ RF_OP_OEM, step_oem },
	{ RF_OP_SET_ACTIVE, step_oem },
	{ RF_OP_REBOOT_BOOTLOADER, step_reboot_bootloader },
	{ RF_OP_REBOOT, step_reboot },
	{ RF_OP_GETVAR_CHECK, step_check },
	{ RF_OP_ANTI_CHECK, step_check },
	{ RF_OP_PATCH_CHECK, step_check },
	{ RF_OP_FORMAT, step_format },
};

/* Why this phone does not run step s (into why); 0: it does. */
static int skip_reason(const struct rf_phone_run *p, const struct rf_step *s, char *why,
		       size_t cap)
{
	if (s->cond && !rf_step_runs(s, &p->t->answers)) {
		if (!strcmp(s->var, "crc"))
			snprintf(why, cap, "the phone does not check CRC lists");
		else
			snprintf(why, cap, "getvar %s: not for this phone", s->var);
		return 1;
	}
	if ((s->op == RF_OP_BOOT || s->op == RF_OP_REBOOT) && p->r->no_reboot) {
		snprintf(why, cap, "--no-reboot");
		return 1;
	}
	return 0;
}

static int run_step(struct rf_phone_run *p, size_t i)
{
	const struct rf_step *s = &p->r->plan->steps.v[i];
	for (size_t k = 0; k < sizeof step_kinds / sizeof step_kinds[0]; k++)
		if (step_kinds[k].op == s->op)
			return step_kinds[k].run(p, i, s);
	return fail(p, RF_EINVAL, RF_FK_NOT_STARTED, "internal: no way to run a %s step",
		    rf_op_name(s->op));
}

static int stopped(const struct rf_flash_run *r)
{
	return r->dev.stop && *r->dev.stop;
}

/* A failure the script does not check (bash goes on after it) of a step
 * that writes no partition is a warning: the phone goes on, and --resume
 * never meets the same dead end. */
static void forgive(struct rf_phone_run *p, size_t i, const struct rf_step *s)
{
	emit_phone(p, RF_EV_WARNING, "%s: step %zu (%s %s) failed: %s; the script does not "
		   "stop on it (%s), going on", p->t->id, i + 1, rf_op_name(s->op),
		   s->partition[0] ? s->partition : s->arg, p->t->err, s->src);
	p->outcome[i] = RF_SKIPPED;
	emit_step(p, RF_EV_STEP_SKIPPED, i, "the phone refused it and the script goes on", 0);
	p->t->rc = RF_OK;
	p->t->err[0] = 0;
}

/* Step i on this phone: skipped, run, or failed.  0 to go on. */
static int one_step(struct rf_phone_run *p, size_t i)
{
	const struct rf_step *s = &p->r->plan->steps.v[i];
	char why[160];
	double ts = now_s();

	if (skip_reason(p, s, why, sizeof why)) {
		p->outcome[i] = RF_SKIPPED;
		emit_step(p, RF_EV_STEP_SKIPPED, i, why, 0);
		return 0;
	}
	emit_step(p, RF_EV_STEP_START, i, NULL, 0);
	if (run_step(p, i)) {
		if (!rf_exec_forgivable(s)) {
			p->outcome[i] = RF_FAILED;
			p->t->failed_step = (int)i;
			emit_step(p, RF_EV_STEP_FAILED, i, p->t->err, now_s() - ts);
			save_progress(p, i, p->t->err);
			return -1;
		}
		forgive(p, i, s);
	} else {
		char made[300];
		const char *note = rf_step_is_check(s) ? "checked before the first write" : NULL;
		if (s->op == RF_OP_FORMAT && p->t->made && p->t->made[i]) {
			rf_format_describe(p->t->made[i], made, sizeof made);
			note = made;
		}
		p->outcome[i] = RF_RAN;
		emit_step(p, RF_EV_STEP_DONE, i, note, now_s() - ts);
	}
	/* the script's delay after the step (after reboot-bootloader it is
	 * part of that step) */
	if (s->sleep_s && s->op != RF_OP_REBOOT_BOOTLOADER)
		sleep_unless_stopped(p->r, s->sleep_s);
	return 0;
}

/* One phone, from its start to the end or its first failure. */
static void *run_phone(void *arg)
{
	struct rf_phone_run *p = arg;
	const struct rf_plan *pl = p->r->plan;
	struct rf_flash_target *t = p->t;

	p->t0 = now_s();
	for (size_t i = t->start; i < pl->steps.n; i++) {
		if (stopped(p->r)) {
			t->failed_step = (int)i;
			fail(p, RF_EINTR, RF_FK_NOT_STARTED, "interrupted before this step");
			save_progress(p, i, "interrupted");
			break;
		}
		if (one_step(p, i))
			break;
		t->next = i + 1;
		save_progress(p, i + 1, NULL);
	}
	if (t->rc)
		rf_flash_report(p);
	else
		save_progress(p, t->next, NULL); /* done (also when nothing was left) */
	rf_feed_leave(p->rd);
	p->rd = NULL;
	return NULL;
}

/* ---- the run ---- */

static int needs_image(const struct rf_flash_run *r, const struct rf_step *s, size_t i)
{
	if (s->op == RF_OP_FLASH || (s->op == RF_OP_BOOT && !r->no_reboot) ||
	    s->op == RF_OP_CRC_FLASH) {
		for (size_t k = 0; k < r->ntg; k++)
			if (!r->tg[k].rc && i >= r->tg[k].start &&
			    rf_step_runs(s, &r->tg[k].answers))
				return 1;
	}
	return 0;
}

/* The feed's order: every image some phone will send, in the plan's
 * order; image_at[step] is its place. */
static size_t image_order(const struct rf_flash_run *r, const char **order, size_t *image_at)
{
	size_t n = 0;
	for (size_t i = 0; i < r->plan->steps.n; i++)
		if (needs_image(r, &r->plan->steps.v[i], i)) {
			image_at[i] = n;
			order[n++] = r->plan->steps.v[i].image;
		}
	return n;
}

static void summary(const struct rf_flash_run *r, struct rf_feed *feed, size_t ok, double t0)
{
	struct rf_ev_summary sum;
	struct rf_feed_stats st;
	struct rf_event ev;
	memset(&sum, 0, sizeof sum);
	if (feed) {
		rf_feed_stats(feed, &st);
		sum.detached = st.detaches;
		sum.reread = st.private_bytes;
	}
	sum.phones = r->ntg;
	sum.phones_ok = ok;
	sum.steps = r->plan->steps.n;
	for (size_t k = 0; k < r->ntg; k++)
		sum.sent += r->tg[k].sent;
	sum.seconds = now_s() - t0;
	sum.interrupted = stopped(r);
	sum.skipped = r->skipped;
	memset(&ev, 0, sizeof ev);
	ev.type = RF_EV_SUMMARY;
	ev.several = r->ntg > 1;
	ev.steps = r->plan->steps.n;
	ev.summary = &sum;
	rf_flash_emit(r, &ev);
}

static void phone_init(struct rf_phone_run *p, struct rf_flash_run *r,
		       struct rf_flash_target *t, struct rf_feed *feed,
		       const size_t *image_at, enum rf_outcome *outcome)
{
	memset(p, 0, sizeof *p);
	p->r = r;
	p->t = t;
	p->feed = feed;
	p->image_at = image_at;
	p->outcome = outcome;
	t->failed_step = -1;
	t->next = t->start;
	for (size_t i = t->start; i < r->plan->steps.n; i++) {
		const struct rf_step *s = &r->plan->steps.v[i];
		char why[160];
		if (needs_image(r, s, i) && !skip_reason(p, s, why, sizeof why))
			p->all_total += s->size;
	}
}

/* The first image this phone will read (SIZE_MAX: none). */
static size_t first_image(const struct rf_phone_run *p)
{
	const struct rf_flash_run *r = p->r;
	for (size_t i = p->t->start; i < r->plan->steps.n; i++) {
		const struct rf_step *s = &r->plan->steps.v[i];
		char why[160];
		if (needs_image(r, s, i) && !skip_reason(p, s, why, sizeof why))
			return p->image_at[i];
	}
	return SIZE_MAX;
}

/* Every phone that passed, each in a thread of its own (one runs here). */
static size_t run_phones(struct rf_flash_run *r, struct rf_phone_run *ph)
{
	pthread_t *th = calloc(r->ntg, sizeof *th);
	int *started = calloc(r->ntg, sizeof *started);
	size_t done = 0;

	for (size_t k = 0; k < r->ntg; k++) {
		if (!ph[k].rd)
			continue;
		if (r->ntg > 1 && th && started &&
		    !pthread_create(&th[k], NULL, run_phone, &ph[k]))
			started[k] = 1;
		else
			run_phone(&ph[k]); /* one phone, or no thread to be had */
	}
	for (size_t k = 0; k < r->ntg; k++) {
		if (started && started[k])
			pthread_join(th[k], NULL);
		done += !r->tg[k].rc && r->tg[k].next >= r->plan->steps.n;
	}
	free(th);
	free(started);
	return done;
}

/* Nothing could start: every phone still going stops before its start. */
static void fail_all(struct rf_flash_run *r, struct rf_phone_run *ph, int rc, const char *err)
{
	for (size_t k = 0; k < r->ntg; k++) {
		struct rf_flash_target *t = &r->tg[k];
		struct rf_phone_run p0 = { .r = r, .t = t };
		if (t->rc)
			continue;
		if (ph) {
			rf_feed_leave(ph[k].rd);
			ph[k].rd = NULL;
		}
		t->failed_step = (int)t->start;
		t->rc = rc;
		rf_strlcpy(t->err, err, sizeof t->err);
		rf_flash_report(&p0);
	}
}

size_t rf_flash_execute(struct rf_flash_run *r)
{
	size_t n = r->plan->steps.n, done = 0;
	const char **order = calloc(n + 1, sizeof *order);
	size_t *image_at = calloc(n + 1, sizeof *image_at);
	enum rf_outcome *outcome = calloc((n + 1) * (r->ntg + 1), sizeof *outcome);
	struct rf_phone_run *ph = calloc(r->ntg + 1, sizeof *ph);
	struct rf_feed *feed = NULL;
	struct rf_feed_opts fo;
	char err[RF_ERRLEN] = "out of memory";
	double t0 = now_s();
	int rc = RF_ENOMEM;

	if (order && image_at && outcome && ph) {
		memset(&fo, 0, sizeof fo);
		fo.pkg = r->pkg;
		fo.order = order;
		fo.n = image_order(r, order, image_at);
		fo.window = r->window ? r->window : 16u << 20;
		fo.stop = r->dev.stop;
		rc = rf_feed_start(&feed, &fo, err);
	}
	for (size_t k = 0; !rc && k < r->ntg; k++) {
		if (r->tg[k].rc)
			continue;
		phone_init(&ph[k], r, &r->tg[k], feed, image_at, outcome + k * (n + 1));
		if (!(ph[k].rd = rf_feed_reader(feed, first_image(&ph[k]))))
			rc = RF_ENOMEM;
	}
	if (rc)
		fail_all(r, ph, rc, err);
	else
		done = run_phones(r, ph);
	summary(r, feed, done, t0);
	rf_feed_stop(feed);
	rf_flash_release(r);
	free(order);
	free(image_at);
	free(outcome);
	free(ph);
	return done;
}

void rf_flash_release(struct rf_flash_run *r)
{
	for (size_t k = 0; r->tg && k < r->ntg; k++) {
		struct rf_flash_target *t = &r->tg[k];
		for (size_t i = 0; t->made && i < r->plan->steps.n; i++)
			rf_format_free(t->made[i]);
		free(t->made);
		t->made = NULL;
	}
}
