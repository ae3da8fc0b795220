/* The USB transport (real libusb) against emulated phones presented as
 * usbfs devices by umockdev (tests/helpers/usb_emu.c).  Runs under
 * umockdev-wrapper.  Covers matching and selection, the fastboot exchange
 * at transport level and through rf_fb_*, pipelined downloads compared byte
 * for byte with the partition file, adb-style zero-length packets, read
 * timeouts, unplugging mid-transfer, and a throughput measurement. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fastboot.h"
#include "transport_usb.h"
#include "helpers/phone_data.h"
#include "helpers/usb_emu.h"

#define MiB (1024u * 1024u)
#define FB_MASK ((1u << RF_USB_PROTO_FASTBOOT) | (1u << RF_USB_PROTO_ADB))

/* ---- fixture ------------------------------------------------------------ */

static char state_dir[256];
static char err[RF_ERRLEN];

#define rm_rf phone_rm_rf

static void mk_state_dir(void)
{
	phone_mkdtemp(state_dir, sizeof state_dir, "check_usb");
}

static struct emu_opts default_opts(void)
{
	struct emu_opts o;
	memset(&o, 0, sizeof(o));
	o.state_dir = state_dir;
	return o;
}

static struct usb_emu *start_default(void)
{
	struct emu_opts o = default_opts();
	struct usb_emu *u = usb_emu_start(&o, err);
	ck_assert_msg(u != NULL, "usb_emu_start: %s", err);
	return u;
}

#define now_s phone_now_s
#define download phone_download

static void check_partition(const char *name, uint32_t size)
{
	phone_check_partition(state_dir, name, size);
}

/* ---- enumeration and selection ------------------------------------------ */

START_TEST(test_list_one)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;

	ck_assert_int_eq(rf_usb_list(FB_MASK, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].serial, "EMU0001");
	ck_assert_str_eq(d[0].location, "usb:1-1");
	ck_assert_str_eq(d[0].location, usb_emu_location(u, 0));
	ck_assert_str_eq(d[0].product, "Android");
	ck_assert_int_eq(d[0].proto, RF_USB_PROTO_FASTBOOT);
	ck_assert_uint_eq(d[0].vid, 0x18d1);
	ck_assert_uint_eq(d[0].pid, 0xd00d);
	free(d);

	/* a fastboot phone is not an adb phone */
	ck_assert_int_eq(rf_usb_list(1u << RF_USB_PROTO_ADB, &d, &n, err),
			 RF_OK);
	ck_assert_uint_eq(n, 0);
	free(d);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_list_none)
{
	char e2[256];
	struct usb_emu *u = usb_emu_start_empty(e2);
	struct rf_usb_devinfo *d = NULL;
	struct rf_transport *t = NULL;
	size_t n = 7;

	ck_assert_msg(u != NULL, "%s", e2);
	ck_assert_int_eq(rf_usb_list(FB_MASK, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 0);
	free(d);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_ENODEV);
	ck_assert_ptr_null(t);
	ck_assert_ptr_nonnull(strstr(err, "no phone"));
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_open_selectors)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	const char *good[] = { NULL, "", "EMU0001", "usb:1-1" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(rf_usb_open(good[i], RF_USB_PROTO_FASTBOOT, 0,
					  &t, err) == RF_OK,
			      "open %s: %s", good[i] ? good[i] : "NULL", err);
		ck_assert_str_eq(t->serial, "EMU0001");
		ck_assert_str_eq(t->location, "usb:1-1");
		rf_transport_close(t);
		t = NULL;
	}
	ck_assert_int_eq(rf_usb_open("NOSUCH", RF_USB_PROTO_FASTBOOT, 0, &t,
				     err), RF_ENODEV);
	ck_assert_ptr_nonnull(strstr(err, "NOSUCH"));
	ck_assert_int_eq(rf_usb_open("usb:1-9", RF_USB_PROTO_FASTBOOT, 0, &t,
				     err), RF_ENODEV);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_ADB, 1, &t, err),
			 RF_ENODEV);
	ck_assert_ptr_null(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_two_phones)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct emu_opts o2 = default_opts();
	char dir2[300];
	struct rf_transport *t = NULL;
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;

	snprintf(dir2, sizeof(dir2), "%s/second", state_dir);
	o2.state_dir = dir2;
	o2.serial = "EMU0002";
	struct usb_emu_devcfg cfg = { .proto = RF_USB_PROTO_FASTBOOT, .emu = &o2 };
	ck_assert_msg(usb_emu_add(u, &cfg, err) == 1, "%s", err);

	ck_assert_int_eq(rf_usb_list(FB_MASK, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 2);
	free(d);

	/* no guessing with two phones */
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_EMULTIPLE);
	ck_assert_msg(strstr(err, "EMU0001 (usb:1-1)") &&
		      strstr(err, "EMU0002 (usb:1-2)"), "message: %s", err);

	ck_assert_int_eq(rf_usb_open("EMU0002", RF_USB_PROTO_FASTBOOT, 0, &t,
				     err), RF_OK);
	ck_assert_str_eq(t->location, "usb:1-2");
	rf_transport_close(t);
	ck_assert_int_eq(rf_usb_open("usb:1-1", RF_USB_PROTO_FASTBOOT, 0, &t,
				     err), RF_OK);
	ck_assert_str_eq(t->serial, "EMU0001");
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_claimed_elsewhere)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t1 = NULL, *t2 = NULL;

	struct usb_emu_stats es;
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t1, err),
			 RF_OK);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.opens, 1);
	/* sysfs shows the holder: still listed, marked as held */
	ck_assert_int_eq(rf_usb_list(FB_MASK, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].holder, "usbfs");
	free(d);
	/* a second claim is refused with a useful hint, without even
	 * opening the phone another program is using */
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t2, err),
			 RF_EBUSY);
	ck_assert_ptr_null(t2);
	ck_assert_msg(strstr(err, "in use by another program"), "%s", err);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.opens, 1);
	rf_transport_close(t1);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t2, err),
			 RF_OK);
	rf_transport_close(t2);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

