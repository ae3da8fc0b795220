/* Phones in adb modes.  See adb_device.h. */
#include "adb_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rf_str.h"
#include "transport_tcp.h"
#include "transport_usb.h"

#define DEFAULT_TIMEOUT_MS 5000
#define REBOOT_WORDS_MS 5000
#define WAIT_POLL_MS 250
#define WAIT_OPEN_TIMEOUT_MS 2000

int rf_adb_selector_is_tcp(const char *selector)
{
	return selector && !strncmp(selector, "tcp:", 4);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- AUTH: the key is loaded (or made) only when a phone asks ---------- */

struct phone_auth {
	struct rf_adb_phone *p;
	const struct rf_adb_phone_opts *o;
};

static int phone_sign(void *user, const unsigned char *token, size_t len,
		      unsigned char *sig, size_t cap, size_t *siglen, char *err)
{
	struct phone_auth *pa = user;
	struct rf_adb_phone *p = pa->p;
	if (!p->key_loaded) {
		int rc = rf_adb_key_load(&p->key, err);
		if (rc)
			return rc;
		p->key_loaded = 1;
	}
	return rf_adb_key_sign(&p->key, token, len, sig, cap, siglen, err);
}

static const char *phone_public_key(void *user)
{
	struct phone_auth *pa = user;
	if (pa->o->no_prompt || !pa->p->key_loaded)
		return NULL;
	return pa->p->key.public_line;
}

static void phone_prompt(void *user)
{
	struct phone_auth *pa = user;
	if (pa->o->on_prompt)
		pa->o->on_prompt(pa->o->user);
}

/* ---- opening ------------------------------------------------------------ */

static int open_transport(struct rf_adb_phone *p, const struct rf_adb_phone_opts *o,
			  int timeout_ms)
{
	const char *sel = o->selector && *o->selector ? o->selector : NULL;
	if (rf_adb_selector_is_tcp(sel)) {
		char host[256];
		int port, rc;
		rc = rf_tcp_parse(sel, RF_TCP_ADB_PORT, host, sizeof host, &port,
				  p->err);
		if (!rc)
			rc = rf_tcp_open(host, port, RF_TCP_STREAM, timeout_ms,
					 &p->t, p->err);
		p->tcp = 1;
		return rc;
	}
	return rf_usb_open(sel, RF_USB_PROTO_ADB, 1, &p->t, p->err);
}

int rf_adb_phone_open(struct rf_adb_phone *p, const struct rf_adb_phone_opts *o)
{
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	struct phone_auth pa = { .p = p, .o = o };
	struct rf_adb_auth auth = {
		.sign = phone_sign, .user = &pa,
		.public_key = phone_public_key, .on_prompt = phone_prompt,
		.prompt_timeout_ms = o->prompt_timeout_ms,
	};
	int rc;

	memset(p, 0, sizeof *p);
	rc = open_transport(p, o, timeout);
	if (rc)
		return rc;
	rf_strlcpy(p->location, p->t->location, sizeof p->location);
	rf_strlcpy(p->id, p->t->serial[0] ? p->t->serial : p->t->location,
		   sizeof p->id);
	p->adb.timeout_ms = timeout;
	p->adb.stop = o->stop;
	p->adb.stream = p->tcp; /* whole messages, buffered reads */
	rc = rf_adb_connect(&p->adb, p->t, &auth);
	p->unauthorized = rc == RF_EACCESS;
	if (rc) {
		rf_errf(p->err, rc, "%s: %s", p->id, p->adb.err);
		rf_adb_phone_close(p);
	}
	return rc;
}

void rf_adb_phone_close(struct rf_adb_phone *p)
{
	rf_adb_free(&p->adb);
	rf_transport_close(p->t);
	p->t = NULL;
	if (p->key_loaded)
		rf_adb_key_free(&p->key);
	p->key_loaded = 0;
}

/* ---- modes -------------------------------------------------------------- */

int rf_adb_phone_reboot(struct rf_adb_phone *p, const char *target)
{
	struct rf_adb_stream s;
	char service[64], said[256];
	size_t n = 0, got;
	const char *mode = rf_adb_mode_name(rf_adb_phone_mode(p));
	int rc;

	snprintf(service, sizeof service, "reboot:%s", target ? target : "");
	rc = rf_adb_open(&p->adb, service, &s);
	if (rc == RF_EFAIL)
		return rf_errf(p->err, rc, "the phone (in %s mode) refuses to "
			       "reboot%s%s", mode, target && *target ?
			       " into " : "", target ? target : "");
	if (rc)
		return rf_errf(p->err, rc, "%s", p->adb.err);
	/* a phone that goes says nothing; one that refuses says why */
	while (n + 1 < sizeof said &&
	       !rf_adb_read(&s, said + n, sizeof said - 1 - n, &got,
			    REBOOT_WORDS_MS) && got)
		n += got;
	rf_adb_close(&s);
	while (n && (said[n - 1] == '\n' || said[n - 1] == '\r' ||
		     said[n - 1] == ' '))
		n--;
	said[n] = 0;
	if (n)
		return rf_errf(p->err, RF_EFAIL, "the phone (in %s mode) did not "
			       "reboot: \"%s\"", mode, said);
	return RF_OK;
}

int rf_adb_phone_wait(struct rf_adb_phone *p, const struct rf_adb_phone_opts *o,
		      const char *id, unsigned modes, int timeout_s,
		      void (*tick)(void *user, int elapsed_s), void *user)
{
	struct rf_adb_phone_opts w = *o;
	double start = now_s();
	char why[RF_ERRLEN] = "";
	int last = -1;

	w.selector = id && *id ? id : o->selector;
	if (!w.timeout_ms)
		w.timeout_ms = WAIT_OPEN_TIMEOUT_MS;
	for (;;) {
		int el = (int)(now_s() - start);
		if (o->stop && *o->stop)
			return rf_errf(p->err, RF_EINTR, "interrupted while "
				       "waiting for the phone");
		if (el != last && tick)
			tick(user, el);
		last = el;
		int rc = rf_adb_phone_open(p, &w);
		if (!rc && (modes & (1u << rf_adb_phone_mode(p))))
			return RF_OK;
		if (!rc) {
			snprintf(why, sizeof why, "it is in %s mode",
				 rf_adb_mode_name(rf_adb_phone_mode(p)));
			rf_adb_phone_close(p); /* not there yet: still going */
		} else if (p->unauthorized || rc == RF_EINTR) {
			return rc; /* the user said no, or stopped us */
		} else if (rc != RF_ENODEV) {
			rf_strlcpy(why, p->err, sizeof why);
		}
		if (el >= timeout_s)
			return rf_errf(p->err, RF_ENODEV, "the phone %s did not "
				       "come back in the expected mode within "
				       "%d s%s%s", w.selector ? w.selector : "",
				       timeout_s, why[0] ? ": " : "", why);
		usleep(WAIT_POLL_MS * 1000);
	}
}

int rf_adb_phone_describe(const char *selector, struct rf_adb_description *d)
{
	struct rf_adb_phone p;
	struct rf_adb_phone_opts o = { .selector = selector, .no_prompt = 1,
				       .timeout_ms = 2000 };
	int rc = rf_adb_phone_open(&p, &o);

	memset(d, 0, sizeof *d);
	rf_strlcpy(d->mode, p.unauthorized ? "unauthorized" : "adb",
		   sizeof d->mode);
	if (rc && !p.unauthorized)
		return rc;
	rf_strlcpy(d->serial, p.id, sizeof d->serial);
	rf_strlcpy(d->location, p.location, sizeof d->location);
	if (rc)
		return RF_OK; /* it answered, wanting a key */
	const struct rf_adb_banner *b = &p.adb.banner;
	if (b->mode != RF_ADB_MODE_UNKNOWN)
		rf_strlcpy(d->mode, rf_adb_mode_name(b->mode), sizeof d->mode);
	else if (b->mode_name[0])
		rf_strlcpy(d->mode, b->mode_name, sizeof d->mode);
	rf_strlcpy(d->product, b->device[0] ? b->device : b->name,
		   sizeof d->product);
	rf_adb_phone_close(&p);
	return RF_OK;
}
