/* The phone's comings and goings: reboots that wait for the phone to
 * leave the bus, and the start of a session, which first clears what an
 * earlier run left behind (late replies, a phone still writing or still
 * inside a download).  The engine itself is in fastboot.c. */
#include "fastboot_int.h"

#include <stdio.h>
#include <string.h>

/* A phone told to reboot says OKAY and then leaves the bus: wait for
 * that (the link drops), so that the next command looks for the phone
 * coming back and not at the old one on its way out.  Anything it says
 * meanwhile is of no use. */
static int leave(struct rf_fastboot *fb, const char *cmd)
{
	unsigned char buf[FB_READ_CAP];
	double t0;
	int rc = rf_fb_command(fb, cmd, NULL);

	if (rc == RF_EDISCONNECTED)
		return RF_OK; /* gone before its OKAY was read */
	if (rc)
		return rc;
	t0 = rf_fb_now_s();
	for (;;) {
		size_t got;
		double el = rf_fb_now_s() - t0;
		int limit = fb->leave_timeout_ms > 0 ? fb->leave_timeout_ms :
			RF_FB_LEAVE_MS;
		if (el * 1000 >= limit)
			return rf_errf(fb->err, RF_ETIMEDOUT, "the phone answered "
				       "OKAY to '%s' but is still there after "
				       "%.1f s", cmd, el);
		rc = rf_transport_read(fb->t, buf, sizeof buf, &got,
				       RF_FB_WAIT_SLICE_MS);
		if (rc != RF_OK && rc != RF_ETIMEDOUT)
			return RF_OK;
	}
}

int rf_fb_reboot(struct rf_fastboot *fb)
{
	return leave(fb, "reboot");
}

int rf_fb_reboot_bootloader(struct rf_fastboot *fb)
{
	return leave(fb, "reboot-bootloader");
}

int rf_fb_reboot_recovery(struct rf_fastboot *fb)
{
	return leave(fb, "reboot-recovery");
}

/* Read and drop whatever the phone says within RF_FB_DRAIN_MS of
 * silence; quoted into stale[len..] (", "-separated).  Returns the number
 * of messages, or an error. */
static int drain(struct rf_fastboot *fb, char *stale, size_t cap)
{
	unsigned char buf[FB_READ_CAP];
	int n = 0;
	for (; n < 16; n++) {
		size_t got = 0, len = stale ? strlen(stale) : 0;
		char q[RF_FB_RESP_MAX * 2];
		int rc = rf_transport_read(fb->t, buf, sizeof buf, &got,
					   RF_FB_DRAIN_MS);
		if (rc == RF_ETIMEDOUT)
			break;
		if (rc)
			return rf_errf(fb->err, rc, "reading what the phone had "
				       "left to say: %s", fb->t->err);
		rf_fb_quote(q, sizeof q, buf, got);
		if (stale && len + 1 < cap)
			snprintf(stale + len, cap - len, "%s\"%s\"",
				 len ? ", " : "", q);
	}
	return n;
}

int rf_fb_sync(struct rf_fastboot *fb, char *stale, size_t cap)
{
	static const char probe[] = "getvar:version";
	enum reply_kind kind;
	uint32_t dsz;
	int rc, saved = fb->timeout_ms;

	if (stale && cap)
		stale[0] = '\0';
	fb->err[0] = '\0';
	rc = drain(fb, stale, cap);
	if (rc < 0)
		return rc;
	rc = rf_transport_write(fb->t, probe, sizeof probe - 1, RF_FB_PROBE_MS);
	if (rc == RF_OK)
		rc = rf_transport_flush(fb->t, RF_FB_PROBE_MS);
	if (rc == RF_ETIMEDOUT)
		return rf_errf(fb->err, RF_EBUSY, "the phone takes no command: "
			       "it is still busy with one an earlier run sent "
			       "(writing a large partition takes minutes on a "
			       "slow eMMC); wait until it is done and try again, "
			       "or unplug and re-plug the phone");
	if (rc)
		return rf_errf(fb->err, rc, "sending '%s': %s", probe, fb->t->err);
	fb->timeout_ms = RF_FB_PROBE_MS;
	rc = rf_fb_read_reply(fb, probe, &kind, NULL, &dsz);
	fb->timeout_ms = saved;
	if (rc == RF_ETIMEDOUT)
		return rf_errf(fb->err, RF_EPROTO, "the phone took a command but "
			       "never answered it: it is most likely still inside "
			       "a download an earlier run did not finish (killed, "
			       "or the cable pulled), and takes every byte as "
			       "image data; unplug and re-plug the phone (or hold "
			       "Power until it restarts into fastboot), then try "
			       "again");
	if (rc && rc != RF_EFAIL)
		return rc;
	/* the answer read may have been a stale one that came late (the
	 * phone finished an earlier write meanwhile): then the probe's own
	 * answer follows at once */
	rc = drain(fb, stale, cap);
	fb->fail[0] = '\0';
	fb->err[0] = '\0';
	return rc < 0 ? rc : RF_OK;
}