/* ---- fastboot exchange -------------------------------------------------- */

START_TEST(test_getvar_transport)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	char buf[64];
	size_t got = 0;

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	ck_assert_int_eq(rf_transport_write(t, "getvar:product", 14, 1000),
			 RF_OK);
	ck_assert_msg(rf_transport_read(t, buf, sizeof(buf), &got, 1000) ==
		      RF_OK, "read: %s", t->err);
	ck_assert_uint_eq(got, 11);
	ck_assert(memcmp(buf, "OKAYMSM8974", 11) == 0);

	/* a silent phone: the read times out, and the link still works */
	double t0 = now_s();
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof(buf), &got, 200),
			 RF_ETIMEDOUT);
	ck_assert(now_s() - t0 < 3.0);
	ck_assert_int_eq(rf_transport_write(t, "getvar:product", 14, 1000),
			 RF_OK);
	ck_assert_int_eq(rf_transport_flush(t, 1000), RF_OK);
	ck_assert_int_eq(rf_transport_read(t, buf, sizeof(buf), &got, 1000),
			 RF_OK);
	ck_assert(got == 11 && memcmp(buf, "OKAYMSM8974", 11) == 0);

	/* a reply longer than the reader's buffer is a protocol error */
	ck_assert_int_eq(rf_transport_write(t, "getvar:product", 14, 1000),
			 RF_OK);
	ck_assert_int_eq(rf_transport_read(t, buf, 4, &got, 1000), RF_EPROTO);
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_fastboot_getvar)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char val[65];
	uint32_t max = 0;

	ck_assert_int_eq(rf_usb_open("EMU0001", RF_USB_PROTO_FASTBOOT, 0, &t,
				     err), RF_OK);
	rf_fb_init(&fb, t);
	ck_assert_msg(rf_fb_getvar(&fb, "product", val, sizeof(val)) == RF_OK,
		      "%s", fb.err);
	ck_assert_str_eq(val, "MSM8974");
	ck_assert_int_eq(rf_fb_max_download_size(&fb, &max), RF_OK);
	ck_assert_uint_eq(max, 0x30000000);
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_download_flash_64m)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	struct rf_usb_stats hs;
	struct usb_emu_stats es;
	const uint32_t size = 64 * MiB + 12345; /* not a whole transfer */

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	rf_fb_init(&fb, t);
	/* odd write sizes: the transport must coalesce them */
	ck_assert_msg(download(&fb, size, 200003) == RF_OK, "%s", fb.err);
	ck_assert_msg(rf_fb_flash(&fb, "system") == RF_OK, "%s", fb.err);
	check_partition("system", size);

	rf_usb_get_stats(t, &hs);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(hs.xfer_size, RF_USB_XFER_SIZE);
	ck_assert_msg(hs.max_in_flight >= 2, "host saw %u in flight",
		      hs.max_in_flight);
	ck_assert_msg(es.max_out_in_flight >= 2, "device saw %u in flight",
		      es.max_out_in_flight);
	ck_assert_uint_ge(hs.bytes_out, size);
	ck_assert_uint_eq(hs.bytes_out, es.bytes_out);
	/* whole 1 MiB transfers, not one per write() call */
	ck_assert_uint_le(es.urbs_out, size / RF_USB_XFER_SIZE + 8);
	ck_assert_uint_eq(es.zlp_urbs, 0);
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_unplug_mid_download)
{
	mk_state_dir();
	struct emu_opts o = default_opts();
	o.cut_after = 10 * MiB + 777;
	o.no_return = 1;
	struct usb_emu *u = usb_emu_start(&o, err);
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;

	ck_assert_msg(u != NULL, "%s", err);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	rf_fb_init(&fb, t);
	fb.timeout_ms = 3000;
	double t0 = now_s();
	int r = download(&fb, 64 * MiB, 65536);
	ck_assert_msg(r == RF_EDISCONNECTED, "download ended with %d (%s)", r,
		      fb.err);
	ck_assert_msg(now_s() - t0 < 10.0, "took %.1f s", now_s() - t0);
	/* the transport stays failed, and closing it does not hang */
	ck_assert_int_ne(rf_transport_write(t, "getvar:product", 14, 500),
			 RF_OK);
	rf_transport_close(t);
	ck_assert_int_eq(rf_usb_list(FB_MASK, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 0);
	free(d);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_unplug_while_reading)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	char buf[64];
	size_t got;

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	/* nothing to answer: the read is pending when the cable goes */
	usb_emu_unplug(u, 0);
	double t0 = now_s();
	int r = rf_transport_read(t, buf, sizeof(buf), &got, 3000);
	ck_assert_msg(r == RF_EDISCONNECTED, "read: %d (%s)", r, t->err);
	ck_assert(now_s() - t0 < 2.0);
	r = rf_transport_write(t, "getvar:product", 14, 500);
	if (r == RF_OK)
		r = rf_transport_flush(t, 500);
	ck_assert_int_eq(r, RF_EDISCONNECTED);
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_reboot_comes_back)
{
	mk_state_dir();
	struct emu_opts o = default_opts();
	o.reboot_delay_ms = 300;
	struct usb_emu *u = usb_emu_start(&o, err);
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char val[65];

	ck_assert_msg(u != NULL, "%s", err);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	rf_fb_init(&fb, t);
	ck_assert_msg(rf_fb_reboot_bootloader(&fb) == RF_OK, "%s", fb.err);
	rf_transport_close(t);
	t = NULL;
	/* gone at first, then back with the same serial */
	int r = RF_ENODEV;
	for (int i = 0; i < 100 && r != RF_OK; i++) {
		r = rf_usb_open("EMU0001", RF_USB_PROTO_FASTBOOT, 0, &t, err);
		if (r != RF_OK)
			usleep(50 * 1000);
	}
	ck_assert_msg(r == RF_OK, "phone did not come back: %s", err);
	rf_fb_init(&fb, t);
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", val, sizeof(val)), RF_OK);
	ck_assert_str_eq(val, "MSM8974");
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

/* ---- OUT timeouts and cancellation ------------------------------------- */

START_TEST(test_write_timeout)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	struct usb_emu_stats es;
	unsigned char *buf = calloc(1, RF_USB_XFERS_IN_FLIGHT * RF_USB_XFER_SIZE
				    + 1);

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	usb_emu_hold_out(u, 0, 1);
	/* every buffer goes on the bus, then the writer has to wait for one
	 * that never comes back */
	double t0 = now_s();
	int r = rf_transport_write(t, buf, RF_USB_XFERS_IN_FLIGHT *
				   RF_USB_XFER_SIZE + 1, 300);
	ck_assert_msg(r == RF_ETIMEDOUT, "write: %d (%s)", r, t->err);
	ck_assert_msg(now_s() - t0 < 3.0, "took %.1f s", now_s() - t0);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.max_out_in_flight, RF_USB_XFERS_IN_FLIGHT);
	/* each held transfer was cancelled and given back before we returned */
	ck_assert_uint_eq(es.discarded, RF_USB_XFERS_IN_FLIGHT);
	/* the byte stream is broken: later writes and flushes say so */
	ck_assert_int_eq(rf_transport_write(t, "x", 1, 300), RF_ETIMEDOUT);
	ck_assert_int_eq(rf_transport_flush(t, 300), RF_ETIMEDOUT);
	usb_emu_hold_out(u, 0, 0);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.bytes_out, 0);
	rf_transport_close(t);
	free(buf);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_flush_timeout)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	static unsigned char buf[3 * 100000];

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	usb_emu_hold_out(u, 0, 1);
	ck_assert_int_eq(rf_transport_write(t, buf, sizeof(buf), 300), RF_OK);
	double t0 = now_s();
	ck_assert_int_eq(rf_transport_flush(t, 300), RF_ETIMEDOUT);
	ck_assert(now_s() - t0 < 3.0);
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

