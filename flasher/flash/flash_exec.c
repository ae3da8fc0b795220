/* Preflight and execution of a plan.  See flash_exec.h. */
#include "flash_exec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h" /* still upward: exit statuses and rf_interrupted (being moved out) */
#include "device.h"
#include "image_send.h"
#include "output.h"
#include "pkg_stream.h"
#include "prefetch.h"
#include "resume.h"
#include "step_kinds.h"

/* Partitions of the bootloader chain: a phone whose write of one of these
 * was cut may not boot at all, not even to fastboot. */
static int is_boot_chain(const char *part)
{
	static const char *const chain[] = { "sbl1", "tz", "rpm", "aboot",
					     "dbi", "sdi", "partition", NULL };
	for (const char *const *c = chain; *c; c++) {
		size_t n = strlen(*c);
		if (!strncmp(part, *c, n) && (part[n] == 0 || part[n] == '+'))
			return 1;
	}
	return 0;
}

static int writes(enum rf_op op)
{
	return op == RF_OP_FLASH || op == RF_OP_CRC_FLASH || op == RF_OP_ERASE ||
	       op == RF_OP_FORMAT;
}

const char *rf_flash_likely_state(const struct rf_plan *pl, int step,
				  int any_written, int started)
{
	const struct rf_step *s;
	if (step < 0 || (size_t)step >= pl->steps.n)
		return "unknown";
	s = &pl->steps.v[step];
	if (!started)
		return any_written ? "the phone is in fastboot mode with the steps before this one "
				     "completed; this step had not started"
				   : "nothing was written; the phone is unchanged and still in fastboot mode";
	if (!any_written && !writes(s->op))
		return "nothing was written; the phone is unchanged and still in fastboot mode";
	if (writes(s->op) && is_boot_chain(s->partition))
		return "a bootloader partition may be half written: do NOT unplug or reboot "
		       "the phone; resume now, it still runs the bootloader it started with";
	if (writes(s->op))
		return "the partition being written may be incomplete; boot is written last, "
		       "so the phone stays in fastboot mode and can be flashed again";
	if (s->op == RF_OP_REBOOT_BOOTLOADER)
		return "the phone was restarting into the bootloader; if it does not show "
		       "the fastboot screen, hold power + volume down";
	return "the phone is in fastboot mode with the steps before this one completed";
}

/* ---- events ---- */

static void ev_step(const char *event, const struct rf_flash_run *r, size_t i,
		    const struct rf_flash_target *t, double secs, const char *error)
{
	const struct rf_step *s = &r->plan->steps.v[i];
	struct jw j;
	if (!out_is_json())
		return;
	jw_begin(&j, event);
	if (t)
		jw_str(&j, "device", t->id);
	jw_u64(&j, "step", i + 1);
	jw_u64(&j, "steps", r->plan->steps.n);
	jw_str(&j, "op", rf_op_name(s->op));
	if (s->partition[0])
		jw_str(&j, "partition", s->partition);
	if (s->image[0]) {
		jw_str(&j, "image", s->image);
		jw_u64(&j, "size", s->size);
	}
	if (secs >= 0)
		jw_double(&j, "seconds", secs);
	if (error)
		jw_str(&j, "error", error);
	jw_end(&j);
}

static void drop_target(struct rf_flash_target *t, int rc, int exit_status,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void drop_target(struct rf_flash_target *t, int rc, int exit_status,
			const char *fmt, ...)
{
	va_list ap;
	t->rc = rc;
	t->exit_status = exit_status;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof t->err, fmt, ap);
	va_end(ap);
}

/* ---- preflight ---- */

