/* Output: human lines, JSON lines, prompts, the package check's bar.  See
 * output.h; a flash's events are rendered in out_events.c. */
#include "output.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static struct {
	int json, verbosity, tty, color;
} O;

/* One line at a time, whichever thread prints it (recursive: out_error
 * writes a JSON line through jw_end). */
static pthread_mutex_t out_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

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

static void line_to(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&out_mu);
	clear_bar_line();
	fflush(stdout);
	fputs(prefix, f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&out_mu);
}

void out_msg(const char *fmt, ...)
{
	va_list ap;
	if (O.json || O.verbosity < 0)
		return;
	va_start(ap, fmt);
	line_to(stdout, "", fmt, ap);
	va_end(ap);
}

void out_value(const char *fmt, ...)
{
	va_list ap;
	if (O.json)
		return;
	va_start(ap, fmt);
	line_to(stdout, "", fmt, ap);
	va_end(ap);
}

void out_plain(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line_to(stdout, "", fmt, ap);
	va_end(ap);
}

int out_width(void)
{
	struct winsize ws;
	if (O.tty && !O.json && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col > 80)
		return ws.ws_col;
	return 80;
}

void out_verbose(const char *fmt, ...)
{
	va_list ap;
	if (O.verbosity < 1)
		return;
	va_start(ap, fmt);
	line_to(stderr, "romflash: ", fmt, ap);
	va_end(ap);
}

void out_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line_to(stderr, "romflash: warning: ", fmt, ap);
	va_end(ap);
}

void out_stderr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	line_to(stderr, "", fmt, ap);
	va_end(ap);
}

void out_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&out_mu);
	clear_bar_line();
	fflush(stdout);
	fprintf(stderr, "romflash: error: %s\n", msg);
	if (O.json) {
		struct jw j;
		jw_begin(&j, "error");
		jw_str(&j, "message", msg);
		jw_end(&j);
	}
	pthread_mutex_unlock(&out_mu);
}

void out_redraw(const char *fmt, ...)
{
	va_list ap;
	if (!out_is_tty() || O.verbosity < 0)
		return;
	pthread_mutex_lock(&out_mu);
	fputs("\r\033[K", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

int out_can_ask(void)
{
	return isatty(STDIN_FILENO);
}

int out_ask(char *answer, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int ok;
	if (!isatty(STDIN_FILENO) || !cap)
		return 0;
	pthread_mutex_lock(&out_mu);
	clear_bar_line();
	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	ok = fgets(answer, (int)cap, stdin) != NULL;
	pthread_mutex_unlock(&out_mu);
	if (!ok)
		return 0;
	answer[strcspn(answer, "\r\n")] = 0;
	return 1;
}

const char *out_wrap(const char *text, size_t first, size_t indent, char *buf, size_t cap)
{
	size_t n = 0, col = first;
	if (!cap)
		return "";
	while (*text && n + indent + 2 < cap) {
		size_t w = strcspn(text, " ");
		if (n && col + 1 + w > 79) {
			buf[n++] = '\n';
			for (col = 0; col < indent && n + 1 < cap; col++)
				buf[n++] = ' ';
		} else if (n) {
			buf[n++] = ' ';
			col++;
		}
		if (n + w + 1 >= cap)
			break;
		memcpy(buf + n, text, w);
		n += w;
		col += w;
		text += w;
		text += strspn(text, " ");
	}
	buf[n] = 0;
	return buf;
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

double out_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

void jw_strs(struct jw *j, const char *key, const char *const *v, size_t n)
{
	jw_key(j, key);
	jw_put(j, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			jw_put(j, ",", 1);
		jw_quoted(j, v[i]);
	}
	jw_put(j, "]", 1);
}

void jw_u64s(struct jw *j, const char *key, const uint64_t *v, size_t n)
{
	char b[32];
	jw_key(j, key);
	jw_put(j, "[", 1);
	for (size_t i = 0; i < n; i++) {
		snprintf(b, sizeof b, "%s%" PRIu64, i ? "," : "", v[i]);
		jw_puts(j, b);
	}
	jw_put(j, "]", 1);
}

void jw_end(struct jw *j)
{
	if (j->overflow) {
		/* Never emit a truncated object: scripts parse every line. */
		jw_begin(j, "error");
		jw_str(j, "message", "internal: JSON event too large");
	}
	jw_put(j, "}\n", 2);
	pthread_mutex_lock(&out_mu);
	fwrite(j->buf, 1, j->n, stdout);
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

/* ---- the package check's bar ---- */

void out_bar_start(struct out_bar *b, const char *label, uint64_t total)
{
	memset(b, 0, sizeof *b);
	b->label = label;
	b->total = total;
	b->t_start = out_now();
	b->last_decile = -1;
}

const char *out_eta(double s, char *buf, size_t cap)
{
	if (s < 0 || s > 359999)
		snprintf(buf, cap, "--:--");
	else if (s >= 3600)
		snprintf(buf, cap, "%d:%02d:%02d", (int)s / 3600, ((int)s / 60) % 60, (int)s % 60);
	else
		snprintf(buf, cap, "%02d:%02d", (int)s / 60, (int)s % 60);
	return buf;
}

static void bar_draw(struct out_bar *b, double now, int final)
{
	double el = now - b->t_start;
	double rate = el > 0 ? (double)b->done / el : 0;
	double pct = b->total ? 100.0 * (double)b->done / (double)b->total : 100;
	char d[32], t[32], r[32], eta[16];

	if (O.json) {
		struct jw j;
		jw_begin(&j, "progress");
		jw_str(&j, "what", b->label);
		jw_u64(&j, "done", b->done);
		jw_u64(&j, "total", b->total);
		jw_double(&j, "rate", rate);
		jw_double(&j, "eta", rate > 0 ? (double)(b->total - b->done) / rate : -1);
		jw_end(&j);
		return;
	}
	if (O.verbosity < 0)
		return;
	out_size(b->done, d, sizeof d);
	out_size(b->total, t, sizeof t);
	out_size((uint64_t)rate, r, sizeof r);
	out_eta(final ? 0 : rate > 0 ? (double)(b->total - b->done) / rate : -1, eta, sizeof eta);
	pthread_mutex_lock(&out_mu);
	if (O.tty)
		printf("\r\033[K%s %5.1f%% %s/%s %s/s ETA %s%s", b->label, pct, d, t, r, eta,
		       final ? "\n" : "");
	else
		printf("%s: %3.0f%% %s/%s %s/s\n", b->label, pct, d, t, r);
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

void out_bar_update(struct out_bar *b, uint64_t done)
{
	double now = out_now();
	int dec;
	b->done = done;
	if (O.json || O.tty) {
		if (now - b->t_last_draw < 0.1)
			return;
		b->t_last_draw = now;
		bar_draw(b, now, 0);
		b->drawn = 1;
		return;
	}
	/* plain lines: one every 10% */
	dec = b->total ? (int)(10 * done / b->total) : 10;
	if (dec > b->last_decile && dec < 10) {
		b->last_decile = dec;
		if (dec > 0)
			bar_draw(b, now, 0);
	}
}

void out_bar_done(struct out_bar *b, int ok)
{
	if (ok) {
		b->done = b->total;
		bar_draw(b, out_now(), 1);
	} else if (O.tty && !O.json && b->drawn) {
		pthread_mutex_lock(&out_mu);
		putchar('\n');
		fflush(stdout);
		pthread_mutex_unlock(&out_mu);
	}
}
