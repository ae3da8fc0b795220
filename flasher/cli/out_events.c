/* A flash's events (flash_event.h) as the user sees them: JSON lines with
 * --json (docs/json-events.md), else text.  One phone: a bar per image on
 * a terminal (plain lines every 10% otherwise), then one line per step
 * with its sending and writing times, as fastboot's "Sending ... OKAY [t]
 * / Writing ... OKAY [t]".  Several phones: one line per step and phone,
 * prefixed with the phone. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"

#define MAX_VIEWS 64
#define RATE_SAMPLES 32
#define RATE_WINDOW_S 3.0  /* the rate is the phone's pace over this long */
#define RATE_MIN_S 0.5     /* shorter: not known yet (a buffer filling) */

/* What the sink remembers of each phone's step under way: its phases
 * (sending, the phone writing) and how long each took, and the recent
 * progress the sending rate is computed from. */
struct view {
	const char *phone;
	enum rf_send_phase phase;
	double t_phase;      /* when the current phase began */
	double send_s, write_s;
	uint64_t sent;       /* bytes the phone took */
	double rate, last_rate; /* bytes/s while sending; < 0 not known */
	struct {
		double t;
		uint64_t done;
	} win[RATE_SAMPLES]; /* this sending phase's progress */
	int nwin;
	int decile, drawn;
	double t_draw;
	struct rf_event last; /* its last progress (a writing tick redraws it) */
	int last_several;     /* its last event was of a run of several phones */
};

static struct view views[MAX_VIEWS];
static pthread_mutex_t views_mu = PTHREAD_MUTEX_INITIALIZER;
/* The run's times, all phones: the summary's */
static double tot_send, tot_write, tot_wait;
/* The view of the step this thread (a phone's) is at: where a tick of
 * the phone writing belongs (out_writing_tick). */
static _Thread_local struct view *cur_view;

static struct view *view_of(const char *phone)
{
	struct view *free_v = NULL;
	for (int i = 0; i < MAX_VIEWS; i++) {
		if (views[i].phone && !strcmp(views[i].phone, phone))
			return &views[i];
		if (!views[i].phone && !free_v)
			free_v = &views[i];
	}
	if (!free_v)
		free_v = &views[0]; /* more phones than views: they share one */
	memset(free_v, 0, sizeof *free_v);
	free_v->phone = phone;
	return free_v;
}

static int has_image(const struct rf_step *s)
{
	return s && s->image[0] && s->op != RF_OP_GETVAR_CHECK && s->op != RF_OP_ANTI_CHECK;
}

static void label(const struct rf_event *ev, char *buf, size_t cap)
{
	const struct rf_step *s = ev->step;
	const char *what = s->partition[0] ? s->partition : s->arg[0] ? s->arg : s->var;
	snprintf(buf, cap, "%s%s[%zu/%zu] %s%s%s", ev->several ? ev->phone : "",
		 ev->several ? " " : "", ev->index + 1, ev->steps, rf_op_name(s->op),
		 what[0] ? " " : "", what);
}

/* ---- phases, times and the rate ---- */

static void phase_to(struct view *v, enum rf_send_phase ph, double now)
{
	if (v->phase == ph)
		return;
	if (v->phase == RF_PHASE_SENDING)
		v->send_s += now - v->t_phase;
	else if (v->phase == RF_PHASE_WRITING)
		v->write_s += now - v->t_phase;
	v->phase = ph;
	v->t_phase = now;
	if (ph == RF_PHASE_SENDING) {
		v->nwin = 0;
		if (v->rate > 0)
			v->last_rate = v->rate;
	}
}

/* The phone's pace over the last seconds of this sending phase (a socket
 * or USB buffer filling at the start is not the phone's pace); before
 * half a second of it, the previous piece's, else not known (-1). */
