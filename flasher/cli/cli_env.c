/* What the library layers below need from the command line, as values:
 * the device selector, how long to wait for the phone, the stop flag, and
 * where the phone's lines, the waits and the warnings go (the output
 * module). */
#include <string.h>

#include "cli.h"
#include "output.h"

/* The stop flag main.c's signal handler sets; the layers below get a
 * pointer to it. */
volatile sig_atomic_t rf_interrupted;

/* The phone writing: shown once it has been silent this long (a fast
 * write needs no line of its own). */
#define WRITING_SHOW_S 1.0
#define WRITING_JSON_EVERY_S 5.0

/* The bootloader's INFO/TEXT lines during a flash or a plan: with -v,
 * and always as JSON "info" events (a single operation shows them as its
 * answer: single_op.c). */
static void phone_line(void *user, const char *kind, const char *text)
{
	int several = 0;
	const char *phone = out_step_phone(&several); /* (this thread's) */
	(void)user;
	if (out_is_json())
		out_info_event(phone, kind, text);
	else if (!strcmp(kind, "INFO"))
		out_verbose("phone%s%s: %s", several ? " " : "", several ? phone : "", text);
	else
		out_msg("phone%s%s: %s", several ? " " : "", several ? phone : "", text);
}

static void warn_line(void *user, const char *msg)
{
	(void)user;
	out_warn("%s", msg);
}

/* "waiting for a phone in fastboot mode (hold Volume-Down + Power) ... 3 s":
 * a redrawn line on a terminal, one line with -v otherwise, one JSON
 * event at the start. */
static void waiting_line(void *user, const char *what, int elapsed_s)
{
	const char *how = strncmp(what, "tcp:", 4) ?
		" (hold Volume-Down + Power)" : "";
	(void)user;
	if (elapsed_s < 0) {
		out_redraw("%s", ""); /* the wait is over */
		return;
	}
	if (elapsed_s == 0 && out_is_json()) {
		struct jw j;
		jw_begin(&j, "waiting");
		jw_str(&j, "for", what);
		jw_end(&j);
	}
	if (out_is_tty())
		out_redraw("waiting for %s%s ... %d s", what, how, elapsed_s);
	else if (elapsed_s == 0)
		out_verbose("waiting for %s%s", what, how);
}

/* The "writing on the phone" phase after a flash, erase, oem...: the
 * time the silent phone has taken so far, redrawn on a terminal (the
 * command's own result line says the total, as fastboot's "Writing
 * 'system' OKAY [35.001s]"), and JSON phone_writing events. */
static void writing_line(void *user, const char *cmd, double el, int done)
{
	static _Thread_local double json_last;
	static _Thread_local int shown, told;
	(void)user;
	if (!done && rf_interrupted && !told) {
		/* a hung phone keeps the first Ctrl-C waiting: say on what */
		told = 1;
		out_warn("the phone is still writing (%s, %.0f s so far): romflash stops once "
			 "it answers (a write is never cut short); interrupt again to quit at "
			 "once, then restart the phone into fastboot and run the same command "
			 "with --resume", cmd, el);
	}
	if (done)
		told = 0;
	/* a flash step's write: its own bar and progress events say it */
	if (out_writing_tick(el, done))
		return;
	if (!done && el < WRITING_SHOW_S)
		return;
	if (out_is_json() && (done ? shown : el - json_last >= WRITING_JSON_EVERY_S)) {
		struct jw j;
		jw_begin(&j, "phone_writing");
		jw_str(&j, "command", cmd);
		jw_double(&j, "seconds", el);
		jw_bool(&j, "done", done);
		jw_end(&j);
		json_last = el;
	}
	if (!done) {
		out_redraw("  the phone is writing (%s) ... %.0f s", cmd, el);
		shown = 1;
		return;
	}
	shown = 0;
	json_last = 0;
}

void rf_cli_device_env(const struct rf_cli *cli, struct rf_device_env *env)
{
	memset(env, 0, sizeof *env);
	env->selector = cli->device;
	env->wait_s = cli->wait_s;
	env->stop = &rf_interrupted;
	env->on_info = phone_line;
	env->on_warn = warn_line;
	env->on_waiting = waiting_line;
	env->on_writing = writing_line;
}
