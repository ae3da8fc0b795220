/* USB harness for tests: presents emulated phones as usbfs devices through
 * umockdev, so protocol/transport_usb.c (real libusb) runs unchanged.
 *
 * Devices appear at /dev/bus/usb/001/<devnum> (devnum 2, 3, ...), sysfs
 * /sys/devices/usb1/1-<port>, location "usb:1-<port>" (port = devnum - 1).
 * Each device has one interface ff/42/03 (fastboot) or ff/42/01 (adb) with
 * a bulk IN and a bulk OUT endpoint of 512-byte packets (high speed).
 *
 * Every OUT URB is handed to the device model as one message; an IN URB
 * completes with the model's next reply, or stays pending until one exists.
 * When the model drops the link, the device is unplugged (pending URBs fail
 * with -ESHUTDOWN, further ioctls get ENODEV, a "remove" uevent is sent) and,
 * for EMU_DROPPED, plugged back after the model's reboot delay.
 *
 * The binary must run under umockdev-wrapper (tests/run-all does that for
 * check_usb* suites).  The ioctl handlers run on umockdev's worker thread. */
#ifndef USB_EMU_H
#define USB_EMU_H

#include <stddef.h>
#include <stdint.h>
#include "emu.h"

/* A device model other than the fastboot emulator (e.g. an adb recovery).
 * receive() gets each OUT transfer (`zlp`: the URB asked for a trailing
 * zero-length packet) and returns an enum emu_link; reply() fills the next
 * IN message of at most `cap` bytes, 0 when none is queued; reboot_delay_ms
 * is used after EMU_DROPPED. */
struct usb_emu_model {
	enum emu_link (*receive)(void *ctx, const void *buf, size_t len, int zlp);
	size_t (*reply)(void *ctx, void *buf, size_t cap);
	void (*reset_link)(void *ctx);
	int (*reboot_delay_ms)(void *ctx);
	void *ctx;
};

struct usb_emu_devcfg {
	int proto;                /* 0x03 fastboot (default), 0x01 adb */
	uint16_t vid, pid;        /* default 18d1:d00d (fastboot), 18d1:4ee7 (adb) */
	const char *serial;       /* iSerialNumber; default o->serial or "EMU0001" */
	const char *product;      /* iProduct; default "Android" */
	const struct emu_opts *emu; /* fastboot: create an emulator from these */
	const struct usb_emu_model *model; /* or use this model (not owned) */
};

struct usb_emu;

struct usb_emu_stats {
	unsigned long long bytes_out;  /* OUT URB payload bytes */
	unsigned long long urbs_out;
	unsigned long long zlp_urbs;   /* OUT URBs followed by a zero-length
					  packet (ZERO_PACKET flag on a whole
					  number of packets) */
	unsigned max_out_in_flight;    /* most OUT URBs submitted, not yet reaped */
	unsigned long long discarded;  /* URBs the host cancelled while pending */
	unsigned drops;                /* times the device was unplugged */
	int online;
};

/* Start a testbed with one fastboot phone made from `o` (see emu.h) at
 * /dev/bus/usb/001/002.  NULL with a message in `err` (256 bytes). */
struct usb_emu *usb_emu_start(const struct emu_opts *o, char *err);

/* Start an empty testbed (no phone attached). */
struct usb_emu *usb_emu_start_empty(char *err);

/* Plug one more device; returns its index (0 for the first), or -1. */
int usb_emu_add(struct usb_emu *u, const struct usb_emu_devcfg *cfg, char *err);

/* The fastboot emulator behind device `idx` (NULL for a custom model). */
struct emu *usb_emu_core(struct usb_emu *u, int idx);

/* "usb:1-N" of device `idx`. */
const char *usb_emu_location(struct usb_emu *u, int idx);

void usb_emu_get_stats(struct usb_emu *u, int idx, struct usb_emu_stats *st);

/* While `hold` is set, device `idx` takes no OUT data: OUT URBs stay
 * pending (the host's transfers time out or get cancelled); clearing it
 * delivers the held ones in order. */
void usb_emu_hold_out(struct usb_emu *u, int idx, int hold);

/* Unplug device `idx` now, as if the cable was pulled (no re-plug). */
void usb_emu_unplug(struct usb_emu *u, int idx);

/* Wait until device `idx` is online again (after a reboot); 0 when it is,
 * -1 on timeout. */
int usb_emu_wait_online(struct usb_emu *u, int idx, int timeout_ms);

/* Tear everything down (frees the emulators it created). */
void usb_emu_stop(struct usb_emu *u);

#endif