static int preflight_one(struct rf_flash_run *r, struct rf_flash_target *t)
{
	struct rf_plan *pl = r->plan;
	char msg[RF_ERRLEN];
	int rc;

	rc = rf_device_max_download(&r->dev, &t->fb, t->id, &t->max_dl);
	if (rc) {
		drop_target(t, rc, rf_exit_for(rc), "max-download-size: %s", t->fb.err);
		return rc;
	}
	/* what the checks and conditions depend on, asked once each */
	rc = rf_exec_ask(&t->fb, pl, &t->answers);
	if (rc) {
		drop_target(t, rc, rf_exit_for(rc), "getvar: %s", t->fb.err);
		return rc;
	}
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		if (rf_step_is_check(s)) {
			const char *val = rf_answers_get(&t->answers, s->var);
			if (rf_step_eval(s, val ? val : "") != 1) {
				rf_exec_check_failure(s, val, msg, sizeof msg);
				drop_target(t, RF_EINVAL, RF_EXIT_NODEV, "%s", msg);
				return RF_EINVAL;
			}
		}
		if (s->op == RF_OP_FORMAT && rf_step_runs(s, &t->answers) &&
		    (rc = rf_exec_format_preflight(&t->fb, s, msg))) {
			drop_target(t, rc, rc == RF_EINVAL ? RF_EXIT_PACKAGE : rf_exit_for(rc),
				    "%s", msg);
			return rc;
		}
		if ((s->op == RF_OP_FLASH || s->op == RF_OP_CRC_FLASH) &&
		    rf_step_runs(s, &t->answers)) {
			/* every name of an a+b pair must hold the image */
			uint64_t psize;
			rc = rf_device_partition_size(&t->fb, s->partition, &psize);
			if (rc) {
				drop_target(t, rc, rf_exit_for(rc), "getvar partition-size:%s: %s",
					    s->partition, t->fb.err);
				return rc;
			}
			if (psize && s->out_bytes > psize) {
				drop_target(t, RF_ETOOBIG, RF_EXIT_PACKAGE,
					    "%s: %s (%" PRIu64 " bytes) does not fit partition %s (%" PRIu64 " bytes)",
					    s->src, s->image, s->out_bytes, s->partition, psize);
				return RF_ETOOBIG;
			}
		}
	}
	return RF_OK;
}

size_t rf_flash_preflight(struct rf_flash_run *r)
{
	size_t ok = 0;
	for (size_t k = 0; k < r->ntg; k++) {
		struct rf_flash_target *t = &r->tg[k];
		if (t->rc)
			continue;
		t->failed_step = -1;
		if (preflight_one(r, t) == RF_OK)
			ok++;
	}
	return ok;
}

/* ---- execution ---- */

static void save_progress(const struct rf_flash_run *r, const struct rf_flash_target *t,
			  size_t next, const char *failed)
{
	struct rf_resume rs;
	char err[RF_ERRLEN];
	memset(&rs, 0, sizeof rs);
	if (next >= r->plan->steps.n) {
		rf_resume_clear(t->id);
		return;
	}
	snprintf(rs.phone, sizeof rs.phone, "%s", t->id);
	if (!realpath(r->pkg->path, rs.package))
		snprintf(rs.package, sizeof rs.package, "%s", r->pkg->path);
	snprintf(rs.md5, sizeof rs.md5, "%s", r->pkg->md5);
	snprintf(rs.mode, sizeof rs.mode, "%s", rf_mode_name(r->plan->mode));
	snprintf(rs.script, sizeof rs.script, "%s", r->plan->script);
	rs.nsteps = r->plan->steps.n;
	rs.next = next;
	snprintf(rs.failed, sizeof rs.failed, "%s", failed ? failed : "");
	if (rf_resume_save(&rs, err))
		out_warn("cannot save progress: %s", err);
}

/* The phones still going on, as a fanout (rebuilt before each step since
 * phones drop out). */
struct fan {
	struct rf_fanout fo;
	struct rf_fastboot *fb[64];
	int rc[64];
	char err[64][RF_ERRLEN];
	size_t map[64];
};

static void fan_build(struct fan *f, struct rf_flash_run *r, const struct rf_step *s)
{
	size_t n = 0;
	memset(&f->fo, 0, sizeof f->fo);
	for (size_t k = 0; k < r->ntg && n < 64; k++) {
		struct rf_flash_target *t = &r->tg[k];
		if (t->rc)
			continue;
		if (!rf_step_runs(s, &t->answers))
			continue;
		f->fb[n] = &t->fb;
		f->rc[n] = RF_OK;
		f->err[n][0] = 0;
		f->map[n] = k;
		n++;
	}
	f->fo.n = n;
	f->fo.fb = f->fb;
	f->fo.rc = f->rc;
	f->fo.err = f->err;
	f->fo.stop = &rf_interrupted;
}