START_TEST(test_close_cancels_in_flight)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	struct usb_emu_stats es;
	unsigned char *buf = calloc(1, 2 * RF_USB_XFER_SIZE);

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	usb_emu_hold_out(u, 0, 1);
	/* two full buffers go on the bus and write() returns at once */
	ck_assert_int_eq(rf_transport_write(t, buf, 2 * RF_USB_XFER_SIZE,
					    5000), RF_OK);
	double t0 = now_s();
	rf_transport_close(t);
	ck_assert(now_s() - t0 < 3.0);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.discarded, 2);
	ck_assert_uint_eq(es.bytes_out, 0);
	free(buf);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

/* ---- adb-style device: zero-length packets ---------------------------- */

struct echo {
	unsigned char last[4096];
	size_t len;
	int have;
};

static enum emu_link echo_receive(void *ctx, const void *buf, size_t len,
				  int zlp)
{
	struct echo *e = ctx;
	(void)zlp;
	e->len = len < sizeof(e->last) ? len : sizeof(e->last);
	memcpy(e->last, buf, e->len);
	e->have = 1;
	return EMU_ONLINE;
}

static size_t echo_reply(void *ctx, void *buf, size_t cap)
{
	struct echo *e = ctx;
	if (!e->have)
		return 0;
	e->have = 0;
	size_t n = e->len < cap ? e->len : cap;
	memcpy(buf, e->last, n);
	return n;
}

