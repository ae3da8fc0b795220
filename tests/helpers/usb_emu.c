/* umockdev harness: emulated phones as usbfs devices (see usb_emu.h).
 * This file: the testbed, the sysfs records, plugging and unplugging, the
 * life of a phone that leaves the bus; usb_emu_ioctl.c answers usbfs. */
#include "usb_emu_int.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LEAVE_GRACE_MS 500

static void errset(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void errset(char *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, USB_EMU_ERRLEN, fmt, ap);
	va_end(ap);
}

/* ---- fastboot emulator as a model ------------------------------------ */

static enum emu_link fb_receive(void *ctx, const void *buf, size_t len, int zlp)
{
	(void)zlp;
	if (len == 0)
		return emu_link_state(ctx);
	return emu_receive(ctx, buf, len);
}

static size_t fb_reply(void *ctx, void *buf, size_t cap)
{
	return emu_reply(ctx, buf, cap);
}

static void fb_reset_link(void *ctx)
{
	emu_reset_link(ctx);
}

static int fb_reboot_delay(void *ctx)
{
	return emu_reboot_delay_ms(ctx);
}

static double fb_busy(void *ctx)
{
	return emu_busy_s(ctx);
}

/* ---- sysfs records ------------------------------------------------------ */

static size_t put_hex(char *out, const uint8_t *b, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = 0;
	return 2 * n;
}

static char *make_record(const struct usb_emu_dev *d)
{
	const uint8_t desc[] = {
		/* device: USB 2.0, ep0 64, vid, pid, bcdDevice 1.00,
		 * iManufacturer 1, iProduct 2, iSerialNumber 3 */
		18, 1, 0x00, 0x02, 0, 0, 0, 64,
		d->vid & 0xff, d->vid >> 8, d->pid & 0xff, d->pid >> 8,
		0x00, 0x01, 1, 2, d->serial[0] ? 3 : 0, 1,
		/* configuration 1, one interface, 500 mA */
		9, 2, 32, 0, 1, 1, 0, 0x80, 250,
		/* interface 0, two endpoints */
		9, 4, 0, 0, 2, d->iclass, d->isubclass, d->iprotocol, 0,
		/* bulk IN 0x81 and OUT 0x01, 512-byte packets */
		7, 5, 0x81, 2, 0x00, 0x02, 0,
		7, 5, 0x01, 2, 0x00, 0x02, 0,
	};
	char hex[2 * sizeof(desc) + 1], serial[96] = "";
	put_hex(hex, desc, sizeof(desc));
	if (d->serial[0])
		snprintf(serial, sizeof serial, "A: serial=%s\\n\n", d->serial);
	return g_strdup_printf(
		"P: %s\n"
		"N: bus/usb/%03d/%03d\n"
		"E: SUBSYSTEM=usb\n"
		"E: DEVTYPE=usb_device\n"
		"E: DRIVER=usb\n"
		"E: BUSNUM=%03d\n"
		"E: DEVNUM=%03d\n"
		"E: DEVNAME=/dev/bus/usb/%03d/%03d\n"
		"E: PRODUCT=%x/%x/100\n"
		"A: busnum=%d\\n\n"
		"A: devnum=%d\\n\n"
		"A: speed=%s\\n\n"
		"A: bConfigurationValue=1\\n\n"
		"A: idVendor=%04x\\n\n"
		"A: idProduct=%04x\\n\n"
		"A: manufacturer=Xiaomi\\n\n"
		"A: product=%s\\n\n"
		"%s"
		"H: descriptors=%s\n",
		d->syspath + 4, d->bus, d->devnum, d->bus, d->devnum, d->bus,
		d->devnum, d->vid, d->pid, d->bus, d->devnum, d->speed, d->vid,
		d->pid, d->product, serial, hex);
}

