/* USB transport over libusb-1.0 (see transport_usb.h and docs/usb.md).
 *
 * This is the only file of the project that includes libusb.h: every libusb
 * error is turned into an RF_E* code with a message here.
 *
 * Bulk OUT is pipelined: RF_USB_XFERS_IN_FLIGHT buffers of RF_USB_XFER_SIZE
 * bytes.  write() fills the current buffer and submits it when full, then
 * moves to a free one, and only waits when every buffer is on the bus, so
 * the bus never idles between two write() calls.  Everything runs on the
 * caller's thread: completions are handled inside our event-loop calls. */
#include "transport_usb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libusb.h>

#define USB_DEFAULT_TIMEOUT_MS 5000
/* Extra wait beyond a transfer's own timeout before we give up on libusb
 * reporting it, and the bound on reaping cancelled transfers. */
#define USB_SLACK_MS 2000
#define USB_CLASS_VENDOR 0xff
#define USB_SUBCLASS_ANDROID 0x42
#define UDEV_HINT "install udev/51-romflash.rules (romflash's udev rules) " \
	"into /etc/udev/rules.d, run 'udevadm control --reload', replug the phone"

struct usb_tr;

struct out_xfer {
	struct usb_tr *owner;
	struct libusb_transfer *lt;
	unsigned char *buf;
	size_t fill;
	int busy; /* submitted, callback not yet run */
};

struct usb_tr {
	struct rf_transport base; /* must stay first */
	libusb_context *ctx;
	libusb_device_handle *h;
	int iface;
	int claimed;
	unsigned char ep_in, ep_out;
	size_t mps_in, mps_out;
	int zlp;
	struct out_xfer x[RF_USB_XFERS_IN_FLIGHT];
	int cur;            /* slot being filled, -1 when none */
	unsigned in_flight; /* OUT transfers submitted, not completed */
	int out_err;        /* first OUT failure; sticky: the stream is broken */
	char out_msg[RF_ERRLEN];
	struct libusb_transfer *in_lt;
	unsigned char *in_buf;
	size_t in_cap;
	int in_busy, in_done;
	int leaked; /* transfers that never came back: do not free them */
	struct rf_usb_stats st;
};

