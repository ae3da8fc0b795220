/* umockdev harness: emulated phones as usbfs devices (see usb_emu.h).
 *
 * umockdev forwards every ioctl the client makes on /dev/bus/usb/001/NNN to
 * our "handle-ioctl" handler on its worker thread.  We answer the handful of
 * usbfs requests libusb's Linux backend uses.  URB state lives per client
 * connection (an open fd): after an unplug, old connections only see ENODEV
 * even if the device has been plugged back, like a real re-enumeration. */
#include "usb_emu.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <umockdev.h>

#define MAX_DEVS 8
#define ERRLEN 256
#define REPLY_MAX 65536
#define USB_EMU_PACKET 512
#define LEAVE_GRACE_MS 500

struct urbrec {
	UMockdevIoctlData *urb; /* local copy of struct usbdevfs_urb */
	UMockdevIoctlData *buf; /* local copy of its buffer, or NULL */
	unsigned long addr;     /* the URB's address in the client */
	int status, actual, out;
};

struct client_state {
	unsigned gen;         /* device generation it was opened in */
	GQueue done;          /* completed URBs waiting to be reaped */
	GQueue pending;       /* IN URBs waiting for a reply */
	GQueue held;          /* OUT URBs the device does not take yet */
	unsigned out_unreaped;
};

struct usb_emu_dev {
	struct usb_emu *u;
	int idx, devnum;
	int proto;
	uint16_t vid, pid;
	char serial[64], product[64];
	char devnode[64], syspath[96], location[32];
	char *record;             /* umockdev description, for (re)plugging */
	struct emu *emu;          /* owned, fastboot devices */
	struct usb_emu_model model;
	UMockdevIoctlBase *handler;
	unsigned gen;
	int online;               /* link up and device present */
	GPtrArray *clients;       /* struct client_state *, freed at stop */
	struct client_state *owner; /* client that claimed the interface */
	struct usb_emu_stats st;
	int hold_out;             /* leave OUT URBs pending (device NAKs) */
	int leaving;              /* link lost, still handing out replies */
	GQueue outbox;            /* replies queued when the link was lost */
	int replug_wanted;
	pthread_t lifecycle;
	int lifecycle_started, lifecycle_running;
};

struct usb_emu {
	UMockdevTestbed *tb;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	struct usb_emu_dev *dev[MAX_DEVS];
	int ndev;
};

static void errset(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void errset(char *err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, ERRLEN, fmt, ap);
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

/* ---- descriptors -------------------------------------------------------- */

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
		0x00, 0x01, 1, 2, 3, 1,
		/* configuration 1, one interface, 500 mA */
		9, 2, 32, 0, 1, 1, 0, 0x80, 250,
		/* interface 0: ff/42/proto, two endpoints */
		9, 4, 0, 0, 2, 0xff, 0x42, (uint8_t)d->proto, 0,
		/* bulk IN 0x81 and OUT 0x01, 512-byte packets */
		7, 5, 0x81, 2, 0x00, 0x02, 0,
		7, 5, 0x01, 2, 0x00, 0x02, 0,
	};
	char hex[2 * sizeof(desc) + 1];
	put_hex(hex, desc, sizeof(desc));
	return g_strdup_printf(
		"P: %s\n"
		"N: bus/usb/001/%03d\n"
		"E: SUBSYSTEM=usb\n"
		"E: DEVTYPE=usb_device\n"
		"E: DRIVER=usb\n"
		"E: BUSNUM=001\n"
		"E: DEVNUM=%03d\n"
		"E: DEVNAME=/dev/bus/usb/001/%03d\n"
		"E: PRODUCT=%x/%x/100\n"
		"A: busnum=1\\n\n"
		"A: devnum=%d\\n\n"
		"A: speed=480\\n\n"
		"A: bConfigurationValue=1\\n\n"
		"A: idVendor=%04x\\n\n"
		"A: idProduct=%04x\\n\n"
		"H: descriptors=%s\n",
		d->syspath + 4, d->devnum, d->devnum, d->devnum, d->vid,
		d->pid, d->devnum, d->vid, d->pid, hex);
}

