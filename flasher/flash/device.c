/* Device selection and opening.  See device.h. */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adb_device.h"
#include "plan.h"
#include "rf_error.h"
#include "transport_tcp.h"
#include "transport_usb.h"

static int is_tcp(const char *sel) { return sel && !strncmp(sel, "tcp:", 4); }

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int stopped(const struct rf_device_env *env)
{
	return env->stop && *env->stop;
}

static void attach(const struct rf_device_env *env, struct rf_fastboot *fb,
		   struct rf_transport *t)
{
	rf_fb_init(fb, t);
	fb->on_info = env->on_info;
	fb->user = env->user;
}

static int open_once(const char *sel, struct rf_transport **t,
		     int connect_timeout_ms, char *err)
{
	if (is_tcp(sel)) {
		char host[256];
		int port, rc;
		rc = rf_tcp_parse(sel, RF_TCP_FASTBOOT_PORT, host,
				  sizeof host, &port, err);
		if (rc)
			return rc;
		return rf_tcp_open(host, port, RF_TCP_FASTBOOT,
				   connect_timeout_ms, t, err);
	}
	return rf_usb_open(sel, RF_USB_PROTO_FASTBOOT, 0, t, err);
}

int rf_device_open_fastboot(const struct rf_device_env *env,
			    struct rf_transport **t, struct rf_fastboot *fb,
			    char *err)
{
	int rc = open_once(env->selector, t, 5000, err);
	if (rc) {
		if (rc == RF_ENODEV && !env->selector) {
			/* Say what IS attached: a phone in adb mode needs a
			 * reboot to the bootloader first. */
			struct rf_usb_devinfo *d = NULL;
			size_t n = 0;
			char e2[RF_ERRLEN];
			if (!rf_usb_list(1u << RF_USB_PROTO_ADB, &d, &n, e2) && n)
				rf_errf(err, rc, "no phone in fastboot mode; %zu phone%s in adb mode (%s): "
					"restart it into the bootloader (power + volume down)",
					n, n > 1 ? "s" : "", d[0].serial);
			else
				rf_errf(err, rc, "no phone in fastboot mode found "
					"(connect it, hold power + volume down; see udev/ for permissions)");
			free(d);
		}
		return rc;
	}
	attach(env, fb, *t);
	return RF_OK;
}

int rf_device_wait_fastboot(const struct rf_device_env *env, const char *serial,
			    int timeout_s, void (*tick)(void *, int),
			    void *user, struct rf_transport **t,
			    struct rf_fastboot *fb, char *err)
{
	const char *sel = env->selector;
	double start = now_s();
	int last = -1, rc = RF_ENODEV;

	/* Same phone: by serial over USB (a reboot may change the bus
	 * address), by address over TCP. */
	if (!is_tcp(env->selector) && serial && *serial)
		sel = serial;
	while (!stopped(env)) {
		int el = (int)(now_s() - start);
		if (el != last) {
			last = el;
			if (tick)
				tick(user, el);
		}
		rc = open_once(sel, t, 1000, err);
		if (!rc) {
			attach(env, fb, *t);
			return RF_OK;
		}
		if (el >= timeout_s)
			break;
		usleep(250 * 1000);
	}
	if (stopped(env))
		return rf_errf(err, RF_EINTR, "interrupted while waiting for the phone");
	return rf_errf(err, RF_ENODEV,
		       "the phone %s did not come back in fastboot mode within %d s",
		       serial && *serial ? serial : (env->selector ? env->selector : ""),
		       timeout_s);
}

