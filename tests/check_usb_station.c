/* Real phones and flashing stations, over the USB transport (real libusb)
 * against emulated phones in one umockdev testbed (tests/helpers/usb_emu.c),
 * run under umockdev-wrapper:
 *
 * - transfers sized so 16 phones fit in Linux's usbfs budget (16 MiB),
 *   and the fallback to smaller transfers on ENOMEM;
 * - opening resets the endpoints; listing reads sysfs and opens nothing;
 * - waiting for a phone through hotplug, and for a rebooting one to leave;
 * - a phone writing at an eMMC's pace (no reply cap);
 * - what a killed host leaves behind: a late reply, a phone still
 *   writing, a bootloader still inside a download. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fastboot.h"
#include "transport_usb.h"
#include "helpers/phone_data.h"
#include "helpers/usb_emu.h"

#define MiB (1024u * 1024u)
#define KiB 1024u
#define ALL_MASK ((1u << RF_USB_PROTO_FASTBOOT) | (1u << RF_USB_PROTO_ADB) | \
		  (1u << RF_USB_PROTO_NONE))

static char dir[256];
static char err[RF_ERRLEN];

static void setup(void)
{
	phone_mkdtemp(dir, sizeof dir, "check_usb_station");
}

static void teardown(void)
{
	phone_rm_rf(dir);
}

/* Options of phone `k`, its partitions in <dir>/p<k>. */
static struct emu_opts phone(int k, const char *serial)
{
	static char states[20][300];
	struct emu_opts o;
	memset(&o, 0, sizeof o);
	snprintf(states[k % 20], sizeof states[0], "%s/p%d", dir, k);
	o.state_dir = states[k % 20];
	o.serial = serial;
	return o;
}

static struct usb_emu *start_one(const struct emu_opts *o)
{
	struct usb_emu *u = usb_emu_start(o, err);
	ck_assert_msg(u != NULL, "usb_emu_start: %s", err);
	return u;
}

static void open_fb(const char *sel, struct rf_transport **t, struct rf_fastboot *fb)
{
	ck_assert_msg(rf_usb_open(sel, RF_USB_PROTO_FASTBOOT, 0, t, err) == RF_OK,
		      "open %s: %s", sel ? sel : "(any)", err);
	rf_fb_init(fb, *t);
}

/* ---- transfer sizing and the usbfs budget -------------------------------- */