/* The interface directory B-P:1.0, as the kernel makes it. */
static char *make_if_record(const struct usb_emu_dev *d)
{
	return g_strdup_printf(
		"P: %s\n"
		"E: SUBSYSTEM=usb\n"
		"E: DEVTYPE=usb_interface\n"
		"E: INTERFACE=%d/%d/%d\n"
		"A: bInterfaceNumber=00\\n\n"
		"A: bAlternateSetting= 0\\n\n"
		"A: bNumEndpoints=02\\n\n"
		"A: bInterfaceClass=%02x\\n\n"
		"A: bInterfaceSubClass=%02x\\n\n"
		"A: bInterfaceProtocol=%02x\\n\n",
		d->ifpath + 4, d->iclass, d->isubclass, d->iprotocol,
		d->iclass, d->isubclass, d->iprotocol);
}

static int add_record(struct usb_emu *u, const char *rec, char *err)
{
	GError *ge = NULL;
	if (umockdev_testbed_add_from_string(u->tb, rec, &ge))
		return 0;
	errset(err, "umockdev: cannot add a device: %s", ge ? ge->message : "?");
	g_clear_error(&ge);
	return -1;
}

/* Bus `bus` gets its root hub (device 1) the first time it is used. */
static int ensure_bus(struct usb_emu *u, int bus, char *err)
{
	if (u->next_devnum[bus])
		return 0;
	char *rec = g_strdup_printf(
		"P: /devices/usb%d\n"
		"N: bus/usb/%03d/001\n"
		"E: SUBSYSTEM=usb\n"
		"E: DEVTYPE=usb_device\n"
		"E: DRIVER=usb\n"
		"E: BUSNUM=%03d\n"
		"E: DEVNUM=001\n"
		"E: DEVNAME=/dev/bus/usb/%03d/001\n"
		"A: busnum=%d\\n\n"
		"A: devnum=1\\n\n"
		"A: speed=480\\n\n"
		"A: bConfigurationValue=1\\n\n"
		"H: descriptors=12010002090001406B1D020006060302010109021900010100E0000904000001090000000705810304000C\n",
		bus, bus, bus, bus, bus);
	int rc = add_record(u, rec, err);
	g_free(rec);
	if (rc == 0) {
		u->next_devnum[bus] = 2;
		u->next_port[bus] = 1;
	}
	return rc;
}

/* A fresh device number (every plug, as a real re-enumeration), its node
 * and the records naming it; the handler serves the new node too. */
static int renumber(struct usb_emu_dev *d, char *err)
{
	GError *ge = NULL;
	d->devnum = d->u->next_devnum[d->bus]++;
	snprintf(d->devnode, sizeof(d->devnode), "/dev/bus/usb/%03d/%03d",
		 d->bus, d->devnum);
	g_free(d->record);
	d->record = make_record(d);
	if (d->nattached == (int)(sizeof d->attached / sizeof d->attached[0])) {
		errset(err, "usb_emu: %s plugged too often", d->location);
		return -1;
	}
	/* the handler must exist before the node does, or an early open()
	 * would reach a plain file */
	if (!umockdev_testbed_attach_ioctl(d->u->tb, d->devnode, d->handler, &ge)) {
		errset(err, "umockdev: cannot attach ioctl handler: %s",
		       ge ? ge->message : "?");
		g_clear_error(&ge);
		return -1;
	}
	snprintf(d->attached[d->nattached++], sizeof d->attached[0], "%s",
		 d->devnode);
	return 0;
}

static void apply_node_mode(struct usb_emu_dev *d)
{
	char p[512], sock[512];
	if (!d->node_mode)
		return;
	snprintf(p, sizeof p, "%s%s", d->u->root, d->devnode);
	/* umockdev's preload connects to the node's ioctl socket whatever the
	 * open gives: everyone may, so the node's own mode decides */
	snprintf(sock, sizeof sock, "%s/ioctl%s", d->u->root, d->devnode);
	if (chmod(p, d->node_mode) != 0 || chmod(sock, 0777) != 0)
		fprintf(stderr, "usb_emu: chmod %s: %s\n", p, strerror(errno));
}

