/* What a failure means for the phone, told as it happened: what the phone
 * was actually sent decides what state it is in (a download cut before
 * `flash:` wrote nothing; a `flash:` without its answer may have written
 * part of the partition; a refused reboot left the phone where it was). */
#include <stdio.h>
#include <string.h>

#include "flash_run.h"
#include "rf_str.h"

/* Partitions of the bootloader chain: a phone whose write of one of these
 * was cut may not boot at all, not even to fastboot. */
static int is_boot_chain(const char *part)
{
	static const char *const chain[] = { "sbl1", "tz", "rpm", "aboot",
					     "dbi", "sdi", "partition", NULL };
	for (const char *const *c = chain; *c; c++) {
		size_t n = strlen(*c);
		if (!strncmp(part, *c, n) && (part[n] == 0 || part[n] == '+'))
			return 1;
	}
	return 0;
}

static int link_lost(int rc)
{
	return rc == RF_EDISCONNECTED || rc == RF_EIO || rc == RF_ETIMEDOUT;
}

static const char *before(int any_written)
{
	return any_written ? "the phone is in fastboot mode with the steps before this one completed"
			   : "nothing was written; the phone is unchanged and in fastboot mode";
}

/* The image's download stopped before the phone was told to write it.
 * A lost link, or a reply that made no sense (DATA of another size: the
 * phone then waits for that many bytes, over USB until restarted), may
 * leave the bootloader inside the download. */
static void not_written(char *out, size_t cap, const struct rf_step *s, int rc, int any)
{
	int n;

	/* a phone that stopped taking data (or answering): the command that
	 * would have written was never sent, say it by name */
	if (rc == RF_ETIMEDOUT && s->op != RF_OP_BOOT && s->partition[0])
		n = snprintf(out, cap, "'flash:%s' was not sent, so nothing of %s was written",
			     s->partition, s->partition);
	else
		n = snprintf(out, cap, "nothing of %s was written (the transfer stopped before "
			     "the phone was told to write it)",
			     s->partition[0] ? s->partition : s->image);
	if (n < 0 || (size_t)n >= cap)
		return;
	snprintf(out + n, cap - (size_t)n, "; %s%s", before(any),
		 link_lost(rc) || rc == RF_EPROTO ? "; the bootloader may still be waiting for "
		 "the rest of the download: restart it into fastboot (power + volume down) if "
		 "it does not answer" : "");
}

static void partial(char *out, size_t cap, const struct rf_step *s)
{
	if (s->op == RF_OP_BOOT)
		snprintf(out, cap, "the phone was told to boot the image and did not confirm; "
			 "everything before this step is written");
	else if (is_boot_chain(s->partition))
		snprintf(out, cap, "the bootloader partition %s may be half written: do NOT unplug "
			 "or reboot the phone; resume now, it still runs the bootloader it started "
			 "with", s->partition);
	else
		snprintf(out, cap, "partition %s may be incomplete; boot is written last, so the "
			 "phone stays in fastboot mode and can be flashed again", s->partition);
}

/* A reply that is no fastboot reply to reboot-bootloader: the phone may
 * have taken the command (and be restarting) or not; only its screen
 * tells. */
static void garbled_reboot(char *out, size_t cap, const char *reply)
{
	int n;

	/* no quote when the link's framing broke (TCP), not the reply */
	if (reply[0])
		n = snprintf(out, cap, "the phone answered \"%s\" to 'reboot-bootloader', which "
			     "is not fastboot", reply);
	else
		n = snprintf(out, cap, "the phone's answer to 'reboot-bootloader' is not "
			     "fastboot");
	if (n < 0 || (size_t)n >= cap)
		return;
	snprintf(out + n, cap - (size_t)n, ": romflash cannot tell whether it restarts; look "
		 "at the phone: when it shows the fastboot screen again (hold power + volume "
		 "down if it shows something else after a minute), resume; the steps before "
		 "this one are completed");
}