static void sample(struct view *v, double now, uint64_t done)
{
	int oldest = 0;
	if (v->nwin == RATE_SAMPLES) {
		memmove(v->win, v->win + 1, sizeof v->win[0] * (RATE_SAMPLES - 1));
		v->nwin--;
	}
	if (!v->nwin || now - v->win[v->nwin - 1].t >= 0.1 || done < v->win[v->nwin - 1].done) {
		v->win[v->nwin].t = now;
		v->win[v->nwin].done = done;
		v->nwin++;
	}
	while (oldest + 1 < v->nwin && now - v->win[oldest + 1].t >= RATE_WINDOW_S)
		oldest++;
	if (now - v->win[oldest].t >= RATE_MIN_S && done >= v->win[oldest].done)
		v->rate = (double)(done - v->win[oldest].done) / (now - v->win[oldest].t);
	else
		v->rate = v->last_rate > 0 ? v->last_rate : -1;
}

/* Every event passes here first, whatever renders it. */
static void observe(const struct rf_event *ev, struct view *v)
{
	double now = out_now();
	switch (ev->type) {
	case RF_EV_STEP_START:
		memset(v, 0, sizeof *v);
		v->phone = ev->phone;
		v->rate = v->last_rate = -1;
		v->t_phase = now;
		v->phase = has_image(ev->step) ? RF_PHASE_SENDING : RF_PHASE_NONE;
		break;
	case RF_EV_PROGRESS:
		phase_to(v, ev->phase, now);
		v->last = *ev;
		if (ev->phase == RF_PHASE_SENDING)
			sample(v, now, ev->done);
		else
			v->sent = ev->done;
		break;
	case RF_EV_STEP_DONE:
	case RF_EV_STEP_FAILED:
		phase_to(v, RF_PHASE_NONE, now);
		cur_view = NULL;
		tot_send += v->send_s;
		tot_write += v->write_s;
		if (ev->step && ev->step->op == RF_OP_REBOOT_BOOTLOADER)
			tot_wait += ev->elapsed;
		break;
	default:
		break;
	}
}

void out_flash_times(double *send_s, double *write_s, double *wait_s)
{
	pthread_mutex_lock(&views_mu);
	*send_s = tot_send;
	*write_s = tot_write;
	*wait_s = tot_wait;
	pthread_mutex_unlock(&views_mu);
}

/* ---- JSON ---- */

/* A step's fields, whether of a flash or of a single operation (one
 * step of one): the same names everywhere. */
static void json_fields(struct jw *j, const char *device, size_t index, size_t steps,
			const char *op, const char *part, const char *image, uint64_t size,
			const char *arg)
{
	if (device)
		jw_str(j, "device", device);
	if (!op)
		return;
	jw_u64(j, "step", index + 1);
	jw_u64(j, "steps", steps);
	jw_str(j, "op", op);
	if (part && part[0])
		jw_str(j, "partition", part);
	if (image) {
		jw_str(j, "image", image);
		jw_u64(j, "size", size);
	}
	if (arg && arg[0])
		jw_str(j, "arg", arg);
}

static void json_step(struct jw *j, const struct rf_event *ev)
{
	const struct rf_step *s = ev->step;
	json_fields(j, ev->phone, ev->index, ev->steps, s ? rf_op_name(s->op) : NULL,
		    s ? s->partition : NULL, has_image(s) ? s->image : NULL, s ? s->size : 0,
		    s ? s->arg : NULL);
}

static void json_report(struct jw *j, const struct rf_event *ev)
{
	const struct rf_ev_report *rep = ev->report;
	if (rep->step >= 0) {
		jw_u64(j, "completed", rep->completed);
		jw_str(j, "wrote", rep->wrote);
		jw_str(j, "erased", rep->erased);
	}
	jw_str(j, "state", rep->state);
	if (rep->resume)
		jw_str(j, "resume", rep->resume);
	if (rep->skip)
		jw_str(j, "skip", rep->skip);
	jw_str(j, "error", ev->text);
	jw_i64(j, "exit", rf_exit_for(rep->rc));
}

