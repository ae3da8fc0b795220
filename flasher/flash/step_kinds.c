/* The executor's side of the newer step kinds (see step_kinds.h). */
#include "step_kinds.h"
#include "format.h"
#include "rf_str.h"

#include <stdio.h>
#include <string.h>

int rf_exec_ask(struct rf_fastboot *fb, const struct rf_plan *pl,
		struct rf_answers *a)
{
	char val[RF_FB_RESP_MAX + 1];
	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < pl->steps.n; i++) {
		const char *var = rf_step_query(&pl->steps.v[i]);
		if (!var || rf_answers_get(a, var))
			continue;
		int rc = rf_fb_getvar(fb, var, val, sizeof val);
		if (rc == RF_EFAIL) /* unknown: the script's grep sees nothing */
			val[0] = 0;
		else if (rc)
			return rc;
		if (rf_answers_put(a, var, val))
			return rf_errf(fb->err, RF_ETOOBIG, "the script asks the phone "
				       "more than %d variables", RF_ANSWERS_MAX);
	}
	return RF_OK;
}

void rf_exec_check_failure(const struct rf_step *s, const char *val, char *msg,
			   size_t cap)
{
	const char *shown = val && val[0] ? val : "(no answer)";
	switch (s->op) {
	case RF_OP_ANTI_CHECK:
		snprintf(msg, cap, "%s: anti-rollback: the phone's %s is %s, this package "
			 "allows at most %u (%s); flashing it would brick the phone",
			 s->src, s->var, val && val[0] ? val : "0", s->anti_max,
			 s->value_src);
		break;
	case RF_OP_PATCH_CHECK:
		snprintf(msg, cap, "%s: the phone's security patch level %s is newer than "
			 "this package's %s (%s): the script refuses to go back",
			 s->src, shown, s->arg, s->value_src);
		break;
	default:
		snprintf(msg, cap, "%s: wrong phone for this package: '%s: %s' %s '%s'%s%s",
			 s->src, s->var, val ? val : "",
			 s->must_match ? "does not match" : "matches", s->pattern,
			 s->message[0] ? " -- " : "", s->message);
	}
}

int rf_exec_format_prepare(struct rf_fastboot *fb, const struct rf_step *s,
			   const struct rf_format_opts *o, struct rf_format_image **made,
			   char *err)
{
	struct rf_format_spec sp;
	char why[RF_ERRLEN];
	int rc = rf_format_query(fb, s->partition, s->arg, &sp, why);
	*made = NULL;
	if (!rc)
		rc = rf_format_make(&sp, o, made, why);
	return rc ? rf_errf(err, rc, "%s: %s", s->src, why) : RF_OK;
}

int rf_exec_forgivable(const struct rf_step *s)
{
	return s->unchecked && (s->op == RF_OP_ERASE || s->op == RF_OP_OEM ||
				s->op == RF_OP_SET_ACTIVE);
}
