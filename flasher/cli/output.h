/* Everything romflash shows the user goes through here.
 *
 * Human mode: messages on stdout, errors on stderr, progress bars (rate,
 * ETA) when stdout is a terminal, plain lines otherwise; colour only on a
 * terminal and never with NO_COLOR set.
 * JSON mode (--json): one JSON object per line on stdout, nothing else on
 * stdout; errors also go to stderr as text. */
#ifndef RF_OUTPUT_H
#define RF_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

void out_init(int json, int verbose, int quiet);
int out_is_json(void);
int out_is_tty(void);
int out_verbosity(void); /* -1 quiet, 0 normal, 1 verbose */

/* A human line on stdout (not in JSON mode, not with -q). */
void out_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with -v. */
void out_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "romflash: warning: ..." on stderr. */
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "romflash: error: ..." on stderr; in JSON mode also an "error" event. */
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Emphasis for terminals: bold/red/green when colour is on, else "". */
const char *out_c(const char *what); /* "bold" "red" "green" "yellow" "dim" "reset" */

/* Human-readable size: "1.2 GiB", "512 KiB", "17 B". */
const char *out_size(uint64_t bytes, char *buf, size_t cap);

/* JSON lines.  jw_begin(&j, "step"); jw_str(&j, "partition", "boot");
 * jw_u64(&j, "size", n); jw_end(&j);  -> {"event":"step",...}\n */
struct jw {
	char buf[8192];
	size_t n;
	int overflow;
};
void jw_begin(struct jw *j, const char *event);
void jw_str(struct jw *j, const char *key, const char *val); /* NULL->null */
void jw_u64(struct jw *j, const char *key, uint64_t val);
void jw_i64(struct jw *j, const char *key, int64_t val);
void jw_bool(struct jw *j, const char *key, int val);
void jw_double(struct jw *j, const char *key, double val);
void jw_raw(struct jw *j, const char *key, const char *json);
void jw_end(struct jw *j); /* writes the line to stdout and flushes */

/* Progress of one transfer.  Terminal: a redrawn bar with bytes, rate and
 * ETA.  Plain: a line every 10%.  JSON: "progress" events, at most 10 per
 * second.  `id` (may be NULL) tags JSON events and the line (a phone). */
/* A whole flash: steps' shares of `total`, so every bar can also say how
 * far the whole job is and when it should end. */
struct rf_overall {
	uint64_t done, total; /* bytes of completed steps / of all steps */
	double t_start;
};

struct rf_progress {
	const char *label;
	const char *id;
	uint64_t total, done;
	double t_start, t_last_draw;
	int last_decile;
	int drawn;
	struct rf_overall *all; /* may be NULL */
	uint64_t share;         /* this transfer's part of all->total */
};
double out_now(void); /* monotonic seconds */

/* A status line on stderr, redrawn in place (waiting for a phone, the
 * phone writing): only on a terminal, not in JSON mode, not with -q
 * (out_status_visible says whether it shows).  out_status_clear wipes it. */
int out_status_visible(void);
void out_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_status_clear(void);
void progress_start(struct rf_progress *p, const char *label, const char *id,
		    uint64_t total);
void progress_update(struct rf_progress *p, uint64_t done);
void progress_done(struct rf_progress *p, int ok);

#endif