static void json_summary(struct jw *j, const struct rf_ev_summary *s)
{
	double send_s, write_s, wait_s;
	jw_str(j, "result", s->phones_ok == s->phones ? "ok" : "failed");
	jw_u64(j, "phones", s->phones);
	jw_u64(j, "phones_ok", s->phones_ok);
	jw_u64(j, "steps", s->steps);
	jw_u64(j, "sent", s->sent);
	jw_double(j, "seconds", s->seconds);
	/* (the lock is held: the sums directly) */
	send_s = tot_send, write_s = tot_write, wait_s = tot_wait;
	jw_double(j, "send_seconds", send_s);
	jw_double(j, "write_seconds", write_s);
	jw_double(j, "wait_seconds", wait_s);
	if (s->skipped)
		jw_i64(j, "skipped", s->skipped);
	if (s->phones > 1) {
		jw_u64(j, "detached", s->detached);
		jw_u64(j, "reread", s->reread);
	}
}

static void json_event(const struct rf_event *ev, const struct view *v)
{
	struct jw j;
	jw_begin(&j, rf_ev_name(ev->type));
	json_step(&j, ev);
	switch (ev->type) {
	case RF_EV_PROGRESS:
		jw_str(&j, "phase", rf_phase_name(ev->phase));
		jw_u64(&j, "done", ev->done);
		jw_u64(&j, "total", ev->total);
		jw_double(&j, "elapsed", ev->elapsed);
		if (ev->phase == RF_PHASE_WRITING)
			jw_double(&j, "write_seconds", out_now() - v->t_phase);
		if (ev->phase == RF_PHASE_SENDING) {
			jw_double(&j, "rate", v->rate);
			jw_double(&j, "eta", v->rate > 0 ? (double)(ev->total - ev->done) / v->rate
						: -1);
		}
		if (ev->overall >= 0) {
			jw_double(&j, "overall", ev->overall);
			jw_double(&j, "overall_eta", ev->overall_eta);
		}
		break;
	case RF_EV_STEP_DONE:
	case RF_EV_STEP_FAILED:
		jw_double(&j, "seconds", ev->elapsed);
		if (has_image(ev->step) || (ev->step && ev->step->op == RF_OP_FORMAT)) {
			jw_double(&j, "send_seconds", v->send_s);
			jw_double(&j, "write_seconds", v->write_s);
		}
		if (ev->text)
			jw_str(&j, ev->type == RF_EV_STEP_DONE ? "note" : "error", ev->text);
		break;
	case RF_EV_STEP_SKIPPED:
		jw_str(&j, "reason", ev->text);
		break;
	case RF_EV_PHONE:
	case RF_EV_WARNING:
		jw_str(&j, "message", ev->text);
		break;
	case RF_EV_FAILURE:
		json_report(&j, ev);
		break;
	case RF_EV_SUMMARY:
		json_summary(&j, ev->summary);
		break;
	default:
		break;
	}
	jw_end(&j);
}

/* ---- text ---- */

static void text_progress(const struct rf_event *ev, struct view *v)
{
	char lb[160], d[32], t[32], r[48], a[32];
	double now = out_now();
	int dec;

	if (ev->several || out_verbosity() < 0 ||
	    (ev->phase == RF_PHASE_WRITING && !out_is_tty()))
		return;
	label(ev, lb, sizeof lb);
	out_size(ev->done, d, sizeof d);
	out_size(ev->total, t, sizeof t);
	if (v->rate >= 0)
		snprintf(r, sizeof r, " %s/s", out_size((uint64_t)v->rate, a, sizeof a));
	else /* not known yet */
		snprintf(r, sizeof r, "%s", out_is_tty() ? " -- B/s" : "");
	if (out_is_tty()) {
		char all[64] = "", eta[16];
		if (now - v->t_draw < 0.1 && ev->phase == RF_PHASE_SENDING && ev->done < ev->total)
			return;
		v->t_draw = now;
		if (ev->overall >= 0) {
			out_eta(ev->overall_eta, eta, sizeof eta);
			snprintf(all, sizeof all, " | all %3.0f%% ETA %s", 100 * ev->overall, eta);
		}
		out_eta(v->rate > 0 ? (double)(ev->total - ev->done) / v->rate : -1, eta,
			sizeof eta);
		if (ev->phase == RF_PHASE_WRITING)
			out_redraw("%s: sent %s; the phone is %s %.0f s%s", lb, d,
				   ev->step->op == RF_OP_BOOT ? "starting it" : "writing",
				   now - v->t_phase, all);
		else
			out_redraw("%s: %5.1f%% %s/%s%s ETA %s%s", lb,
				   ev->total ? 100.0 * (double)ev->done / (double)ev->total : 100.0,
				   d, t, r, eta, all);
		v->drawn = 1;
		return;
	}
	dec = ev->total ? (int)(10 * ev->done / ev->total) : 10;
	if (dec > v->decile && dec > 0 && dec < 10) {
		v->decile = dec;
		out_msg("%s: %3d%% %s/%s%s", lb, dec * 10, d, t, r);
	}
}