START_TEST(test_adb_zlp)
{
	char e2[256];
	struct echo echo = { .len = 0 };
	struct usb_emu_model m = { .receive = echo_receive,
				   .reply = echo_reply, .ctx = &echo };
	struct usb_emu_devcfg cfg = { .proto = RF_USB_PROTO_ADB,
				      .serial = "ADB0001", .model = &m };
	struct usb_emu *u = usb_emu_start_empty(e2);
	struct rf_transport *t = NULL;
	struct usb_emu_stats es;
	unsigned char msg[1024], back[1024];
	size_t got;

	ck_assert_msg(u != NULL, "%s", e2);
	ck_assert_msg(usb_emu_add(u, &cfg, err) == 0, "%s", err);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_ENODEV);
	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_ADB, 1, &t, err),
			 RF_OK);
	ck_assert_str_eq(t->serial, "ADB0001");
	phone_pattern(msg, sizeof(msg), 0);

	/* 24 bytes: a short packet ends the message, no ZLP */
	ck_assert_int_eq(rf_transport_write(t, msg, 24, 1000), RF_OK);
	ck_assert_int_eq(rf_transport_read(t, back, sizeof(back), &got, 1000),
			 RF_OK);
	ck_assert(got == 24 && !memcmp(back, msg, 24));
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.zlp_urbs, 0);

	/* 512 bytes: a whole packet, must be followed by a ZLP; each write
	 * is its own transfer even without flush */
	ck_assert_int_eq(rf_transport_write(t, msg, 512, 1000), RF_OK);
	ck_assert_int_eq(rf_transport_read(t, back, sizeof(back), &got, 1000),
			 RF_OK);
	ck_assert(got == 512 && !memcmp(back, msg, 512));
	ck_assert_int_eq(rf_transport_write(t, msg, 1024, 1000), RF_OK);
	ck_assert_int_eq(rf_transport_flush(t, 1000), RF_OK);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.zlp_urbs, 2);
	ck_assert_uint_eq(es.urbs_out, 3);
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