START_TEST(test_transfer_sizing)
{
	struct emu_opts o = phone(0, NULL);
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct rf_usb_stats hs;
	struct usb_emu_stats es;
	struct usb_emu_usbfs fs;
	const uint32_t size = 16 * MiB + 4321;

	open_fb(NULL, &t, &fb);
	ck_assert_msg(phone_download(&fb, size, 100003) == RF_OK, "%s", fb.err);
	ck_assert_msg(rf_fb_flash(&fb, "system") == RF_OK, "%s", fb.err);
	phone_check_partition(o.state_dir, "system", size);
	rf_usb_get_stats(t, &hs);
	usb_emu_get_stats(u, 0, &es);
	usb_emu_get_usbfs(u, &fs);
	ck_assert_uint_eq(hs.xfer_size, 256 * KiB);
	ck_assert_uint_eq(hs.max_in_flight, 3);
	ck_assert_uint_eq(es.max_out_in_flight, 3);
	ck_assert_uint_eq(es.max_urb_out, 256 * KiB);
	ck_assert_uint_eq(hs.enomem, 0);
	/* one phone's share: 16 of them fit in Linux's 16 MiB */
	ck_assert_msg(fs.peak * 16 <= USB_EMU_USBFS_DEFAULT,
		      "one phone holds %lld bytes of usbfs memory", fs.peak);
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

/* The kernel refuses a submission: the transfer size halves until the
 * transfers fit, and every byte still arrives in order. */
START_TEST(test_enomem_fallback)
{
	struct emu_opts o = phone(0, NULL);
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct rf_usb_stats hs;
	struct usb_emu_stats es;
	struct usb_emu_usbfs fs;
	const uint32_t size = 8 * MiB + 777;

	usb_emu_set_usbfs_limit(u, 150 * KiB);
	open_fb(NULL, &t, &fb);
	ck_assert_msg(phone_download(&fb, size, 65536) == RF_OK, "%s", fb.err);
	ck_assert_msg(rf_fb_flash(&fb, "system") == RF_OK, "%s", fb.err);
	phone_check_partition(o.state_dir, "system", size);
	rf_usb_get_stats(t, &hs);
	usb_emu_get_stats(u, 0, &es);
	usb_emu_get_usbfs(u, &fs);
	ck_assert_uint_ge(hs.enomem, 1);
	ck_assert_uint_ge(fs.enomem, 1);
	ck_assert_uint_eq(hs.xfer_size, 128 * KiB);
	ck_assert_msg(fs.peak <= 150 * KiB, "peak %lld", fs.peak);
	ck_assert_uint_eq(es.bytes_out, hs.bytes_out);
	rf_transport_close(t);

	/* below the smallest transfer: a clear error, not a hang */
	usb_emu_set_usbfs_limit(u, 8 * KiB);
	open_fb(NULL, &t, &fb);
	ck_assert_int_eq(phone_download(&fb, MiB, 65536), RF_ENOMEM);
	ck_assert_msg(strstr(fb.err, "usbfs_memory_mb"), "%s", fb.err);
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

#define STATION 16

struct station_phone {
	char serial[24];
	const char *state;
	uint32_t size;
	int rc;
	char err[RF_ERRLEN];
	struct rf_usb_stats st;
	pthread_barrier_t *ready, *go;
};

/* One phone of the station: its download announced, then (once every
 * phone is there, its OUT endpoint held by the test) the data and the
 * flash. */
static void *flash_one(void *arg)
{
	struct station_phone *p = arg;
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	unsigned char *buf = malloc(MiB);

	p->rc = buf ? rf_usb_open(p->serial, RF_USB_PROTO_FASTBOOT, 0, &t, p->err) :
		RF_ENOMEM;
	if (!p->rc) {
		rf_fb_init(&fb, t);
		p->rc = rf_fb_download_begin(&fb, p->size);
	}
	pthread_barrier_wait(p->ready);
	pthread_barrier_wait(p->go);
	for (uint32_t off = 0; !p->rc && off < p->size; off += MiB) {
		size_t n = p->size - off < MiB ? p->size - off : MiB;
		phone_pattern(buf, n, off);
		p->rc = rf_fb_download_write(&fb, buf, n);
	}
	if (!p->rc)
		p->rc = rf_fb_download_end(&fb);
	if (!p->rc)
		p->rc = rf_fb_flash(&fb, "boot");
	if (p->rc && t)
		snprintf(p->err, sizeof p->err, "%s", fb.err);
	if (t)
		rf_usb_get_stats(t, &p->st);
	rf_transport_close(t);
	free(buf);
	return NULL;
}

/* With every phone's OUT endpoint NAKing (held by the test: phones slower
 * than the host, as real ones are), wait until each has all its transfers
 * in flight at once -- the worst case, which must fit -- then let them
 * go.  Returns the usbfs memory then in use. */
static long long all_in_flight(struct usb_emu *u)
{
	struct usb_emu_usbfs fs;
	long long want = (long long)STATION * RF_USB_XFERS_IN_FLIGHT * RF_USB_XFER_SIZE;
	double t0 = phone_now_s();

	do {
		usleep(20 * 1000);
		usb_emu_get_usbfs(u, &fs);
	} while (fs.used < want && phone_now_s() - t0 < 5);
	for (int k = 0; k < STATION; k++)
		usb_emu_hold_out(u, k, 0);
	return fs.used;
}

/* 16 phones on two buses, all downloading at once, every transfer in
 * flight, within the default 16 MiB: no submission refused. */
START_TEST(test_sixteen_phones_in_budget)
{
	struct usb_emu *u = usb_emu_start_empty(err);
	struct station_phone ph[STATION];
	pthread_t th[STATION];
	pthread_barrier_t ready, go;
	struct usb_emu_usbfs fs;
	unsigned long long bytes = 0;

	ck_assert_msg(u != NULL, "%s", err);
	pthread_barrier_init(&ready, NULL, STATION + 1);
	pthread_barrier_init(&go, NULL, STATION + 1);
	for (int k = 0; k < STATION; k++) {
		memset(&ph[k], 0, sizeof ph[k]);
		snprintf(ph[k].serial, sizeof ph[k].serial, "STATION%02d", k);
		struct emu_opts o = phone(k, ph[k].serial);
		struct usb_emu_devcfg c = { .emu = &o, .bus = 1 + k % 2 };
		ph[k].state = o.state_dir;
		ph[k].size = 24 * MiB + (uint32_t)k * 4099;
		ph[k].ready = &ready;
		ph[k].go = &go;
		ck_assert_msg(usb_emu_add(u, &c, err) == k, "%s", err);
	}
	for (int k = 0; k < STATION; k++)
		ck_assert_int_eq(pthread_create(&th[k], NULL, flash_one, &ph[k]), 0);
	pthread_barrier_wait(&ready);
	for (int k = 0; k < STATION; k++)
		usb_emu_hold_out(u, k, 1);
	double t0 = phone_now_s();
	pthread_barrier_wait(&go);
	long long held = all_in_flight(u);
	for (int k = 0; k < STATION; k++)
		pthread_join(th[k], NULL);
	double dt = phone_now_s() - t0;
	pthread_barrier_destroy(&ready);
	pthread_barrier_destroy(&go);
	usb_emu_get_usbfs(u, &fs);
	for (int k = 0; k < STATION; k++) {
		ck_assert_msg(ph[k].rc == RF_OK, "%s: %s", ph[k].serial, ph[k].err);
		ck_assert_uint_eq(ph[k].st.enomem, 0);
		ck_assert_uint_eq(ph[k].st.xfer_size, RF_USB_XFER_SIZE);
		phone_check_partition(ph[k].state, "boot", ph[k].size);
		bytes += ph[k].size;
	}
	printf("usb station: %d phones on 2 buses, %.0f MiB in %.2f s (%.1f MB/s "
	       "through umockdev); every transfer in flight at once: %.2f MiB of "
	       "usbfs memory; peak %.2f MiB of %lld MiB, %llu submissions refused\n",
	       STATION, bytes / 1048576.0, dt, bytes / dt / 1e6, held / 1048576.0,
	       fs.peak / 1048576.0, fs.limit >> 20, fs.enomem);
	fflush(stdout);
	ck_assert_msg(held >= (long long)STATION * RF_USB_XFERS_IN_FLIGHT *
		      RF_USB_XFER_SIZE, "only %lld bytes were in flight at once", held);
	ck_assert_uint_eq(fs.enomem, 0);
	ck_assert_int_le(fs.peak, fs.limit);
	usb_emu_stop(u);
}
END_TEST

/* ---- opening and listing ------------------------------------------------- */

START_TEST(test_open_resets_endpoints)
{
	struct emu_opts o = phone(0, NULL);
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct usb_emu_stats es;

	open_fb(NULL, &t, &fb);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.set_interfaces, 1);
	ck_assert_uint_eq(es.clear_halts, 2);
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

/* Listing reads sysfs: serial, product, speed, who holds the phone, and
 * Xiaomi phones in MTP mode; nothing is opened. */
START_TEST(test_list_from_sysfs)
{
	struct usb_emu *u = usb_emu_start_empty(err);
	struct emu_opts o1 = phone(1, "FAST01"), o2 = phone(2, "SLOW02");
	struct usb_emu_devcfg c1 = { .emu = &o1, .product = "Mi 4" };
	struct usb_emu_devcfg c2 = { .emu = &o2, .speed = "12" };
	struct usb_emu_devcfg c3 = { .vid = 0x2717, .pid = 0xff48, .serial = "MTP03",
				     .iclass = 6, .isubclass = 1, .iprotocol = 1 };
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;
	struct usb_emu_stats es;

	ck_assert_msg(u != NULL, "%s", err);
	ck_assert_int_eq(usb_emu_add(u, &c1, err), 0);
	ck_assert_int_eq(usb_emu_add(u, &c2, err), 1);
	ck_assert_msg(usb_emu_add(u, &c3, err) == 2, "%s", err);
	ck_assert_int_eq(rf_usb_list(ALL_MASK, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(d[0].serial, "FAST01");
	ck_assert_str_eq(d[0].product, "Mi 4");
	ck_assert_uint_eq(d[0].speed_kbps, 480000);
	ck_assert_str_eq(d[0].devnode, usb_emu_devnode(u, 0));
	ck_assert_int_eq(d[0].no_access, 0);
	ck_assert_str_eq(d[0].holder, "");
	ck_assert_uint_eq(d[1].speed_kbps, 12000);
	ck_assert_int_eq(d[2].proto, RF_USB_PROTO_NONE);
	ck_assert_str_eq(d[2].serial, "MTP03");
	free(d);
	for (int k = 0; k < 3; k++) {
		usb_emu_get_stats(u, k, &es);
		ck_assert_msg(es.opens == 0, "device %d opened %u times", k, es.opens);
	}
	/* without the mode bit, only Android interfaces */
	ck_assert_int_eq(rf_usb_list(1u << RF_USB_PROTO_FASTBOOT, &d, &n, err), RF_OK);
	ck_assert_uint_eq(n, 2);
	free(d);
	/* selecting by serial opens only the phone chosen */
	struct rf_transport *t;
	ck_assert_int_eq(rf_usb_open("SLOW02", RF_USB_PROTO_FASTBOOT, 0, &t, err), RF_OK);
	struct rf_usb_stats hs;
	rf_usb_get_stats(t, &hs);
	ck_assert_uint_eq(hs.speed_kbps, 12000);
	rf_transport_close(t);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.opens, 0);
	usb_emu_stop(u);
}
END_TEST

/* ---- waiting for a phone --------------------------------------------------- */

struct later {
	struct usb_emu *u;
	struct usb_emu_devcfg cfg;
	int delay_ms;
};

static void *plug_later(void *arg)
{
	struct later *l = arg;
	char e[256];
	usleep((useconds_t)l->delay_ms * 1000);
	if (usb_emu_add(l->u, &l->cfg, e) < 0)
		fprintf(stderr, "plug_later: %s\n", e);
	return NULL;
}

static int ticks;
static void count_tick(void *user, int el)
{
	(void)user;
	(void)el;
	ticks++;
}

START_TEST(test_wait_for_arrival)
{
	struct usb_emu *u = usb_emu_start_empty(err);
	struct emu_opts o = phone(0, "LATE01");
	struct later l = { u, { .emu = &o }, 1300 };
	pthread_t th;
	volatile sig_atomic_t stop = 0;

	ck_assert_msg(u != NULL, "%s", err);
	/* nothing comes: the limit, then "no phone" */
	double t0 = phone_now_s();
	ck_assert_int_eq(rf_usb_wait(NULL, RF_USB_PROTO_FASTBOOT, 400, &stop, NULL,
				     NULL, err), RF_ENODEV);
	ck_assert(phone_now_s() - t0 >= 0.39);
	/* a stop request ends the wait */
	stop = 1;
	ck_assert_int_eq(rf_usb_wait(NULL, RF_USB_PROTO_FASTBOOT, 5000, &stop, NULL,
				     NULL, err), RF_EINTR);
	stop = 0;
	/* the phone arrives while we wait */
	ticks = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, plug_later, &l), 0);
	t0 = phone_now_s();
	int rc = rf_usb_wait("LATE01", RF_USB_PROTO_FASTBOOT, 20000, &stop, count_tick,
			     NULL, err);
	double dt = phone_now_s() - t0;
	pthread_join(th, NULL);
	ck_assert_msg(rc == RF_OK, "%s", err);
	ck_assert_msg(dt >= 1.2 && dt < 10, "waited %.2f s", dt);
	ck_assert_int_ge(ticks, 1);
	struct usb_emu_stats es;
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.opens, 0); /* waiting opened nothing */
	usb_emu_stop(u);
}
END_TEST

