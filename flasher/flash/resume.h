/* Saved progress of a flash, so `romflash flash PACKAGE --resume` goes on
 * from the step that failed, on the same phone only.
 *
 * One small text file per phone, named by the phone's identity (its serial
 * number; phone_id.h), never by its address: a tcp: address or a USB port
 * may hold another phone by the time of the resume.  The file records the
 * identity and the address, so a resume at an address where another phone
 * failed can say so.  Kept in $ROMFLASH_STATE_DIR, else
 * $XDG_STATE_HOME/romflash, else ~/.local/state/romflash; written to a
 * temporary name then renamed, so a crash never leaves half a file. */
#ifndef RF_RESUME_H
#define RF_RESUME_H

#include <stddef.h>
#include "phone_id.h"
#include "rf_error.h"

struct rf_resume {
	struct rf_phone_id phone;
	char package[4096]; /* absolute path of the package */
	char md5[33];       /* the package's MD5 ("" for a folder) */
	char mode[16];
	char script[64];
	size_t nsteps;      /* steps in the plan */
	size_t next;        /* first step not completed */
	char failed[256];   /* what failed, for the message */
};

int rf_resume_save(const struct rf_resume *r, char *err);
/* The progress saved for this phone: RF_ENODEV when there is none,
 * RF_EFORMAT when the file is damaged or not this phone's. */
int rf_resume_load(const struct rf_phone_id *id, struct rf_resume *r, char *err);
/* Progress saved for another phone found at `address`: RF_OK and *r
 * filled when there is one, else RF_ENODEV. */
int rf_resume_find_at(const char *address, const struct rf_phone_id *not,
		      struct rf_resume *r);
void rf_resume_clear(const struct rf_phone_id *id);
/* Can progress be saved at all (the folder made, a file written)? */
int rf_resume_writable(char *err);

#endif
