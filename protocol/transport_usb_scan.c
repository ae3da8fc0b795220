/* Finding phones on USB: enumeration, selection, waiting for one to come.
 *
 * Nothing here opens a device.  libusb reads the descriptors from sysfs;
 * serials, strings, speed and who holds an interface come from sysfs too
 * (usb_sysfs.c), so listing phones or waiting for one never talks to a
 * phone, not even to one another process is flashing. */
#include "transport_usb_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rf_error.h"
#include "rf_str.h"
#include "usb_sysfs.h"

long long rf_usb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rf_usb_map_err(int e)
{
	switch (e) {
	case LIBUSB_SUCCESS: return RF_OK;
	case LIBUSB_ERROR_NO_DEVICE: return RF_EDISCONNECTED;
	case LIBUSB_ERROR_TIMEOUT: return RF_ETIMEDOUT;
	case LIBUSB_ERROR_PIPE: return RF_EIO;
	case LIBUSB_ERROR_IO: return RF_EIO;
	case LIBUSB_ERROR_ACCESS: return RF_EACCESS;
	case LIBUSB_ERROR_BUSY: return RF_EBUSY;
	case LIBUSB_ERROR_NOT_FOUND: return RF_ENODEV;
	case LIBUSB_ERROR_NO_MEM: return RF_ENOMEM;
	case LIBUSB_ERROR_INVALID_PARAM: return RF_EINVAL;
	case LIBUSB_ERROR_OVERFLOW: return RF_EPROTO;
	case LIBUSB_ERROR_INTERRUPTED: return RF_EINTR;
	default: return RF_EIO; /* NOT_SUPPORTED, OTHER */
	}
}

/* A phone whose node is not accessible yet may just have appeared: udev
 * applies its rules (uaccess, group) a moment after the node exists. */
#define EACCES_GRACE_MS 3000
#define RESCAN_MS 250

static void make_location(libusb_device *dev, char *out, size_t sz,
			  char *sysname, size_t sysz)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
	int bus = libusb_get_bus_number(dev);

	rf_usb_sysfs_name(bus, ports, n < 0 ? 0 : n, sysname, sysz);
	rf_strlcpy(out, "usb:", sz);
	if (sz > 4)
		rf_strlcpy(out + 4, sysname, sz - 4);
}

static void endpoints(const struct libusb_interface_descriptor *d,
		      struct rf_usb_cand *c, int *in, int *out)
{
	*in = *out = 0;
	for (int e = 0; e < d->bNumEndpoints; e++) {
		const struct libusb_endpoint_descriptor *ep = &d->endpoint[e];
		size_t mps;
		if ((ep->bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK)
			continue;
		mps = ep->wMaxPacketSize & 0x7ff;
		if (mps == 0)
			mps = 512;
		if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !*in) {
			*in = 1;
			c->ep_in = ep->bEndpointAddress;
			c->mps_in = mps;
		} else if (!(ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) && !*out) {
			*out = 1;
			c->ep_out = ep->bEndpointAddress;
			c->mps_out = mps;
		}
	}
}

/* Does `dev` have an ff/42/<proto> interface with bulk IN and OUT, for a
 * proto in `mask`?  Fills the interface part of `c`.  Every alternate
 * setting of every interface of the active configuration is looked at. */