struct cand {
	libusb_device *dev;
	struct rf_usb_devinfo info;
	int iface, alt;
	unsigned char ep_in, ep_out;
	size_t mps_in, mps_out;
	int open_err; /* libusb error when reading the strings, 0 if none */
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int map_err(int e)
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

static int map_status(enum libusb_transfer_status s)
{
	switch (s) {
	case LIBUSB_TRANSFER_COMPLETED: return RF_OK;
	case LIBUSB_TRANSFER_TIMED_OUT: return RF_ETIMEDOUT;
	case LIBUSB_TRANSFER_NO_DEVICE: return RF_EDISCONNECTED;
	case LIBUSB_TRANSFER_OVERFLOW: return RF_EPROTO;
	case LIBUSB_TRANSFER_CANCELLED: return RF_EINTR;
	default: return RF_EIO; /* ERROR, STALL */
	}
}

static const char *status_text(enum libusb_transfer_status s)
{
	switch (s) {
	case LIBUSB_TRANSFER_COMPLETED: return "completed";
	case LIBUSB_TRANSFER_TIMED_OUT: return "timed out";
	case LIBUSB_TRANSFER_NO_DEVICE: return "the phone disconnected";
	case LIBUSB_TRANSFER_OVERFLOW: return "the phone sent more than asked";
	case LIBUSB_TRANSFER_CANCELLED: return "cancelled";
	case LIBUSB_TRANSFER_STALL: return "endpoint stalled";
	default: return "USB transfer error";
	}
}

/* ---- event loop ------------------------------------------------------- */

/* One round of libusb event handling, returning by `deadline` at the
 * latest.  RF_ETIMEDOUT only when the deadline has already passed. */
static int pump(struct usb_tr *t, long long deadline)
{
	long long left = deadline - now_ms();
	struct timeval tv;
	int r;

	if (left <= 0)
		return RF_ETIMEDOUT;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	r = libusb_handle_events_timeout_completed(t->ctx, &tv, NULL);
	if (r < 0 && r != LIBUSB_ERROR_INTERRUPTED)
		return rf_errf(t->base.err, map_err(r),
			       "USB event handling failed: %s",
			       libusb_strerror(r));
	return RF_OK;
}

static void record_out_err(struct usb_tr *t, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void record_out_err(struct usb_tr *t, int code, const char *fmt, ...)
{
	va_list ap;
	if (t->out_err)
		return; /* keep the first cause: later ones are consequences */
	t->out_err = code;
	va_start(ap, fmt);
	vsnprintf(t->out_msg, sizeof(t->out_msg), fmt, ap);
	va_end(ap);
}

static void LIBUSB_CALL out_done(struct libusb_transfer *lt)
{
	struct out_xfer *x = lt->user_data;
	struct usb_tr *t = x->owner;

	x->busy = 0;
	x->fill = 0;
	t->in_flight--;
	if (lt->actual_length > 0)
		t->st.bytes_out += (unsigned long long)lt->actual_length;
	if (lt->status == LIBUSB_TRANSFER_CANCELLED)
		return; /* we cancelled it because of an error already kept */
	if (lt->status != LIBUSB_TRANSFER_COMPLETED)
		record_out_err(t, map_status(lt->status),
			       "USB write to %s failed: %s", t->base.location,
			       status_text(lt->status));
	else if (lt->actual_length != lt->length)
		record_out_err(t, RF_EIO,
			       "USB write to %s was short: %d of %d bytes",
			       t->base.location, lt->actual_length, lt->length);
}

static void LIBUSB_CALL in_done(struct libusb_transfer *lt)
{
	struct usb_tr *t = lt->user_data;
	t->in_busy = 0;
	t->in_done = 1;
}

/* Cancel every OUT transfer and wait (bounded) until libusb gave each one
 * back, so no buffer is freed or reused while the kernel may touch it.
 * Unsent data in the current buffer is dropped. */
static void cancel_out(struct usb_tr *t)
{
	long long deadline = now_ms() + USB_SLACK_MS;

	for (int i = 0; i < RF_USB_XFERS_IN_FLIGHT; i++)
		if (t->x[i].busy)
			libusb_cancel_transfer(t->x[i].lt);
	while (t->in_flight > 0) {
		if (pump(t, deadline) == RF_ETIMEDOUT)
			break;
	}
	if (t->in_flight > 0)
		t->leaked = 1;
	if (t->cur >= 0)
		t->x[t->cur].fill = 0;
	t->cur = -1;
}

/* Report the kept OUT error, after making sure nothing is in flight. */
static int fail_out(struct usb_tr *t)
{
	cancel_out(t);
	return rf_errf(t->base.err, t->out_err, "%s", t->out_msg);
}

static int submit_cur(struct usb_tr *t, int timeout_ms, int end_of_message)
{
	struct out_xfer *x = &t->x[t->cur];
	int r;

	libusb_fill_bulk_transfer(x->lt, t->h, t->ep_out, x->buf, (int)x->fill,
				  out_done, x, (unsigned)timeout_ms);
	/* only where a ZLP is due, so short messages do not depend on the
	 * kernel's USBDEVFS_CAP_ZERO_PACKET */
	x->lt->flags = t->zlp && end_of_message && x->fill % t->mps_out == 0 ?
		LIBUSB_TRANSFER_ADD_ZERO_PACKET : 0;
	r = libusb_submit_transfer(x->lt);
	if (r < 0) {
		record_out_err(t, map_err(r), "USB write to %s failed: %s",
			       t->base.location,
			       r == LIBUSB_ERROR_NO_DEVICE ?
			       "the phone disconnected" : libusb_strerror(r));
		return t->out_err;
	}
	x->busy = 1;
	t->in_flight++;
	if (t->in_flight > t->st.max_in_flight)
		t->st.max_in_flight = t->in_flight;
	t->cur = -1;
	return RF_OK;
}

/* Make t->cur a free slot, waiting for one when all are on the bus. */
static int take_slot(struct usb_tr *t, long long deadline)
{
	for (;;) {
		if (t->out_err)
			return t->out_err;
		for (int i = 0; i < RF_USB_XFERS_IN_FLIGHT; i++) {
			if (!t->x[i].busy) {
				t->cur = i;
				t->x[i].fill = 0;
				return RF_OK;
			}
		}
		int r = pump(t, deadline);
		if (r == RF_ETIMEDOUT)
			record_out_err(t, RF_ETIMEDOUT,
				       "USB write to %s: no transfer completed "
				       "in time", t->base.location);
		else if (r != RF_OK)
			record_out_err(t, r, "%s", t->base.err);
	}
}

/* ---- transport operations ----------------------------------------------- */

static int usb_write(struct rf_transport *base, const void *buf, size_t len,
		     int timeout_ms)
{
	struct usb_tr *t = (struct usb_tr *)base;
	const unsigned char *p = buf;
	long long deadline;

	if (t->out_err)
		return fail_out(t);
	if (timeout_ms <= 0)
		timeout_ms = USB_DEFAULT_TIMEOUT_MS;
	deadline = now_ms() + timeout_ms + USB_SLACK_MS;
	while (len > 0) {
		if (t->cur < 0 && take_slot(t, deadline) != RF_OK)
			return fail_out(t);
		struct out_xfer *x = &t->x[t->cur];
		size_t n = RF_USB_XFER_SIZE - x->fill;
		if (n > len)
			n = len;
		memcpy(x->buf + x->fill, p, n);
		x->fill += n;
		p += n;
		len -= n;
		if (x->fill == RF_USB_XFER_SIZE &&
		    submit_cur(t, timeout_ms, len == 0) != RF_OK)
			return fail_out(t);
	}
	/* adb: every write is one message that must end its own transfer
	 * (with a zero-length packet when it fills whole packets) */
	if (t->zlp && t->cur >= 0 && t->x[t->cur].fill > 0 &&
	    submit_cur(t, timeout_ms, 1) != RF_OK)
		return fail_out(t);
	return RF_OK;
}

/* Put the partly filled buffer on the bus. */
static int push_partial(struct usb_tr *t, int timeout_ms)
{
	if (t->cur >= 0 && t->x[t->cur].fill > 0)
		return submit_cur(t, timeout_ms, 1);
	return RF_OK;
}

static int usb_flush(struct rf_transport *base, int timeout_ms)
{
	struct usb_tr *t = (struct usb_tr *)base;
	long long deadline;

	if (t->out_err)
		return fail_out(t);
	if (timeout_ms <= 0)
		timeout_ms = USB_DEFAULT_TIMEOUT_MS;
	if (push_partial(t, timeout_ms) != RF_OK)
		return fail_out(t);
	deadline = now_ms() + timeout_ms + USB_SLACK_MS;
	while (t->in_flight > 0 && !t->out_err) {
		int r = pump(t, deadline);
		if (r == RF_ETIMEDOUT)
			record_out_err(t, RF_ETIMEDOUT,
				       "USB write to %s did not complete in "
				       "time", t->base.location);
		else if (r != RF_OK)
			record_out_err(t, r, "%s", t->base.err);
	}
	if (t->out_err)
		return fail_out(t);
	return RF_OK;
}

static int usb_read(struct rf_transport *base, void *buf, size_t cap,
		    size_t *got, int timeout_ms)
{
	struct usb_tr *t = (struct usb_tr *)base;
	long long deadline;
	size_t want;
	int r, ret;

	*got = 0;
	if (t->out_err)
		return fail_out(t);
	if (t->leaked || t->in_busy)
		return rf_errf(t->base.err, RF_EIO,
			       "USB transport to %s is unusable after a "
			       "transfer that never completed", t->base.location);
	if (cap == 0)
		return rf_errf(t->base.err, RF_EINVAL, "USB read of 0 bytes");
	if (timeout_ms <= 0)
		timeout_ms = USB_DEFAULT_TIMEOUT_MS;
	/* a request must reach the phone before we wait for its answer */
	if (push_partial(t, timeout_ms) != RF_OK)
		return fail_out(t);

	/* Whole packets, so a reply longer than `cap` is seen as such rather
	 * than as a babble error; our own buffer, so a transfer that outlives
	 * this call can never write into the caller's memory. */
	want = (cap + t->mps_in - 1) / t->mps_in * t->mps_in;
	if (want > t->in_cap) {
		unsigned char *nb = realloc(t->in_buf, want);
		if (!nb)
			return rf_errf(t->base.err, RF_ENOMEM,
				       "out of memory for a %zu-byte USB read",
				       want);
		t->in_buf = nb;
		t->in_cap = want;
	}
	libusb_fill_bulk_transfer(t->in_lt, t->h, t->ep_in, t->in_buf,
				  (int)want, in_done, t, (unsigned)timeout_ms);
	t->in_done = 0;
	r = libusb_submit_transfer(t->in_lt);
	if (r < 0)
		return rf_errf(t->base.err, map_err(r),
			       "USB read from %s failed: %s", t->base.location,
			       r == LIBUSB_ERROR_NO_DEVICE ?
			       "the phone disconnected" : libusb_strerror(r));
	t->in_busy = 1;

	deadline = now_ms() + timeout_ms + USB_SLACK_MS;
	while (!t->in_done) {
		char why[RF_ERRLEN];
		r = pump(t, deadline);
		if (r == RF_OK)
			continue;
		/* libusb should have ended the transfer itself: cancel it and
		 * wait until it is given back before leaving */
		snprintf(why, sizeof(why), "%s", r == RF_ETIMEDOUT ?
			 "no answer in time" : t->base.err);
		libusb_cancel_transfer(t->in_lt);
		deadline = now_ms() + USB_SLACK_MS;
		while (!t->in_done && pump(t, deadline) != RF_ETIMEDOUT)
			;
		if (!t->in_done)
			t->leaked = 1;
		return rf_errf(t->base.err, r, "USB read from %s: %s",
			       t->base.location, why);
	}

	/* A message that arrived as the time ran out is reported TIMED_OUT
	 * with its bytes (libusb keeps what a cancelled URB received): it is
	 * the answer, not a loss -- adb waits in short slices and must not
	 * drop a message that lands on a slice's end. */
	enum libusb_transfer_status status = t->in_lt->status;
	if (status == LIBUSB_TRANSFER_TIMED_OUT && t->in_lt->actual_length > 0)
		status = LIBUSB_TRANSFER_COMPLETED;
	switch (status) {
	case LIBUSB_TRANSFER_COMPLETED:
		if ((size_t)t->in_lt->actual_length > cap) {
			ret = rf_errf(t->base.err, RF_EPROTO,
				      "%s sent a %d-byte message, more than "
				      "the %zu expected", t->base.location,
				      t->in_lt->actual_length, cap);
			break;
		}
		memcpy(buf, t->in_buf, (size_t)t->in_lt->actual_length);
		*got = (size_t)t->in_lt->actual_length;
		ret = RF_OK;
		break;
	case LIBUSB_TRANSFER_TIMED_OUT:
		ret = rf_errf(t->base.err, RF_ETIMEDOUT,
			      "no answer from %s within %d ms",
			      t->base.location, timeout_ms);
		break;
	default:
		ret = rf_errf(t->base.err, map_status(status),
			      "USB read from %s failed: %s", t->base.location,
			      status_text(status));
		break;
	}
	return ret;
}

static void usb_free(struct usb_tr *t)
{
	if (!t->leaked) {
		for (int i = 0; i < RF_USB_XFERS_IN_FLIGHT; i++) {
			libusb_free_transfer(t->x[i].lt);
			free(t->x[i].buf);
		}
		libusb_free_transfer(t->in_lt);
		free(t->in_buf);
	}
	if (t->h) {
		if (t->claimed)
			libusb_release_interface(t->h, t->iface);
		/* with transfers the kernel never returned, closing would let
		 * libusb free what is still referenced: keep it all */
		if (!t->leaked)
			libusb_close(t->h);
	}
	if (t->ctx && !t->leaked)
		libusb_exit(t->ctx);
	free(t);
}

static void usb_close(struct rf_transport *base)
{
	struct usb_tr *t = (struct usb_tr *)base;
	if (!t)
		return;
	if (t->h)
		cancel_out(t);
	usb_free(t);
}

void rf_usb_get_stats(struct rf_transport *base, struct rf_usb_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!base || base->close != usb_close)
		return;
	*st = ((struct usb_tr *)base)->st;
}

/* ---- enumeration -------------------------------------------------------- */

static void make_location(libusb_device *dev, char *out, size_t sz)
{
	uint8_t ports[8];
	int n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
	size_t len = (size_t)snprintf(out, sz, "usb:%u",
				      libusb_get_bus_number(dev));

	for (int i = 0; i < n && len < sz; i++)
		len += (size_t)snprintf(out + len, sz - len, "%c%u",
					i == 0 ? '-' : '.', ports[i]);
}

/* Does `dev` have an ff/42/<proto> interface with bulk IN and OUT, for a
 * proto in `mask`?  Fills the interface part of `c`. */
static int match_iface(libusb_device *dev, unsigned mask, struct cand *c)
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
			if (d->bInterfaceClass != USB_CLASS_VENDOR ||
			    d->bInterfaceSubClass != USB_SUBCLASS_ANDROID ||
			    d->bInterfaceProtocol >= 32 ||
			    !(mask & (1u << d->bInterfaceProtocol)))
				continue;
			int in = 0, out = 0;
			for (int e = 0; e < d->bNumEndpoints; e++) {
				const struct libusb_endpoint_descriptor *ep =
					&d->endpoint[e];
				if ((ep->bmAttributes & 3) !=
				    LIBUSB_TRANSFER_TYPE_BULK)
					continue;
				size_t mps = ep->wMaxPacketSize & 0x7ff;
				if (mps == 0)
					mps = 512;
				if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) &&
				    !in) {
					in = 1;
					c->ep_in = ep->bEndpointAddress;
					c->mps_in = mps;
				} else if (!(ep->bEndpointAddress &
					     LIBUSB_ENDPOINT_IN) && !out) {
					out = 1;
					c->ep_out = ep->bEndpointAddress;
					c->mps_out = mps;
				}
			}
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

