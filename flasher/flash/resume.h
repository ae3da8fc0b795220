/* Saved progress of a flash, so `romflash flash PACKAGE --resume` goes on
 * from the step that failed.  One small text file per phone, in
 * $ROMFLASH_STATE_DIR, else $XDG_STATE_HOME/romflash, else
 * ~/.local/state/romflash; written to a temporary name then renamed, so a
 * crash never leaves half a file. */
#ifndef RF_RESUME_H
#define RF_RESUME_H

#include <stddef.h>
#include "rf_error.h"

struct rf_resume {
	char phone[96];     /* serial number (or tcp address) */
	char package[4096]; /* absolute path of the package */
	char md5[33];       /* the package's MD5 ("" for a folder) */
	char mode[16];
	char script[64];
	size_t nsteps;      /* steps in the plan */
	size_t next;        /* first step not completed */
	char failed[256];   /* what failed, for the message */
};

int rf_resume_save(const struct rf_resume *r, char *err);
/* RF_ENODEV when there is no saved progress for this phone. */
int rf_resume_load(const char *phone, struct rf_resume *r, char *err);
void rf_resume_clear(const char *phone);

#endif
