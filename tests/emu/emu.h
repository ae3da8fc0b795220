/* The emulated cancro phone: Xiaomi LK fastboot bootloader, transport-agnostic
 * core.  The TCP server (emu_tcp.c, binary tests/romflash-emu) and the USB
 * harness (umockdev, tests/usb_emu.c) both feed it host bytes and send back
 * its replies, so one device model serves every transport.
 *
 * Partitions are files `<state_dir>/<name>.img` (sparse files on disk, sized
 * to the Mi 4 partition table) so a test can compare every written byte.
 * Every command received is appended to `<state_dir>/commands.log`, one per
 * line, so tests can compare the command order with a script's. */
#ifndef EMU_H
#define EMU_H

#include <stddef.h>
#include <stdint.h>

struct emu_opts {
	const char *state_dir;   /* required */
	const char *serial;      /* default "EMU0001" */
	const char *product;     /* default "MSM8974" */
	/* answered verbatim to getvar max-download-size; default
	 * "\t0x30000000" (the real bootloader's leading tab) */
	const char *max_download_text;
	uint32_t max_download;   /* enforced limit; default 0x30000000 */
	long long cut_after;     /* drop the link after this many download
				    bytes in total; <= 0: never */
	double throttle_mbps;    /* cap download data rate; 0: unthrottled */
	double write_mbps;       /* eMMC pace: flash: takes downloaded bytes /
				    this rate, silently (as LK); 0: instant */
	int reboot_delay_ms;     /* reboot-bootloader: offline this long */
	int leave_delay_ms;      /* after the OKAY to a reboot: still on the
				    bus, silent, this long before leaving it
				    (a real phone takes a moment to reset) */
	int no_return;           /* after reboot-bootloader: never come back */
	int info_lines;          /* INFO lines sent before OKAY on flash */
	const char *vars;        /* extra "name=value;name=value" getvars,
				    e.g. "board_version=3;anti=2;crc=1" */
	int unlocked;            /* oem device-info: unlocked state */
	unsigned other_parts_mib; /* > 0: any name outside the Mi 4 table is a
				     partition of this many MiB (other
				     devices' packages) */
	const char *faults;      /* "KIND@WHAT[#N][+BYTES],..." (emu_fault.h);
				    romflash-emu's --fail and --slow are
				    faults too */
};

enum emu_link {
	EMU_ONLINE = 0,
	EMU_DROPPED = 1,   /* link cut now; comes back after reboot_delay_ms */
	EMU_GONE = 2,      /* link cut, never comes back */
};

struct emu;

/* Create from options; `err` (256 bytes) gets a message on failure. */
struct emu *emu_new(const struct emu_opts *o, char *err);
void emu_free(struct emu *e);

/* One message from the host (one USB OUT transfer / one TCP frame).
 * Returns the link state after handling it. */
enum emu_link emu_receive(struct emu *e, const void *buf, size_t len);

/* Next reply message for the host (<= 64 bytes); 0 when none is queued. */
size_t emu_reply(struct emu *e, void *buf, size_t cap);

/* Link state (after a reboot, the transport drops the connection, waits
 * reboot_delay_ms, then calls emu_reset_link to come back online). */
enum emu_link emu_link_state(const struct emu *e);
void emu_reset_link(struct emu *e);
int emu_reboot_delay_ms(const struct emu *e);

/* Seconds the phone is still busy writing (flash: at --write-rate); 0
 * when idle.  While busy, emu_reply gives nothing (LK says nothing while
 * it writes) and a transport should not hand it host data (LK does not
 * read USB meanwhile: OUT transfers are NAKed, TCP bytes wait in the
 * socket). */
double emu_busy_s(const struct emu *e);

/* The phone hangs (a stall fault): it answers nothing and takes nothing
 * (emu_busy_s is then a day) until emu_bus_reset or a new process. */
int emu_stalled(const struct emu *e);

/* How long a phone that is leaving (reboot) stays on the bus first. */
int emu_leave_delay_ms(const struct emu *e);

/* A USB bus reset (the cable pulled and plugged back): a download in
 * progress is abandoned and replies not yet read are lost, as LK's USB
 * stack restarts; a write in progress goes on inside the phone.  A hung
 * phone (stall fault) is taken to have been power-cycled: it answers
 * again. */
void emu_bus_reset(struct emu *e);

/* Bytes still expected by the download in progress (0: none), so a
 * transport can stream a large frame into emu_receive in pieces. */
uint64_t emu_download_remaining(const struct emu *e);

/* The host closed its connection (TCP): a download in progress is
 * abandoned and unread replies are dropped, so the next connection starts
 * with a command. */
void emu_host_closed(struct emu *e);

#endif
