/* What the library layers below need from the command line, as values:
 * the device selector, the stop flag, and where the phone's lines and the
 * warnings go (the output module). */
#include <string.h>

#include "cli.h"
#include "output.h"

/* The stop flag main.c's signal handler sets; the layers below get a
 * pointer to it. */
volatile sig_atomic_t rf_interrupted;

/* The bootloader's INFO/TEXT lines during a flash or a plan: with -v,
 * and always as JSON "info" events (a single operation shows them as its
 * answer: single_op.c). */
static void phone_line(void *user, const char *kind, const char *text)
{
	(void)user;
	if (out_is_json())
		out_info_event(NULL, kind, text);
	else if (!strcmp(kind, "INFO"))
		out_verbose("phone: %s", text);
	else
		out_msg("phone: %s", text);
}

static void warn_line(void *user, const char *msg)
{
	(void)user;
	out_warn("%s", msg);
}

void rf_cli_device_env(const struct rf_cli *cli, struct rf_device_env *env)
{
	memset(env, 0, sizeof *env);
	env->selector = cli->device;
	env->stop = &rf_interrupted;
	env->on_info = phone_line;
	env->on_warn = warn_line;
}