static void read_strings(libusb_device *dev,
			 const struct libusb_device_descriptor *dd,
			 struct cand *c)
{
	libusb_device_handle *h = NULL;
	int r = libusb_open(dev, &h);

	if (r < 0) {
		c->open_err = r;
		c->info.no_access = r == LIBUSB_ERROR_ACCESS;
		return;
	}
	if (dd->iSerialNumber &&
	    libusb_get_string_descriptor_ascii(h, dd->iSerialNumber,
		(unsigned char *)c->info.serial, sizeof(c->info.serial)) < 0)
		c->info.serial[0] = 0;
	if (dd->iProduct &&
	    libusb_get_string_descriptor_ascii(h, dd->iProduct,
		(unsigned char *)c->info.product, sizeof(c->info.product)) < 0)
		c->info.product[0] = 0;
	libusb_close(h);
}

/* Every attached phone speaking a protocol of `mask`; `*list` holds device
 * references (free with free_scan). */
static int scan(libusb_context *ctx, unsigned mask, struct cand **out,
		size_t *n, char *err)
{
	libusb_device **devs = NULL;
	struct cand *v = NULL;
	size_t cnt = 0;
	ssize_t nd = libusb_get_device_list(ctx, &devs);
	int ret = RF_OK;

	*out = NULL;
	*n = 0;
	if (nd < 0)
		return rf_errf(err, map_err((int)nd),
			       "cannot list USB devices: %s",
			       libusb_strerror((int)nd));
	for (ssize_t i = 0; i < nd; i++) {
		struct libusb_device_descriptor dd;
		struct cand c;

		memset(&c, 0, sizeof(c));
		if (libusb_get_device_descriptor(devs[i], &dd) < 0 ||
		    !match_iface(devs[i], mask, &c))
			continue;
		c.dev = libusb_ref_device(devs[i]);
		c.info.vid = dd.idVendor;
		c.info.pid = dd.idProduct;
		make_location(devs[i], c.info.location,
			      sizeof(c.info.location));
		read_strings(devs[i], &dd, &c);
		struct cand *nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			libusb_unref_device(c.dev);
			ret = rf_errf(err, RF_ENOMEM, "out of memory");
			goto out;
		}
		v = nv;
		v[cnt++] = c;
	}
