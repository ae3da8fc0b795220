#include "fake_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tests have nothing sensible to do when memory runs out. */
static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "fake_transport: out of memory\n");
		abort();
	}
	return q;
}

static int fake_read(struct rf_transport *t, void *buf, size_t cap,
		     size_t *got, int timeout_ms)
{
	struct fake_transport *f = (struct fake_transport *)t;
	*got = 0;
	f->reads++;
	f->last_read_timeout = timeout_ms;
	f->last_read_cap = cap;
	if (f->disconnected)
		return rf_errf(t->err, RF_EDISCONNECTED, "fake: disconnected");
	if (f->next_reply >= f->nreplies)
		return rf_errf(t->err, RF_ETIMEDOUT, "fake: no reply scripted");
	struct fake_transport_reply *r = &f->replies[f->next_reply++];
	if (r->code == RF_EDISCONNECTED)
		f->disconnected = 1;
	if (r->code)
		return rf_errf(t->err, r->code, "fake: scripted error %d",
			       r->code);
	if (r->len > cap)
		return rf_errf(t->err, RF_EPROTO,
			       "fake: reply of %zu bytes exceeds %zu", r->len,
			       cap);
	if (r->len)
		memcpy(buf, r->data, r->len);
	*got = r->len;
	return RF_OK;
}

static void record(struct fake_transport *f, const void *buf, size_t len)
{
	if (f->wire_len + len > f->wire_cap) {
		size_t c = f->wire_cap ? f->wire_cap : 256;
		while (c < f->wire_len + len)
			c *= 2;
		f->wire = xrealloc(f->wire, c);
		f->wire_cap = c;
	}
	if (len)
		memcpy(f->wire + f->wire_len, buf, len);
	f->wire_len += len;
	if (f->nwrites == f->write_end_cap) {
		f->write_end_cap = f->write_end_cap ? f->write_end_cap * 2 : 16;
		f->write_end = xrealloc(f->write_end,
					f->write_end_cap * sizeof *f->write_end);
	}
	f->write_end[f->nwrites++] = f->wire_len;
}

static int fake_write(struct rf_transport *t, const void *buf, size_t len,
		      int timeout_ms)
{
	struct fake_transport *f = (struct fake_transport *)t;
	f->last_write_timeout = timeout_ms;
	if (f->disconnected)
		return rf_errf(t->err, RF_EDISCONNECTED, "fake: disconnected");
	if (f->write_error)
		return rf_errf(t->err, f->write_error, "fake: write error %d",
			       f->write_error);
	if (f->disconnect_after >= 0 &&
	    (long long)(f->wire_len + len) > f->disconnect_after) {
		/* The part that made it before the cable came out. */
		size_t part = (size_t)(f->disconnect_after -
				       (long long)f->wire_len);
		record(f, buf, part);
		f->disconnected = 1;
		return rf_errf(t->err, RF_EDISCONNECTED,
			       "fake: disconnected after %lld bytes",
			       f->disconnect_after);
	}
	record(f, buf, len);
	if (f->cancel_flag && f->nwrites >= f->cancel_after_writes)
		*f->cancel_flag = 1;
	return RF_OK;
}

static int fake_flush(struct rf_transport *t, int timeout_ms)
{
	struct fake_transport *f = (struct fake_transport *)t;
	(void)timeout_ms;
	f->flushes++;
	if (f->disconnected)
		return rf_errf(t->err, RF_EDISCONNECTED, "fake: disconnected");
	if (f->flush_error)
		return rf_errf(t->err, f->flush_error, "fake: flush error %d",
			       f->flush_error);
	return RF_OK;
}

static void fake_close(struct rf_transport *t)
{
	struct fake_transport *f = (struct fake_transport *)t;
	for (size_t i = 0; i < f->nreplies; i++)
		free(f->replies[i].data);
	free(f->replies);
	free(f->wire);
	free(f->write_end);
	free(f);
}

struct fake_transport *fake_transport_new(void)
{
	struct fake_transport *f = xrealloc(NULL, sizeof *f);
	memset(f, 0, sizeof *f);
	f->t.read = fake_read;
	f->t.write = fake_write;
	f->t.flush = fake_flush;
	f->t.close = fake_close;
	f->disconnect_after = -1;
	snprintf(f->t.serial, sizeof f->t.serial, "FAKE0001");
	snprintf(f->t.location, sizeof f->t.location, "fake:0");
	return f;
}

static struct fake_transport_reply *add(struct fake_transport *f)
{
	if (f->nreplies == f->replies_cap) {
		f->replies_cap = f->replies_cap ? f->replies_cap * 2 : 16;
		f->replies = xrealloc(f->replies,
				      f->replies_cap * sizeof *f->replies);
	}
	struct fake_transport_reply *r = &f->replies[f->nreplies++];
	memset(r, 0, sizeof *r);
	return r;
}

void fake_transport_reply_bytes(struct fake_transport *f, const void *b,
				size_t n)
{
	struct fake_transport_reply *r = add(f);
	r->data = xrealloc(NULL, n);
	if (n)
		memcpy(r->data, b, n);
	r->len = n;
}

void fake_transport_reply(struct fake_transport *f, const char *s)
{
	fake_transport_reply_bytes(f, s, strlen(s));
}

void fake_transport_reply_error(struct fake_transport *f, int code)
{
	add(f)->code = code;
}

const unsigned char *fake_transport_write(const struct fake_transport *f,
					  size_t i, size_t *len)
{
	if (i >= f->nwrites) {
		if (len)
			*len = 0;
		return NULL;
	}
	size_t start = i ? f->write_end[i - 1] : 0;
	if (len)
		*len = f->write_end[i] - start;
	return f->wire + start;
}

int fake_transport_write_is(const struct fake_transport *f, size_t i,
			    const char *s)
{
	size_t len;
	const unsigned char *p = fake_transport_write(f, i, &len);
	return p && len == strlen(s) && memcmp(p, s, len) == 0;
}

size_t fake_transport_pending(const struct fake_transport *f)
{
	return f->nreplies - f->next_reply;
}
