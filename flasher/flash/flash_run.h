/* Inside the executor: what flash_exec.c (the run and its steps),
 * flash_check.c (the preflight) and flash_report.c (what a failure means)
 * share.  Not for other rooms: they use flash_exec.h. */
#ifndef RF_FLASH_RUN_H
#define RF_FLASH_RUN_H

#include "flash_exec.h"
#include "image_feed.h"

/* What happened to a step on one phone in this run. */
enum rf_outcome {
	RF_NOT_RUN = 0,
	RF_RAN,        /* completed */
	RF_SKIPPED,
	RF_FAILED,
};

/* How a failed step failed: what the phone was sent decides its state. */
enum rf_fail_kind {
	RF_FK_NOT_STARTED,   /* stopped before the step began */
	RF_FK_NOT_WRITTEN,   /* an image's download stopped before flash: */
	RF_FK_PARTIAL,       /* flash:/boot sent (or a piece written), no OKAY */
	RF_FK_REFUSED,       /* the phone answered FAIL to the command */
	RF_FK_NO_ANSWER,     /* the link failed around the command */
	RF_FK_NOT_FASTBOOT,  /* it answered something that is no fastboot reply */
	RF_FK_NOT_BACK,      /* it restarted and did not come back */
	RF_FK_RESTARTING,    /* stopped while it was restarting */
	RF_FK_OTHER_PHONE,   /* another phone came back at its address */
	RF_FK_PACKAGE,       /* the package could not be read */
};

/* One phone's run, in its own thread. */
struct rf_phone_run {
	struct rf_flash_run *r;
	struct rf_flash_target *t;
	struct rf_feed *feed;
	const size_t *image_at;  /* step -> its image in the feed's order */
	struct rf_feed_rd *rd;
	enum rf_outcome *outcome; /* per step */
	enum rf_fail_kind fail_kind;
	double t0;               /* when this phone began */
	double busy;             /* s spent sending or writing (ETA base) */
	uint64_t all_total, all_done; /* image bytes of its run, done */
	double last_progress;
	int saved_warned;
};

/* Send an event (thread-safe if the callback is). */
void rf_flash_emit(const struct rf_flash_run *r, struct rf_event *ev);

/* The phone stopped (t->rc, t->err, t->failed_step set): tell why and
 * what it means, as a FAILURE event. */
void rf_flash_report(struct rf_phone_run *p);

#endif