static const char root_hub_record[] =
	"P: /devices/usb1\n"
	"N: bus/usb/001/001\n"
	"E: SUBSYSTEM=usb\n"
	"E: DEVTYPE=usb_device\n"
	"E: DRIVER=usb\n"
	"E: BUSNUM=001\n"
	"E: DEVNUM=001\n"
	"E: DEVNAME=/dev/bus/usb/001/001\n"
	"A: busnum=1\\n\n"
	"A: devnum=1\\n\n"
	"A: speed=480\\n\n"
	"A: bConfigurationValue=1\\n\n"
	"H: descriptors=12010002090001406B1D020006060302010109021900010100E0000904000001090000000705810304000C\n";

/* ---- URB bookkeeping (u->mu held) -------------------------------------- */

static void rec_free(struct urbrec *r)
{
	if (r->buf)
		g_object_unref(r->buf);
	if (r->urb)
		g_object_unref(r->urb);
	free(r);
}

static struct client_state *client_of(struct usb_emu_dev *d,
				      UMockdevIoctlClient *c)
{
	struct client_state *cs = g_object_get_data(G_OBJECT(c), "usb-emu");
	if (cs)
		return cs;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		abort();
	cs->gen = d->gen;
	g_queue_init(&cs->done);
	g_queue_init(&cs->pending);
	g_queue_init(&cs->held);
	g_ptr_array_add(d->clients, cs);
	g_object_set_data(G_OBJECT(c), "usb-emu", cs);
	return cs;
}

static int client_alive(const struct usb_emu_dev *d,
			const struct client_state *cs)
{
	return d->online && cs->gen == d->gen;
}

/* Next reply for an IN URB: from the model, or, while the device is on its
 * way out, from what the model had queued when it left. */
static size_t next_reply(struct usb_emu_dev *d, void *buf, size_t cap)
{
	if (!d->leaving)
		return d->model.reply(d->model.ctx, buf, cap);
	GBytes *b = g_queue_pop_head(&d->outbox);
	if (!b)
		return 0;
	size_t n = g_bytes_get_size(b);
	if (n > cap)
		n = cap;
	memcpy(buf, g_bytes_get_data(b, NULL), n);
	g_bytes_unref(b);
	return n;
}

static void unplug_locked(struct usb_emu_dev *d);
/* Give replies the model has queued to IN URBs waiting for one. */
static void serve_pending(struct usb_emu_dev *d)
{
	for (guint i = 0; i < d->clients->len; i++) {
		struct client_state *cs = g_ptr_array_index(d->clients, i);
		if (!client_alive(d, cs))
			continue;
		struct urbrec *r;
		while ((r = g_queue_peek_head(&cs->pending))) {
			size_t cap = r->buf ? (size_t)r->buf->data_len : 0;
			size_t n = cap ? next_reply(d, r->buf->data, cap) : 0;
			if (n == 0)
				break;
			r->actual = (int)n;
			r->status = 0;
			g_queue_pop_head(&cs->pending);
			g_queue_push_tail(&cs->done, r);
		}
	}
	/* the last word said (e.g. OKAY to reboot-bootloader): now go */
	if (d->leaving && g_queue_is_empty(&d->outbox))
		unplug_locked(d);
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
	while ((b = g_queue_pop_head(&d->outbox)))
		g_bytes_unref(b);
	for (guint i = 0; i < d->clients->len; i++) {
		struct client_state *cs = g_ptr_array_index(d->clients, i);
		if (cs->gen != d->gen)
			continue;
		struct urbrec *r;
		while ((r = g_queue_pop_head(&cs->pending)) ||
		       (r = g_queue_pop_head(&cs->held))) {
			r->status = -ESHUTDOWN;
			r->actual = 0;
			g_queue_push_tail(&cs->done, r);
		}
	}
	d->gen++;
	d->owner = NULL;
	d->st.drops++;
	pthread_cond_broadcast(&d->u->cv);
	umockdev_testbed_uevent(d->u->tb, d->syspath, "remove");
	umockdev_testbed_remove_device(d->u->tb, d->syspath);
}