out:
	libusb_free_device_list(devs, 1);
	if (ret != RF_OK) {
		for (size_t i = 0; i < cnt; i++)
			libusb_unref_device(v[i].dev);
		free(v);
		return ret;
	}
	*out = v;
	*n = cnt;
	return RF_OK;
}

static void free_scan(struct cand *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		libusb_unref_device(v[i].dev);
	free(v);
}

static int init_ctx(libusb_context **ctx, char *err)
{
	int r = libusb_init(ctx);
	if (r < 0) {
		*ctx = NULL;
		return rf_errf(err, map_err(r), "cannot initialise libusb: %s",
			       libusb_strerror(r));
	}
	return RF_OK;
}

int rf_usb_list(unsigned proto_mask, struct rf_usb_devinfo **out, size_t *n,
		char *err)
{
	libusb_context *ctx = NULL;
	struct cand *v = NULL;
	size_t cnt = 0;
	int ret;

	*out = NULL;
	*n = 0;
	ret = init_ctx(&ctx, err);
	if (ret != RF_OK)
		return ret;
	ret = scan(ctx, proto_mask, &v, &cnt, err);
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
	free_scan(v, cnt);
	libusb_exit(ctx);
	return ret;
}

static const char *proto_name(int proto)
{
	return proto == RF_USB_PROTO_FASTBOOT ? "fastboot" :
		proto == RF_USB_PROTO_ADB ? "adb" : "unknown";
}