static int plug_locked(struct usb_emu_dev *d, char *err)
{
	if (renumber(d, err) < 0 || add_record(d->u, d->record, err) < 0 ||
	    add_record(d->u, d->if_record, err) < 0)
		return -1;
	apply_node_mode(d);
	d->online = 1;
	d->st.devnum = d->devnum;
	umockdev_testbed_uevent(d->u->tb, d->syspath, "add");
	return 0;
}

void usb_emu_set_claimed_locked(struct usb_emu_dev *d, int claimed)
{
	char p[512];
	/* the kernel binds a claimed interface to the "usbfs" driver: other
	 * programs can see it in sysfs without touching the device */
	if (claimed) {
		umockdev_testbed_set_attribute_link(d->u->tb, d->ifpath, "driver",
			"../../../../bus/usb/drivers/usbfs");
		return;
	}
	snprintf(p, sizeof p, "%s%s/driver", d->u->root, d->ifpath);
	unlink(p);
}

/* Pull the cable: pending URBs fail like the kernel fails them, the node
 * disappears and a "remove" uevent goes out. */
static void unplug_locked(struct usb_emu_dev *d)
{
	GBytes *b;
	if (!d->online)
		return;
	d->online = 0;
	d->leaving = 0;
	d->outbox_done = 0;
	while ((b = g_queue_pop_head(&d->outbox)))
		g_bytes_unref(b);
	usb_emu_fail_urbs_locked(d);
	d->gen++;
	if (d->owner)
		usb_emu_set_claimed_locked(d, 0);
	d->owner = NULL;
	d->st.drops++;
	pthread_cond_broadcast(&d->u->cv);
	umockdev_testbed_uevent(d->u->tb, d->syspath, "remove");
	umockdev_testbed_remove_device(d->u->tb, d->ifpath);
	umockdev_testbed_remove_device(d->u->tb, d->syspath);
}

