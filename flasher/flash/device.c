/* Device selection, waiting and opening.  See device.h; the listing is
 * device_list.c. */
#include "device.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "rf_error.h"
#include "rf_str.h"
#include "transport_tcp.h"
#include "transport_usb.h"
#include "usb_sysfs.h"

#define TCP_RETRY_MS 250
#define TCP_CONNECT_MS 1000

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

static void warn(const struct rf_device_env *env, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(const struct rf_device_env *env, const char *fmt, ...)
{
	char msg[RF_ERRLEN * 2];
	va_list ap;
	if (!env->on_warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	env->on_warn(env->user, msg);
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

/* ---- waiting for the phone ------------------------------------------- */

struct waiting {
	const struct rf_device_env *env;
	char what[96];
	double start;
	void (*tick)(void *, int); /* the caller's, else env->on_waiting */
	void *tick_user;
	int last;
	int coming_back;           /* after a reboot into the bootloader */
};

static void wait_tick(struct waiting *w)
{
	int el = (int)(now_s() - w->start);
	if (el == w->last)
		return;
	w->last = el;
	if (w->tick)
		w->tick(w->tick_user, el);
	else if (w->env->on_waiting)
		w->env->on_waiting(w->env->user, w->what, el);
}

static void usb_tick(void *user, int elapsed_ms)
{
	(void)elapsed_ms;
	wait_tick(user);
}

/* Nobody there (yet): nothing attached, or a TCP address that refuses.
 * One that accepts and then closes the connection without the fastboot
 * handshake is a phone in an adb mode on the same port -- there, unless we
 * wait for it to come back into fastboot after a reboot (it is on its
 * way). */
static int absent(const struct waiting *w, const char *sel, int rc)
{
	return rc == RF_ENODEV ||
		(w->coming_back && is_tcp(sel) && rc == RF_EDISCONNECTED);
}

/* The phone asked for (any, without a selector) is attached in an adb
 * mode (Android, recovery): it will not come into fastboot by itself, so
 * the caller is told at once (it may offer to move it: adb_ui.c). */
static int in_adb_mode(const char *sel)
{
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;
	char e[RF_ERRLEN];
	int found = 0;

	if (rf_usb_list(1u << RF_USB_PROTO_ADB, &d, &n, e))
		n = 0;
	for (size_t i = 0; i < n && !found; i++)
		found = !sel || !strcmp(sel, d[i].serial) || !strcmp(sel, d[i].location);
	free(d);
	return found;
}

/* Open `sel`, waiting up to timeout_s for it to appear: over USB until
 * hotplug (or a rescan) shows it, over TCP by connecting again every
 * 250 ms while the address refuses. */
static int open_waiting(struct waiting *w, const char *sel, int timeout_s,
			struct rf_transport **t, char *err)
{
	int rc = open_once(sel, t, is_tcp(sel) ? 5000 : 0, err);

	if (!absent(w, sel, rc) || timeout_s <= 0)
		return rc;
	if (!w->coming_back && !is_tcp(sel) && in_adb_mode(sel))
		return rc;
	w->start = now_s();
	wait_tick(w);
	for (;;) {
		double left = timeout_s - (now_s() - w->start);
		if (stopped(w->env))
			return rf_errf(err, RF_EINTR, "interrupted while waiting "
				       "for the phone");
		if (left <= 0)
			return rf_errf(err, RF_ENODEV, "no phone: waited %d s for "
				       "%s", timeout_s, w->what);
		if (is_tcp(sel)) {
			usleep(TCP_RETRY_MS * 1000);
		} else {
			rc = rf_usb_wait(sel, RF_USB_PROTO_FASTBOOT,
					 (int)(left * 1000), w->env->stop,
					 usb_tick, w, err);
			if (rc != RF_OK)
				return rc;
		}
		wait_tick(w);
		rc = open_once(sel, t, TCP_CONNECT_MS, err);
		if (!absent(w, sel, rc))
			return rc;
	}
}

/* ---- a phone just opened ------------------------------------------------ */

static void attach(const struct rf_device_env *env, struct rf_fastboot *fb,
		   struct rf_transport *t)
{
	rf_fb_init(fb, t);
	fb->on_info = env->on_info;
	fb->on_wait = env->on_writing;
	fb->user = env->user;
}

/* A USB phone: slow links are pointed out, and what an earlier run left on
 * the connection is cleared or reported (rf_fb_sync). */
static int check_usb_phone(const struct rf_device_env *env,
			   struct rf_fastboot *fb, char *err)
{
	struct rf_transport *t = fb->t;
	struct rf_usb_stats st;
	char stale[RF_ERRLEN], sp[24];
	const char *id = t->serial[0] ? t->serial : t->location;
	int rc;

	rf_usb_get_stats(t, &st);
	if (st.speed_kbps && st.speed_kbps < 480000)
		warn(env, "%s (%s) runs at USB %s speed (%s): a flash takes "
		     "40 times longer; use another cable, or a port of the "
		     "computer itself rather than a hub", id, t->location,
		     st.speed_kbps <= 1500 ? "low" : "full",
		     rf_usb_speed_text(st.speed_kbps, sp, sizeof sp));
	rc = rf_fb_sync(fb, stale, sizeof stale);
	if (rc)
		return rf_errf(err, rc, "%s: %s", id, fb->err);
	if (stale[0])
		warn(env, "%s: dropped replies an earlier run left unread: %s",
		     id, stale);
	return RF_OK;
}

/* What a failed open means for the user: with no phone in fastboot mode,
 * what is attached instead; with no permission, the fix. */
static void explain(int rc, const char *sel, char *err)
{
	char more[RF_ERRLEN * 2];
	struct rf_usb_devinfo *d = NULL;
	size_t n = 0;

	if (rc == RF_EACCESS) {
		rf_device_access_hint(more, sizeof more);
		size_t len = strlen(err);
		snprintf(err + len, RF_ERRLEN - len, "; %s", more);
		return;
	}
	if (rc != RF_ENODEV || is_tcp(sel))
		return;
	if (rf_usb_list((1u << RF_USB_PROTO_ADB) | (1u << RF_USB_PROTO_NONE), &d,
			&n, more))
		n = 0;
	/* the phone asked for (or any, without -s) in another mode */
	for (size_t i = 0; i < n; i++) {
		if (sel && strcmp(sel, d[i].serial) && strcmp(sel, d[i].location))
			continue;
		if (d[i].proto == RF_USB_PROTO_ADB)
			rf_errf(err, rc, "no phone in fastboot mode; %s (%s) is in "
				"adb mode: restart it into the bootloader (adb reboot "
				"bootloader, or hold Volume-Down + Power)",
				d[i].serial[0] ? d[i].serial : "a phone", d[i].location);
		else
			rf_errf(err, rc, "no phone in fastboot mode; the Xiaomi phone "
				"at %s is in MTP or charging mode: hold Volume-Down + "
				"Power to start it in fastboot", d[i].location);
		break;
	}
	free(d);
}

static int open_and_check(const struct rf_device_env *env, struct waiting *w,
			  const char *sel, int timeout_s, struct rf_transport **t,
			  struct rf_fastboot *fb, char *err)
{
	int rc;

	w->last = -1;
	rc = open_waiting(w, sel, timeout_s, t, err);
	if (w->last >= 0 && !w->tick && env->on_waiting)
		env->on_waiting(env->user, w->what, -1);
	if (rc) {
		*t = NULL;
		explain(rc, sel, err);
		return rc;
	}
	attach(env, fb, *t);
	if (!is_tcp(sel)) {
		rc = check_usb_phone(env, fb, err);
		if (rc) {
			rf_transport_close(*t);
			*t = NULL;
		}
	}
	return rc;
}

int rf_device_open_fastboot(const struct rf_device_env *env,
			    struct rf_transport **t, struct rf_fastboot *fb,
			    char *err)
{
	struct waiting w = { .env = env };
	const char *sel = env->selector;

	if (is_tcp(sel))
		rf_strlcpy(w.what, sel, sizeof w.what);
	else
		snprintf(w.what, sizeof w.what, "%s in fastboot mode",
			 sel ? sel : "a phone");
	return open_and_check(env, &w, sel, env->wait_s, t, fb, err);
}

int rf_device_wait_fastboot(const struct rf_device_env *env, const char *serial,
			    int timeout_s, void (*tick)(void *, int),
			    void *user, struct rf_transport **t,
			    struct rf_fastboot *fb, char *err)
{
	struct waiting w = { .env = env, .tick = tick, .tick_user = user,
			     .coming_back = 1 };
	const char *sel = env->selector;
	int rc;

	/* Same phone: by serial over USB (a reboot changes its device
	 * number), by address over TCP. */
	if (!is_tcp(env->selector) && serial && *serial)
		sel = serial;
	snprintf(w.what, sizeof w.what, "%s in fastboot mode", sel ? sel : "a phone");
	rc = open_and_check(env, &w, sel, timeout_s, t, fb, err);
	if (rc == RF_ENODEV)
		rf_errf(err, rc, "the phone %s did not come back in fastboot "
			"mode within %d s", sel ? sel : "", timeout_s);
	return rc;
}

int rf_device_partition_size(struct rf_fastboot *fb, const char *part,
			     uint64_t *size)
{
	char parts[RF_FB_CMD_MAX], name[RF_FB_CMD_MAX], val[64], *save = NULL;
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
		/* hexadecimal, "0x" or not, as AOSP fastboot and format read it */
		if (!rf_fb_parse_hex(val, &n) && n && (!*size || n < *size))
			*size = n;
	}
	return RF_OK;
}

int rf_device_max_download(const struct rf_device_env *env,
			   struct rf_fastboot *fb, const char *id, uint32_t *out)
{
	int rc = rf_fb_max_download_size(fb, out);
	if (rc == RF_EFAIL) {
		warn(env, "%s does not report max-download-size; using 0x%x",
		     id, RF_DEFAULT_MAX_DL);
		*out = RF_DEFAULT_MAX_DL;
		rc = RF_OK;
	}
	return rc;
}
