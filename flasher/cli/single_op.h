/* The single fastboot operations (getvar, erase, oem, flashing, boot,
 * continue, set_active, reboot, flash-image): one phone in fastboot mode,
 * one command, told as a one-step flash (the same step events, text and
 * JSON, as a step of `flash`), the bootloader's INFO lines shown as the
 * command's output (they are its answer: `oem device-info`). */
#ifndef RF_SINGLE_OP_H
#define RF_SINGLE_OP_H

#include "cli.h"
#include "fastboot.h"
#include "transport.h"

struct single {
	struct rf_transport *t;
	struct rf_fastboot fb;
	const char *cmd;    /* the command, for messages ("erase") */
	const char *id;     /* the phone, for events */
	/* Each INFO line, when set (getvar all); else shown as output. */
	void (*on_line)(struct single *s, const char *text);
	void *user;
	unsigned lines;     /* INFO lines the phone sent */
};

/* Open the selected phone in fastboot mode.  Returns an exit status (the
 * error said). */
int single_open(struct rf_cli *cli, struct single *s, const char *cmd);
void single_close(struct single *s);

/* Say an error of command `cmd` and give its exit status. */
int single_fail(int rc, const char *cmd, const char *msg);

/* Run one command on the open phone: the step's events around it, the
 * error said.  `op` names it in the events ("erase", "oem",
 * "reboot-bootloader"), `part`/`arg` its partition or argument (NULL:
 * none).  fn(fb, fn_arg) or, with fn NULL, fn0(fb).  Returns an exit
 * status. */
int single_run(struct single *s, const char *op, const char *part, const char *arg,
	       int (*fn)(struct rf_fastboot *, const char *), const char *fn_arg,
	       int (*fn0)(struct rf_fastboot *));

/* A command without options: between min and max arguments after it.
 * Returns the index of the first (options and "--" are parsed as any
 * command's: an unknown one is a usage error), or -1 with the usage said
 * (exit status 2). */
int single_args(int argc, char **argv, int min, int max);

#endif