/* Copy the fanout's failures back to the phones. */
static void fan_collect(struct fan *f, struct rf_flash_run *r, size_t step)
{
	for (size_t i = 0; i < f->fo.n; i++) {
		struct rf_flash_target *t = &r->tg[f->map[i]];
		if (f->rc[i] && !t->rc) {
			drop_target(t, f->rc[i], rf_exit_for(f->rc[i]), "%s", f->err[i]);
			t->failed_step = (int)step;
		}
	}
}

/* A failure the script does not check (bash goes on after it) of a step
 * that writes no partition is a warning: the phone stays in the run, and
 * --resume never meets the same dead end. */
static void forgive_unchecked(struct fan *f, const struct rf_flash_run *r,
			      const struct rf_step *s, size_t step)
{
	if (!rf_exec_forgivable(s))
		return;
	for (size_t i = 0; i < f->fo.n; i++)
		if (f->rc[i]) {
			out_warn("%s: step %zu (%s %s) failed: %s; the script does not stop "
				 "on it (%s), going on", r->tg[f->map[i]].id, step + 1,
				 rf_op_name(s->op), s->partition[0] ? s->partition : s->arg,
				 f->err[i], s->src);
			f->rc[i] = RF_OK;
		}
}

static int op_erase(struct rf_fastboot *fb, const char *a) { return rf_fb_erase(fb, a); }
static int op_oem(struct rf_fastboot *fb, const char *a) { return rf_fb_oem(fb, a); }
static int op_slot(struct rf_fastboot *fb, const char *a) { return rf_fb_set_active(fb, a); }

/* The phone leaves on purpose: a dropped link after (or instead of) OKAY
 * is what a reboot looks like. */
static int op_reboot_bl(struct rf_fastboot *fb, const char *a)
{
	int rc = rf_fb_reboot_bootloader(fb);
	(void)a;
	return rc == RF_EDISCONNECTED ? RF_OK : rc;
}

static int op_reboot(struct rf_fastboot *fb, const char *a)
{
	int rc = rf_fb_reboot(fb);
	(void)a;
	return rc == RF_EDISCONNECTED ? RF_OK : rc;
}

struct wait_tick {
	const char *id;
};

static void on_wait_tick(void *user, int el)
{
	struct wait_tick *w = user;
	if (el > 0 && el % 5 == 0)
		out_msg("  waiting for %s to come back in fastboot mode (%d s)", w->id, el);
}

static void sleep_interruptible(unsigned s)
{
	for (unsigned i = 0; i < s * 10 && !rf_interrupted; i++)
		usleep(100 * 1000);
}

/* Reboot every live phone into the bootloader and wait for each to come
 * back; the phones that do not are dropped. */
static void step_reboot_bootloader(struct rf_flash_run *r, const struct rf_step *s,
				   struct fan *f, size_t step, char *err)
{
	int rc = rf_fanout_each(&f->fo, op_reboot_bl, NULL, err);
	fan_collect(f, r, step);
	if (rc)
		return;
	for (size_t k = 0; k < r->ntg; k++)
		if (!r->tg[k].rc) {
			rf_transport_close(r->tg[k].t);
			r->tg[k].t = NULL;
		}
	out_msg("  the phone%s restart%s into the bootloader", r->ntg > 1 ? "s" : "",
		r->ntg > 1 ? "" : "s");
	sleep_interruptible(s->sleep_s);
	for (size_t k = 0; k < r->ntg; k++) {
		struct rf_flash_target *t = &r->tg[k];
		struct wait_tick w = { t->id };
		char e[RF_ERRLEN];
		if (t->rc)
			continue;
		rc = rf_device_wait_fastboot(&r->dev, t->id, r->wait_timeout_s,
					     on_wait_tick, &w, &t->t, &t->fb, e);
		if (!rc)
			rc = rf_device_max_download(&r->dev, &t->fb, t->id, &t->max_dl);
		if (rc) {
			drop_target(t, rc, rc == RF_EINTR ? RF_EXIT_INTERRUPTED : RF_EXIT_DEVICE,
				    "%s", e);
			t->failed_step = (int)step;
		}
	}
}

