/* USB transport over libusb-1.0 (see transport_usb.h and docs/usb.md):
 * opening a phone and moving bytes.  Finding phones is
 * transport_usb_scan.c.  Every libusb error is turned into an RF_E* code
 * with a message here.
 *
 * Bulk OUT is pipelined: RF_USB_XFERS_IN_FLIGHT buffers of up to
 * RF_USB_XFER_SIZE bytes.  write() fills the current buffer and submits it
 * when full, then moves to a free one, and only waits when every buffer is
 * on the bus, so the bus never idles between two write() calls.  Bulk IN:
 * one transfer, posted by read() and left posted when read() gives up, so
 * a reply that comes late is read by the next read() rather than lost.
 * Everything runs on the caller's thread: completions are handled inside
 * our event-loop calls. */
#include "transport_usb.h"
#include "transport_usb_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define USB_DEFAULT_TIMEOUT_MS 5000
/* Extra wait beyond a transfer's own timeout before we give up on libusb
 * reporting it, and the bound on reaping cancelled transfers. */
#define USB_SLACK_MS 2000
#define ENOMEM_HINT "Linux's usbfs memory (usbfs_memory_mb, 16 MiB by " \
	"default) is used up by the programs driving USB devices; flash " \
	"fewer phones at once or raise it: echo 64 | sudo tee " \
	"/sys/module/usbcore/parameters/usbfs_memory_mb"

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
	size_t xfer_size;   /* fill buffers up to this (halved on ENOMEM) */
	struct out_xfer x[RF_USB_XFERS_IN_FLIGHT];
	int cur;            /* slot being filled, -1 when none */
	unsigned in_flight; /* OUT transfers submitted, not completed */
	int out_err;        /* first OUT failure; sticky: the stream is broken */
	char out_msg[RF_ERRLEN];
	struct libusb_transfer *in_lt;
	unsigned char *in_buf;
	size_t in_cap;      /* size of in_buf */
	size_t in_len;      /* length of the posted IN transfer */
	int in_busy, in_done;
	int leaked; /* transfers that never came back: do not free them */
	struct rf_usb_stats st;
};

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

static const char *usb_strerror(int r)
{
	return r == LIBUSB_ERROR_NO_DEVICE ? "the phone disconnected" :
		libusb_strerror(r);
}

/* ---- event loop ------------------------------------------------------- */

/* One round of libusb event handling, returning by `deadline` at the
 * latest.  RF_ETIMEDOUT only when the deadline has already passed. */
