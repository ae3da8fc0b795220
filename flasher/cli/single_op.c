/* One phone, one fastboot command, told as a one-step flash.  See
 * single_op.h. */
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "output.h"
#include "single_op.h"

int single_fail(int rc, const char *cmd, const char *msg)
{
	if (rc == RF_EINTR)
		out_error("%s: interrupted", cmd);
	else
		out_error("%s: %s", cmd, msg);
	return rf_exit_for(rc);
}

int single_args(int argc, char **argv, int min, int max)
{
	int n;
	if (rf_cli_getopt(argc, argv, "", NULL) != -1)
		return -1;
	n = argc - optind;
	if (n < min || n > max) {
		rf_cli_usage("%s: %s", argv[0], n < min ? "missing argument"
							     : "too many arguments");
		return -1;
	}
	return optind;
}

/* The bootloader's INFO lines are the answer of a single command (`oem
 * device-info` says everything in them): shown as its output, even with
 * -q, and as JSON "info" events. */
static void info_line(void *user, const char *kind, const char *text)
{
	struct single *s = user;
	s->lines++;
	if (s->on_line) {
		s->on_line(s, text);
		return;
	}
	if (out_is_json())
		out_info_event(s->id, kind, text);
	else
		out_value("(bootloader) %s", text);
}

int single_open(struct rf_cli *cli, struct single *s, const char *cmd)
{
	struct rf_device_env env;
	char err[RF_ERRLEN] = "";
	int rc;

	s->cmd = cmd;
	rf_cli_device_env(cli, &env);
	env.on_info = info_line;
	env.user = s;
	rc = rf_device_open_fastboot(&env, &s->t, &s->fb, err);
	if (rc) {
		s->t = NULL;
		return single_fail(rc, cmd, err);
	}
	s->id = s->t->serial[0] ? s->t->serial : s->t->location;
	return RF_EXIT_OK;
}

void single_close(struct single *s)
{
	rf_transport_close(s->t);
	s->t = NULL;
}

int single_run(struct single *s, const char *op, const char *part, const char *arg,
	       int (*fn)(struct rf_fastboot *, const char *), const char *fn_arg,
	       int (*fn0)(struct rf_fastboot *))
{
	double t0 = out_now();
	int rc;

	out_single_event(RF_EV_STEP_START, s->id, op, part, arg, 0, NULL);
	rc = fn ? fn(&s->fb, fn_arg) : fn0(&s->fb);
	out_single_event(rc ? RF_EV_STEP_FAILED : RF_EV_STEP_DONE, s->id, op, part, arg,
			 out_now() - t0, rc ? s->fb.err : NULL);
	return rc ? single_fail(rc, s->cmd, s->fb.err) : RF_EXIT_OK;
}
