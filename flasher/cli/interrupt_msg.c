/* The first interrupt's message.  See interrupt_msg.h. */
#include "interrupt_msg.h"

#include <signal.h>

#define MSG(s) { s, sizeof s - 1 }

static const struct {
	const char *text;
	size_t len;
} msgs[] = {
	[RF_SAY_DOWNLOAD] = MSG("romflash: stopping after the current download "
				"(interrupt again to quit at once)\n"),
	[RF_SAY_SIDELOAD_CHECK] = MSG("romflash: stopping; nothing of the package "
				      "has been sent (interrupt again to quit "
				      "at once)\n"),
	[RF_SAY_SIDELOAD_SERVE] = MSG("romflash: stopping the sideload after the "
				      "current block: the phone will not install "
				      "it (interrupt again to quit at once)\n"),
};

/* The second interrupt: romflash quits at once, and says what that
 * may have left behind. */
static const struct {
	const char *text;
	size_t len;
} quits[] = {
	[RF_SAY_DOWNLOAD] = MSG("romflash: interrupted again: quitting at once; a download "
				"cut in the middle leaves the bootloader waiting for the rest: "
				"restart the phone into fastboot mode (hold Volume-Down + "
				"Power) before the next command\n"),
	[RF_SAY_SIDELOAD_CHECK] = MSG("romflash: interrupted again: quitting at once; "
				      "nothing of the package was sent\n"),
	[RF_SAY_SIDELOAD_SERVE] = MSG("romflash: interrupted again: quitting at once; the "
				      "phone will not install the package: start the "
				      "sideload again\n"),
};

static volatile sig_atomic_t say;

void rf_cli_interrupt_say(enum rf_interrupt_say s)
{
	if ((size_t)s < sizeof msgs / sizeof msgs[0])
		say = (sig_atomic_t)s;
}

const char *rf_cli_interrupt_msg(size_t *len)
{
	sig_atomic_t s = say;
	*len = msgs[s].len;
	return msgs[s].text;
}

const char *rf_cli_interrupt_quit_msg(size_t *len)
{
	sig_atomic_t s = say;
	*len = quits[s].len;
	return quits[s].text;
}