static int plug_locked(struct usb_emu_dev *d, char *err)
{
	GError *ge = NULL;
	if (!umockdev_testbed_add_from_string(d->u->tb, d->record, &ge)) {
		errset(err, "umockdev: cannot add device: %s",
		       ge ? ge->message : "?");
		g_clear_error(&ge);
		return -1;
	}
	d->online = 1;
	umockdev_testbed_uevent(d->u->tb, d->syspath, "add");
	return 0;
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

/* After the model dropped the link: let the host read what was queued
 * (bounded), unplug, and for a reboot plug back after the model's delay. */
static void *lifecycle_main(void *arg)
{
	struct usb_emu_dev *d = arg;
	struct usb_emu *u = d->u;
	struct timespec until;

	pthread_mutex_lock(&u->mu);
	deadline_in(&until, LEAVE_GRACE_MS);
	while (!u->stopping && d->leaving &&
	       pthread_cond_timedwait(&u->cv, &u->mu, &until) != ETIMEDOUT)
		;
	unplug_locked(d);
	if (d->replug_wanted) {
		int delay = d->model.reboot_delay_ms ?
			d->model.reboot_delay_ms(d->model.ctx) : 0;
		deadline_in(&until, delay);
		while (!u->stopping &&
		       pthread_cond_timedwait(&u->cv, &u->mu, &until) != ETIMEDOUT)
			;
		if (!u->stopping) {
			if (d->model.reset_link)
				d->model.reset_link(d->model.ctx);
			plug_locked(d, NULL);
		}
	}
	d->lifecycle_running = 0;
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

/* The model reported the link down while handling OUT transfer `r`. */
static void link_lost_locked(struct usb_emu_dev *d, enum emu_link l,
			     struct client_state *cs, struct urbrec *r)
{
	uint8_t *tmp = malloc(REPLY_MAX);
	size_t n;

	if (!tmp)
		abort();
	d->leaving = 1;
	while ((n = d->model.reply(d->model.ctx, tmp, REPLY_MAX)) > 0)
		g_queue_push_tail(&d->outbox, g_bytes_new(tmp, n));
	free(tmp);
	/* a device with something left to say (OKAY to a reboot command)
	 * took this transfer whole; one that just died (cable pulled in
	 * the middle of a download) fails it */
	if (g_queue_is_empty(&d->outbox)) {
		r->status = -ESHUTDOWN;
		r->actual = 0;
	}
	g_queue_push_tail(&cs->done, r);
	d->replug_wanted = l == EMU_DROPPED;
	if (d->lifecycle_started) {
		pthread_mutex_unlock(&d->u->mu);
		pthread_join(d->lifecycle, NULL);
		pthread_mutex_lock(&d->u->mu);
		d->lifecycle_started = 0;
	}
	if (pthread_create(&d->lifecycle, NULL, lifecycle_main, d) == 0) {
		d->lifecycle_started = 1;
		d->lifecycle_running = 1;
	} else {
		unplug_locked(d);
	}
	serve_pending(d);
}

/* ---- control transfers on ep0 ------------------------------------------ */

/* Fill `out` with string descriptor `idx`; returns its length. */
static size_t string_desc(const struct usb_emu_dev *d, int idx, uint8_t *out,
			  size_t cap)
{
	const char *s;
	uint8_t tmp[255];
	size_t n;

	if (idx == 0) {
		tmp[0] = 4; tmp[1] = 3; tmp[2] = 0x09; tmp[3] = 0x04;
		n = 4;
	} else {
		s = idx == 1 ? "Xiaomi" : idx == 2 ? d->product :
			idx == 3 ? d->serial : NULL;
		if (!s)
			return 0;
		n = 2;
		for (; *s && n + 2 <= sizeof(tmp); s++) {
			tmp[n++] = (uint8_t)*s;
			tmp[n++] = 0;
		}
		tmp[0] = (uint8_t)n;
		tmp[1] = 3;
	}
	if (n > cap)
		n = cap;
	memcpy(out, tmp, n);
	return n;
}

/* Returns the URB status; sets *actual (data bytes after the setup). */
static int control(struct usb_emu_dev *d, uint8_t *buf, size_t len, int *actual)
{
	*actual = 0;
	if (!buf || len < 8)
		return -EINVAL;
	uint8_t type = buf[0], req = buf[1];
	unsigned value = buf[2] | buf[3] << 8;
	unsigned wlen = buf[6] | buf[7] << 8;
	size_t cap = len - 8 < wlen ? len - 8 : wlen;

	if (type == 0x80 && req == 6) { /* GET_DESCRIPTOR */
		size_t n = 0;
		if ((value >> 8) == 3)
			n = string_desc(d, value & 0xff, buf + 8, cap);
		if (n == 0)
			return -EPIPE;
		*actual = (int)n;
		return 0;
	}
	if (type == 0x80 && req == 8 && cap >= 1) { /* GET_CONFIGURATION */
		buf[8] = 1;
		*actual = 1;
		return 0;
	}
	if (type == 0x00 && req == 9) /* SET_CONFIGURATION */
		return 0;
	return -EPIPE;
}

/* ---- the ioctl handler ------------------------------------------------- */

/* The device takes OUT transfer `r` (counted in flight by the caller). */
static void take_out(struct usb_emu_dev *d, struct client_state *cs,
		     struct urbrec *r)
{
	UMockdevIoctlData *bd = r->buf;
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)r->urb->data;
	size_t n = bd ? (size_t)bd->data_len : 0;
	/* the host controller only adds the ZLP after a whole packet */
	int zlp = (urb->flags & USBDEVFS_URB_ZERO_PACKET) &&
		n % USB_EMU_PACKET == 0;

	d->st.bytes_out += n;
	d->st.urbs_out++;
	if (zlp)
		d->st.zlp_urbs++;
	enum emu_link l = d->model.receive(d->model.ctx, bd ? bd->data : NULL,
					   n, zlp);
	r->actual = (int)n;
	if (l != EMU_ONLINE) {
		link_lost_locked(d, l, cs, r);
	} else {
		g_queue_push_tail(&cs->done, r);
		serve_pending(d);
	}
}

static void submit(struct usb_emu_dev *d, struct client_state *cs,
		   UMockdevIoctlData *arg, long *res, int *eno)
{
	UMockdevIoctlData *ud = umockdev_ioctl_data_resolve(arg, 0,
		sizeof(struct usbdevfs_urb), NULL);
	if (!ud) {
		*res = -1; *eno = EFAULT;
		return;
	}
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)ud->data;
	UMockdevIoctlData *bd = NULL;
	if (urb->buffer_length > 0)
		bd = umockdev_ioctl_data_resolve(ud,
			offsetof(struct usbdevfs_urb, buffer),
			(size_t)urb->buffer_length, NULL);
	struct urbrec *r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->urb = ud;
	r->buf = bd;
	r->addr = ud->client_addr;

	if (urb->type == USBDEVFS_URB_TYPE_CONTROL) {
		r->status = control(d, bd ? bd->data : NULL,
				    bd ? (size_t)bd->data_len : 0, &r->actual);
		g_queue_push_tail(&cs->done, r);
	} else if (urb->type != USBDEVFS_URB_TYPE_BULK ||
		   (urb->endpoint & 0x7f) != 1) {
		rec_free(r);
		*res = -1; *eno = EINVAL;
		return;
	} else if (urb->endpoint & 0x80) {
		g_queue_push_tail(&cs->pending, r);
		serve_pending(d);
	} else {
		r->out = 1;
		cs->out_unreaped++;
		if (cs->out_unreaped > d->st.max_out_in_flight)
			d->st.max_out_in_flight = cs->out_unreaped;
		if (d->leaving) {
			r->status = -ESHUTDOWN;
			g_queue_push_tail(&cs->done, r);
		} else if (d->hold_out)
			g_queue_push_tail(&cs->held, r);
		else
			take_out(d, cs, r);
	}
	*res = 0; *eno = 0;
}