static void command_state(char *out, size_t cap, const struct rf_step *s,
			  enum rf_fail_kind k, int wait_s, const char *reply)
{
	int refused = k == RF_FK_REFUSED;
	switch (s->op) {
	case RF_OP_ERASE:
		snprintf(out, cap, refused ? "the phone refused to erase %s; it is in fastboot mode "
			 "with the steps before this one completed"
			 : "%s may be partly erased (no answer to the erase); the phone should "
			 "still be in fastboot mode", s->partition);
		break;
	case RF_OP_REBOOT_BOOTLOADER:
		if (k == RF_FK_RESTARTING)
			snprintf(out, cap, "the phone was restarting into the bootloader when "
				 "romflash stopped; it comes back in fastboot mode by itself");
		else if (k == RF_FK_NOT_BACK)
			snprintf(out, cap, "the phone restarted and did not come back in fastboot "
				 "mode within %d s; if it does not show the fastboot screen, hold "
				 "power + volume down", wait_s);
		else if (k == RF_FK_NOT_FASTBOOT)
			garbled_reboot(out, cap, reply);
		else if (k == RF_FK_OTHER_PHONE)
			snprintf(out, cap, "another phone answered at this address after the "
				 "restart; nothing was written to it, and the phone being flashed is "
				 "not there");
		else
			snprintf(out, cap, refused ? "the phone refused to restart; it is still in "
				 "fastboot mode with the steps before this one completed"
				 : "the link dropped before the phone confirmed the restart; it is "
				 "probably restarting into the bootloader");
		break;
	default:
		snprintf(out, cap, "the phone %s '%s %s'; it is in fastboot mode with the steps "
			 "before this one completed", refused ? "refused" : "did not answer",
			 rf_op_name(s->op), s->arg);
	}
}

static void likely_state(const struct rf_phone_run *p, char *out, size_t cap, int any)
{
	const struct rf_flash_target *t = p->t;
	const struct rf_step *s;

	if (t->failed_step < 0) {
		snprintf(out, cap, "nothing was written; the phone is unchanged");
		return;
	}
	s = &p->r->plan->steps.v[t->failed_step];
	switch (p->fail_kind) {
	case RF_FK_NOT_STARTED:
		snprintf(out, cap, "%s; this step had not started", before(any));
		break;
	case RF_FK_PACKAGE:
		snprintf(out, cap, "the package could not be read: nothing of this step was "
			 "written; %s", before(any));
		break;
	case RF_FK_NOT_WRITTEN:
		not_written(out, cap, s, t->rc, any);
		break;
	case RF_FK_PARTIAL:
		partial(out, cap, s);
		break;
	default:
		command_state(out, cap, s, p->fail_kind, p->r->wait_timeout_s,
			      t->fb.bad_reply);
	}
}

/* "a, b" of the partitions a kind of step did in this run. */
static void list_of(const struct rf_phone_run *p, int erased, char *out, size_t cap)
{
	const struct rf_plan *pl = p->r->plan;
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; p->outcome && i < pl->steps.n && n + 1 < cap; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		int is_erase = s->op == RF_OP_ERASE;
		int is_write = s->op == RF_OP_FLASH || s->op == RF_OP_CRC_FLASH;
		if (p->outcome[i] != RF_RAN || (erased ? !is_erase : !is_write))
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", s->partition);
	}
}

void rf_flash_report(struct rf_phone_run *p)
{
	const struct rf_flash_run *r = p->r;
	const struct rf_flash_target *t = p->t;
	char wrote[1024], erased[512], state[600], resume[4400], skip[4500];
	struct rf_ev_report rep;
	struct rf_event ev;
	int any;

	list_of(p, 0, wrote, sizeof wrote);
	list_of(p, 1, erased, sizeof erased);
	any = t->start > 0 || wrote[0] || erased[0];
	likely_state(p, state, sizeof state, any);
	snprintf(resume, sizeof resume, "romflash -s %s%s", t->selector,
		 r->resume_args ? r->resume_args : " flash PACKAGE --resume");
	memset(&rep, 0, sizeof rep);
	rep.step = t->failed_step;
	rep.steps = r->plan->steps.n;
	rep.completed = t->failed_step > 0 ? (size_t)t->failed_step : 0;
	rep.resumed = t->start > 0;
	rep.wrote = wrote;
	rep.erased = erased;
	rep.state = state;
	/* a wrong phone or a bad package: resuming would not help */
	rep.resume = t->failed_step >= 0 && !r->no_progress && t->rc != RF_EWRONGDEV &&
		     t->rc != RF_EFORMAT ? resume : NULL;
	/* a command the phone refused may be refused every time: --resume
	 * would meet it again, so say how to go past it (never for a
	 * bootloader write) */
	if (rep.resume && t->rc == RF_EFAIL) {
		const struct rf_step *s = &r->plan->steps.v[t->failed_step];
		if (!(rf_step_writes(s) && is_boot_chain(s->partition))) {
			snprintf(skip, sizeof skip, "%s --skip %d", resume, t->failed_step + 1);
			rep.skip = skip;
		}
	}
	rep.rc = t->rc;
	memset(&ev, 0, sizeof ev);
	ev.type = RF_EV_FAILURE;
	ev.phone = t->id;
	ev.several = r->ntg > 1;
	ev.steps = r->plan->steps.n;
	if (t->failed_step >= 0) {
		ev.index = (size_t)t->failed_step;
		ev.step = &r->plan->steps.v[t->failed_step];
	}
	ev.text = t->err;
	ev.report = &rep;
	rf_flash_emit(r, &ev);
}