static int selected(const struct cand *c, const char *sel)
{
	if (!sel)
		return 1;
	if (!strncmp(sel, "usb:", 4))
		return !strcmp(sel, c->info.location);
	return c->info.serial[0] && !strcmp(sel, c->info.serial);
}

/* "SERIAL (usb:1-2), ..." of the selected candidates, truncated. */
static void describe(const struct cand *v, size_t n, const char *sel,
		     char *out, size_t sz)
{
	size_t len = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && len < sz; i++) {
		if (!selected(&v[i], sel))
			continue;
		len += (size_t)snprintf(out + len, sz - len, "%s%s (%s)",
					len ? ", " : "",
					v[i].info.serial[0] ? v[i].info.serial :
					"no serial", v[i].info.location);
	}
}

static int open_err(int r, const char *what, const char *loc, char *err)
{
	if (r == LIBUSB_ERROR_ACCESS)
		return rf_errf(err, RF_EACCESS,
			       "no permission to %s the phone at %s: " UDEV_HINT,
			       what, loc);
	if (r == LIBUSB_ERROR_BUSY)
		return rf_errf(err, RF_EBUSY,
			       "the phone at %s is claimed by another program "
			       "(adb server? fastboot?)", loc);
	if (r == LIBUSB_ERROR_NO_DEVICE)
		return rf_errf(err, RF_EDISCONNECTED,
			       "the phone at %s disconnected", loc);
	return rf_errf(err, map_err(r), "cannot %s the phone at %s: %s", what,
		       loc, libusb_strerror(r));
}

