/* Finding USB phones and waiting for one (transport_usb_scan.c): what is
 * attached, read from sysfs, nothing opened.  The half of the USB backend
 * that the transfers (transport_usb.c) build on; included by
 * transport_usb.h, the backend's public header. */
#ifndef RF_TRANSPORT_USB_SCAN_H
#define RF_TRANSPORT_USB_SCAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define RF_USB_PROTO_FASTBOOT 0x03
#define RF_USB_PROTO_ADB 0x01
/* Listing only: a Xiaomi device (vendor 2717) without an Android interface
 * -- a phone in MTP or charging mode, which romflash cannot use. */
#define RF_USB_PROTO_NONE 0x00

struct rf_usb_devinfo {
	uint16_t vid, pid;
	int proto;          /* RF_USB_PROTO_FASTBOOT, _ADB or _NONE */
	char serial[64];    /* from sysfs, "" when the device has none */
	char location[32];  /* "usb:BUS-PORT[.PORT...]" */
	char product[64];   /* iProduct string (sysfs), "" when unknown */
	char devnode[32];   /* "/dev/bus/usb/BBB/DDD" */
	unsigned speed_kbps; /* 480000 at high speed; 0 unknown */
	int no_access;      /* this process may not open the node (EACCES:
			       no udev rules, or no seat / group) */
	char holder[32];    /* driver holding its Android interface: "usbfs"
			       while a program (romflash, fastboot, adb)
			       has it; "" when free */
};

/* List attached devices speaking one of the protocols in `proto_mask`
 * (bit (1 << RF_USB_PROTO_FASTBOOT) | bit (1 << RF_USB_PROTO_ADB) | bit
 * (1 << RF_USB_PROTO_NONE)).  Nothing is opened: serials, strings, speed
 * and holders come from sysfs.  `*out` is malloc'ed (free() it); `*n` may
 * be 0. */
int rf_usb_list(unsigned proto_mask, struct rf_usb_devinfo **out, size_t *n,
		char *err);

/* Wait up to timeout_ms until a phone speaking `proto` that matches
 * `selector` (as rf_usb_open) is attached and may be opened, or `*stop`
 * is set (RF_EINTR).  One libusb context for the whole wait: arrivals are
 * seen through libusb's hotplug events where it has them, else by a
 * rescan every 250 ms; nothing is opened.  RF_OK once there; RF_ENODEV
 * when none came; RF_EACCESS when the phone is there but this process
 * may not open it (after a grace for udev to apply its rules); RF_EBUSY
 * when another program holds it.  `tick` (may be NULL) is called about
 * once a second with the time waited. */
int rf_usb_wait(const char *selector, int proto, int timeout_ms,
		const volatile sig_atomic_t *stop,
		void (*tick)(void *user, int elapsed_ms), void *user, char *err);

#endif