static int alive_count(const struct rf_flash_run *r)
{
	int n = 0;
	for (size_t k = 0; k < r->ntg; k++)
		n += r->tg[k].rc == RF_OK;
	return n;
}

static uint32_t min_max_dl(const struct rf_flash_run *r)
{
	uint32_t m = UINT32_MAX;
	for (size_t k = 0; k < r->ntg; k++)
		if (!r->tg[k].rc && r->tg[k].max_dl < m)
			m = r->tg[k].max_dl;
	return m == UINT32_MAX ? RF_DEFAULT_MAX_DL : m;
}

static int needs_image(const struct rf_flash_run *r, const struct rf_step *s)
{
	if (s->op == RF_OP_FLASH || (s->op == RF_OP_BOOT && !r->no_reboot))
		return 1;
	if (s->op == RF_OP_CRC_FLASH)
		for (size_t k = 0; k < r->ntg; k++)
			if (!r->tg[k].rc && rf_step_runs(s, &r->tg[k].answers))
				return 1;
	return 0;
}

/* The read-ahead's view of the package: the images in the plan's order. */
struct image_seq {
	struct rf_pkg_stream *ps;
	const char **order;
};

static int open_image(void *user, size_t k, rf_read_fn *rd, void **ctx,
		      uint64_t *size, const char **read_err, char *err)
{
	struct image_seq *q = user;
	int rc = rf_pkg_stream_image(q->ps, q->order[k], rd, ctx, size);
	*read_err = rf_pkg_stream_err(q->ps);
	if (rc)
		rf_errf(err, rc, "%s", rf_pkg_stream_err(q->ps));
	return rc;
}

/* `k`: the step's image in the read-ahead's sequence. */
static int step_image(struct rf_flash_run *r, struct rf_prefetch *ahead, size_t k,
		      const struct rf_step *s, struct fan *f, size_t step,
		      struct rf_progress *prog, char *err)
{
	const struct rf_pkg_file *pf = rf_pkg_find(r->pkg, s->image);
	struct rf_sparse_layout raw;
	struct rf_image img;
	uint32_t max_dl = min_max_dl(r);
	uint64_t wire;
	unsigned downloads;
	int rc;

	memset(&raw, 0, sizeof raw);
	memset(&img, 0, sizeof img);
	if (!pf) {
		rc = rf_errf(err, RF_EFORMAT, "%s is not in the package", s->image);
		goto fail_all;
	}
	rc = rf_prefetch_next(ahead, k, &img.size, err);
	if (rc)
		goto fail_all;
	img.read = rf_prefetch_read;
	img.ctx = ahead;
	img.read_err = rf_prefetch_err(ahead);
	img.layout = pf->layout;
	if (!pf->sparse) {
		rc = rf_sparse_layout_raw(&raw, img.size, RF_SPARSE_DEFAULT_BLOCK);
		if (rc) {
			rf_errf(err, rc, "%s", raw.err);
			goto fail_all;
		}
		img.layout = &raw;
	}
	/* the bar counts bytes on the wire (split pieces carry headers) */
	rc = rf_image_plan(&img, max_dl, &downloads, &wire, err);
	if (rc)
		goto fail_all;
	prog->total = wire;
	if (s->op == RF_OP_BOOT)
		rc = rf_image_boot(&f->fo, &img, max_dl, prog, err);
	else
		rc = rf_image_flash(&f->fo, s->partition, &img, max_dl, prog, err);
	goto out;
fail_all:
	rf_fanout_fail_all(&f->fo, rc, err);
out:
	fan_collect(f, r, step);
	rf_sparse_layout_free(&raw);
	return rc;
}

