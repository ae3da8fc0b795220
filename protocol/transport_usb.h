/* USB backend of the transport interface (libusb-1.0).
 *
 * Phones are found by interface class/subclass/protocol, on any vendor id:
 * ff/42/03 is a fastboot bootloader, ff/42/01 is adb (recovery, sideload,
 * a booted system).  This header exposes no libusb type: transport_usb.c
 * (transfers) and transport_usb_scan.c (finding phones) are the only files
 * of the project that include libusb.h. */
#ifndef RF_TRANSPORT_USB_H
#define RF_TRANSPORT_USB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "transport.h"

#define RF_USB_PROTO_FASTBOOT 0x03
#define RF_USB_PROTO_ADB 0x01
/* Listing only: a Xiaomi device (vendor 2717) without an Android interface
 * -- a phone in MTP or charging mode, which romflash cannot use. */
#define RF_USB_PROTO_NONE 0x00

/* Bulk-OUT: transfers of this size, this many in flight at once: 768 KiB
 * per phone, so 16 phones (12 MiB) fit in Linux's usbfs budget
 * (usbfs_memory_mb, 16 MiB by default, shared by every program).  A
 * submission refused for memory (ENOMEM) halves the size, down to
 * RF_USB_XFER_MIN. */
#define RF_USB_XFER_SIZE (256 * 1024)
#define RF_USB_XFERS_IN_FLIGHT 3
#define RF_USB_XFER_MIN (16 * 1024)

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

/* Open the phone speaking `proto` that matches `selector`: NULL (exactly one
 * such phone must be attached), a serial number, or "usb:BUS-PORT[.PORT]".
 * Claims the interface, selects its alternate setting again and clears a
 * halt on both endpoints (a host killed mid-transfer may have left the
 * data toggles out of step).  `zlp`: end every write whose length is a
 * multiple of the endpoint's max packet size with a zero-length packet (adb
 * wants it; fastboot does not).  RF_ENODEV when none matches, RF_EMULTIPLE
 * when several match a NULL selector (the message lists them); RF_EBUSY
 * when another program holds the interface (seen in sysfs: the phone is
 * not even opened); RF_EACCESS when this process may not open it. */
int rf_usb_open(const char *selector, int proto, int zlp,
		struct rf_transport **out, char *err);

/* Statistics of an open transport, for benchmarks and tests. */
struct rf_usb_stats {
	unsigned long long bytes_out;
	unsigned max_in_flight; /* most bulk-OUT transfers seen in flight */
	size_t xfer_size;       /* transfer size now (smaller after ENOMEM) */
	unsigned enomem;        /* submissions refused for usbfs memory */
	unsigned speed_kbps;    /* link speed (sysfs), 0 unknown */
};
void rf_usb_get_stats(struct rf_transport *t, struct rf_usb_stats *st);

#endif
