/* Output: human text, JSON lines, progress.  See output.h. */
#include "output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
	int json, verbosity, tty, color;
} O;

void out_init(int json, int verbose, int quiet)
{
	const char *nc = getenv("NO_COLOR");
	O.json = json;
	O.verbosity = quiet ? -1 : (verbose ? 1 : 0);
	O.tty = isatty(STDOUT_FILENO);
	O.color = O.tty && !(nc && *nc) && !json;
}

int out_is_json(void) { return O.json; }
int out_is_tty(void) { return O.tty && !O.json; }
int out_verbosity(void) { return O.verbosity; }

const char *out_c(const char *what)
{
	static const struct { const char *name, *seq; } tab[] = {
		{ "bold", "\033[1m" }, { "red", "\033[31;1m" },
		{ "green", "\033[32;1m" }, { "yellow", "\033[33;1m" },
		{ "dim", "\033[2m" }, { "reset", "\033[0m" },
	};
	if (!O.color)
		return "";
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (!strcmp(tab[i].name, what))
			return tab[i].seq;
	return "";
}

/* A progress bar may be on the current terminal line: clear it first. */
static void clear_bar_line(void)
{
	if (out_is_tty())
		fputs("\r\033[K", stdout);
}

void out_msg(const char *fmt, ...)
{
	va_list ap;
	if (O.json || O.verbosity < 0)
		return;
	clear_bar_line();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void out_verbose(const char *fmt, ...)
{
	va_list ap;
	if (O.verbosity < 1)
		return;
	va_start(ap, fmt);
	fputs("romflash: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void out_warn(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	va_start(ap, fmt);
	fputs("romflash: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void out_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	clear_bar_line();
	fflush(stdout);
	fprintf(stderr, "romflash: error: %s\n", msg);
	if (O.json) {
		struct jw j;
		jw_begin(&j, "error");
		jw_str(&j, "message", msg);
		jw_end(&j);
	}
}

const char *out_size(uint64_t b, char *buf, size_t cap)
{
	static const char *unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = -1;
	if (b < 1024) {
		snprintf(buf, cap, "%" PRIu64 " B", b);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* ---- JSON lines ---- */

static void jw_put(struct jw *j, const char *s, size_t n)
{
	if (j->n + n + 3 > sizeof j->buf) {
		j->overflow = 1;
		return;
	}
	memcpy(j->buf + j->n, s, n);
	j->n += n;
}

static void jw_puts(struct jw *j, const char *s) { jw_put(j, s, strlen(s)); }

static void jw_quoted(struct jw *j, const char *s)
{
	char esc[8];
	jw_put(j, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': jw_puts(j, "\\\""); break;
		case '\\': jw_puts(j, "\\\\"); break;
		case '\n': jw_puts(j, "\\n"); break;
		case '\r': jw_puts(j, "\\r"); break;
		case '\t': jw_puts(j, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof esc, "\\u%04x", *p);
				jw_puts(j, esc);
			} else {
				jw_put(j, (const char *)p, 1);
			}
		}
	}
	jw_put(j, "\"", 1);
}

static void jw_key(struct jw *j, const char *key)
{
	jw_put(j, ",", 1);
	jw_quoted(j, key);
	jw_put(j, ":", 1);
}

void jw_begin(struct jw *j, const char *event)
{
	j->n = 0;
	j->overflow = 0;
	jw_puts(j, "{\"event\":");
	jw_quoted(j, event);
}

void jw_str(struct jw *j, const char *key, const char *val)
{
	jw_key(j, key);
	if (val)
		jw_quoted(j, val);
	else
		jw_puts(j, "null");
}

void jw_u64(struct jw *j, const char *key, uint64_t val)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRIu64, val);
	jw_key(j, key);
	jw_puts(j, b);
}

void jw_i64(struct jw *j, const char *key, int64_t val)
{
	char b[32];
	snprintf(b, sizeof b, "%" PRId64, val);
	jw_key(j, key);
	jw_puts(j, b);
}

void jw_bool(struct jw *j, const char *key, int val)
{
	jw_key(j, key);
	jw_puts(j, val ? "true" : "false");
}

void jw_double(struct jw *j, const char *key, double val)
{
	char b[48];
	snprintf(b, sizeof b, "%.3f", val);
	jw_key(j, key);
	jw_puts(j, b);
}

void jw_raw(struct jw *j, const char *key, const char *json)
{
	jw_key(j, key);
	jw_puts(j, json);
}

void jw_end(struct jw *j)
{
	if (j->overflow) {
		/* Never emit a truncated object: scripts parse every line. */
		jw_begin(j, "error");
		jw_str(j, "message", "internal: JSON event too large");
	}
	jw_put(j, "}\n", 2);
	fwrite(j->buf, 1, j->n, stdout);
	fflush(stdout);
}

/* ---- progress ---- */

double out_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_start(struct rf_progress *p, const char *label, const char *id,
		    uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->label = label;
	p->id = id;
	p->total = total;
	p->t_start = out_now();
	p->last_decile = -1;
}

static void fmt_eta(double s, char *buf, size_t cap)
{
	if (s < 0 || s > 359999)
		snprintf(buf, cap, "--:--");
	else if (s >= 3600)
		snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600,
			 ((int)s / 60) % 60, (int)s % 60);
	else
		snprintf(buf, cap, "%02d:%02d", (int)s / 60, (int)s % 60);
}

