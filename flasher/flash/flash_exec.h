/* Running a plan on phones: the preflight (every check before the first
 * write) and the execution (the steps in the script's order), for one
 * phone or several in lockstep (the package is read once, each buffer goes
 * to every phone).  Progress is saved after every step so a failed or
 * interrupted flash resumes from the step that did not complete. */
#ifndef RF_FLASH_EXEC_H
#define RF_FLASH_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include "device.h"
#include "fastboot.h"
#include "package.h"
#include "plan.h"

struct rf_flash_target {
	char id[96];          /* serial (USB) or tcp:HOST:PORT: shown, and
				 how the phone is found again after a reboot */
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct rf_fastboot *fbp;
	int rc;               /* RF_OK while this phone is going on */
	int exit_status;      /* its failure as an exit status */
	char err[RF_ERRLEN];
	struct rf_answers answers; /* to the plan's checks and conditions */
	uint32_t max_dl;
	size_t next;          /* first step not completed */
	int failed_step;      /* -1: none */
	int not_started;      /* it stopped before failed_step began */
};

struct rf_flash_run {
	struct rf_device_env dev; /* phone selector, stop flag, phone lines */
	const struct rf_package *pkg;
	struct rf_plan *plan;
	struct rf_flash_target *tg;
	size_t ntg;
	size_t start;         /* first step to run (resume) */
	long skipped;         /* 1-based step skipped at the user's request
				 (--skip), 0 none */
	int no_reboot;
	int wait_timeout_s;   /* for the phone after reboot-bootloader */
	/* how to resume, after "romflash -s ID": " flash PKG --mode M --resume" */
	const char *resume_args;
};

/* Every check of the plan against every phone; a phone that fails one is
 * dropped (its rc/err/exit_status set).  Nothing is written.  Returns the
 * number of phones that passed. */
size_t rf_flash_preflight(struct rf_flash_run *r);

/* Execute the plan from r->start on the phones that passed.  Returns the
 * number of phones that completed every step. */
size_t rf_flash_execute(struct rf_flash_run *r);

/* What a phone is likely to be like after failing at `step`. */
const char *rf_flash_likely_state(const struct rf_plan *pl, int step,
				  int any_written, int started);

#endif