static int match_iface(libusb_device *dev, unsigned mask, struct rf_usb_cand *c)
{
	struct libusb_config_descriptor *cfg = NULL;
	int found = 0;

	if (libusb_get_active_config_descriptor(dev, &cfg) < 0 &&
	    libusb_get_config_descriptor(dev, 0, &cfg) < 0)
		return 0;
	for (int i = 0; i < cfg->bNumInterfaces && !found; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];
		for (int a = 0; a < itf->num_altsetting && !found; a++) {
			const struct libusb_interface_descriptor *d =
				&itf->altsetting[a];
			int in, out;
			if (d->bInterfaceClass != USB_CLASS_VENDOR ||
			    d->bInterfaceSubClass != USB_SUBCLASS_ANDROID ||
			    d->bInterfaceProtocol >= 32 ||
			    d->bInterfaceProtocol == RF_USB_PROTO_NONE ||
			    !(mask & (1u << d->bInterfaceProtocol)))
				continue;
			endpoints(d, c, &in, &out);
			if (in && out) {
				found = 1;
				c->iface = d->bInterfaceNumber;
				c->alt = d->bAlternateSetting;
				c->info.proto = d->bInterfaceProtocol;
			}
		}
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

/* The rest of what a listing shows, from sysfs and the node's mode. */
static void describe_dev(libusb_device *dev, struct rf_usb_cand *c)
{
	struct rf_usb_sysfs s;
	char sysname[32];
	int bus = libusb_get_bus_number(dev), addr = libusb_get_device_address(dev);

	make_location(dev, c->info.location, sizeof c->info.location, sysname,
		      sizeof sysname);
	rf_usb_devnode(bus, addr, c->info.devnode, sizeof c->info.devnode);
	c->info.no_access = rf_usb_node_access(bus, addr) == EACCES;
	if (rf_usb_sysfs_read(sysname, &s) != RF_OK)
		return;
	rf_strlcpy(c->info.serial, s.serial, sizeof c->info.serial);
	rf_strlcpy(c->info.product, s.product, sizeof c->info.product);
	c->info.speed_kbps = s.speed_kbps;
	const char *h = rf_usb_sysfs_holder(&s, USB_CLASS_VENDOR,
					    USB_SUBCLASS_ANDROID);
	rf_strlcpy(c->info.holder, h ? h : "", sizeof c->info.holder);
}

/* "usb:1-2.10" after "usb:1-2.9": numbers compared as numbers */
static int by_location(const void *a, const void *b)
{
	const char *x = ((const struct rf_usb_cand *)a)->info.location;
	const char *y = ((const struct rf_usb_cand *)b)->info.location;
	while (*x && *y) {
		if (*x >= '0' && *x <= '9' && *y >= '0' && *y <= '9') {
			char *ex, *ey;
			unsigned long nx = strtoul(x, &ex, 10), ny = strtoul(y, &ey, 10);
			if (nx != ny)
				return nx < ny ? -1 : 1;
			x = ex;
			y = ey;
		} else if (*x != *y) {
			return (unsigned char)*x - (unsigned char)*y;
		} else {
			x++;
			y++;
		}
	}
	return (unsigned char)*x - (unsigned char)*y;
}

int rf_usb_scan(libusb_context *ctx, unsigned mask, struct rf_usb_cand **out,
		size_t *n, char *err)
{
	libusb_device **devs = NULL;
	struct rf_usb_cand *v = NULL;
	size_t cnt = 0;
	ssize_t nd = libusb_get_device_list(ctx, &devs);
	int ret = RF_OK;

	*out = NULL;
	*n = 0;
	if (nd < 0)
		return rf_errf(err, rf_usb_map_err((int)nd),
			       "cannot list USB devices: %s",
			       libusb_strerror((int)nd));
	for (ssize_t i = 0; i < nd; i++) {
		struct libusb_device_descriptor dd;
		struct rf_usb_cand c;

		memset(&c, 0, sizeof(c));
		if (libusb_get_device_descriptor(devs[i], &dd) < 0)
			continue;
		if (!match_iface(devs[i], mask, &c)) {
			/* a Xiaomi phone in a mode romflash cannot use */
			if (!(mask & (1u << RF_USB_PROTO_NONE)) ||
			    dd.idVendor != USB_VID_XIAOMI)
				continue;
			c.info.proto = RF_USB_PROTO_NONE;
		}
		c.info.vid = dd.idVendor;
		c.info.pid = dd.idProduct;
		describe_dev(devs[i], &c);
		struct rf_usb_cand *nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			ret = rf_errf(err, RF_ENOMEM, "out of memory");
			break;
		}
		v = nv;
		c.dev = libusb_ref_device(devs[i]);
		v[cnt++] = c;
	}
	libusb_free_device_list(devs, 1);
	if (ret != RF_OK) {
		rf_usb_free_scan(v, cnt);
		return ret;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof *v, by_location);
	*out = v;
	*n = cnt;
	return RF_OK;
}

void rf_usb_free_scan(struct rf_usb_cand *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		libusb_unref_device(v[i].dev);
	free(v);
}

int rf_usb_init_ctx(libusb_context **ctx, char *err)
{
	int r = libusb_init(ctx);
	if (r < 0) {
		*ctx = NULL;
		return rf_errf(err, rf_usb_map_err(r),
			       "cannot initialise libusb: %s", libusb_strerror(r));
	}
	return RF_OK;
}

int rf_usb_list(unsigned proto_mask, struct rf_usb_devinfo **out, size_t *n,
		char *err)
{
	libusb_context *ctx = NULL;
	struct rf_usb_cand *v = NULL;
	size_t cnt = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = rf_usb_init_ctx(&ctx, err);
	if (ret != RF_OK)
		return ret;
	ret = rf_usb_scan(ctx, proto_mask, &v, &cnt, err);
	if (ret != RF_OK || cnt == 0)
		goto out;
	*out = malloc(cnt * sizeof(**out));
	if (!*out) {
		ret = rf_errf(err, RF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < cnt; i++)
		(*out)[i] = v[i].info;
	*n = cnt;
out:
	rf_usb_free_scan(v, cnt);
	libusb_exit(ctx);
	return ret;
}

static const char *proto_name(int proto)
{
	return proto == RF_USB_PROTO_FASTBOOT ? "fastboot" :
		proto == RF_USB_PROTO_ADB ? "adb" : "unknown";
}

int rf_usb_selected(const struct rf_usb_cand *c, const char *sel)
{
	if (!sel)
		return 1;
	if (!strncmp(sel, "usb:", 4))
		return !strcmp(sel, c->info.location);
	return c->info.serial[0] && !strcmp(sel, c->info.serial);
}

/* "SERIAL (usb:1-2), ..." of the selected candidates, truncated. */
static void list_selected(const struct rf_usb_cand *v, size_t n, const char *sel,
			  char *out, size_t sz)
{
	size_t len = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && len < sz; i++) {
		if (!rf_usb_selected(&v[i], sel))
			continue;
		len += (size_t)snprintf(out + len, sz - len, "%s%s (%s)",
					len ? ", " : "",
					v[i].info.serial[0] ? v[i].info.serial :
					"no serial", v[i].info.location);
	}
}

