/* USB backend of the transport interface (libusb-1.0).
 *
 * Phones are found by interface class/subclass/protocol, on any vendor id:
 * ff/42/03 is a fastboot bootloader, ff/42/01 is adb (recovery, sideload,
 * a booted system).  This header exposes no libusb type: transport_usb.c
 * (transfers) and transport_usb_scan.c (finding phones, waiting for one:
 * transport_usb_scan.h, included here) are the only files of the project
 * that include libusb.h. */
#ifndef RF_TRANSPORT_USB_H
#define RF_TRANSPORT_USB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "transport.h"
#include "transport_usb_scan.h"

/* Bulk-OUT: transfers of this size, this many in flight at once: 768 KiB
 * per phone, so 16 phones (12 MiB) fit in Linux's usbfs budget
 * (usbfs_memory_mb, 16 MiB by default, shared by every program).  A
 * submission refused for memory (ENOMEM) halves the size, down to
 * RF_USB_XFER_MIN. */
#define RF_USB_XFER_SIZE (256 * 1024)
#define RF_USB_XFERS_IN_FLIGHT 3
#define RF_USB_XFER_MIN (16 * 1024)

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
