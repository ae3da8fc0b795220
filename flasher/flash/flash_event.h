/* What a flash tells its caller while it runs: events, one callback.
 *
 * The executor (flash_exec.c) never prints: every step started, every
 * progress tick, every outcome, every change of a phone's state and the
 * final summary reach the caller as a struct rf_event.  The command line
 * renders them as human text or as JSON lines (output.c); tests collect
 * them.  With several phones, events come from each phone's own thread:
 * the callback must be thread-safe. */
#ifndef RF_FLASH_EVENT_H
#define RF_FLASH_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include "image_send.h"
#include "plan.h"

enum rf_ev_type {
	RF_EV_STEP_START,   /* a phone begins a step */
	RF_EV_PROGRESS,     /* sending: done/total bytes, rate, eta;
			       writing: elapsed since the flash: was sent */
	RF_EV_STEP_DONE,    /* the step completed on this phone */
	RF_EV_STEP_SKIPPED, /* not run on this phone: text is the reason */
	RF_EV_STEP_FAILED,  /* text: the error */
	RF_EV_PHONE,        /* the phone's state changed: text says how */
	RF_EV_WARNING,      /* something to know that does not stop it */
	RF_EV_FAILURE,      /* the phone stopped: report */
	RF_EV_SUMMARY,      /* the run ended (phone NULL): summary */
};

/* Why a phone stopped, and what that means for it. */
struct rf_ev_report {
	int step;            /* failed step, 0-based; -1: before any step */
	size_t steps;        /* steps of the plan */
	size_t completed;    /* steps completed, this run and before it */
	int resumed;         /* this run started at a saved step */
	const char *wrote;   /* partitions written in this run ("a, b") */
	const char *erased;  /* partitions erased in this run */
	const char *state;   /* what the phone is likely to be like */
	const char *resume;  /* the command that resumes; NULL: none helps */
	const char *skip;    /* the phone refused the step: the command that
				resumes past it if it refuses it every time
				(--skip); NULL: not offered (a bootloader write) */
	int rc;              /* RF_E*: the command line maps it to an exit status */
};

struct rf_ev_summary {
	size_t phones, phones_ok;
	size_t steps;
	uint64_t sent;       /* bytes the phones took, all phones */
	double seconds;
	int interrupted;
	/* the shared read of the package: phones that fell behind the window
	 * and read on their own, and the bytes they read so */
	unsigned detached;
	uint64_t reread;
	long skipped;        /* the step skipped with --skip (1-based), 0 none */
};

struct rf_event {
	enum rf_ev_type type;
	const char *phone;        /* the phone's id; NULL: the whole run */
	int several;              /* the run has several phones */
	size_t index, steps;      /* the step (0-based) and how many */
	const struct rf_step *step; /* NULL for events without a step */
	/* progress, and step done/failed */
	enum rf_send_phase phase;
	uint64_t done, total;     /* bytes of this step (wire bytes) */
	double rate;              /* bytes/s while sending */
	double eta;               /* s left in this step's sending; -1 unknown */
	double elapsed;           /* s since the step (or phase) began */
	/* the whole run for this phone: share done, time left */
	double overall;           /* 0..1; < 0 unknown */
	double overall_eta;       /* s; < 0 unknown */
	const char *text;         /* reason, error, message */
	const struct rf_ev_report *report;   /* RF_EV_FAILURE */
	const struct rf_ev_summary *summary; /* RF_EV_SUMMARY */
};

typedef void (*rf_event_fn)(void *user, const struct rf_event *ev);

const char *rf_ev_name(enum rf_ev_type t);        /* "step_start", ... */
const char *rf_phase_name(enum rf_send_phase p);  /* "sending", "writing", "" */

#endif