static void deadline_in(struct timespec *t, int ms)
{
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* Sleep on the condition variable until `ms` passed or the testbed stops
 * (u->mu held). */
static void wait_ms_locked(struct usb_emu *u, int ms)
{
	struct timespec until;
	deadline_in(&until, ms);
	while (!u->stopping &&
	       pthread_cond_timedwait(&u->cv, &u->mu, &until) != ETIMEDOUT)
		;
}

/* After the model dropped the link: let the host read what was queued
 * (bounded), stay on the bus silent for the leave delay, unplug, and for a
 * reboot plug back after the model's delay. */
static void *lifecycle_main(void *arg)
{
	struct usb_emu_dev *d = arg;
	struct usb_emu *u = d->u;
	struct timespec until;

	pthread_mutex_lock(&u->mu);
	if (d->leaving) {
		deadline_in(&until, LEAVE_GRACE_MS);
		while (!u->stopping && !d->outbox_done &&
		       pthread_cond_timedwait(&u->cv, &u->mu, &until) != ETIMEDOUT)
			;
		if (d->emu && emu_leave_delay_ms(d->emu) > 0)
			wait_ms_locked(u, emu_leave_delay_ms(d->emu));
	}
	unplug_locked(d);
	if (d->replug_wanted) {
		int delay = d->replug_delay_ms >= 0 ? d->replug_delay_ms :
			d->model.reboot_delay_ms ?
			d->model.reboot_delay_ms(d->model.ctx) : 0;
		wait_ms_locked(u, delay);
		if (!u->stopping) {
			if (!d->bus_reset && d->model.reset_link)
				d->model.reset_link(d->model.ctx);
			plug_locked(d, NULL);
		}
	}
	d->bus_reset = 0;
	d->replug_delay_ms = -1;
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

static void start_lifecycle_locked(struct usb_emu_dev *d)
{
	if (d->lifecycle_started) {
		pthread_mutex_unlock(&d->u->mu);
		pthread_join(d->lifecycle, NULL);
		pthread_mutex_lock(&d->u->mu);
		d->lifecycle_started = 0;
	}
	if (pthread_create(&d->lifecycle, NULL, lifecycle_main, d) == 0)
		d->lifecycle_started = 1;
	else
		unplug_locked(d);
}

void usb_emu_link_lost_locked(struct usb_emu_dev *d, enum emu_link l)
{
	uint8_t *tmp = malloc(65536);
	size_t n;

	if (!tmp)
		abort();
	d->leaving = 1;
	d->outbox_done = 0;
	while ((n = d->model.reply(d->model.ctx, tmp, 65536)) > 0)
		g_queue_push_tail(&d->outbox, g_bytes_new(tmp, n));
	free(tmp);
	d->replug_wanted = l == EMU_DROPPED;
	start_lifecycle_locked(d);
	if (g_queue_is_empty(&d->outbox))
		usb_emu_outbox_drained_locked(d); /* nothing left to say */
}

void usb_emu_outbox_drained_locked(struct usb_emu_dev *d)
{
	d->outbox_done = 1;
	/* at once unless the phone lingers: tests see it gone as soon as
	 * the host read its last reply */
	if (!d->emu || emu_leave_delay_ms(d->emu) <= 0)
		unplug_locked(d);
	pthread_cond_broadcast(&d->u->cv);
}

/* ---- public API ---------------------------------------------------------- */

struct usb_emu *usb_emu_start_empty(char *err)
{
	const char *pre = getenv("LD_PRELOAD");
	if (!pre || !strstr(pre, "umockdev-preload")) {
		errset(err, "not running under umockdev-wrapper");
		return NULL;
	}
	struct usb_emu *u = calloc(1, sizeof(*u));
	if (!u) {
		errset(err, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	u->usbfs.limit = USB_EMU_USBFS_DEFAULT;
	u->tb = umockdev_testbed_new();
	u->root = umockdev_testbed_get_root_dir(u->tb);
	if (ensure_bus(u, 1, err) < 0) {
		usb_emu_stop(u);
		return NULL;
	}
	return u;
}

static void dev_free(struct usb_emu_dev *d)
{
	if (d->handler)
		g_object_unref(d->handler);
	if (d->emu)
		emu_free(d->emu);
	g_ptr_array_free(d->clients, TRUE);
	g_free(d->record);
	g_free(d->if_record);
	free(d);
}

/* Identity, model and records of a new device (not plugged yet). */
static int dev_setup(struct usb_emu *u, struct usb_emu_dev *d,
		     const struct usb_emu_devcfg *cfg, char *err)
{
	d->bus = cfg->bus > 0 ? cfg->bus : 1;
	if (d->bus > USB_EMU_MAX_BUS) {
		errset(err, "usb_emu: no bus %d", d->bus);
		return -1;
	}
	if (ensure_bus(u, d->bus, err) < 0)
		return -1;
	d->port = u->next_port[d->bus]++;
	d->proto = cfg->proto ? cfg->proto : 0x03;
	d->iclass = cfg->iclass ? cfg->iclass : 0xff;
	d->isubclass = cfg->iclass ? cfg->isubclass : 0x42;
	d->iprotocol = cfg->iclass ? cfg->iprotocol : (uint8_t)d->proto;
	d->vid = cfg->vid ? cfg->vid : 0x18d1;
	d->pid = cfg->pid ? cfg->pid : d->proto == 0x03 ? 0xd00d : 0x4ee7;
	snprintf(d->serial, sizeof(d->serial), "%s", cfg->serial ? cfg->serial :
		 cfg->emu && cfg->emu->serial ? cfg->emu->serial : "EMU0001");
	snprintf(d->product, sizeof(d->product), "%s",
		 cfg->product ? cfg->product : "Android");
	snprintf(d->speed, sizeof(d->speed), "%s", cfg->speed ? cfg->speed : "480");
	snprintf(d->syspath, sizeof(d->syspath), "/sys/devices/usb%d/%d-%d",
		 d->bus, d->bus, d->port);
	snprintf(d->ifpath, sizeof(d->ifpath), "%s/%d-%d:1.0", d->syspath,
		 d->bus, d->port);
	snprintf(d->location, sizeof(d->location), "usb:%d-%d", d->bus, d->port);
	d->if_record = make_if_record(d);
	d->replug_delay_ms = -1;

	if (cfg->model) {
		d->model = *cfg->model;
		d->has_model = 1;
	} else if (cfg->emu) {
		d->emu = emu_new(cfg->emu, err);
		if (!d->emu)
			return -1;
		d->model = (struct usb_emu_model){ fb_receive, fb_reply,
			fb_reset_link, fb_reboot_delay, fb_busy, d->emu };
		d->has_model = 1;
	} else if (d->iclass == 0xff) {
		errset(err, "usb_emu_add: no emulator options and no model");
		return -1;
	}
	d->handler = umockdev_ioctl_base_new();
	g_signal_connect(d->handler, "handle-ioctl",
			 G_CALLBACK(usb_emu_on_ioctl), d);
	g_signal_connect(d->handler, "client-vanished",
			 G_CALLBACK(usb_emu_on_vanished), d);
	return 0;
}

int usb_emu_add(struct usb_emu *u, const struct usb_emu_devcfg *cfg, char *err)
{
	struct usb_emu_dev *d;
	int ret;

	if (u->ndev >= USB_EMU_MAX_DEVS) {
		errset(err, "too many emulated devices");
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		errset(err, "out of memory");
		return -1;
	}
	d->u = u;
	d->idx = u->ndev;
	d->clients = g_ptr_array_new();
	g_queue_init(&d->outbox);
	pthread_mutex_lock(&u->mu);
	ret = dev_setup(u, d, cfg, err);
	if (ret == 0)
		ret = plug_locked(d, err);
	if (ret == 0) {
		u->dev[u->ndev++] = d;
		ret = d->idx;
	}
	pthread_mutex_unlock(&u->mu);
	if (ret < 0)
		dev_free(d);
	return ret;
}

struct usb_emu *usb_emu_start(const struct emu_opts *o, char *err)
{
	struct usb_emu *u = usb_emu_start_empty(err);
	if (!u)
		return NULL;
	struct usb_emu_devcfg cfg = { .proto = 0x03, .emu = o };
	if (usb_emu_add(u, &cfg, err) < 0) {
		usb_emu_stop(u);
		return NULL;
	}
	return u;
}

static struct usb_emu_dev *dev_at(struct usb_emu *u, int idx)
{
	return idx >= 0 && idx < u->ndev ? u->dev[idx] : NULL;
}

struct emu *usb_emu_core(struct usb_emu *u, int idx)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	return d ? d->emu : NULL;
}

const char *usb_emu_location(struct usb_emu *u, int idx)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	return d ? d->location : "";
}

const char *usb_emu_devnode(struct usb_emu *u, int idx)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	return d ? d->devnode : "";
}

const char *usb_emu_root(struct usb_emu *u)
{
	return u->root;
}

void usb_emu_get_stats(struct usb_emu *u, int idx, struct usb_emu_stats *st)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	memset(st, 0, sizeof(*st));
	if (!d)
		return;
	pthread_mutex_lock(&u->mu);
	*st = d->st;
	st->online = d->online;
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_set_usbfs_limit(struct usb_emu *u, long long bytes)
{
	pthread_mutex_lock(&u->mu);
	u->usbfs.limit = bytes;
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_get_usbfs(struct usb_emu *u, struct usb_emu_usbfs *st)
{
	pthread_mutex_lock(&u->mu);
	*st = u->usbfs;
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_hold_out(struct usb_emu *u, int idx, int hold)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	if (!d)
		return;
	pthread_mutex_lock(&u->mu);
	d->hold_out = hold;
	if (!hold)
		usb_emu_release_held_locked(d);
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_host_died(struct usb_emu *u, int idx)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	if (!d)
		return;
	pthread_mutex_lock(&u->mu);
	for (guint i = 0; i < d->clients->len; i++) {
		struct client_state *cs = g_ptr_array_index(d->clients, i);
		if (cs == d->owner)
			usb_emu_client_gone_locked(d, cs);
	}
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_unplug(struct usb_emu *u, int idx)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	if (!d)
		return;
	pthread_mutex_lock(&u->mu);
	unplug_locked(d);
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_replug(struct usb_emu *u, int idx, int delay_ms)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	if (!d)
		return;
	pthread_mutex_lock(&u->mu);
	/* gone at once; back after the delay (the lifecycle thread) */
	unplug_locked(d);
	if (d->emu)
		emu_bus_reset(d->emu);
	d->replug_wanted = 1;
	d->replug_delay_ms = delay_ms;
	d->bus_reset = 1;
	start_lifecycle_locked(d);
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_set_node_mode(struct usb_emu *u, int idx, unsigned mode)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	if (!d)
		return;
	pthread_mutex_lock(&u->mu);
	d->node_mode = mode;
	if (d->online)
		apply_node_mode(d);
	pthread_mutex_unlock(&u->mu);
}

int usb_emu_wait_online(struct usb_emu *u, int idx, int timeout_ms)
{
	struct usb_emu_dev *d = dev_at(u, idx);
	if (!d)
		return -1;
	for (int waited = 0;; waited += 10) {
		pthread_mutex_lock(&u->mu);
		int on = d->online;
		pthread_mutex_unlock(&u->mu);
		if (on)
			return 0;
		if (waited >= timeout_ms)
			return -1;
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	}
}

void usb_emu_stop(struct usb_emu *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->stopping = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (int i = 0; i < u->ndev; i++)
		if (u->dev[i]->lifecycle_started)
			pthread_join(u->dev[i]->lifecycle, NULL);
	for (int i = 0; i < u->ndev; i++)
		for (int k = 0; k < u->dev[i]->nattached; k++)
			umockdev_testbed_detach_ioctl(u->tb, u->dev[i]->attached[k],
						      NULL);
	/* a request the worker thread was still answering holds the lock:
	 * let it finish before the devices (and the test's models) go */
	pthread_mutex_lock(&u->mu);
	pthread_mutex_unlock(&u->mu);
	/* the worker thread no longer calls us: free freely */
	for (int i = 0; i < u->ndev; i++) {
		struct usb_emu_dev *d = u->dev[i];
		for (guint k = 0; k < d->clients->len; k++) {
			struct client_state *cs = g_ptr_array_index(d->clients, k);
			GQueue *qs[] = { &cs->done, &cs->pending, &cs->held };
			struct urbrec *r;
			for (size_t q = 0; q < 3; q++)
				while ((r = g_queue_pop_head(qs[q])))
					usb_emu_rec_free(u, r);
			free(cs);
		}
		GBytes *b;
		while ((b = g_queue_pop_head(&d->outbox)))
			g_bytes_unref(b);
		dev_free(d);
	}
	if (u->tb)
		g_object_unref(u->tb);
	g_free(u->root);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}

int usb_emu_suite_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The check_usb* suites run under umockdev-wrapper, whose preload library
 * comes before the ASan runtime under `make asan`: that order is fine
 * here, so ASan is told not to refuse it (children of the e2e suites get
 * ASAN_OPTIONS).  Weak: a suite may say so itself. */
const char *__asan_default_options(void);
__attribute__((used, weak)) const char *__asan_default_options(void)
{
	return "verify_asan_link_order=0";
}