/* Overall fraction done and seconds left, when part of a whole job. */
static int overall(const struct rf_progress *p, double now, double *pct, double *left)
{
	const struct rf_overall *a = p->all;
	double done, el;
	if (!a || !a->total)
		return 0;
	done = (double)a->done +
	       (p->total ? (double)p->share * (double)p->done / (double)p->total : 0);
	el = now - a->t_start;
	*pct = 100.0 * done / (double)a->total;
	*left = done > 0 && el > 0 ? el * ((double)a->total - done) / done : -1;
	return 1;
}

static void progress_draw(struct rf_progress *p, double now, int final)
{
	double el = now - p->t_start;
	double rate = el > 0 ? (double)p->done / el : 0;
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100;
	double all_pct = 0, all_left = -1;
	int has_all = overall(p, now, &all_pct, &all_left);
	char a[32], b[32], r[32], eta[16], all_eta[16], all_txt[48] = "";

	if (O.json) {
		struct jw j;
		jw_begin(&j, "progress");
		if (p->id)
			jw_str(&j, "device", p->id);
		jw_str(&j, "label", p->label);
		jw_u64(&j, "bytes", p->done);
		jw_u64(&j, "total", p->total);
		jw_double(&j, "rate", rate);
		jw_double(&j, "eta", rate > 0 ? (double)(p->total - p->done) / rate : -1);
		if (has_all) {
			jw_double(&j, "overall_percent", all_pct);
			jw_double(&j, "overall_eta", all_left);
		}
		jw_end(&j);
		return;
	}
	if (O.verbosity < 0)
		return;
	out_size(p->done, a, sizeof a);
	out_size(p->total, b, sizeof b);
	out_size((uint64_t)rate, r, sizeof r);
	fmt_eta(rate > 0 ? (double)(p->total - p->done) / rate : -1, eta, sizeof eta);
	if (has_all) {
		fmt_eta(all_left, all_eta, sizeof all_eta);
		snprintf(all_txt, sizeof all_txt, " | all %3.0f%% ETA %s", all_pct, all_eta);
	}
	if (O.tty) {
		int width = 24, fill = (int)(pct * width / 100);
		char bar[32];
		for (int i = 0; i < width; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[width] = 0;
		printf("\r\033[K%s%s%s [%s] %5.1f%% %s/%s %s/s ETA %s%s",
		       p->id ? p->id : "", p->id ? " " : "", p->label, bar, pct,
		       a, b, r, final ? "00:00" : eta, all_txt);
		if (final)
			putchar('\n');
	} else {
		printf("%s%s%s: %3.0f%% %s/%s %s/s%s\n", p->id ? p->id : "",
		       p->id ? " " : "", p->label, pct, a, b, r, all_txt);
	}
	fflush(stdout);
}

void progress_update(struct rf_progress *p, uint64_t done)
{
	double now;
	p->done = done;
	now = out_now();
	if (O.json || O.tty) {
		if (now - p->t_last_draw < 0.1)
			return;
		p->t_last_draw = now;
		progress_draw(p, now, 0);
		p->drawn = 1;
		return;
	}
	/* plain lines: one every 10% */
	int dec = p->total ? (int)(10 * done / p->total) : 10;
	if (dec > p->last_decile && dec < 10) {
		p->last_decile = dec;
		if (dec > 0)
			progress_draw(p, now, 0);
	}
}

void progress_done(struct rf_progress *p, int ok)
{
	if (ok) {
		p->done = p->total;
		progress_draw(p, out_now(), 1);
	} else if (O.tty && !O.json && p->drawn) {
		putchar('\n');
		fflush(stdout);
	}
}

/* ---- status line (a wait, the phone writing) ---- */

static int status_shown;

int out_status_visible(void)
{
	return !O.json && O.verbosity >= 0 && isatty(STDERR_FILENO);
}

void out_status(const char *fmt, ...)
{
	va_list ap;
	if (!out_status_visible())
		return;
	fflush(stdout);
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	status_shown = 1;
}

void out_status_clear(void)
{
	if (!status_shown)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	status_shown = 0;
}
