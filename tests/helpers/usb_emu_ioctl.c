/* The usbfs requests of the umockdev harness (see usb_emu.h).
 *
 * umockdev forwards every ioctl a client makes on a device node to our
 * "handle-ioctl" handler on its worker thread.  We answer the handful of
 * usbfs requests libusb's Linux backend uses.  URB state lives per client
 * connection (an open fd): after an unplug, old connections only see ENODEV
 * even if the device has been plugged back, like a real re-enumeration. */
#include "usb_emu_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>

#define REPLY_MAX 65536
/* what the kernel charges an URB beyond its buffer (struct async, struct
 * urb), rounded up */
#define URB_OVERHEAD 512

/* ---- URB bookkeeping (u->mu held) -------------------------------------- */

void usb_emu_rec_free(struct usb_emu *u, struct urbrec *r)
{
	u->usbfs.used -= r->cost;
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
	d->st.opens++;
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

/* Give replies the model has queued to IN URBs waiting for one. */
static void serve_pending(struct usb_emu_dev *d)
{
	if (!d->has_model)
		return;
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
	/* the last word said (e.g. OKAY to reboot-bootloader): off the bus */
	if (d->leaving && !d->outbox_done && g_queue_is_empty(&d->outbox))
		usb_emu_outbox_drained_locked(d);
}

void usb_emu_fail_urbs_locked(struct usb_emu_dev *d)
{
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
			idx == 3 && d->serial[0] ? d->serial : NULL;
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

/* ---- bulk transfers ----------------------------------------------------- */

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
	if (n > d->st.max_urb_out)
		d->st.max_urb_out = n;
	if (zlp)
		d->st.zlp_urbs++;
	enum emu_link l = d->model.receive(d->model.ctx, bd ? bd->data : NULL,
					   n, zlp);
	r->actual = (int)n;
	if (l != EMU_ONLINE) {
		usb_emu_link_lost_locked(d, l);
		/* a device with something left to say (OKAY to a reboot
		 * command) took this transfer whole; one that just died
		 * (cable pulled in the middle of a download) fails it */
		if (g_queue_is_empty(&d->outbox)) {
			r->status = -ESHUTDOWN;
			r->actual = 0;
		}
	}
	g_queue_push_tail(&cs->done, r);
	serve_pending(d);
}

int usb_emu_busy(struct usb_emu_dev *d)
{
	return d->model.busy_s && d->model.busy_s(d->model.ctx) > 0;
}

void usb_emu_release_held_locked(struct usb_emu_dev *d)
{
	for (guint i = 0; i < d->clients->len; i++) {
		struct client_state *cs = g_ptr_array_index(d->clients, i);
		struct urbrec *r;
		while (client_alive(d, cs) && !d->hold_out && !d->leaving &&
		       !usb_emu_busy(d) && (r = g_queue_pop_head(&cs->held)))
			take_out(d, cs, r);
	}
}

static void submit(struct usb_emu_dev *d, struct client_state *cs,
		   UMockdevIoctlData *arg, long *res, int *eno)
{
	struct usb_emu *u = d->u;
	UMockdevIoctlData *ud = umockdev_ioctl_data_resolve(arg, 0,
		sizeof(struct usbdevfs_urb), NULL);
	if (!ud) {
		*res = -1; *eno = EFAULT;
		return;
	}
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)ud->data;
	long long cost = (urb->buffer_length > 0 ? urb->buffer_length : 0) +
		URB_OVERHEAD;
	if (u->usbfs.limit > 0 && u->usbfs.used + cost > u->usbfs.limit) {
		/* Linux: usbfs_increase_memory_usage() past usbfs_memory_mb */
		u->usbfs.enomem++;
		g_object_unref(ud);
		*res = -1; *eno = ENOMEM;
		return;
	}
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
	r->cost = cost;
	u->usbfs.used += cost;
	if (u->usbfs.used > u->usbfs.peak)
		u->usbfs.peak = u->usbfs.used;

	if (urb->type == USBDEVFS_URB_TYPE_CONTROL) {
		r->status = control(d, bd ? bd->data : NULL,
				    bd ? (size_t)bd->data_len : 0, &r->actual);
		g_queue_push_tail(&cs->done, r);
	} else if (urb->type != USBDEVFS_URB_TYPE_BULK || !d->has_model ||
		   (urb->endpoint & 0x7f) != 1) {
		usb_emu_rec_free(u, r);
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
		int busy = usb_emu_busy(d);
		if (busy)
			d->st.busy_held++;
		/* NAKed: held back by the test, a phone writing its eMMC or
		 * resetting, or queued behind earlier held ones */
		if (d->hold_out || d->leaving || busy ||
		    !g_queue_is_empty(&cs->held))
			g_queue_push_tail(&cs->held, r);
		else
			take_out(d, cs, r);
	}
	*res = 0; *eno = 0;
}

