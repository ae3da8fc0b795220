/* USB backend of the transport interface (libusb-1.0).
 *
 * Phones are found by interface class/subclass/protocol, on any vendor id:
 * ff/42/03 is a fastboot bootloader, ff/42/01 is adb (recovery, sideload,
 * a booted system).  This header exposes no libusb type: transport_usb.c is
 * the only file of the project that includes libusb.h. */
#ifndef RF_TRANSPORT_USB_H
#define RF_TRANSPORT_USB_H

#include <stddef.h>
#include <stdint.h>
#include "transport.h"

#define RF_USB_PROTO_FASTBOOT 0x03
#define RF_USB_PROTO_ADB 0x01

/* Bulk-OUT: transfers of this size, this many in flight at once. */
#define RF_USB_XFER_SIZE (1024 * 1024)
#define RF_USB_XFERS_IN_FLIGHT 4

struct rf_usb_devinfo {
	uint16_t vid, pid;
	int proto;          /* RF_USB_PROTO_FASTBOOT or RF_USB_PROTO_ADB */
	char serial[64];    /* iSerialNumber, "" when the device has none */
	char location[32];  /* "usb:BUS-PORT[.PORT...]" */
	char product[64];   /* iProduct string, "" when unknown */
	int no_access;      /* could not be opened (udev rules missing?):
			       serial and product are unknown */
};

/* List attached phones speaking one of the protocols in `proto_mask`
 * (bit (1 << RF_USB_PROTO_FASTBOOT) | bit (1 << RF_USB_PROTO_ADB)).
 * `*out` is malloc'ed (free() it); `*n` may be 0. */
int rf_usb_list(unsigned proto_mask, struct rf_usb_devinfo **out, size_t *n,
		char *err);

/* Open the phone speaking `proto` that matches `selector`: NULL (exactly one
 * such phone must be attached), a serial number, or "usb:BUS-PORT[.PORT]".
 * Claims the interface.  `zlp`: end every write whose length is a multiple
 * of the endpoint's max packet size with a zero-length packet (adb wants it;
 * fastboot does not).  RF_ENODEV when none matches, RF_EMULTIPLE when several
 * match a NULL selector (the message lists them); RF_EBUSY when another
 * program holds the interface. */
int rf_usb_open(const char *selector, int proto, int zlp,
		struct rf_transport **out, char *err);

/* Statistics of the last opened transports, for benchmarks and tests. */
struct rf_usb_stats {
	unsigned long long bytes_out;
	unsigned max_in_flight; /* most bulk-OUT transfers seen in flight */
	size_t xfer_size;
};
void rf_usb_get_stats(struct rf_transport *t, struct rf_usb_stats *st);

#endif