int rf_device_partition_size(struct rf_fastboot *fb, const char *part,
			     uint64_t *size)
{
	char parts[RF_FB_CMD_MAX], name[RF_FB_CMD_MAX], val[64], *save = NULL, *end;
	*size = 0;
	snprintf(parts, sizeof parts, "%s", part);
	for (char *p = strtok_r(parts, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
		uint64_t n;
		int rc;
		snprintf(name, sizeof name, "partition-size:%s", p);
		rc = rf_fb_getvar(fb, name, val, sizeof val);
		if (rc == RF_EFAIL)
			continue; /* a bootloader that does not know the variable */
		if (rc)
			return rc;
		n = strtoull(val, &end, 0);
		if (val[0] && !*end && n && (!*size || n < *size))
			*size = n;
	}
	return RF_OK;
}

int rf_device_max_download(const struct rf_device_env *env,
			   struct rf_fastboot *fb, const char *id, uint32_t *out)
{
	int rc = rf_fb_max_download_size(fb, out);
	if (rc == RF_EFAIL) {
		if (env->on_warn) {
			char msg[RF_ERRLEN];
			snprintf(msg, sizeof msg, "%s does not report max-download-size; using 0x%x",
				 id, RF_DEFAULT_MAX_DL);
			env->on_warn(env->user, msg);
		}
		*out = RF_DEFAULT_MAX_DL;
		rc = RF_OK;
	}
	return rc;
}

/* The bootloader's own product name ("MSM8974") rather than the USB
 * string (often just "Android"); left as it is when the phone cannot be
 * opened (another program holds it). */
static void fastboot_product(const struct rf_usb_devinfo *d, char *product,
			     size_t cap)
{
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char err[RF_ERRLEN], val[64]; /* a reply carries at most 60 */

	if (rf_usb_open(d->serial[0] ? d->serial : d->location,
			RF_USB_PROTO_FASTBOOT, 0, &t, err))
		return;
	rf_fb_init(&fb, t);
	fb.timeout_ms = 2000;
	if (!rf_fb_getvar(&fb, "product", val, sizeof val) && val[0])
		snprintf(product, cap, "%s", val);
	rf_transport_close(t);
}

/* An adb phone's banner says its mode and device (adb_device.c); left as
 * "adb" with the USB product when it cannot be asked. */
static void adb_row(const struct rf_usb_devinfo *d, struct rf_device_row *r)
{
	struct rf_adb_description ad;
	rf_adb_phone_describe(d->serial[0] ? d->serial : d->location, &ad);
	snprintf(r->mode, sizeof r->mode, "%s", ad.mode);
	if (ad.product[0])
		snprintf(r->product, sizeof r->product, "%s", ad.product);
}

int rf_devices_list(const struct rf_device_env *env, struct rf_device_row **rows,
		    size_t *n, char *err)
{
	struct rf_usb_devinfo *d = NULL;
	size_t nd = 0, k = 0;
	struct rf_device_row *r = NULL;
	int rc;

	*rows = NULL;
	*n = 0;
	if (is_tcp(env->selector)) {
		struct rf_transport *t;
		struct rf_fastboot fb;
		r = calloc(1, sizeof *r);
		if (!r)
			return rf_errf(err, RF_ENOMEM, "out of memory");
		rc = rf_device_open_fastboot(env, &t, &fb, err);
		if (rc) {
			/* not fastboot: maybe adb at that address (adb_device.c) */
			struct rf_adb_description ad;
			if (!rf_adb_phone_describe(env->selector, &ad)) {
				snprintf(r->serial, sizeof r->serial, "%s", ad.serial);
				snprintf(r->mode, sizeof r->mode, "%s", ad.mode);
				snprintf(r->product, sizeof r->product, "%s", ad.product);
				snprintf(r->location, sizeof r->location, "%s", ad.location);
				*rows = r;
				*n = 1;
				return RF_OK;
			}
			free(r);
			return rc;
		}
		snprintf(r->serial, sizeof r->serial, "%s", t->serial);
		if (rf_fb_getvar(&fb, "serialno", r->serial, sizeof r->serial) || !*r->serial)
			snprintf(r->serial, sizeof r->serial, "%s", t->serial);
		snprintf(r->mode, sizeof r->mode, "fastboot");
		rf_fb_getvar(&fb, "product", r->product, sizeof r->product);
		snprintf(r->location, sizeof r->location, "%s", t->location);
		rf_transport_close(t);
		*rows = r;
		*n = 1;
		return RF_OK;
	}
	rc = rf_usb_list((1u << RF_USB_PROTO_FASTBOOT) | (1u << RF_USB_PROTO_ADB),
			 &d, &nd, err);
	if (rc)
		return rc;
	if (nd) {
		r = calloc(nd, sizeof *r);
		if (!r) {
			free(d);
			return rf_errf(err, RF_ENOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < nd; i++) {
		if (env->selector && strcmp(env->selector, d[i].serial) &&
		    strcmp(env->selector, d[i].location))
			continue;
		snprintf(r[k].serial, sizeof r[k].serial, "%s", d[i].serial);
		snprintf(r[k].mode, sizeof r[k].mode, "%s",
			 d[i].proto == RF_USB_PROTO_FASTBOOT ? "fastboot"
							     : "adb");
		snprintf(r[k].product, sizeof r[k].product, "%s", d[i].product);
		if (d[i].proto == RF_USB_PROTO_FASTBOOT)
			fastboot_product(&d[i], r[k].product, sizeof r[k].product);
		else if (!d[i].no_access)
			adb_row(&d[i], &r[k]);
		snprintf(r[k].location, sizeof r[k].location, "%s", d[i].location);
		k++;
	}
	free(d);
	*rows = r;
	*n = k;
	return RF_OK;
}