static void reap(struct usb_emu_dev *d, struct client_state *cs,
		 UMockdevIoctlData *arg, long *res, int *eno)
{
	/* replies produced outside a SUBMIT (none today) would show up here */
	if (client_alive(d, cs))
		serve_pending(d);
	struct urbrec *r = g_queue_pop_head(&cs->done);
	if (!r) {
		*res = -1;
		*eno = client_alive(d, cs) ? EAGAIN : ENODEV;
		return;
	}
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)r->urb->data;
	urb->status = r->status;
	urb->actual_length = r->actual;
	if (r->out && cs->out_unreaped)
		cs->out_unreaped--;
	UMockdevIoctlData *p = umockdev_ioctl_data_resolve(arg, 0,
							   sizeof(void *), NULL);
	if (!p) {
		rec_free(r);
		*res = -1; *eno = EFAULT;
		return;
	}
	umockdev_ioctl_data_set_ptr(p, 0, r->urb);
	g_object_unref(p);
	rec_free(r);
	*res = 0; *eno = 0;
}

static void discard(struct usb_emu_dev *d, struct client_state *cs,
		    UMockdevIoctlData *arg,
		    long *res, int *eno)
{
	unsigned long addr = *(unsigned long *)arg->data;
	GQueue *qs[] = { &cs->pending, &cs->held };
	for (size_t k = 0; k < 2; k++) {
		for (GList *l = qs[k]->head; l; l = l->next) {
			struct urbrec *r = l->data;
			if (r->addr != addr)
				continue;
			g_queue_delete_link(qs[k], l);
			r->status = -ENOENT;
			r->actual = 0;
			g_queue_push_tail(&cs->done, r);
			d->st.discarded++;
			*res = 0; *eno = 0;
			return;
		}
	}
	/* already completed: libusb then simply reaps it */
	*res = -1; *eno = EINVAL;
}

