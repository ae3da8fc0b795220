/* What romflash says on stderr at the first Ctrl-C (or SIGTERM): the
 * command picks the words that fit what it is doing -- a flash finishes
 * the fastboot download under way, a sideload stops between two blocks,
 * and before a sideload sends anything there is nothing to finish.
 *
 * The signal handler (main.c) writes the chosen message as is:
 * rf_cli_interrupt_msg only reads a sig_atomic_t and a constant table, so
 * it is async-signal-safe. */
#ifndef RF_INTERRUPT_MSG_H
#define RF_INTERRUPT_MSG_H

#include <stddef.h>

enum rf_interrupt_say {
	RF_SAY_DOWNLOAD = 0,   /* the default: a fastboot download may be under way */
	RF_SAY_SIDELOAD_CHECK, /* sideload, before a byte of the package is sent */
	RF_SAY_SIDELOAD_SERVE, /* sideload, serving the phone's block requests */
};

void rf_cli_interrupt_say(enum rf_interrupt_say s);

/* The message for the current choice, ending in a newline; its length in
 * *len.  Async-signal-safe. */
const char *rf_cli_interrupt_msg(size_t *len);
/* The second interrupt's: quitting at once, and what that may leave
 * behind.  Async-signal-safe. */
const char *rf_cli_interrupt_quit_msg(size_t *len);

#endif
