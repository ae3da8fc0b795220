/* Names of a run's events, and sending one.  See flash_event.h. */
#include "flash_run.h"

const char *rf_ev_name(enum rf_ev_type t)
{
	static const char *const names[] = {
		"step_start", "progress", "step_done", "step_skipped", "step_failed",
		"phone", "warning", "failure", "summary",
	};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const char *rf_phase_name(enum rf_send_phase p)
{
	return p == RF_PHASE_SENDING ? "sending" : p == RF_PHASE_WRITING ? "writing" : "";
}

void rf_flash_emit(const struct rf_flash_run *r, struct rf_event *ev)
{
	if (r->on_event)
		r->on_event(r->user, ev);
}