/* reboot-bootloader returns once the phone has left (it lingers silent
 * for a while, as a real one resets), and the phone comes back under a
 * new device number, found by its serial. */
START_TEST(test_reboot_leaves_then_returns)
{
	struct emu_opts o = phone(0, "REBOOT01");
	o.leave_delay_ms = 700;
	o.reboot_delay_ms = 800;
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct usb_emu_stats es;
	char node[64], v[65];

	snprintf(node, sizeof node, "%s", usb_emu_devnode(u, 0));
	open_fb(NULL, &t, &fb);
	double t0 = phone_now_s();
	ck_assert_msg(rf_fb_reboot_bootloader(&fb) == RF_OK, "%s", fb.err);
	double dt = phone_now_s() - t0;
	ck_assert_msg(dt >= 0.6, "returned after %.2f s: before the phone left", dt);
	usb_emu_get_stats(u, 0, &es);
	ck_assert_int_eq(es.online, 0);
	ck_assert_uint_eq(es.drops, 1);
	rf_transport_close(t);

	ck_assert_msg(rf_usb_wait("REBOOT01", RF_USB_PROTO_FASTBOOT, 10000, NULL, NULL,
				  NULL, err) == RF_OK, "%s", err);
	ck_assert_str_ne(usb_emu_devnode(u, 0), node);
	open_fb("REBOOT01", &t, &fb);
	ck_assert_int_eq(rf_fb_getvar(&fb, "serialno", v, sizeof v), RF_OK);
	ck_assert_str_eq(v, "REBOOT01");
	rf_transport_close(t);

	usb_emu_stop(u);
}
END_TEST

