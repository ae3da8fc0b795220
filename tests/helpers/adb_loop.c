#include "adb_loop.h"

#include <stdlib.h>

static int loop_read(struct rf_transport *t, void *buf, size_t cap,
		     size_t *got, int timeout_ms)
{
	struct adb_loop *l = (struct adb_loop *)t;
	(void)timeout_ms;
	*got = emu_adb_reply(l->phone, buf, cap);
	if (*got)
		return RF_OK;
	if (emu_adb_link_state(l->phone) != EMU_ONLINE)
		return rf_errf(t->err, RF_EDISCONNECTED, "loop: the phone left");
	return rf_errf(t->err, RF_ETIMEDOUT, "loop: the phone has nothing to say");
}

static int loop_write(struct rf_transport *t, const void *buf, size_t len,
		      int timeout_ms)
{
	struct adb_loop *l = (struct adb_loop *)t;
	(void)timeout_ms;
	if (emu_adb_link_state(l->phone) != EMU_ONLINE)
		return rf_errf(t->err, RF_EDISCONNECTED, "loop: the phone left");
	if (l->fail_writes_after >= 0 &&
	    l->bytes_in + len > (unsigned long long)l->fail_writes_after)
		return rf_errf(t->err, RF_EIO, "loop: write failed (as told)");
	l->bytes_in += len;
	l->writes++;
	emu_adb_receive(l->phone, buf, len);
	return RF_OK;
}

static void loop_close(struct rf_transport *t)
{
	free(t);
}

struct rf_transport *adb_loop_new(struct emu_adb *phone)
{
	struct adb_loop *l = calloc(1, sizeof *l);
	if (!l)
		abort();
	l->phone = phone;
	l->fail_writes_after = -1;
	l->t.read = loop_read;
	l->t.write = loop_write;
	l->t.close = loop_close;
	return &l->t;
}