static void text_done(const struct rf_event *ev, struct view *v)
{
	char lb[160], sz[32];
	label(ev, lb, sizeof lb);
	if (ev->text && ev->step->op == RF_OP_FORMAT) { /* what was made */
		out_msg("%s  %sOK%s  %s; sent %s in %.1f s, written in %.1f s", lb,
			out_c("green"), out_c("reset"), ev->text,
			out_size(v->sent, sz, sizeof sz), v->send_s, v->write_s);
	} else if (ev->text) {
		out_msg("%s%s  passed (%s)%s", out_c("dim"), lb, ev->text, out_c("reset"));
	} else if (has_image(ev->step)) {
		/* fastboot's "Sending ... OKAY [t] / Writing ... OKAY [t]"
		 * ("Booting ... OKAY [t]": boot writes nothing) */
		out_msg("%s  %sOK%s  sent %s in %.1f s, %s in %.1f s", lb, out_c("green"),
			out_c("reset"), out_size(v->sent, sz, sizeof sz), v->send_s,
			ev->step->op == RF_OP_BOOT ? "started" : "written", v->write_s);
	} else {
		out_msg("%s  %sOK%s  %.1f s", lb, out_c("green"), out_c("reset"), ev->elapsed);
	}
}

/* The lines under the error belong to it: on stderr with it, so they
 * survive -q, --json and a redirected stdout (the resume command above
 * all). */
static void text_failure(const struct rf_event *ev)
{
	const struct rf_ev_report *rep = ev->report;
	if (rep->step < 0) {
		out_error("%s: %s; nothing was written to it", ev->phone, ev->text);
		return;
	}
	const struct rf_step *s = ev->step;
	const char *what = s->partition[0] ? s->partition : s->arg;
	out_error("%s: step %d/%zu (%s%s%s) failed: %s", ev->phone, rep->step + 1, rep->steps,
		  rf_op_name(s->op), what[0] ? " " : "", what, ev->text);
	if (!rep->completed) {
		out_stderr("  completed: none");
	} else {
		char done[1800];
		int n = snprintf(done, sizeof done, "steps 1-%zu", rep->completed);
		const char *run = rep->resumed ? " in this run" : "";
		if (rep->wrote[0] && n > 0 && (size_t)n < sizeof done)
			n += snprintf(done + n, sizeof done - (size_t)n, "; wrote%s: %s", run,
				      rep->wrote);
		if (rep->erased[0] && n > 0 && (size_t)n < sizeof done)
			snprintf(done + n, sizeof done - (size_t)n, "; erased%s: %s", run,
				 rep->erased);
		out_stderr("  completed: %s", done);
	}
	out_stderr("  phone: %s", rep->state);
	if (rep->resume)
		out_stderr("  to resume: %s", rep->resume);
	if (rep->skip)
		out_stderr("  if the phone refuses this step every time: %s", rep->skip);
}

