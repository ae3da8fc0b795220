/* What Linux's sysfs says about a USB device, read without opening it.
 *
 * /sys/bus/usb/devices/<name> (name "1-4.2": bus 1, port 4, then port 2 of
 * a hub) holds the kernel's copy of the strings the device gave at
 * enumeration (serial, product, manufacturer), its speed and, per
 * interface (<name>:<config>.<n>), the class triple and the driver bound
 * to it -- "usbfs" while a program (romflash, fastboot, adb) holds it.
 * Reading these never sends anything to the device, so a phone another
 * process is flashing is not disturbed. */
#ifndef RF_USB_SYSFS_H
#define RF_USB_SYSFS_H

#include <stddef.h>
#include <stdint.h>

#define RF_USB_SYSFS_MAX_IFACES 8

struct rf_usb_sysfs_iface {
	uint8_t cls, sub, proto;
	char driver[32];   /* "" when no driver is bound */
};

struct rf_usb_sysfs {
	char name[32];
	int bus, devnum;
	uint16_t vid, pid;
	char serial[64], product[64], manufacturer[64];
	unsigned speed_kbps; /* 1500, 12000, 480000, 5000000...; 0 unknown */
	int nif;
	struct rf_usb_sysfs_iface iface[RF_USB_SYSFS_MAX_IFACES];
};

/* The sysfs name of the device at `bus` behind `ports` ("usbB" for the
 * root hub, when n == 0). */
void rf_usb_sysfs_name(int bus, const uint8_t *ports, int n, char *out,
		       size_t cap);

/* Read what sysfs has about device `name`: RF_OK, or RF_ENODEV when it is
 * not there (gone, or no sysfs).  Missing attributes are left empty. */
int rf_usb_sysfs_read(const char *name, struct rf_usb_sysfs *out);

/* A program (usbfs) or a kernel driver other than the phone's holds one of
 * its interfaces with this class/subclass: its driver name, else NULL. */
const char *rf_usb_sysfs_holder(const struct rf_usb_sysfs *s, uint8_t cls,
				uint8_t sub);

/* "/dev/bus/usb/BBB/DDD" */
void rf_usb_devnode(int bus, int devnum, char *out, size_t cap);

/* Can this process open the device node for reading and writing?  0, or
 * the errno (EACCES without the udev rules). */
int rf_usb_node_access(int bus, int devnum);

/* "480 Mbit/s", "12 Mbit/s", "1.5 Mbit/s" */
const char *rf_usb_speed_text(unsigned kbps, char *buf, size_t cap);

#endif