static void reap(struct usb_emu_dev *d, struct client_state *cs,
		 UMockdevIoctlData *arg, long *res, int *eno)
{
	/* a phone done writing takes data again and answers */
	if (client_alive(d, cs)) {
		usb_emu_release_held_locked(d);
		serve_pending(d);
	}
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
		usb_emu_rec_free(d->u, r);
		*res = -1; *eno = EFAULT;
		return;
	}
	umockdev_ioctl_data_set_ptr(p, 0, r->urb);
	g_object_unref(p);
	usb_emu_rec_free(d->u, r);
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

/* ---- the ioctl handler ------------------------------------------------- */

static void getdriver(struct usb_emu_dev *d, struct client_state *cs,
		      UMockdevIoctlData *arg, long *res, int *eno)
{
	if (!d->owner || d->owner == cs) {
		/* no kernel driver bound to the interface */
		*res = -1; *eno = ENODATA;
		return;
	}
	/* claimed through another fd, as adb's server would */
	UMockdevIoctlData *gd = umockdev_ioctl_data_resolve(arg, 0,
		sizeof(struct usbdevfs_getdriver), NULL);
	if (!gd) {
		*res = -1; *eno = EFAULT;
		return;
	}
	struct usbdevfs_getdriver *g = (void *)gd->data;
	snprintf(g->driver, sizeof(g->driver), "usbfs");
	g_object_unref(gd);
}

static void capabilities(UMockdevIoctlData *arg, long *res, int *eno)
{
	UMockdevIoctlData *cap = umockdev_ioctl_data_resolve(arg, 0,
		sizeof(uint32_t), NULL);
	if (!cap) {
		*res = -1; *eno = EFAULT;
		return;
	}
	*(uint32_t *)cap->data = USBDEVFS_CAP_BULK_SCATTER_GATHER |
		USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
		USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
		USBDEVFS_CAP_ZERO_PACKET;
	g_object_unref(cap);
}

gboolean usb_emu_on_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c,
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

	if (!alive && req != USBDEVFS_REAPURB && req != USBDEVFS_REAPURBNDELAY &&
	    req != USBDEVFS_DISCARDURB) {
		res = -1; eno = ENODEV;
		goto out;
	}
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES:
		capabilities(arg, &res, &eno);
		break;
	case USBDEVFS_GETDRIVER:
		getdriver(d, cs, arg, &res, &eno);
		break;
	case USBDEVFS_IOCTL:
		res = -1; eno = ENODATA;
		break;
	case USBDEVFS_CLAIMINTERFACE:
		if (d->owner && d->owner != cs) { res = -1; eno = EBUSY; break; }
		d->owner = cs;
		usb_emu_set_claimed_locked(d, 1);
		break;
	case USBDEVFS_RELEASEINTERFACE:
		if (d->owner != cs) { res = -1; eno = EINVAL; break; }
		d->owner = NULL;
		usb_emu_set_claimed_locked(d, 0);
		break;
	case USBDEVFS_CLEAR_HALT:
		d->st.clear_halts++;
		break;
	case USBDEVFS_SETINTERFACE:
		d->st.set_interfaces++;
		break;
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_RESETEP:
	case USBDEVFS_RESET:
		break;
	case USBDEVFS_SUBMITURB:
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
		res = -1; eno = ENOTTY;
		break;
	}
out:
	pthread_mutex_unlock(&u->mu);
	umockdev_ioctl_client_complete(c, res, eno);
	return TRUE;
}

/* The kernel releases an fd's claims and frees its URBs when it is closed
 * (a killed host included): what the device still had to say stays queued
 * in the device, for whoever reads next. */
void usb_emu_client_gone_locked(struct usb_emu_dev *d, struct client_state *cs)
{
	GQueue *qs[] = { &cs->done, &cs->pending, &cs->held };
	struct urbrec *r;

	if (cs->gone)
		return;
	cs->gone = 1;
	for (size_t k = 0; k < 3; k++)
		while ((r = g_queue_pop_head(qs[k])))
			usb_emu_rec_free(d->u, r);
	cs->out_unreaped = 0;
	if (d->owner == cs) {
		d->owner = NULL;
		if (d->online)
			usb_emu_set_claimed_locked(d, 0);
	}
}

void usb_emu_on_vanished(UMockdevIoctlBase *h, UMockdevIoctlClient *c,
			 gpointer data)
{
	struct usb_emu_dev *d = data;
	(void)h;
	pthread_mutex_lock(&d->u->mu);
	struct client_state *cs = g_object_get_data(G_OBJECT(c), "usb-emu");
	if (cs)
		usb_emu_client_gone_locked(d, cs);
	pthread_mutex_unlock(&d->u->mu);
}
