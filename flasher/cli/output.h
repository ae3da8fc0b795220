/* Everything romflash shows the user goes through here (output.c: lines,
 * JSON, prompts, the package check's bar; out_events.c: what a flash
 * tells, as text or JSON).
 *
 * Human mode: messages on stdout, errors, warnings and usage on stderr,
 * progress bars (rate, ETA) when stdout is a terminal, plain lines
 * otherwise; colour only on a terminal and never with NO_COLOR set.
 * JSON mode (--json): one JSON object per line on stdout, nothing else on
 * stdout; errors also go to stderr as text.
 * Every function may be called from several threads (a flash of several
 * phones): lines never interleave. */
#ifndef RF_OUTPUT_H
#define RF_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include "flash_event.h"

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
/* A line on stderr as it is: usage and help ("usage: romflash ...",
 * always on stderr), and the lines that belong to the error above them
 * ("  to resume: ...": on stderr so they survive -q, --json and a
 * redirected stdout). */
void out_stderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What the command was asked for ("product: MSM8974"): on stdout, even
 * with -q (it is the result), not in JSON mode (the command emits it). */
void out_value(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line on stdout whatever the mode: help and the version, asked for. */
void out_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Columns a table may use: the terminal's when stdout is one wider than
 * 80, else 80. */
int out_width(void);
/* A progress line redrawn in place (a terminal only; elsewhere nothing):
 * the next line of any kind replaces it. */
void out_redraw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A question on stderr, the answer (one line, newline removed) from
 * stdin.  0 when there is no terminal to ask on or no answer came. */
int out_ask(char *answer, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Is there a terminal to ask on (stdin)? */
int out_can_ask(void);
/* Emphasis for terminals: bold/red/green when colour is on, else "". */
const char *out_c(const char *what); /* "bold" "red" "green" "yellow" "dim" "reset" */

/* `text` broken into lines of at most 79 columns at spaces, every line
 * after the first indented by `indent` spaces: into buf.  `first`: the
 * columns the caller prints before it on the first line. */
const char *out_wrap(const char *text, size_t first, size_t indent, char *buf, size_t cap);
/* Human-readable size: "1.2 GiB", "512 KiB", "17 B". */
const char *out_size(uint64_t bytes, char *buf, size_t cap);
double out_now(void); /* monotonic seconds */
/* "01:05", "1:02:03", "--:--" (< 0: not known) */
const char *out_eta(double s, char *buf, size_t cap);

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
void jw_strs(struct jw *j, const char *key, const char *const *v, size_t n); /* ["a","b"] */
void jw_u64s(struct jw *j, const char *key, const uint64_t *v, size_t n); /* [1,2] */
void jw_end(struct jw *j); /* writes the line to stdout and flushes */

/* A bar for work that is not a flash step (the package check): on a
 * terminal redrawn with rate and ETA, else a line every 10%, in JSON
 * "progress" events with `what`. */
struct out_bar {
	const char *label;
	uint64_t total, done;
	double t_start, t_last_draw;
	int last_decile, drawn;
};
void out_bar_start(struct out_bar *b, const char *label, uint64_t total);
void out_bar_update(struct out_bar *b, uint64_t done);
void out_bar_done(struct out_bar *b, int ok);

/* ---- a flash's events (out_events.c) ---- */

/* The sink for rf_flash_run.on_event (and flash-image): renders every
 * event as text or as a JSON line.  `user` is unused. */
void out_flash_event(void *user, const struct rf_event *ev);
/* The run's times so far, all phones: sending, the phones writing,
 * restarts into the bootloader (the summary's). */
void out_flash_times(double *send_s, double *write_s, double *wait_s);
/* A tick of the phone writing after a flash: (fastboot's on_wait): when
 * this thread is at a step's writing phase, that step's progress is
 * shown again with the time the phone has been writing (a bar on a
 * terminal, a "progress" event of phase "writing" in JSON) and 1 is
 * returned; 0: not a step's write (an erase, an oem command). */
int out_writing_tick(double elapsed_s, int done);
/* The phone whose step this thread is at (NULL: none, as before a flash's
 * first step); *several: that run flashes several phones.  The lines its
 * bootloader sends are that phone's. */
const char *out_step_phone(int *several);
/* A line the bootloader sent (INFO, TEXT) as a JSON "info" event;
 * `device` may be NULL. */
void out_info_event(const char *device, const char *kind, const char *text);
/* A single operation's step (erase, oem, reboot...), with the fields of a
 * flash's step (step 1 of 1): RF_EV_STEP_START, _DONE or _FAILED.  `part`,
 * `arg`, `error` may be NULL. */
void out_single_event(enum rf_ev_type type, const char *device, const char *op,
		      const char *part, const char *arg, double seconds, const char *error);

#endif