static gboolean on_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c,
			 gpointer data)
{
	struct usb_emu_dev *d = data;
	struct usb_emu *u = d->u;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(c);
	unsigned long req = umockdev_ioctl_client_get_request(c);
	long res = 0;
	int eno = 0;
	(void)h;

	pthread_mutex_lock(&u->mu);
	struct client_state *cs = client_of(d, c);
	int alive = client_alive(d, cs);

	switch (req) {
	case USBDEVFS_GET_CAPABILITIES: {
		if (!alive) { res = -1; eno = ENODEV; break; }
		UMockdevIoctlData *cap = umockdev_ioctl_data_resolve(arg, 0,
			sizeof(uint32_t), NULL);
		if (!cap) { res = -1; eno = EFAULT; break; }
		*(uint32_t *)cap->data = USBDEVFS_CAP_BULK_SCATTER_GATHER |
			USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
			USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
			USBDEVFS_CAP_ZERO_PACKET;
		g_object_unref(cap);
		break;
	}
	case USBDEVFS_GETDRIVER: {
		if (!alive) { res = -1; eno = ENODEV; break; }
		if (!d->owner || d->owner == cs) {
			/* no kernel driver bound to the interface */
			res = -1; eno = ENODATA;
			break;
		}
		/* claimed through another fd, as adb's server would */
		UMockdevIoctlData *gd = umockdev_ioctl_data_resolve(arg, 0,
			sizeof(struct usbdevfs_getdriver), NULL);
		if (!gd) { res = -1; eno = EFAULT; break; }
		struct usbdevfs_getdriver *g = (void *)gd->data;
		snprintf(g->driver, sizeof(g->driver), "usbfs");
		g_object_unref(gd);
		break;
	}
	case USBDEVFS_IOCTL:
		res = -1; eno = alive ? ENODATA : ENODEV;
		break;
	case USBDEVFS_CLAIMINTERFACE:
		if (!alive) { res = -1; eno = ENODEV; break; }
		if (d->owner && d->owner != cs) { res = -1; eno = EBUSY; break; }
		d->owner = cs;
		break;
	case USBDEVFS_RELEASEINTERFACE:
		if (!alive) { res = -1; eno = ENODEV; break; }
		if (d->owner != cs) { res = -1; eno = EINVAL; break; }
		d->owner = NULL;
		break;
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESETEP:
	case USBDEVFS_RESET:
		if (!alive) { res = -1; eno = ENODEV; }
		break;
	case USBDEVFS_SUBMITURB:
		if (!alive) { res = -1; eno = ENODEV; break; }
		submit(d, cs, arg, &res, &eno);
		break;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY:
		reap(d, cs, arg, &res, &eno);
		break;
	case USBDEVFS_DISCARDURB:
		discard(d, cs, arg, &res, &eno);
		break;
	default:
		res = -1; eno = alive ? ENOTTY : ENODEV;
		break;
	}
	pthread_mutex_unlock(&u->mu);
	umockdev_ioctl_client_complete(c, res, eno);
	return TRUE;
}