int rf_usb_choose(const struct rf_usb_cand *v, size_t n, const char *sel,
		  int proto, const struct rf_usb_cand **pick, char *err)
{
	size_t nsel = 0;
	char list[RF_ERRLEN - 64];

	*pick = NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i].info.proto == proto && rf_usb_selected(&v[i], sel)) {
			nsel++;
			*pick = &v[i];
		}
	if (nsel == 0) {
		if (sel)
			return rf_errf(err, RF_ENODEV, "no phone in %s mode matches %s",
				       proto_name(proto), sel);
		return rf_errf(err, RF_ENODEV, "no phone in %s mode found on USB",
			       proto_name(proto));
	}
	if (nsel > 1) {
		list_selected(v, n, sel, list, sizeof list);
		*pick = NULL;
		return rf_errf(err, RF_EMULTIPLE, "%zu phones in %s mode match, "
			       "choose one with -s: %s", nsel, proto_name(proto),
			       list);
	}
	if (!strcmp((*pick)->info.holder, "usbfs"))
		return rf_errf(err, RF_EBUSY, "the phone at %s is in use by "
			       "another program (another romflash, fastboot, the "
			       "adb server?)", (*pick)->info.location);
	return RF_OK;
}

/* ---- waiting for a phone ------------------------------------------------ */

static int LIBUSB_CALL on_hotplug(libusb_context *ctx, libusb_device *dev,
				  libusb_hotplug_event ev, void *user)
{
	(void)ctx;
	(void)dev;
	(void)ev;
	(*(int *)user)++;
	return 0; /* stay registered */
}

/* One look at what is attached: RF_OK (there and openable), RF_ENODEV,
 * RF_EACCESS (there, not openable), RF_EMULTIPLE/RF_EBUSY are RF_OK here:
 * the open that follows says it. */
static int look(libusb_context *ctx, const char *sel, int proto,
		char *where, size_t wcap, char *err)
{
	struct rf_usb_cand *v = NULL;
	size_t n = 0;
	int rc = rf_usb_scan(ctx, 1u << proto, &v, &n, err);

	if (rc != RF_OK)
		return rc;
	rc = RF_ENODEV;
	for (size_t i = 0; i < n; i++) {
		if (!rf_usb_selected(&v[i], sel))
			continue;
		if (!v[i].info.no_access) {
			rc = RF_OK;
			break;
		}
		rc = RF_EACCESS;
		snprintf(where, wcap, "%s (%s)", v[i].info.location,
			 v[i].info.devnode);
	}
	rf_usb_free_scan(v, n);
	return rc;
}

int rf_usb_wait(const char *selector, int proto, int timeout_ms,
		const volatile sig_atomic_t *stop,
		void (*tick)(void *user, int elapsed_ms), void *user, char *err)
{
	libusb_context *ctx = NULL;
	libusb_hotplug_callback_handle hh = 0;
	int arrivals = 0, hotplug = 0, last_tick = 0, rc;
	long long start = rf_usb_now_ms(), eacces_since = -1;
	char where[96] = "";

	if (selector && !*selector)
		selector = NULL;
	rc = rf_usb_init_ctx(&ctx, err);
	if (rc != RF_OK)
		return rc;
	if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
	    libusb_hotplug_register_callback(ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED,
		0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
		LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, &arrivals, &hh) == 0)
		hotplug = 1;
	for (;;) {
		long long el = rf_usb_now_ms() - start;
		rc = look(ctx, selector, proto, where, sizeof where, err);
		if (rc == RF_EACCESS && eacces_since < 0)
			eacces_since = el;
		if (rc != RF_EACCESS)
			eacces_since = -1;
		if (rc == RF_OK || (rc != RF_ENODEV && rc != RF_EACCESS))
			break;
		if (rc == RF_EACCESS && el - eacces_since >= EACCES_GRACE_MS)
			break;
		if (el >= timeout_ms)
			break;
		if (stop && *stop) {
			rc = rf_errf(err, RF_EINTR, "interrupted while waiting for "
				     "the phone");
			break;
		}
		if (tick && el / 1000 > last_tick) {
			last_tick = (int)(el / 1000);
			tick(user, (int)el);
		}
		long long left = timeout_ms - el;
		struct timeval tv = { 0, (left < RESCAN_MS ? left : RESCAN_MS) * 1000 };
		libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
	if (rc == RF_EACCESS)
		rf_errf(err, rc, "the phone at %s cannot be opened: no permission",
			where);
	else if (rc == RF_ENODEV)
		rf_errf(err, rc, "no phone in %s mode%s%s came within %d s",
			proto_name(proto), selector ? " matching " : "",
			selector ? selector : "", (timeout_ms + 999) / 1000);
	if (hotplug)
		libusb_hotplug_deregister_callback(ctx, hh);
	libusb_exit(ctx);
	return rc;
}