static int pump(struct usb_tr *t, long long deadline)
{
	long long left = deadline - rf_usb_now_ms();
	struct timeval tv;
	int r;

	if (left <= 0)
		return RF_ETIMEDOUT;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	r = libusb_handle_events_timeout_completed(t->ctx, &tv, NULL);
	if (r < 0 && r != LIBUSB_ERROR_INTERRUPTED)
		return rf_errf(t->base.err, rf_usb_map_err(r),
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

/* Wait (bounded) until the cancelled OUT transfers (`out`) or the
 * cancelled IN transfer came back.  (Only those: the IN transfer stays
 * posted while OUT transfers are cancelled, and may not complete.) */
static void reap_cancelled(struct usb_tr *t, int out)
{
	long long deadline = rf_usb_now_ms() + USB_SLACK_MS;
	while (out ? t->in_flight > 0 : t->in_busy) {
		if (pump(t, deadline) == RF_ETIMEDOUT)
			break;
	}
	if (out ? t->in_flight > 0 : t->in_busy)
		t->leaked = 1;
}

/* Cancel every OUT transfer and wait (bounded) until libusb gave each one
 * back, so no buffer is freed or reused while the kernel may touch it.
 * Unsent data in the current buffer is dropped. */
static void cancel_out(struct usb_tr *t)
{
	for (int i = 0; i < RF_USB_XFERS_IN_FLIGHT; i++)
		if (t->x[i].busy)
			libusb_cancel_transfer(t->x[i].lt);
	reap_cancelled(t, 1);
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

/* Put buf[off, off + len) of slot x on the bus. */
static int submit_range(struct usb_tr *t, struct out_xfer *x, size_t off,
			size_t len, int timeout_ms, int end_of_message)
{
	int r;

	libusb_fill_bulk_transfer(x->lt, t->h, t->ep_out, x->buf + off, (int)len,
				  out_done, x, (unsigned)timeout_ms);
	/* only where a ZLP is due, so short messages do not depend on the
	 * kernel's USBDEVFS_CAP_ZERO_PACKET */
	x->lt->flags = t->zlp && end_of_message && len % t->mps_out == 0 ?
		LIBUSB_TRANSFER_ADD_ZERO_PACKET : 0;
	r = libusb_submit_transfer(x->lt);
	if (r < 0)
		return r;
	x->busy = 1;
	t->in_flight++;
	if (t->in_flight > t->st.max_in_flight)
		t->st.max_in_flight = t->in_flight;
	return 0;
}

/* Wait until none of our OUT transfers is in flight. */
static int drain_out(struct usb_tr *t, int timeout_ms)
{
	long long deadline = rf_usb_now_ms() + timeout_ms + USB_SLACK_MS;
	while (t->in_flight > 0 && !t->out_err) {
		int r = pump(t, deadline);
		if (r == RF_ETIMEDOUT)
			record_out_err(t, RF_ETIMEDOUT, "USB write to %s did not "
				       "complete in time", t->base.location);
		else if (r != RF_OK)
			record_out_err(t, r, "%s", t->base.err);
	}
	return t->out_err;
}

/* The kernel refused a submission for lack of usbfs memory (shared by
 * every program and phone).  Once ours in flight are done (freeing their
 * share) the buffer is tried again; refused with nothing of ours in
 * flight, the transfer size halves (for the rest of this connection too)
 * and the buffer goes out in pieces, one at a time. */
static int submit_low_memory(struct usb_tr *t, struct out_xfer *x,
			     int timeout_ms, int end_of_message)
{
	size_t len = x->fill, off = 0; /* out_done clears x->fill */
	int r = 0;

	t->st.enomem++;
	if (drain_out(t, timeout_ms))
		return t->out_err;
	while (off < len) {
		size_t n = len - off < t->xfer_size ? len - off : t->xfer_size;
		r = submit_range(t, x, off, n, timeout_ms,
				 end_of_message && off + n == len);
		if (r == LIBUSB_ERROR_NO_MEM && t->xfer_size > RF_USB_XFER_MIN) {
			t->st.enomem++;
			t->xfer_size /= 2;
			continue;
		}
		if (r < 0)
			break;
		off += n;
		if (off < len && drain_out(t, timeout_ms))
			return t->out_err;
	}
	if (r == LIBUSB_ERROR_NO_MEM)
		record_out_err(t, RF_ENOMEM, "USB write to %s: no memory even "
			       "for %zu-byte transfers: " ENOMEM_HINT,
			       t->base.location, t->xfer_size);
	else if (r < 0)
		record_out_err(t, rf_usb_map_err(r), "USB write to %s failed: %s",
			       t->base.location, usb_strerror(r));
	return r < 0 ? t->out_err : RF_OK;
}

static int submit_cur(struct usb_tr *t, int timeout_ms, int end_of_message)
{
	struct out_xfer *x = &t->x[t->cur];
	int r = submit_range(t, x, 0, x->fill, timeout_ms, end_of_message);

	t->cur = -1;
	if (r == LIBUSB_ERROR_NO_MEM)
		return submit_low_memory(t, x, timeout_ms, end_of_message);
	if (r < 0) {
		record_out_err(t, rf_usb_map_err(r), "USB write to %s failed: %s",
			       t->base.location, usb_strerror(r));
		return t->out_err;
	}
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
	deadline = rf_usb_now_ms() + timeout_ms + USB_SLACK_MS;
	while (len > 0) {
		if (t->cur < 0 && take_slot(t, deadline) != RF_OK)
			return fail_out(t);
		struct out_xfer *x = &t->x[t->cur];
		size_t n = t->xfer_size - x->fill;
		if (n > len)
			n = len;
		memcpy(x->buf + x->fill, p, n);
		x->fill += n;
		p += n;
		len -= n;
		if (x->fill == t->xfer_size &&
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

/* Bytes written but not on the phone yet: the transfers in flight (as of
 * the last events handled) and the buffer being filled.  Progress counts
 * what the phone took. */
static size_t usb_unacked(struct rf_transport *base)
{
	struct usb_tr *t = (struct usb_tr *)base;
	size_t n = 0;
	for (int i = 0; i < RF_USB_XFERS_IN_FLIGHT; i++)
		if (t->x[i].busy || i == t->cur)
			n += t->x[i].fill;
	return n;
}

static int usb_flush(struct rf_transport *base, int timeout_ms)
{
	struct usb_tr *t = (struct usb_tr *)base;

	if (t->out_err)
		return fail_out(t);
	if (timeout_ms <= 0)
		timeout_ms = USB_DEFAULT_TIMEOUT_MS;
	if (push_partial(t, timeout_ms) != RF_OK || drain_out(t, timeout_ms))
		return fail_out(t);
	return RF_OK;
}

/* Post the IN transfer for a read of up to `want` bytes (whole packets,
 * so a reply longer than the caller's buffer is seen as such rather than
 * as a babble error; our own buffer, so a transfer that outlives the read
 * can never write into the caller's memory).  No libusb timeout: read()
 * waits in its own slices and leaves the transfer posted. */
static int post_in(struct usb_tr *t, size_t want)
{
	int r;
	if (want > t->in_cap) {
		unsigned char *nb = realloc(t->in_buf, want);
		if (!nb)
			return rf_errf(t->base.err, RF_ENOMEM, "out of memory "
				       "for a %zu-byte USB read", want);
		t->in_buf = nb;
		t->in_cap = want;
	}
	libusb_fill_bulk_transfer(t->in_lt, t->h, t->ep_in, t->in_buf,
				  (int)want, in_done, t, 0);
	t->in_done = 0;
	r = libusb_submit_transfer(t->in_lt);
	if (r < 0)
		return rf_errf(t->base.err, rf_usb_map_err(r), "USB read from "
			       "%s failed: %s", t->base.location, usb_strerror(r));
	t->in_busy = 1;
	t->in_len = want;
	return RF_OK;
}

/* Take back a posted IN transfer (to post a larger one, or on close).  A
 * reply that arrived meanwhile stays in in_buf (in_done with data). */
static void cancel_in(struct usb_tr *t)
{
	if (!t->in_busy)
		return;
	libusb_cancel_transfer(t->in_lt);
	reap_cancelled(t, 0);
}

/* The outcome of the completed IN transfer, into the caller's buffer.  A
 * transfer cancelled or timed out after data came keeps that data. */
static int deliver_in(struct usb_tr *t, void *buf, size_t cap, size_t *got)
{
	struct libusb_transfer *lt = t->in_lt;
	size_t n = lt->actual_length > 0 ? (size_t)lt->actual_length : 0;

	t->in_done = 0;
	if (lt->status != LIBUSB_TRANSFER_COMPLETED && n == 0)
		return rf_errf(t->base.err, map_status(lt->status),
			       "USB read from %s failed: %s", t->base.location,
			       status_text(lt->status));
	if (n > cap)
		return rf_errf(t->base.err, RF_EPROTO, "%s sent a %zu-byte "
			       "message, more than the %zu expected",
			       t->base.location, n, cap);
	memcpy(buf, t->in_buf, n);
	*got = n;
	return RF_OK;
}

static int usb_read(struct rf_transport *base, void *buf, size_t cap,
		    size_t *got, int timeout_ms)
{
	struct usb_tr *t = (struct usb_tr *)base;
	long long deadline;
	size_t want;
	int r;

	*got = 0;
	if (t->out_err)
		return fail_out(t);
	if (t->leaked)
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

	want = (cap + t->mps_in - 1) / t->mps_in * t->mps_in;
	if (t->in_busy && t->in_len < want)
		cancel_in(t);
	if (t->leaked)
		return rf_errf(t->base.err, RF_EIO, "USB read from %s: a "
			       "cancelled transfer never came back",
			       t->base.location);
	if (!t->in_busy && !t->in_done && (r = post_in(t, want)) != RF_OK)
		return r;
	deadline = rf_usb_now_ms() + timeout_ms;
	while (!t->in_done) {
		r = pump(t, deadline);
		/* a last look without waiting: a process that was not
		 * scheduled until past the deadline still sees a reply that
		 * came in time */
		if (r == RF_ETIMEDOUT && !pump(t, rf_usb_now_ms() + 1) && t->in_done)
			break;
		if (r == RF_ETIMEDOUT)
			return rf_errf(t->base.err, RF_ETIMEDOUT, "no answer from "
				       "%s within %d ms", t->base.location,
				       timeout_ms);
		if (r != RF_OK) {
			char why[RF_ERRLEN];
			snprintf(why, sizeof why, "%s", t->base.err);
			cancel_in(t);
			t->in_done = 0;
			return rf_errf(t->base.err, r, "USB read from %s: %s",
				       t->base.location, why);
		}
	}
	return deliver_in(t, buf, cap, got);
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
	if (t->h) {
		cancel_in(t);
		cancel_out(t);
	}
	usb_free(t);
}

void rf_usb_get_stats(struct rf_transport *base, struct rf_usb_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!base || base->close != usb_close)
		return;
	*st = ((struct usb_tr *)base)->st;
	st->xfer_size = ((struct usb_tr *)base)->xfer_size;
}

/* ---- opening ------------------------------------------------------------ */

static int open_err(int r, const char *what, const struct rf_usb_cand *c,
		    char *err)
{
	const char *loc = c->info.location;
	if (r == LIBUSB_ERROR_ACCESS)
		return rf_errf(err, RF_EACCESS, "no permission to %s the phone "
			       "at %s (%s)", what, loc, c->info.devnode);
	if (r == LIBUSB_ERROR_BUSY)
		return rf_errf(err, RF_EBUSY, "the phone at %s is in use by "
			       "another program (another romflash, fastboot, "
			       "the adb server?)", loc);
	if (r == LIBUSB_ERROR_NO_DEVICE)
		return rf_errf(err, RF_EDISCONNECTED,
			       "the phone at %s disconnected", loc);
	return rf_errf(err, rf_usb_map_err(r), "cannot %s the phone at %s: %s",
		       what, loc, libusb_strerror(r));
}

/* Claim the interface and put it in a known state: the alternate setting
 * selected again (it resets the endpoints' data toggles) and any halt
 * cleared, since a host killed mid-transfer may have left either behind. */
static int claim(struct usb_tr *t, const struct rf_usb_cand *c, char *err)
{
	int r = libusb_kernel_driver_active(t->h, c->iface);

	if (r == 1) {
		r = libusb_detach_kernel_driver(t->h, c->iface);
		if (r < 0 && r != LIBUSB_ERROR_NOT_FOUND)
			return open_err(r, "detach the kernel driver from", c, err);
	}
	r = libusb_claim_interface(t->h, c->iface);
	if (r < 0)
		return open_err(r, "claim", c, err);
	t->claimed = 1;
	r = libusb_set_interface_alt_setting(t->h, c->iface, c->alt);
	if (r == LIBUSB_ERROR_NO_DEVICE || r == LIBUSB_ERROR_ACCESS)
		return open_err(r, "select the interface of", c, err);
	/* a device with one alternate setting may refuse (STALL) the
	 * request; Linux then clears the halts itself: not an error */
	r = libusb_clear_halt(t->h, t->ep_in);
	if (r == 0)
		r = libusb_clear_halt(t->h, t->ep_out);
	if (r == LIBUSB_ERROR_NO_DEVICE)
		return open_err(r, "reset the endpoints of", c, err);
	return RF_OK;
}

/* Open, claim and set up the transfers of candidate `c`. */
static int setup(struct usb_tr *t, const struct rf_usb_cand *c, int zlp, char *err)
{
	int r = libusb_open(c->dev, &t->h);

	if (r < 0) {
		t->h = NULL;
		return open_err(r, "open", c, err);
	}
	t->iface = c->iface;
	t->ep_in = c->ep_in;
	t->ep_out = c->ep_out;
	t->mps_in = c->mps_in;
	t->mps_out = c->mps_out;
	t->zlp = zlp;
	t->st.speed_kbps = c->info.speed_kbps;
	snprintf(t->base.serial, sizeof(t->base.serial), "%s", c->info.serial);
	snprintf(t->base.location, sizeof(t->base.location), "%s",
		 c->info.location);
	r = claim(t, c, err);
	if (r != RF_OK)
		return r;
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
	struct rf_usb_cand *v = NULL;
	const struct rf_usb_cand *pick = NULL;
	size_t cnt = 0;
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
	t->base.unacked = usb_unacked;
	t->base.flush = usb_flush;
	t->base.close = usb_close;
	t->xfer_size = RF_USB_XFER_SIZE;

	ret = rf_usb_init_ctx(&t->ctx, err);
	if (ret == RF_OK)
		ret = rf_usb_scan(t->ctx, 1u << proto, &v, &cnt, err);
	if (ret == RF_OK)
		ret = rf_usb_choose(v, cnt, selector, proto, &pick, err);
	if (ret == RF_OK)
		ret = setup(t, pick, zlp, err);
	rf_usb_free_scan(v, cnt);
	if (ret != RF_OK) {
		usb_free(t);
		return ret;
	}
	*out = &t->base;
	return RF_OK;
}