/* Open, claim and set up the transfers of candidate `c`. */
static int setup(struct usb_tr *t, const struct cand *c, int zlp, char *err)
{
	const char *loc = c->info.location;
	int r;

	r = libusb_open(c->dev, &t->h);
	if (r < 0) {
		t->h = NULL;
		return open_err(r, "open", loc, err);
	}
	t->iface = c->iface;
	t->ep_in = c->ep_in;
	t->ep_out = c->ep_out;
	t->mps_in = c->mps_in;
	t->mps_out = c->mps_out;
	t->zlp = zlp;
	snprintf(t->base.serial, sizeof(t->base.serial), "%s", c->info.serial);
	snprintf(t->base.location, sizeof(t->base.location), "%s", loc);

	r = libusb_kernel_driver_active(t->h, c->iface);
	if (r == 1) {
		r = libusb_detach_kernel_driver(t->h, c->iface);
		if (r < 0 && r != LIBUSB_ERROR_NOT_FOUND)
			return open_err(r, "detach the kernel driver from",
					loc, err);
	}
	r = libusb_claim_interface(t->h, c->iface);
	if (r < 0)
		return open_err(r, "claim", loc, err);
	t->claimed = 1;
	if (c->alt != 0) {
		r = libusb_set_interface_alt_setting(t->h, c->iface, c->alt);
		if (r < 0)
			return open_err(r, "select the interface of", loc, err);
	}

	for (int i = 0; i < RF_USB_XFERS_IN_FLIGHT; i++) {
		t->x[i].owner = t;
		t->x[i].lt = libusb_alloc_transfer(0);
		t->x[i].buf = malloc(RF_USB_XFER_SIZE);
		if (!t->x[i].lt || !t->x[i].buf)
			return rf_errf(err, RF_ENOMEM,
				       "out of memory for USB buffers");
	}
	t->in_lt = libusb_alloc_transfer(0);
	if (!t->in_lt)
		return rf_errf(err, RF_ENOMEM, "out of memory for USB buffers");
	return RF_OK;
}

