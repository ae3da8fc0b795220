/* What the executor needs for the step kinds of the newer Xiaomi scripts
 * (one function per concern, so the executor's owner can place them):
 * asking the phone what the checks and conditions depend on, explaining a
 * failed check, the format step's preflight, and which failures a script
 * does not stop on. */
#ifndef RF_STEP_KINDS_H
#define RF_STEP_KINDS_H

#include <stddef.h>
#include "fastboot.h"
#include "plan.h"

/* Every variable the plan's checks and conditions need, asked once each.
 * A variable the phone does not know is answered "" (what the script's
 * grep sees).  Errors are the link's, message in fb->err. */
int rf_exec_ask(struct rf_fastboot *fb, const struct rf_plan *pl,
		struct rf_answers *a);

/* Why check `s` stops the flash on a phone that answered `val`. */
void rf_exec_check_failure(const struct rf_step *s, const char *val, char *msg,
			   size_t cap);

/* format: AOSP fastboot needs the partition's type and size from the phone
 * to make the filesystem; without them it refuses, and so does romflash
 * (before anything is written).  RF_EINVAL with the reason in err. */
int rf_exec_format_preflight(struct rf_fastboot *fb, const struct rf_step *s,
			     char *err);

/* The script goes on when this step fails and the step writes no partition
 * (erase, oem, set_active): its failure is a warning, as with bash.  A
 * failed flash is always a stop. */
int rf_exec_forgivable(const struct rf_step *s);

#endif
