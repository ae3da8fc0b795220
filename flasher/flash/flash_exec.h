/* Running a plan on phones: the preflight (every check before the first
 * write) and the execution (the steps in the script's order).
 *
 * Each phone runs the plan in its own thread, at its own pace: one phone's
 * silent write, slow link or reboot does not hold up the others.  The
 * package is still read once, into a bounded window the phones share
 * (image_feed.h).  Progress is saved after every step, keyed by the
 * phone's identity, so a failed or interrupted flash resumes from the step
 * that did not complete, on that phone only.
 *
 * Nothing here prints or exits: what happens reaches the caller as events
 * (flash_event.h); failures are RF_E* codes in each target, which the
 * command line maps to exit statuses. */
#ifndef RF_FLASH_EXEC_H
#define RF_FLASH_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "device.h"
#include "fastboot.h"
#include "flash_event.h"
#include "package.h"
#include "phone_id.h"
#include "plan.h"

/* How a phone is found again after it restarted into the bootloader:
 * rf_device_wait_fastboot by default; tests plug in their own.  On
 * success *t is its new transport and fb is initialised on it. */
typedef int (*rf_reconnect_fn)(void *user, const char *selector, int timeout_s,
			       struct rf_transport **t, struct rf_fastboot *fb,
			       char *err);

struct rf_flash_target {
	/* set by the caller */
	char id[96];            /* shown: the serial, or the tcp:HOST:PORT */
	char selector[96];      /* finds it again: -s value (tcp: address or serial) */
	struct rf_transport *t; /* open; replaced after reboots; the caller closes it */
	struct rf_fastboot fb;
	struct rf_phone_id ident; /* rf_phone_identify()'d by the caller */
	size_t start;           /* first step to run (saved progress) */
	/* results */
	int rc;                 /* RF_OK while this phone is going on */
	char err[RF_ERRLEN];
	int failed_step;        /* -1: none */
	size_t next;            /* first step not completed */
	struct rf_answers answers; /* to the plan's checks and conditions */
	uint32_t max_dl;
	uint64_t sent;          /* bytes it took */
	/* per step: the filesystem the preflight made for this phone's
	 * format step (format.h), NULL for other steps; rf_flash_release */
	struct rf_format_image **made;
};

struct rf_flash_run {
	struct rf_device_env dev; /* stop flag, phone lines, warnings */
	const struct rf_package *pkg;
	const struct rf_plan *plan;
	struct rf_flash_target *tg;
	size_t ntg;
	int no_reboot;
	int wait_timeout_s;       /* for the phone after reboot-bootloader */
	int no_progress;          /* --no-resume: progress is not saved */
	const char *force_device; /* --force-device CODENAME, or NULL */
	long skipped;             /* --skip: the step skipped (1-based), 0 none;
				     for the summary (the starts are past it) */
	/* how to resume, after "romflash -s SELECTOR": " flash PKG --resume" */
	const char *resume_args;
	rf_event_fn on_event;     /* may be NULL */
	void *user;
	rf_reconnect_fn reconnect; /* NULL: rf_device_wait_fastboot */
	void *reconnect_user;
	size_t window;            /* shared image window, bytes (0: 16 MiB) */
	unsigned retry_ms;        /* pause between tries of a check (0: 20) */
};

/* Every check of the plan against every phone that is still fine: the
 * package is for this phone, the script's checks (answers retried when
 * they look transient), partition sizes, max-download-size, crc.  A phone
 * that fails one gets its rc/err (and a FAILURE event).  Nothing is
 * written.  Returns the number of phones that passed. */
size_t rf_flash_preflight(struct rf_flash_run *r);

/* Execute the plan on the phones that passed, each from its t->start.
 * Returns the number of phones that completed every step.  Releases what
 * the preflight made (rf_flash_release). */
size_t rf_flash_execute(struct rf_flash_run *r);

/* What the preflight made for the phones (the filesystems of format
 * steps): for a caller that does not go on to rf_flash_execute.  Safe to
 * call again, and on a zeroed run. */
void rf_flash_release(struct rf_flash_run *r);

#endif