static void text_event(const struct rf_event *ev, struct view *v)
{
	char lb[160];
	switch (ev->type) {
	case RF_EV_STEP_START:
		if (!has_image(ev->step) && !ev->several) {
			label(ev, lb, sizeof lb);
			out_redraw("%s ...", lb); /* the done line replaces it */
		}
		break;
	case RF_EV_PROGRESS:
		text_progress(ev, v);
		break;
	case RF_EV_STEP_DONE:
		text_done(ev, v);
		break;
	case RF_EV_STEP_SKIPPED:
		label(ev, lb, sizeof lb);
		out_msg("%s%s  skipped: %s%s", out_c("dim"), lb, ev->text, out_c("reset"));
		break;
	case RF_EV_PHONE:
		out_msg("  %s %s", ev->several ? ev->phone : "the phone", ev->text);
		break;
	case RF_EV_WARNING:
		out_warn("%s", ev->text);
		break;
	case RF_EV_FAILURE:
		text_failure(ev);
		break;
	default:
		break;
	}
}

void out_flash_event(void *user, const struct rf_event *ev)
{
	static struct view none; /* events of the whole run */
	struct view *v = &none;
	(void)user;
	pthread_mutex_lock(&views_mu);
	if (ev->phone)
		v = view_of(ev->phone);
	observe(ev, v);
	if (ev->type == RF_EV_STEP_START || ev->type == RF_EV_PROGRESS) {
		cur_view = v;
		v->last_several = ev->several;
	}
	if (out_is_json()) {
		/* the report is on stderr too: it belongs to the error */
		if (ev->type == RF_EV_FAILURE)
			text_failure(ev);
		json_event(ev, v);
	} else {
		text_event(ev, v);
	}
	pthread_mutex_unlock(&views_mu);
}

const char *out_step_phone(int *several)
{
	const char *phone;
	pthread_mutex_lock(&views_mu);
	phone = cur_view ? cur_view->phone : NULL;
	if (several)
		*several = cur_view && cur_view->last_several;
	pthread_mutex_unlock(&views_mu);
	return phone;
}

int out_writing_tick(double elapsed_s, int done)
{
	struct view *v;
	struct rf_event ev;
	pthread_mutex_lock(&views_mu);
	v = cur_view;
	if (!v || v->phase != RF_PHASE_WRITING) {
		pthread_mutex_unlock(&views_mu);
		return 0; /* not a step's write: the caller shows it */
	}
	/* (the first, sent with the command, is the step's own writing event) */
	if (!done && elapsed_s >= 0.5) { /* the step's own event, redrawn: its writing time has grown */
		ev = v->last;
		ev.elapsed += out_now() - v->t_phase;
		if (out_is_json())
			json_event(&ev, v);
		else
			text_event(&ev, v);
	}
	pthread_mutex_unlock(&views_mu);
	return 1;
}

void out_single_event(enum rf_ev_type type, const char *device, const char *op,
		      const char *part, const char *arg, double seconds, const char *error)
{
	char lb[160];
	snprintf(lb, sizeof lb, "%s%s%s%s%s", op, part ? " " : "", part ? part : "",
		 arg ? " " : "", arg ? arg : "");
	if (out_is_json()) {
		struct jw j;
		jw_begin(&j, rf_ev_name(type));
		json_fields(&j, device, 0, 1, op, part, NULL, 0, arg);
		if (type != RF_EV_STEP_START)
			jw_double(&j, "seconds", seconds);
		if (error)
			jw_str(&j, "error", error);
		jw_end(&j);
	} else if (type == RF_EV_STEP_START) {
		out_redraw("%s ...", lb); /* the done line replaces it */
	} else if (type == RF_EV_STEP_DONE) {
		out_msg("%s  %sOK%s  %.1f s", lb, out_c("green"), out_c("reset"), seconds);
	}
}

void out_info_event(const char *device, const char *kind, const char *text)
{
	struct jw j;
	jw_begin(&j, "info");
	if (device)
		jw_str(&j, "device", device);
	jw_str(&j, "kind", kind);
	jw_str(&j, "text", text);
	jw_end(&j);
}
