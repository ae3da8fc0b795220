/* The steps of a plan: what one line (or block) of a flash script asks for.
 *
 * The interpreter (script.h) produces them, the plan (plan.h) resolves their
 * images, and the dry run, the preflight and the flash all walk the same
 * list.  This header is the bottom of the script room: it knows nothing of
 * packages, phones or scripts.
 *
 * Checks (GETVAR_CHECK, ANTI_CHECK, PATCH_CHECK) are decided against the
 * phone's getvar answers before anything is written (safety rule 2).  A
 * step with `cond` set runs only on a phone whose `VAR: value` line matches
 * its pattern (must_match) or does not (!must_match): the crc lists, the
 * erase of a partition only when the phone reports its type. */
#ifndef RF_STEPS_H
#define RF_STEPS_H

#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"

enum rf_op {
	RF_OP_FLASH,
	RF_OP_ERASE,
	RF_OP_BOOT,              /* download image, "boot" */
	RF_OP_REBOOT_BOOTLOADER, /* then wait sleep_s and for the same phone */
	RF_OP_REBOOT,
	RF_OP_OEM,               /* "oem ARG" */
	RF_OP_SET_ACTIVE,        /* "set_active ARG" */
	RF_OP_GETVAR_CHECK,      /* "VAR: value" must (not) match pattern */
	RF_OP_ANTI_CHECK,        /* phone's VAR (anti, rollback_ver) <= anti_max */
	RF_OP_CRC_FLASH,         /* a FLASH with a condition (cond is set) */
	RF_OP_PATCH_CHECK,       /* phone's security-patch-level <= arg (date) */
	RF_OP_FORMAT,            /* make a filesystem on `partition` (arg: type
				    the script names, "" = the phone's) */
};

enum rf_mode {
	RF_MODE_KEEP_DATA = 0, /* flash_all_except_storage.sh (or _data_storage,
				  _data) */
	RF_MODE_CLEAN,         /* flash_all.sh */
	RF_MODE_LOCK,          /* flash_all_lock.sh */
};

/* How the pattern is read: grep's basic RE (also findstr /r), grep -E. */
enum rf_re_flavor {
	RF_RE_BASIC = 0,
	RF_RE_EXTENDED,
};

struct rf_step {
	enum rf_op op;
	char partition[64]; /* as sent: "system", "modem+modem1", "boot_ab" */
	char image[256];    /* FLASH/BOOT/CRC_FLASH: path inside the package's
			       top folder, e.g. "images/system.img" */
	char var[64];       /* checks and conditions: the getvar variable
			       ("product", "anti", "rollback_ver", "crc",
			       "partition-type:opcust") */
	char pattern[128];  /* the grep/findstr pattern "VAR: value" is
			       matched against */
	enum rf_re_flavor flavor;
	int must_match;     /* GETVAR_CHECK: 1 fail unless it matches, 0 fail
			       if it matches; cond: 1 run when it matches,
			       0 run when it does not */
	int cond;           /* runs only when the condition holds (above) */
	char message[160];  /* checks: the script's echo */
	char arg[64];       /* OEM args, SET_ACTIVE slot, PATCH_CHECK the
			       package's date "YYYY-MM-DD", FORMAT fs type */
	unsigned anti_max;  /* ANTI_CHECK */
	char value_src[96]; /* ANTI/PATCH_CHECK: where the package's value
			       came from ("images/anti_version.txt") */
	unsigned sleep_s;   /* the script's delay after the step (after
			       reboot-bootloader: then wait for the phone) */
	int unchecked;      /* the script goes on when this command fails */
	char src[96];       /* "flash_all.sh:12" */
	/* Filled by rf_plan_build from the package: */
	uint64_t size;      /* image bytes as stored */
	int sparse;         /* Android sparse image */
	uint64_t out_bytes; /* bytes it writes (unsparsed size) */
	unsigned downloads; /* downloads at the plan's max-download-size */
};

struct rf_steplist {
	struct rf_step *v;
	size_t n, cap;
};

int rf_steplist_push(struct rf_steplist *l, const struct rf_step *s);
void rf_steplist_free(struct rf_steplist *l);

const char *rf_op_name(enum rf_op op); /* "flash", "check", ... */
const char *rf_mode_name(enum rf_mode m);
int rf_mode_parse(const char *s, enum rf_mode *m); /* 0 ok, -1 unknown */

/* A check: decided before the first write. */
int rf_step_is_check(const struct rf_step *s);
/* Writes a partition (flash, conditional flash, erase, format). */
int rf_step_writes(const struct rf_step *s);
/* The getvar the step needs from the phone (a check's or a condition's
 * variable), or NULL. */
const char *rf_step_query(const struct rf_step *s);

/* Decide a step against the phone's answer to rf_step_query (trimmed; ""
 * when the phone does not know the variable).  Checks: 1 pass, 0 fail.
 * Conditional steps: 1 when the step runs.  Others: 1.  -1 for an answer
 * or pattern that cannot be decided (the flash refuses). */
int rf_step_eval(const struct rf_step *s, const char *value);

/* The phone's answers to a plan's queries, asked once per variable. */
#define RF_ANSWERS_MAX 24
struct rf_answers {
	size_t n;
	struct {
		char var[64];
		char val[128];
	} v[RF_ANSWERS_MAX];
};
/* The answer for `var`, or NULL when it was not asked. */
const char *rf_answers_get(const struct rf_answers *a, const char *var);
int rf_answers_put(struct rf_answers *a, const char *var, const char *val);
/* Does step `s` run on the phone that gave `a`?  (Conditions; every other
 * step: yes.)  A condition whose variable was not asked: no. */
int rf_step_runs(const struct rf_step *s, const struct rf_answers *a);

/* Compare the plans of a .sh and its .bat twin by their commands: messages,
 * source lines, whether a failure is checked and how a pattern ends ('$'
 * findstr scripts omit) are ignored, delays may differ by 2 s.  0 when
 * equal, else 1 with the first difference in `diff`. */
int rf_steps_compare(const struct rf_steplist *sh, const struct rf_steplist *bat,
		     char *diff, size_t cap);

#endif