/* A phone that answers OKAY to the reboot but stays on the bus longer
 * than allowed is reported as such. */
START_TEST(test_reboot_phone_stays)
{
	struct emu_opts o = phone(0, NULL);
	o.leave_delay_ms = 3000;
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;

	open_fb(NULL, &t, &fb);
	fb.leave_timeout_ms = 800;
	ck_assert_int_eq(rf_fb_reboot_bootloader(&fb), RF_ETIMEDOUT);
	ck_assert_msg(strstr(fb.err, "still there"), "%s", fb.err);
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

/* ---- a phone writing at an eMMC's pace ------------------------------------ */

static int writing_calls;
static double writing_last;
static void on_writing(void *user, const char *cmd, double el, int done)
{
	(void)user;
	(void)cmd;
	writing_calls++;
	if (done)
		writing_last = el;
}

START_TEST(test_slow_write_no_cap)
{
	struct emu_opts o = phone(0, NULL);
	o.write_mbps = 3; /* 6 MiB: about 2.1 s of silence */
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct usb_emu_stats es;
	char v[65];

	open_fb(NULL, &t, &fb);
	fb.timeout_ms = 500; /* far shorter than the write */
	fb.on_wait = on_writing;
	writing_calls = 0;
	ck_assert_msg(phone_download(&fb, 6 * MiB, MiB) == RF_OK, "%s", fb.err);
	ck_assert_msg(rf_fb_flash(&fb, "system") == RF_OK, "%s", fb.err);
	ck_assert_msg(writing_last >= 1.8, "the phone wrote for %.2f s", writing_last);
	ck_assert_int_ge(writing_calls, 3); /* start, ticks, done */
	phone_check_partition(o.state_dir, "system", 6 * MiB);
	/* the link is in step afterwards */
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", v, sizeof v), RF_OK);
	ck_assert_str_eq(v, "MSM8974");
	usb_emu_get_stats(u, 0, &es);
	ck_assert_uint_eq(es.busy_held, 0); /* the host sent nothing meanwhile */
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

/* ---- what a killed host leaves behind ------------------------------------- */

/* The host sends flash: and dies; the phone writes on and its OKAY waits
 * on the bus.  The next run first finds the phone busy (it takes no
 * command), then, once it is done, drops the late OKAY and reads in step. */
START_TEST(test_killed_during_write)
{
	struct emu_opts o = phone(0, NULL);
	o.write_mbps = 1; /* 4 MiB: about 4.2 s */
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	char stale[256], v[65];

	open_fb(NULL, &t, &fb);
	ck_assert_msg(phone_download(&fb, 4 * MiB, MiB) == RF_OK, "%s", fb.err);
	ck_assert_int_eq(rf_transport_write(t, "flash:boot", 10, 1000), RF_OK);
	ck_assert_int_eq(rf_transport_flush(t, 1000), RF_OK);
	double t0 = phone_now_s();
	rf_transport_close(t); /* killed */

	open_fb(NULL, &t, &fb);
	int rc = rf_fb_sync(&fb, stale, sizeof stale);
	ck_assert_msg(rc == RF_EBUSY, "sync: %d %s", rc, fb.err);
	ck_assert_msg(strstr(fb.err, "busy"), "%s", fb.err);
	rf_transport_close(t);

	while (phone_now_s() - t0 < 5.0)
		usleep(100 * 1000);
	open_fb(NULL, &t, &fb);
	ck_assert_msg(rf_fb_sync(&fb, stale, sizeof stale) == RF_OK, "%s", fb.err);
	ck_assert_str_eq(stale, "\"OKAY\"");
	ck_assert_int_eq(rf_fb_getvar(&fb, "serialno", v, sizeof v), RF_OK);
	ck_assert_str_eq(v, "EMU0001");
	phone_check_partition(o.state_dir, "boot", 4 * MiB);
	rf_transport_close(t);
	usb_emu_stop(u);
}
END_TEST

/* The host dies in the middle of a download: the bootloader takes every
 * later byte as image data.  romflash says so (unplug and re-plug); after
 * a re-plug the phone works again. */
START_TEST(test_killed_mid_download)
{
	struct emu_opts o = phone(0, NULL);
	struct usb_emu *u = start_one(&o);
	struct rf_transport *t;
	struct rf_fastboot fb;
	unsigned char *buf = calloc(1, MiB);
	char v[65];

	open_fb(NULL, &t, &fb);
	ck_assert_int_eq(rf_fb_download_begin(&fb, 8 * MiB), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, buf, MiB), RF_OK);
	ck_assert_int_eq(rf_transport_flush(t, 1000), RF_OK);
	rf_transport_close(t); /* killed */

	open_fb(NULL, &t, &fb);
	double t0 = phone_now_s();
	int rc = rf_fb_sync(&fb, NULL, 0);
	ck_assert_msg(rc == RF_EPROTO, "sync: %d %s", rc, fb.err);
	ck_assert_msg(strstr(fb.err, "inside a download") &&
		      strstr(fb.err, "unplug and re-plug"), "%s", fb.err);
	ck_assert(phone_now_s() - t0 < RF_FB_PROBE_MS / 1000.0 + 3);
	rf_transport_close(t);

	usb_emu_replug(u, 0, 200);
	ck_assert_msg(rf_usb_wait(NULL, RF_USB_PROTO_FASTBOOT, 5000, NULL, NULL, NULL,
				  err) == RF_OK, "%s", err);
	open_fb(NULL, &t, &fb);
	ck_assert_msg(rf_fb_sync(&fb, NULL, 0) == RF_OK, "%s", fb.err);
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", v, sizeof v), RF_OK);
	ck_assert_str_eq(v, "MSM8974");
	rf_transport_close(t);
	free(buf);
	usb_emu_stop(u);
}
END_TEST

static Suite *station_suite(void)
{
	Suite *s = suite_create("usb_station");
	TCase *tc = tcase_create("usb_station");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_transfer_sizing);
	tcase_add_test(tc, test_enomem_fallback);
	tcase_add_test(tc, test_open_resets_endpoints);
	tcase_add_test(tc, test_list_from_sysfs);
	tcase_add_test(tc, test_wait_for_arrival);
	tcase_add_test(tc, test_reboot_leaves_then_returns);
	tcase_add_test(tc, test_reboot_phone_stays);
	tcase_add_test(tc, test_slow_write_no_cap);
	tcase_add_test(tc, test_killed_during_write);
	tcase_add_test(tc, test_killed_mid_download);
	suite_add_tcase(s, tc);
	/* a case of its own: make bench runs it alone (CK_RUN_CASE) */
	tc = tcase_create("station16");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sixteen_phones_in_budget);
	suite_add_tcase(s, tc);
	return s;
}


int main(void)
{
	return usb_emu_suite_main(station_suite());
}
