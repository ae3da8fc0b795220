/* The emulated phone's downloads: `download:%08x`, then the data into RAM
 * (the throttle, the cable pull of --cut-after, the +BYTES faults that
 * strike inside the data).  See emu_int.h. */
#include "emu_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void emu_start_download(struct emu *e, const char *arg)
{
	char *end;
	size_t n = strlen(arg);
	if (n == 0 || n > 8 || strspn(arg, "0123456789abcdefABCDEF") != n) {
		emu_push(e, "FAILinvalid download size");
		return;
	}
	unsigned long size = strtoul(arg, &end, 16);
	if (size > e->max_download) {
		emu_push(e, "FAILdata too large");
		return;
	}
	e->have_data = 0;
	e->dl_size = size;
	e->dl_got = 0;
	emu_push(e, "DATA%08lx", size);
	if (size == 0) {
		e->have_data = 1;
		emu_push(e, "OKAY");
		return;
	}
	e->in_download = 1;
	/* the throttle's slack never carries over from idle time before a
	 * download */
	e->link_free = emu_mono_now();
	e->link_idle = 0;
}

/* ---------- download data ---------- */

/* A link that moves at most throttle_mbps while the host has data for
 * it: time the host leaves it idle is lost, not banked for later (a USB
 * bus does not go faster after a stall), so every stall of the host
 * shows in its wall time.  Gaps under THROTTLE_SLACK are forgiven: they
 * are the emulator's own work between two reads, and a host that keeps
 * a few transfers queued (as romflash and AOSP fastboot do) never lets
 * the bus see them. */
#define THROTTLE_SLACK 0.020
static void throttle(struct emu *e, size_t len)
{
	if (e->throttle_mbps <= 0)
		return;
	double t = emu_mono_now();
	if (e->link_free < t - THROTTLE_SLACK) {
		e->link_idle += t - THROTTLE_SLACK - e->link_free;
		e->link_free = t - THROTTLE_SLACK;
	}
	e->link_free += (double)len / (e->throttle_mbps * 1e6);
	double s = e->link_free - t;
	if (s > 0) {
		struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void take_data(struct emu *e, const unsigned char *p, size_t len)
{
	uint64_t left = e->dl_size - e->dl_got;
	int overflow = 0, cut = 0;

	if (len > left) {
		/* the host sent more than it announced: a host bug that the
		 * real phone would misparse as a command -- make it loud */
		len = (size_t)left;
		overflow = 1;
	}
	if (e->cut_after > 0 &&
	    e->total_dl + len >= (unsigned long long)e->cut_after) {
		len = (size_t)((unsigned long long)e->cut_after - e->total_dl);
		cut = 1;
	}
	memcpy(e->dl + e->dl_got, p, len);
	e->dl_got += len;
	e->total_dl += len;
	if (cut) {
		e->cut_after = 0; /* a cable pull happens once */
		emu_leave(e, 1);
		return;
	}
	throttle(e, len);
	if (overflow) {
		e->in_download = 0;
		emu_push(e, "FAILmore data than announced");
		return;
	}
	if (e->dl_got == e->dl_size) {
		if (e->throttle_mbps > 0)
			fprintf(stderr, "emu: download of %llu bytes: link idle %.3f s "
				"(the host's stalls)\n", (unsigned long long)e->dl_size,
				e->link_idle);
		e->in_download = 0;
		e->have_data = 1;
		emu_push(e, "OKAY");
	}
}

/* Download bytes, and a +BYTES fault of this download where it strikes:
 * at most before the last byte, so that a cut or a stall leaves the
 * download without its OKAY. */
void emu_download_data(struct emu *e, const unsigned char *p, size_t len)
{
	struct emu_fault *f = e->armed;
	uint64_t at = f ? (uint64_t)f->after : 0;

	if (f && at >= e->dl_size)
		at = e->dl_size - 1;
	if (!f || e->dl_got + len <= at) {
		take_data(e, p, len);
		return;
	}
	size_t k = (size_t)(at - e->dl_got);
	e->armed = NULL;
	take_data(e, p, k);
	if (e->link != EMU_ONLINE || !e->in_download)
		return;
	fprintf(stderr, "emu: fault: %s after %llu bytes of the download\n",
		emu_fault_name(f->kind), (unsigned long long)e->dl_got);
	if (f->kind == EMU_FAULT_CUT) {
		emu_leave(e, 1);
	} else if (f->kind == EMU_FAULT_STALL) {
		emu_stall(e);
	} else {
		emu_slow(e, f->ms);
		take_data(e, p + k, len - k);
	}
}

