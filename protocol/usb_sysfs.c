/* sysfs view of USB devices.  See usb_sysfs.h. */
#include "usb_sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rf_error.h"
#include "rf_str.h"

#define SYSFS_USB "/sys/bus/usb/devices"

void rf_usb_sysfs_name(int bus, const uint8_t *ports, int n, char *out,
		       size_t cap)
{
	size_t len;
	if (n <= 0) {
		snprintf(out, cap, "usb%d", bus);
		return;
	}
	len = (size_t)snprintf(out, cap, "%d", bus);
	for (int i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%c%u",
					i == 0 ? '-' : '.', ports[i]);
}

/* One attribute's first line, without the newline; "" when absent. */
static void attr(const char *dir, const char *name, char *out, size_t cap)
{
	char p[768];
	FILE *f;

	out[0] = 0;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "re");
	if (!f)
		return;
	if (!fgets(out, (int)cap, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

static unsigned long attr_num(const char *dir, const char *name, int base)
{
	char v[32];
	attr(dir, name, v, sizeof v);
	return v[0] ? strtoul(v, NULL, base) : 0;
}

/* sysfs speed is in Mbit/s, "1.5" for low speed */
static unsigned parse_speed(const char *v)
{
	if (!v[0])
		return 0;
	return (unsigned)(strtod(v, NULL) * 1000 + 0.5);
}

static void read_iface(const char *path, struct rf_usb_sysfs_iface *i)
{
	char link[640], target[256];
	ssize_t n;

	i->cls = (uint8_t)attr_num(path, "bInterfaceClass", 16);
	i->sub = (uint8_t)attr_num(path, "bInterfaceSubClass", 16);
	i->proto = (uint8_t)attr_num(path, "bInterfaceProtocol", 16);
	i->driver[0] = 0;
	snprintf(link, sizeof link, "%s/driver", path);
	n = readlink(link, target, sizeof target - 1);
	if (n > 0) {
		target[n] = 0;
		const char *base = strrchr(target, '/');
		rf_strlcpy(i->driver, base ? base + 1 : target, sizeof i->driver);
	}
}

/* Interfaces are the entries "<name>:C.I" of the device's folder. */
static void read_ifaces(const char *dir, const char *name, struct rf_usb_sysfs *s)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t nl = strlen(name);

	s->nif = 0;
	if (!d)
		return;
	while ((e = readdir(d)) && s->nif < RF_USB_SYSFS_MAX_IFACES) {
		char p[600];
		if (strncmp(e->d_name, name, nl) || e->d_name[nl] != ':')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		read_iface(p, &s->iface[s->nif++]);
	}
	closedir(d);
}

int rf_usb_sysfs_read(const char *name, struct rf_usb_sysfs *s)
{
	char dir[256], v[32];

	memset(s, 0, sizeof *s);
	rf_strlcpy(s->name, name, sizeof s->name);
	snprintf(dir, sizeof dir, "%s/%s", SYSFS_USB, name);
	attr(dir, "idVendor", v, sizeof v);
	if (!v[0])
		return RF_ENODEV;
	s->vid = (uint16_t)strtoul(v, NULL, 16);
	s->pid = (uint16_t)attr_num(dir, "idProduct", 16);
	s->bus = (int)attr_num(dir, "busnum", 10);
	s->devnum = (int)attr_num(dir, "devnum", 10);
	attr(dir, "serial", s->serial, sizeof s->serial);
	attr(dir, "product", s->product, sizeof s->product);
	attr(dir, "manufacturer", s->manufacturer, sizeof s->manufacturer);
	attr(dir, "speed", v, sizeof v);
	s->speed_kbps = parse_speed(v);
	read_ifaces(dir, name, s);
	return RF_OK;
}

const char *rf_usb_sysfs_holder(const struct rf_usb_sysfs *s, uint8_t cls,
				uint8_t sub)
{
	for (int i = 0; i < s->nif; i++)
		if (s->iface[i].cls == cls && s->iface[i].sub == sub &&
		    s->iface[i].driver[0])
			return s->iface[i].driver;
	return NULL;
}

void rf_usb_devnode(int bus, int devnum, char *out, size_t cap)
{
	snprintf(out, cap, "/dev/bus/usb/%03d/%03d", bus, devnum);
}

int rf_usb_node_access(int bus, int devnum)
{
	char p[64];
	rf_usb_devnode(bus, devnum, p, sizeof p);
	return access(p, R_OK | W_OK) == 0 ? 0 : errno;
}

const char *rf_usb_speed_text(unsigned kbps, char *buf, size_t cap)
{
	if (kbps % 1000)
		snprintf(buf, cap, "%u.%u Mbit/s", kbps / 1000, kbps % 1000 / 100);
	else
		snprintf(buf, cap, "%u Mbit/s", kbps / 1000);
	return buf;
}
