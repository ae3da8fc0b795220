/* What the executor needs for the step kinds of the newer Xiaomi scripts
 * (one function per concern, so the executor's owner can place them):
 * asking the phone what the checks and conditions depend on, explaining a
 * failed check, the format step's filesystem, and which failures a script
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

/* format: the filesystem the phone's answers call for (partition-type,
 * partition-size: format.h), made now, before anything is written, so a
 * format that cannot be done refuses the flash instead of stopping it
 * half way.  RF_OK with *made; RF_EFORMAT when the phone does not say what
 * to make (or not something romflash makes), RF_EINVAL when the program
 * that makes it is not installed, RF_ESYS when it failed, RF_EINTR; the
 * reason, with the script line, in err. */
struct rf_format_opts;
struct rf_format_image;
int rf_exec_format_prepare(struct rf_fastboot *fb, const struct rf_step *s,
			   const struct rf_format_opts *o, struct rf_format_image **made,
			   char *err);

/* The script goes on when this step fails and the step writes no partition
 * (erase, oem, set_active): its failure is a warning, as with bash.  A
 * failed flash is always a stop. */
int rf_exec_forgivable(const struct rf_step *s);

#endif
