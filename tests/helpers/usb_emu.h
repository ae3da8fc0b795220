/* USB harness for tests: presents emulated phones as usbfs devices through
 * umockdev, so protocol/transport_usb.c (real libusb) runs unchanged.
 *
 * Bus B (1 unless a device asks for another) has a root hub at
 * /dev/bus/usb/00B/001; each device gets the next free device number on its
 * bus (/dev/bus/usb/00B/<devnum>, a new one every time it is plugged, as a
 * real re-enumeration), sysfs /sys/devices/usbB/B-<port> with the
 * attributes the kernel has (serial, product, manufacturer, speed, idVendor,
 * idProduct, descriptors) and an interface directory B-<port>:1.0
 * (bInterfaceClass/SubClass/Protocol; a `driver` link to usbfs while a
 * program holds the interface).  The location "usb:B-<port>" stays the same
 * across reboots.  An Android device has one interface ff/42/03 (fastboot)
 * or ff/42/01 (adb) with a bulk IN and a bulk OUT endpoint of 512-byte
 * packets (high speed); other devices (a Xiaomi phone in MTP mode) may have
 * any interface class and no device model.
 *
 * Every OUT URB is handed to the device model as one message; an IN URB
 * completes with the model's next reply, or stays pending until one exists.
 * While the model is busy (a fastboot phone writing at its eMMC pace) OUT
 * URBs stay pending, as a real phone NAKs them.  When the model drops the
 * link the device first hands out what it had queued, stays on the bus
 * silent for the model's leave delay, then is unplugged (pending URBs fail
 * with -ESHUTDOWN, further ioctls get ENODEV, a "remove" uevent is sent)
 * and, for EMU_DROPPED, plugged back after the model's reboot delay.
 *
 * usbfs memory: like Linux's usbfs_memory_mb, the buffers of all URBs
 * submitted and not yet reaped, over every device of the testbed, are
 * limited (16 MiB by default); a SUBMITURB past it fails with ENOMEM.
 *
 * The binary must run under umockdev-wrapper (tests/run-all does that for
 * check_usb* suites).  The ioctl handlers run on umockdev's worker thread. */
#ifndef USB_EMU_H
#define USB_EMU_H

#include <stddef.h>
#include <stdint.h>
#include "emu.h"

#define USB_EMU_MAX_DEVS 32
#define USB_EMU_USBFS_DEFAULT (16LL * 1024 * 1024)

/* A device model other than the fastboot emulator (e.g. an adb recovery).
 * receive() gets each OUT transfer (`zlp`: the URB asked for a trailing
 * zero-length packet) and returns an enum emu_link; reply() fills the next
 * IN message of at most `cap` bytes, 0 when none is queued; reboot_delay_ms
 * is used after EMU_DROPPED; busy_s (may be NULL) says how long the device
 * takes no OUT data. */
struct usb_emu_model {
	enum emu_link (*receive)(void *ctx, const void *buf, size_t len, int zlp);
	size_t (*reply)(void *ctx, void *buf, size_t cap);
	void (*reset_link)(void *ctx);
	int (*reboot_delay_ms)(void *ctx);
	double (*busy_s)(void *ctx);
	void *ctx;
};

struct usb_emu_devcfg {
	int proto;                /* 0x03 fastboot (default), 0x01 adb */
	uint16_t vid, pid;        /* default 18d1:d00d (fastboot), 18d1:4ee7 (adb) */
	const char *serial;       /* iSerialNumber; default o->serial or "EMU0001" */
	const char *product;      /* iProduct; default "Android" */
	const char *speed;        /* sysfs speed: "480" (default), "12", "5000" */
	int bus;                  /* 1 (default) .. 8 */
	/* interface class/subclass/protocol other than ff/42/proto (e.g.
	 * 06/01/01 for MTP): such a device needs no model */
	uint8_t iclass, isubclass, iprotocol;
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
	unsigned opens;                /* file descriptors that talked to it */
	unsigned clear_halts;          /* USBDEVFS_CLEAR_HALT requests */
	unsigned set_interfaces;       /* USBDEVFS_SETINTERFACE requests */
	unsigned long long busy_held;  /* OUT URBs NAKed while writing */
	size_t max_urb_out;            /* largest OUT URB */
	int devnum;                    /* current device number */
	int online;
};

/* The usbfs memory of the whole testbed. */
struct usb_emu_usbfs {
	long long limit, used, peak;   /* bytes */
	unsigned long long enomem;     /* submits refused */
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

/* "usb:B-N" of device `idx`. */
const char *usb_emu_location(struct usb_emu *u, int idx);

/* Its device node now ("/dev/bus/usb/00B/NNN"; changes at every plug). */
const char *usb_emu_devnode(struct usb_emu *u, int idx);

void usb_emu_get_stats(struct usb_emu *u, int idx, struct usb_emu_stats *st);

/* usbfs memory: set the limit (bytes, 0 = none), read the figures. */
void usb_emu_set_usbfs_limit(struct usb_emu *u, long long bytes);
void usb_emu_get_usbfs(struct usb_emu *u, struct usb_emu_usbfs *st);

/* While `hold` is set, device `idx` takes no OUT data: OUT URBs stay
 * pending (the host's transfers time out or get cancelled); clearing it
 * delivers the held ones in order. */
void usb_emu_hold_out(struct usb_emu *u, int idx, int hold);

/* The program holding device `idx` died (a test killed it): as the kernel
 * does when its last fd closes, the claim is released and its URBs are
 * freed.  (umockdev 0.17 does not tell when a client's process ends.) */
void usb_emu_host_died(struct usb_emu *u, int idx);

/* Unplug device `idx` now, as if the cable was pulled (no re-plug). */
void usb_emu_unplug(struct usb_emu *u, int idx);

/* Pull the cable and plug it back after `delay_ms`: the phone sees a USB
 * reset (a download in progress is abandoned, unread replies are lost). */
void usb_emu_replug(struct usb_emu *u, int idx, int delay_ms);

/* File mode of device `idx`'s node (e.g. 0600: a user other than root
 * cannot open it, as without udev rules); applied at every plug. */
void usb_emu_set_node_mode(struct usb_emu *u, int idx, unsigned mode);

/* The testbed's root folder (UMOCKDEV_DIR). */
const char *usb_emu_root(struct usb_emu *u);

/* Wait until device `idx` is online again (after a reboot); 0 when it is,
 * -1 on timeout. */
int usb_emu_wait_online(struct usb_emu *u, int idx, int timeout_ms);

/* Tear everything down (frees the emulators it created). */
void usb_emu_stop(struct usb_emu *u);

/* main() of a check_usb* suite: run it, EXIT_SUCCESS when nothing failed.
 * (Under `make asan` umockdev's preload library comes before the ASan
 * runtime; usb_emu.c tells ASan that is fine.) */
struct Suite;
int usb_emu_suite_main(struct Suite *s);

#endif
