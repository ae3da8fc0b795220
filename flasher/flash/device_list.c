/* `romflash devices`: every attached phone, those romflash cannot use
 * right now included, with what is wrong and the fix.  See device_list.h. */
#include "device_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adb_device.h"
#include "rf_error.h"
#include "rf_str.h"
#include "transport_tcp.h"
#include "transport_usb.h"
#include "usb_sysfs.h"

#define PRODUCT_TIMEOUT_MS 2000

/* The bootloader's own product name ("MSM8974") rather than the USB
 * string (often just "Android"), from a phone no program holds. */
static void ask_product(struct rf_device_row *r, const char *sel)
{
	struct rf_transport *t = NULL;
	struct rf_fastboot fb;
	char err[RF_ERRLEN], val[64]; /* a reply carries at most 60 */
	int rc = rf_usb_open(sel, RF_USB_PROTO_FASTBOOT, 0, &t, err);

	if (rc == RF_EBUSY) {
		rf_strlcpy(r->state, "busy", sizeof r->state);
		rf_strlcpy(r->note, err, sizeof r->note);
	}
	if (rc)
		return;
	rf_fb_init(&fb, t);
	fb.timeout_ms = PRODUCT_TIMEOUT_MS;
	rc = rf_fb_sync(&fb, NULL, 0);
	if (rc == RF_OK && !rf_fb_getvar(&fb, "product", val, sizeof val) && val[0])
		rf_strlcpy(r->product, val, sizeof r->product);
	if (rc) {
		rf_strlcpy(r->state, "not-answering", sizeof r->state);
		rf_strlcpy(r->note, fb.err, sizeof r->note);
	}
	rf_transport_close(t);
}

/* An adb phone's banner says its mode and device (adb_device.c); left as
 * "adb" with the USB product when it cannot be asked. */
static void adb_row(const struct rf_usb_devinfo *d, struct rf_device_row *r)
{
	struct rf_adb_description ad;
	rf_adb_phone_describe(d->location, &ad);
	rf_strlcpy(r->mode, ad.mode, sizeof r->mode);
	if (ad.product[0])
		rf_strlcpy(r->product, ad.product, sizeof r->product);
}

static void usb_row(const struct rf_usb_devinfo *d, struct rf_device_row *r)
{
	char sp[24];
	rf_strlcpy(r->serial, d->serial, sizeof r->serial);
	rf_strlcpy(r->product, d->product, sizeof r->product);
	rf_strlcpy(r->location, d->location, sizeof r->location);
	rf_strlcpy(r->mode, d->proto == RF_USB_PROTO_FASTBOOT ? "fastboot" :
		   d->proto == RF_USB_PROTO_ADB ? "adb" : "mtp", sizeof r->mode);
	if (d->speed_kbps)
		rf_strlcpy(r->speed, rf_usb_speed_text(d->speed_kbps, sp, sizeof sp),
			   sizeof r->speed);
	rf_strlcpy(r->state, "ok", sizeof r->state);
	if (d->proto == RF_USB_PROTO_NONE) {
		rf_strlcpy(r->state, "wrong-mode", sizeof r->state);
		rf_strlcpy(r->note, "not in fastboot: hold Volume-Down + Power "
			   "(MTP or charging mode now)", sizeof r->note);
	} else if (d->no_access) {
		char hint[400];
		rf_device_access_hint(hint, sizeof hint);
		rf_strlcpy(r->state, "no-permission", sizeof r->state);
		snprintf(r->note, sizeof r->note, "no permission to open %s: %s",
			 d->devnode, hint);
	} else if (d->holder[0]) {
		rf_strlcpy(r->state, "busy", sizeof r->state);
		snprintf(r->note, sizeof r->note, "in use by another program "
			 "(another romflash, fastboot, the adb server?): not "
			 "touched");
	} else if (d->proto == RF_USB_PROTO_FASTBOOT) {
		/* by location: clones may share a serial */
		ask_product(r, d->location);
	} else {
		adb_row(d, r);
	}
	if (!strcmp(r->state, "ok") && d->speed_kbps && d->speed_kbps < 480000) {
		rf_strlcpy(r->state, "slow", sizeof r->state);
		snprintf(r->note, sizeof r->note, "USB %s speed (%s), not high "
			 "speed: a bad cable or an old hub? a flash would take 40 "
			 "times longer", d->speed_kbps <= 1500 ? "low" : "full",
			 r->speed);
	}
}

static int tcp_row(const struct rf_device_env *env, struct rf_device_row **rows,
		   size_t *n, char *err)
{
	struct rf_transport *t;
	struct rf_fastboot fb;
	struct rf_device_env once = *env;
	struct rf_device_row *r = calloc(1, sizeof *r);
	int rc;

	if (!r)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	once.wait_s = 0; /* a listing shows what is there */
	rc = rf_device_open_fastboot(&once, &t, &fb, err);
	if (rc) {
		/* not fastboot: maybe adb at that address (adb_device.c) */
		struct rf_adb_description ad;
		if (!rf_adb_phone_describe(env->selector, &ad)) {
			rf_strlcpy(r->serial, ad.serial, sizeof r->serial);
			rf_strlcpy(r->mode, ad.mode, sizeof r->mode);
			rf_strlcpy(r->product, ad.product, sizeof r->product);
			rf_strlcpy(r->location, ad.location, sizeof r->location);
			rf_strlcpy(r->state, "ok", sizeof r->state);
			*rows = r;
			*n = 1;
			return RF_OK;
		}
		free(r);
		return rc;
	}
	if (rf_fb_getvar(&fb, "serialno", r->serial, sizeof r->serial) || !*r->serial)
		rf_strlcpy(r->serial, t->serial, sizeof r->serial);
	rf_strlcpy(r->mode, "fastboot", sizeof r->mode);
	rf_strlcpy(r->state, "ok", sizeof r->state);
	rf_fb_getvar(&fb, "product", r->product, sizeof r->product);
	rf_strlcpy(r->location, t->location, sizeof r->location);
	rf_transport_close(t);
	*rows = r;
	*n = 1;
	return RF_OK;
}

static int wanted(const struct rf_device_env *env, const struct rf_usb_devinfo *d)
{
	return !env->selector || !strcmp(env->selector, d->serial) ||
		!strcmp(env->selector, d->location);
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
	if (env->selector && !strncmp(env->selector, "tcp:", 4))
		return tcp_row(env, rows, n, err);
	rc = rf_usb_list((1u << RF_USB_PROTO_FASTBOOT) | (1u << RF_USB_PROTO_ADB) |
			 (1u << RF_USB_PROTO_NONE), &d, &nd, err);
	if (rc)
		return rc;
	if (nd) {
		r = calloc(nd, sizeof *r);
		if (!r) {
			free(d);
			return rf_errf(err, RF_ENOMEM, "out of memory");
		}
	}
	for (size_t i = 0; i < nd; i++)
		if (wanted(env, &d[i]))
			usb_row(&d[i], &r[k++]);
	free(d);
	*rows = r;
	*n = k;
	return RF_OK;
}