/* The lines under the error belong to it: on stderr with it, so they survive
 * -q, --json and a redirected stdout (the resume command above all). */
static void report_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report_line(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void report_failure(const struct rf_flash_run *r, const struct rf_flash_target *t)
{
	const struct rf_plan *pl = r->plan;
	int fs = t->failed_step;
	int any_written = 0;
	char done[512] = "", hint[4400];
	size_t dn = 0;

	snprintf(hint, sizeof hint, "romflash -s %s%s", t->id,
		 r->resume_args ? r->resume_args : " flash PACKAGE --resume");

	for (size_t i = r->start; fs >= 0 && i < (size_t)fs; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		/* steps with a condition (CRC lists) only ran where it held */
		if (!rf_step_runs(s, &t->answers))
			continue;
		if (writes(s->op) || s->op == RF_OP_BOOT) {
			any_written = 1;
			dn += (size_t)snprintf(done + dn, dn < sizeof done ? sizeof done - dn : 0,
					       "%s%s", dn ? ", " : "", s->partition);
		}
	}
	if (r->start > 0)
		any_written = 1;
	if (fs >= 0) {
		const struct rf_step *s = &pl->steps.v[fs];
		const char *what = s->partition[0] ? s->partition : s->arg;
		out_error("%s: step %d/%zu (%s%s%s) failed: %s", t->id, fs + 1, pl->steps.n,
			  rf_op_name(s->op), what[0] ? " " : "", what, t->err);
		if (fs == 0)
			report_line("  completed: none");
		else
			report_line("  completed: steps 1-%d%s%s%s", fs,
				    !done[0] ? "" : r->start ? " (wrote in this run: " : " (wrote ",
				    done, done[0] ? ")" : "");
		report_line("  phone: %s", rf_flash_likely_state(pl, fs, any_written ||
			(writes(s->op) && !t->not_started), !t->not_started));
	} else {
		out_error("%s: %s", t->id, t->err);
	}
	if (fs >= 0 && t->exit_status != RF_EXIT_NODEV && t->exit_status != RF_EXIT_PACKAGE)
		report_line("  to resume: %s", hint);
	/* a command the phone refused may be refused every time: --resume
	 * would meet it again, so say how to go past it (never for a
	 * bootloader write) */
	if (fs >= 0 && t->rc == RF_EFAIL &&
	    !(writes(pl->steps.v[fs].op) && is_boot_chain(pl->steps.v[fs].partition)))
		report_line("  if the phone refuses this step every time: %s --skip %d", hint,
			    fs + 1);
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "failure");
		jw_str(&j, "device", t->id);
		if (fs >= 0) {
			jw_u64(&j, "step", (uint64_t)fs + 1);
			jw_u64(&j, "completed", (uint64_t)fs);
			jw_str(&j, "state", rf_flash_likely_state(pl, fs, 1, !t->not_started));
			jw_str(&j, "resume", hint);
		}
		jw_str(&j, "error", t->err);
		jw_i64(&j, "exit", t->exit_status);
		jw_end(&j);
	}
}