/* The kernel releases an fd's claims when it is closed. */
static void on_vanished(UMockdevIoctlBase *h, UMockdevIoctlClient *c,
			gpointer data)
{
	struct usb_emu_dev *d = data;
	(void)h;
	pthread_mutex_lock(&d->u->mu);
	struct client_state *cs = g_object_get_data(G_OBJECT(c), "usb-emu");
	if (cs && d->owner == cs)
		d->owner = NULL;
	pthread_mutex_unlock(&d->u->mu);
}

/* ---- public API ---------------------------------------------------------- */

struct usb_emu *usb_emu_start_empty(char *err)
{
	GError *ge = NULL;
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
	u->tb = umockdev_testbed_new();
	if (!umockdev_testbed_add_from_string(u->tb, root_hub_record, &ge)) {
		errset(err, "umockdev: cannot add root hub: %s",
		       ge ? ge->message : "?");
		g_clear_error(&ge);
		usb_emu_stop(u);
		return NULL;
	}
	return u;
}

int usb_emu_add(struct usb_emu *u, const struct usb_emu_devcfg *cfg, char *err)
{
	GError *ge = NULL;
	struct usb_emu_dev *d;
	int ret = -1;

	if (u->ndev >= MAX_DEVS) {
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
	d->devnum = u->ndev + 2;
	d->proto = cfg->proto ? cfg->proto : 0x03;
	d->vid = cfg->vid ? cfg->vid : 0x18d1;
	d->pid = cfg->pid ? cfg->pid : d->proto == 0x03 ? 0xd00d : 0x4ee7;
	snprintf(d->serial, sizeof(d->serial), "%s", cfg->serial ? cfg->serial :
		 cfg->emu && cfg->emu->serial ? cfg->emu->serial : "EMU0001");
	snprintf(d->product, sizeof(d->product), "%s",
		 cfg->product ? cfg->product : "Android");
	snprintf(d->devnode, sizeof(d->devnode), "/dev/bus/usb/001/%03d",
		 d->devnum);
	snprintf(d->syspath, sizeof(d->syspath), "/sys/devices/usb1/1-%d",
		 d->devnum - 1);
	snprintf(d->location, sizeof(d->location), "usb:1-%d", d->devnum - 1);
	d->clients = g_ptr_array_new();
	g_queue_init(&d->outbox);
	d->record = make_record(d);

	if (cfg->model) {
		d->model = *cfg->model;
	} else if (cfg->emu) {
		d->emu = emu_new(cfg->emu, err);
		if (!d->emu)
			goto out;
		d->model.receive = fb_receive;
		d->model.reply = fb_reply;
		d->model.reset_link = fb_reset_link;
		d->model.reboot_delay_ms = fb_reboot_delay;
		d->model.ctx = d->emu;
	} else {
		errset(err, "usb_emu_add: no emulator options and no model");
		goto out;
	}

	/* the handler must exist before the node does, or an early open()
	 * would reach a plain file */
	d->handler = umockdev_ioctl_base_new();
	g_signal_connect(d->handler, "handle-ioctl", G_CALLBACK(on_ioctl), d);
	g_signal_connect(d->handler, "client-vanished", G_CALLBACK(on_vanished),
			 d);
	if (!umockdev_testbed_attach_ioctl(u->tb, d->devnode, d->handler, &ge)) {
		errset(err, "umockdev: cannot attach ioctl handler: %s",
		       ge ? ge->message : "?");
		g_clear_error(&ge);
		goto out;
	}
	u->dev[u->ndev++] = d;
	pthread_mutex_lock(&u->mu);
	ret = plug_locked(d, err);
	pthread_mutex_unlock(&u->mu);
	if (ret == 0)
		ret = d->idx;
	return ret;
out:
	if (d->handler)
		g_object_unref(d->handler);
	if (d->emu)
		emu_free(d->emu);
	g_ptr_array_free(d->clients, TRUE);
	g_free(d->record);
	free(d);
	return -1;
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

struct emu *usb_emu_core(struct usb_emu *u, int idx)
{
	return idx >= 0 && idx < u->ndev ? u->dev[idx]->emu : NULL;
}

const char *usb_emu_location(struct usb_emu *u, int idx)
{
	return idx >= 0 && idx < u->ndev ? u->dev[idx]->location : "";
}

void usb_emu_get_stats(struct usb_emu *u, int idx, struct usb_emu_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (idx < 0 || idx >= u->ndev)
		return;
	pthread_mutex_lock(&u->mu);
	*st = u->dev[idx]->st;
	st->online = u->dev[idx]->online;
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_hold_out(struct usb_emu *u, int idx, int hold)
{
	if (idx < 0 || idx >= u->ndev)
		return;
	struct usb_emu_dev *d = u->dev[idx];
	pthread_mutex_lock(&u->mu);
	d->hold_out = hold;
	for (guint i = 0; !hold && i < d->clients->len; i++) {
		struct client_state *cs = g_ptr_array_index(d->clients, i);
		struct urbrec *r;
		while (client_alive(d, cs) && (r = g_queue_pop_head(&cs->held)))
			take_out(d, cs, r);
	}
	pthread_mutex_unlock(&u->mu);
}

void usb_emu_unplug(struct usb_emu *u, int idx)
{
	if (idx < 0 || idx >= u->ndev)
		return;
	pthread_mutex_lock(&u->mu);
	unplug_locked(u->dev[idx]);
	pthread_mutex_unlock(&u->mu);
}

int usb_emu_wait_online(struct usb_emu *u, int idx, int timeout_ms)
{
	if (idx < 0 || idx >= u->ndev)
		return -1;
	for (int waited = 0;; waited += 10) {
		pthread_mutex_lock(&u->mu);
		int on = u->dev[idx]->online;
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
	for (int i = 0; i < u->ndev; i++) {
		struct usb_emu_dev *d = u->dev[i];
		umockdev_testbed_detach_ioctl(u->tb, d->devnode, NULL);
	}
	/* the worker thread no longer calls us: free freely */
	for (int i = 0; i < u->ndev; i++) {
		struct usb_emu_dev *d = u->dev[i];
		for (guint k = 0; k < d->clients->len; k++) {
			struct client_state *cs = g_ptr_array_index(d->clients, k);
			struct urbrec *r;
			while ((r = g_queue_pop_head(&cs->done)))
				rec_free(r);
			while ((r = g_queue_pop_head(&cs->pending)))
				rec_free(r);
			while ((r = g_queue_pop_head(&cs->held)))
				rec_free(r);
			free(cs);
		}
		g_ptr_array_free(d->clients, TRUE);
		GBytes *b;
		while ((b = g_queue_pop_head(&d->outbox)))
			g_bytes_unref(b);
		g_object_unref(d->handler);
		if (d->emu)
			emu_free(d->emu);
		g_free(d->record);
		free(d);
	}
	if (u->tb)
		g_object_unref(u->tb);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->mu);
	free(u);
}