int rf_usb_open(const char *selector, int proto, int zlp,
		struct rf_transport **out, char *err)
{
	struct usb_tr *t = NULL;
	struct cand *v = NULL, *pick = NULL;
	size_t cnt = 0, nsel = 0, noperm = 0;
	char list[RF_ERRLEN];
	int ret;

	*out = NULL;
	if (selector && !*selector)
		selector = NULL;
	if (proto != RF_USB_PROTO_FASTBOOT && proto != RF_USB_PROTO_ADB)
		return rf_errf(err, RF_EINVAL, "unknown USB protocol %d", proto);
	t = calloc(1, sizeof(*t));
	if (!t)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	t->cur = -1;
	t->base.read = usb_read;
	t->base.write = usb_write;
	t->base.flush = usb_flush;
	t->base.close = usb_close;
	t->st.xfer_size = RF_USB_XFER_SIZE;

	ret = init_ctx(&t->ctx, err);
	if (ret != RF_OK)
		goto out;
	ret = scan(t->ctx, 1u << proto, &v, &cnt, err);
	if (ret != RF_OK)
		goto out;
	for (size_t i = 0; i < cnt; i++) {
		if (v[i].open_err == LIBUSB_ERROR_ACCESS)
			noperm++;
		if (selected(&v[i], selector)) {
			nsel++;
			pick = &v[i];
		}
	}
	if (nsel == 0) {
		/* a serial cannot be read without permission: say so rather
		 * than "not found" */
		if (noperm > 0 && selector && strncmp(selector, "usb:", 4))
			ret = rf_errf(err, RF_EACCESS,
				      "no phone in %s mode with serial %s; %zu "
				      "could not be opened to read their serial: "
				      UDEV_HINT, proto_name(proto), selector,
				      noperm);
		else if (selector)
			ret = rf_errf(err, RF_ENODEV,
				      "no phone in %s mode matches %s",
				      proto_name(proto), selector);
		else
			ret = rf_errf(err, RF_ENODEV,
				      "no phone in %s mode found on USB",
				      proto_name(proto));
		goto out;
	}
	if (nsel > 1) {
		describe(v, cnt, selector, list, sizeof(list) - 64);
		ret = rf_errf(err, RF_EMULTIPLE,
			      "%zu phones in %s mode match, choose one with -s: "
			      "%s", nsel, proto_name(proto), list);
		goto out;
	}
	ret = setup(t, pick, zlp, err);
out:
	free_scan(v, cnt);
	if (ret != RF_OK) {
		usb_free(t);
		return ret;
	}
	*out = &t->base;
	return RF_OK;
}