size_t rf_flash_execute(struct rf_flash_run *r)
{
	struct rf_plan *pl = r->plan;
	struct rf_pkg_stream *ps = NULL;
	struct rf_pkg_stream_opts po;
	struct rf_prefetch *ahead = NULL;
	struct image_seq seq;
	const char **order = NULL;
	size_t *order_at = NULL; /* step -> its image's place in `order` */
	size_t norder = 0, done = 0;
	struct fan *f = calloc(1, sizeof *f);
	char err[RF_ERRLEN] = "";
	double t0 = out_now();
	uint64_t sent_total = 0;
	struct rf_overall all = { 0, 0, 0 };
	int rc = RF_OK;

	if (!f || !(order = calloc(pl->steps.n + 1, sizeof *order)) ||
	    !(order_at = calloc(pl->steps.n + 1, sizeof *order_at))) {
		for (size_t k = 0; k < r->ntg; k++)
			if (!r->tg[k].rc)
				drop_target(&r->tg[k], RF_ENOMEM, RF_EXIT_DEVICE, "out of memory");
		goto out;
	}
	for (size_t i = r->start; i < pl->steps.n; i++)
		if (needs_image(r, &pl->steps.v[i])) {
			order_at[i] = norder;
			order[norder++] = pl->steps.v[i].image;
			all.total += pl->steps.v[i].size;
		}
	all.t_start = out_now();
	memset(&po, 0, sizeof po);
	po.order = order;
	po.norder = norder;
	po.cancel = &rf_interrupted;
	if (norder && (rc = rf_pkg_stream_open(&ps, r->pkg, &po, err))) {
		for (size_t k = 0; k < r->ntg; k++)
			if (!r->tg[k].rc) {
				drop_target(&r->tg[k], rc, rf_exit_for(rc) == RF_EXIT_DEVICE ? RF_EXIT_PACKAGE
											 : rf_exit_for(rc), "%s", err);
				r->tg[k].failed_step = (int)r->start;
			}
		goto out;
	}
	/* one read-ahead over every image of the run: the next image is
	 * found in the package while the phone takes the previous one */
	seq.ps = ps;
	seq.order = order;
	if (norder && (rc = rf_prefetch_start(&ahead, open_image, &seq, norder, err))) {
		for (size_t k = 0; k < r->ntg; k++)
			if (!r->tg[k].rc) {
				drop_target(&r->tg[k], rc, RF_EXIT_DEVICE, "%s", err);
				r->tg[k].failed_step = (int)r->start;
			}
		goto out;
	}

	for (size_t i = r->start; i < pl->steps.n && alive_count(r); i++) {
		const struct rf_step *s = &pl->steps.v[i];
		struct rf_progress prog;
		char label[128];
		double ts = out_now();

		if (rf_interrupted) {
			for (size_t k = 0; k < r->ntg; k++)
				if (!r->tg[k].rc) {
					drop_target(&r->tg[k], RF_EINTR, RF_EXIT_INTERRUPTED,
						    "interrupted before this step");
					r->tg[k].failed_step = (int)i;
					r->tg[k].not_started = 1;
					save_progress(r, &r->tg[k], i, "interrupted");
				}
			break;
		}
		fan_build(f, r, s);
		snprintf(label, sizeof label, "[%zu/%zu] %s %s", i + 1, pl->steps.n,
			 rf_op_name(s->op), s->partition[0] ? s->partition : s->arg);
		ev_step("step_start", r, i, NULL, -1, NULL);
		/* failures are the phones' (t->rc); the loop goes on with
		 * the phones still alive */
		switch (s->op) {
		case RF_OP_GETVAR_CHECK:
		case RF_OP_ANTI_CHECK:
		case RF_OP_PATCH_CHECK:
			out_msg("%s%s%s  passed (checked before writing)", out_c("dim"), label, out_c("reset"));
			break;
		case RF_OP_BOOT:
			/* booting an image leaves fastboot like a reboot */
			if (r->no_reboot) {
				out_msg("%s  skipped (--no-reboot)", label);
				break;
			}
			/* fall through */
		case RF_OP_CRC_FLASH:
			if (!f->fo.n) {
				out_msg("%s%s%s  skipped (getvar %s: not for this phone)", out_c("dim"),
					label, s->var, out_c("reset"));
				break;
			}
			/* fall through */
		case RF_OP_FLASH:
			progress_start(&prog, label, NULL, s->size);
			prog.all = &all;
			prog.share = s->size;
			rc = step_image(r, ahead, order_at[i], s, f, i, &prog, err);
			progress_done(&prog, rc == RF_OK);
			if (!rc)
				sent_total += prog.total;
			all.done += s->size;
			break;
		case RF_OP_ERASE:
		case RF_OP_OEM:
		case RF_OP_SET_ACTIVE:
			if (s->cond && !f->fo.n) {
				out_msg("%s%s%s  skipped (getvar %s: not for this phone)", out_c("dim"),
					label, s->var, out_c("reset"));
				break;
			}
			out_msg("%s", label);
			rf_fanout_each(&f->fo, s->op == RF_OP_ERASE ? op_erase
					       : s->op == RF_OP_OEM ? op_oem : op_slot,
				       s->op == RF_OP_ERASE ? s->partition : s->arg, err);
			forgive_unchecked(f, r, s, i);
			fan_collect(f, r, i);
			break;
		case RF_OP_FORMAT: /* the preflight refused it: see step_kinds.h */
			rf_fanout_fail_all(&f->fo, RF_EINVAL, "format is not supported");
			fan_collect(f, r, i);
			break;
		case RF_OP_REBOOT_BOOTLOADER:
			out_msg("%s", label);
			step_reboot_bootloader(r, s, f, i, err);
			break;
		case RF_OP_REBOOT:
			if (r->no_reboot) {
				out_msg("%s  skipped (--no-reboot)", label);
				break;
			}
			out_msg("%s", label);
			/* Everything is written: a phone that does not take
			 * the reboot (some reboot by themselves after `oem
			 * lock`) is not a failed flash. */
			for (size_t k = 0; k < f->fo.n; k++)
				if (op_reboot(f->fb[k], NULL))
					out_warn("%s did not take the reboot command (%s); "
						 "restart it by holding the power button",
						 r->tg[f->map[k]].id, f->fb[k]->err);
			break;
		}
		/* the script's delay after a step (not needed, but kept) */
		if (s->sleep_s && s->op != RF_OP_REBOOT_BOOTLOADER && i + 1 < pl->steps.n &&
		    alive_count(r))
			sleep_interruptible(s->sleep_s);
		for (size_t k = 0; k < r->ntg; k++) {
			struct rf_flash_target *t = &r->tg[k];
			if (t->rc == RF_OK) {
				t->next = i + 1;
				save_progress(r, t, i + 1, NULL);
			} else if (t->failed_step == (int)i) {
				save_progress(r, t, i, t->err);
			}
		}
		if (alive_count(r))
			ev_step("step_done", r, i, NULL, out_now() - ts, NULL);
	}
out:
	for (size_t k = 0; k < r->ntg; k++) {
		struct rf_flash_target *t = &r->tg[k];
		if (t->rc == RF_OK && t->next >= pl->steps.n) {
			done++;
		} else if (t->failed_step >= 0 || t->rc) {
			report_failure(r, t);
		}
	}
	if (r->ntg > 1) {
		out_msg("Results:");
		for (size_t k = 0; k < r->ntg; k++) {
			const struct rf_flash_target *t = &r->tg[k];
			if (t->rc == RF_OK && t->next >= pl->steps.n)
				out_msg("  %s%-24s ok%s", out_c("green"), t->id, out_c("reset"));
			else
				out_msg("  %s%-24s failed%s at step %d: %s", out_c("red"), t->id,
					out_c("reset"), t->failed_step + 1, t->err);
		}
	}
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, "summary");
		jw_str(&j, "result", done == r->ntg ? "ok" : "failed");
		jw_u64(&j, "phones", r->ntg);
		jw_u64(&j, "phones_ok", done);
		jw_u64(&j, "steps", pl->steps.n);
		if (r->skipped > 0)
			jw_u64(&j, "skipped", (uint64_t)r->skipped);
		jw_u64(&j, "bytes", sent_total);
		jw_double(&j, "seconds", out_now() - t0);
		jw_end(&j);
	}
	rf_prefetch_stop(ahead); /* before the stream it reads */
	if (ps) {
		struct rf_pkg_stream_stats st;
		rf_pkg_stream_stats(ps, &st);
		out_verbose("package read in %u pass%s from its start and %u seek%s, %" PRIu64
			    " bytes spooled (peak %" PRIu64 ")", st.passes, st.passes == 1 ? "" : "es",
			    st.seeks, st.seeks == 1 ? "" : "s", st.spooled_bytes, st.spool_peak);
		rf_pkg_stream_close(ps);
	}
	free(order);
	free(order_at);
	free(f);
	return done;
}