/* ---- throughput ---------------------------------------------------------- */

START_TEST(test_throughput_256m)
{
	mk_state_dir();
	struct usb_emu *u = start_default();
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	struct rf_usb_stats hs;
	const uint32_t size = 256 * MiB;
	unsigned char *buf = malloc(MiB);

	ck_assert_int_eq(rf_usb_open(NULL, RF_USB_PROTO_FASTBOOT, 0, &t, err),
			 RF_OK);
	rf_fb_init(&fb, t);
	phone_pattern(buf, MiB, 0); /* the pattern itself is not what we time */
	double t0 = now_s();
	int r = rf_fb_download_begin(&fb, size);
	for (uint32_t off = 0; r == RF_OK && off < size; off += MiB)
		r = rf_fb_download_write(&fb, buf, MiB);
	if (r == RF_OK)
		r = rf_fb_download_end(&fb);
	double dt = now_s() - t0;
	ck_assert_msg(r == RF_OK, "%s", fb.err);
	rf_usb_get_stats(t, &hs);
	printf("usb throughput: 256 MiB in %.2f s = %.1f MB/s through umockdev, "
	       "%u transfers of %zu KiB in flight (max seen)\n", dt,
	       size / dt / 1e6, hs.max_in_flight, hs.xfer_size / 1024);
	fflush(stdout);
	ck_assert_uint_ge(hs.max_in_flight, 2);
	free(buf);
	rf_transport_close(t);
	usb_emu_stop(u);
	rm_rf(state_dir);
}
END_TEST

static Suite *usb_suite(void)
{
	Suite *s = suite_create("usb");
	TCase *tc = tcase_create("usb");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_list_one);
	tcase_add_test(tc, test_list_none);
	tcase_add_test(tc, test_open_selectors);
	tcase_add_test(tc, test_two_phones);
	tcase_add_test(tc, test_claimed_elsewhere);
	tcase_add_test(tc, test_getvar_transport);
	tcase_add_test(tc, test_fastboot_getvar);
	tcase_add_test(tc, test_download_flash_64m);
	tcase_add_test(tc, test_unplug_mid_download);
	tcase_add_test(tc, test_unplug_while_reading);
	tcase_add_test(tc, test_reboot_comes_back);
	tcase_add_test(tc, test_write_timeout);
	tcase_add_test(tc, test_flush_timeout);
	tcase_add_test(tc, test_close_cancels_in_flight);
	tcase_add_test(tc, test_adb_zlp);
	tcase_add_test(tc, test_throughput_256m);
	suite_add_tcase(s, tc);
	return s;
}


int main(void)
{
	return usb_emu_suite_main(usb_suite());
}
