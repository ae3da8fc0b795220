/* What a flash or a command does to the phone beyond writing a ROM: it
 * erases the user's data, relocks or unlocks the bootloader.  Said before
 * anything else (plan, the confirmation, JSON), with its consequences, and
 * confirmed before the package is read (SPEC: "before the package is even
 * read").  Derived from the steps themselves (a keep-data script that
 * erases userdata is announced too), and from the mode before the package
 * is read. */
#ifndef RF_EFFECTS_H
#define RF_EFFECTS_H

#include <stddef.h>
#include "plan.h"

enum {
	RF_FX_WIPE = 1,   /* erases all user data */
	RF_FX_RELOCK = 2, /* relocks the bootloader */
	RF_FX_UNLOCK = 4, /* unlocks the bootloader */
};

struct rf_fx {
	unsigned what;      /* RF_FX_* */
	size_t steps[8];    /* 1-based steps that do it (a plan's) */
	size_t nsteps;
};

/* What one step does: erase/flash/format of userdata, oem/flashing
 * lock/unlock. */
unsigned rf_fx_of_step(const struct rf_step *s);
/* What a fastboot command line does ("oem", "lock"; "flashing", "unlock"). */
unsigned rf_fx_of_command(const char *cmd, const char *arg);
/* What a mode's script is meant to do (before the package is read). */
unsigned rf_fx_of_mode(enum rf_mode m);
void rf_fx_of_plan(const struct rf_plan *pl, struct rf_fx *fx);

/* "ERASES ALL USER DATA (...) and RELOCKS THE BOOTLOADER: ...": the
 * consequences, in capitals where they cannot be undone.  "" for none. */
const char *rf_fx_sentence(unsigned what, char *buf, size_t cap);
/* The short form for a table's row: "ERASES user data, RELOCKS". */
const char *rf_fx_short(unsigned what);

/* The announcement: a JSON "effects" event (every field, even with
 * nothing to announce, so a script reads one shape); in text, with --yes
 * (else the confirmation says it), a warning on stderr.  `mode`, `steps`
 * and `command` may be NULL. */
void rf_fx_announce(unsigned what, int yes, const char *mode, const struct rf_fx *steps,
		    const char *command);

/* Confirm it before anything is read or written: --yes, else a typed
 * "yes" on a terminal.  `who` names the phones ("" none yet).  1: go on;
 * 0: refused (said, with "nothing was read or written"). */
int rf_fx_confirm(unsigned what, int yes, const char *doing, const char *who);
/* The same question cannot be asked (no terminal) and --yes was not
 * given: say so at once, before anything else happens.  1 when refused. */
int rf_fx_refuse_early(unsigned what, int yes, const char *doing);

#endif
