/* An in-process fastboot phone.  See fake_phone.h. */
#include "fake_phone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VARS 32
#define MAX_PARTS 64
#define MAX_REPLIES 16

struct part {
	char name[64];
	unsigned char *data;
	size_t len, cap;
};

struct fake_phone {
	pthread_mutex_t mu;
	char serial[64], product[64];
	uint32_t max_dl;
	char var[MAX_VARS][2][64];
	int nvars;
	struct part part[MAX_PARTS];
	int nparts;
	char *log;
	size_t loglen;
	char fail_prefix[64], fail_text[64];
	int fail_times;
	long long cut_after, dl_total;
	int no_return, reboots;
	char maxdl_text[32];
	fake_phone_hook hook;
	void *hook_user;
};

struct conn {
	struct rf_transport t;
	struct fake_phone *p;
	char reply[MAX_REPLIES][65];
	int nreply, next;
	int dead, leaving;   /* leaving: dead once its replies are read */
	unsigned char *dl;
	size_t dl_size, dl_have;
	int in_dl;
	unsigned char *last; /* the last complete download */
	size_t last_len;
};

struct fake_phone *fake_phone_new(const char *serial, const char *product)
{
	struct fake_phone *p = calloc(1, sizeof *p);
	if (!p)
		abort();
	pthread_mutex_init(&p->mu, NULL);
	snprintf(p->serial, sizeof p->serial, "%s", serial);
	snprintf(p->product, sizeof p->product, "%s", product);
	p->max_dl = 0x30000000;
	p->cut_after = -1;
	return p;
}

void fake_phone_free(struct fake_phone *p)
{
	for (int i = 0; i < p->nparts; i++)
		free(p->part[i].data);
	free(p->log);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void fake_phone_var(struct fake_phone *p, const char *name, const char *value)
{
	pthread_mutex_lock(&p->mu);
	if (p->nvars < MAX_VARS) {
		snprintf(p->var[p->nvars][0], 64, "%s", name);
		snprintf(p->var[p->nvars][1], 64, "%s", value);
		p->nvars++;
	}
	pthread_mutex_unlock(&p->mu);
}

void fake_phone_max_download(struct fake_phone *p, uint32_t bytes) { p->max_dl = bytes; }
void fake_phone_cut_after(struct fake_phone *p, long long bytes) { p->cut_after = bytes; }
void fake_phone_no_return(struct fake_phone *p) { p->no_return = 1; }
int fake_phone_rebooted(struct fake_phone *p) { return p->reboots; }

void fake_phone_fail(struct fake_phone *p, const char *prefix, int times, const char *text)
{
	snprintf(p->fail_prefix, sizeof p->fail_prefix, "%s", prefix);
	snprintf(p->fail_text, sizeof p->fail_text, "%s", text ? text : "fake failure");
	p->fail_times = times;
}

void fake_phone_hook_set(struct fake_phone *p, fake_phone_hook h, void *user)
{
	p->hook = h;
	p->hook_user = user;
}

static void log_line(struct fake_phone *p, const char *s)
{
	size_t n = strlen(s);
	p->log = realloc(p->log, p->loglen + n + 2);
	if (!p->log)
		abort();
	memcpy(p->log + p->loglen, s, n);
	p->loglen += n;
	p->log[p->loglen++] = '\n';
	p->log[p->loglen] = 0;
}

char *fake_phone_log(struct fake_phone *p)
{
	pthread_mutex_lock(&p->mu);
	char *s = strdup(p->log ? p->log : "");
	pthread_mutex_unlock(&p->mu);
	return s;
}

char *fake_phone_writes(struct fake_phone *p)
{
	char *all = fake_phone_log(p), *out = calloc(1, strlen(all) + 1), *save = NULL;
	for (char *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "getvar:", 7) && strncmp(l, "download:", 9)) {
			strcat(out, l);
			strcat(out, "\n");
		}
	free(all);
	return out;
}

static struct part *part_of(struct fake_phone *p, const char *name, int create)
{
	for (int i = 0; i < p->nparts; i++)
		if (!strcmp(p->part[i].name, name))
			return &p->part[i];
	if (!create || p->nparts == MAX_PARTS)
		return NULL;
	struct part *q = &p->part[p->nparts++];
	snprintf(q->name, sizeof q->name, "%s", name);
	return q;
}

const unsigned char *fake_phone_part(struct fake_phone *p, const char *name, size_t *len)
{
	pthread_mutex_lock(&p->mu);
	struct part *q = part_of(p, name, 0);
	pthread_mutex_unlock(&p->mu);
	*len = q ? q->len : 0;
	return q ? (q->data ? q->data : (const unsigned char *)"") : NULL;
}

static void put(struct part *q, uint64_t off, const void *src, size_t n, int fill, uint32_t pat)
{
	if (off + n > q->cap) {
		q->cap = off + n;
		q->data = realloc(q->data, q->cap);
		if (!q->data)
			abort();
	}
	if (off > q->len)
		memset(q->data + q->len, 0, off - q->len);
	if (fill)
		for (size_t i = 0; i < n; i += 4)
			memcpy(q->data + off + i, &pat, n - i < 4 ? n - i : 4);
	else
		memcpy(q->data + off, src, n);
	if (off + n > q->len)
		q->len = off + n;
}

static uint32_t le32(const unsigned char *b) { return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

/* A download written to a partition: raw at 0, or sparse chunks applied
 * (DONT_CARE keeps what is there, so split pieces compose). */
static int apply(struct part *q, const unsigned char *d, size_t n)
{
	if (n < 28 || le32(d) != 0xed26ff3a) {
		q->len = 0;
		put(q, 0, d, n, 0, 0);
		return 0;
	}
	uint32_t blk = le32(d + 12), nchunks = le32(d + 20);
	size_t at = d[8] | d[9] << 8; /* file header size */
	uint64_t out = 0;
	for (uint32_t c = 0; c < nchunks; c++) {
		if (at + 12 > n)
			return -1;
		unsigned type = d[at] | d[at + 1] << 8;
		uint32_t nblk = le32(d + at + 4), total = le32(d + at + 8);
		size_t hdr = d[10] | d[11] << 8;
		const unsigned char *body = d + at + hdr;
		uint64_t bytes = (uint64_t)nblk * blk;
		if (at + total > n)
			return -1;
		if (type == 0xcac1)
			put(q, out, body, bytes, 0, 0);
		else if (type == 0xcac2)
			put(q, out, NULL, bytes, 1, le32(body));
		out += type == 0xcac4 ? 0 : bytes;
		at += total;
	}
	return 0;
}

/* "OKAY"/"FAIL"/"DATA" and a payload, cut to a reply's 64 bytes */
static void reply(struct conn *c, const char *kind, const char *text)
{
	if (c->nreply < MAX_REPLIES)
		snprintf(c->reply[c->nreply++], 65, "%.4s%.60s", kind, text);
}

static const char *var_of(struct fake_phone *p, const char *name)
{
	for (int i = p->nvars - 1; i >= 0; i--)
		if (!strcmp(p->var[i][0], name))
			return p->var[i][1];
	if (!strcmp(name, "product"))
		return p->product;
	if (!strcmp(name, "serialno"))
		return p->serial;
	if (!strcmp(name, "version-bootloader"))
		return "fake-LK-1.0";
	if (!strcmp(name, "max-download-size")) {
		snprintf(p->maxdl_text, sizeof p->maxdl_text, "\t0x%08x", p->max_dl);
		return p->maxdl_text;
	}
	if (!strncmp(name, "partition-size:", 15) || !strncmp(name, "partition-type:", 15))
		return "";
	return NULL;
}

static void flash(struct conn *c, const char *names)
{
	char list[64], *save = NULL;
	snprintf(list, sizeof list, "%s", names);
	if (!c->last) {
		reply(c, "FAIL", "no image downloaded");
		return;
	}
	for (char *n = strtok_r(list, "+", &save); n; n = strtok_r(NULL, "+", &save))
		if (apply(part_of(c->p, n, 1), c->last, c->last_len)) {
			reply(c, "FAIL", "bad sparse image");
			return;
		}
	reply(c, "OKAY", "");
}

/* One command, under the phone's lock. */
static void command(struct conn *c, const char *cmd)
{
	struct fake_phone *p = c->p;
	unsigned long n;
	log_line(p, cmd);
	if (p->fail_times && !strncmp(cmd, p->fail_prefix, strlen(p->fail_prefix))) {
		if (p->fail_times > 0)
			p->fail_times--;
		reply(c, "FAIL", p->fail_text);
	} else if (!strncmp(cmd, "getvar:", 7)) {
		const char *v = var_of(p, cmd + 7);
		if (v)
			reply(c, "OKAY", v);
		else
			reply(c, "FAIL", "GetVar Variable Not found");
	} else if (!strncmp(cmd, "download:", 9)) {
		n = strtoul(cmd + 9, NULL, 16);
		if (n > p->max_dl) {
			reply(c, "FAIL", "data too large");
			return;
		}
		free(c->dl);
		c->dl = malloc(n ? n : 1);
		c->dl_size = n;
		c->dl_have = 0;
		c->in_dl = 1;
		char hex[16];
		snprintf(hex, sizeof hex, "%08lx", n);
		reply(c, "DATA", hex);
	} else if (!strncmp(cmd, "flash:", 6)) {
		flash(c, cmd + 6);
	} else if (!strncmp(cmd, "erase:", 6)) {
		struct part *q = part_of(p, cmd + 6, 1);
		q->len = 0;
		reply(c, "OKAY", "");
	} else if (!strcmp(cmd, "reboot-bootloader")) {
		p->reboots++;
		reply(c, "OKAY", "");
		c->leaving = 1;
	} else if (!strcmp(cmd, "reboot") || !strcmp(cmd, "continue")) {
		reply(c, "OKAY", "");
		c->leaving = 1;
	} else {
		reply(c, "OKAY", ""); /* oem, set_active, boot */
	}
}

static int conn_write(struct rf_transport *t, const void *buf, size_t len, int timeout_ms)
{
	struct conn *c = (struct conn *)t;
	struct fake_phone *p = c->p;
	(void)timeout_ms;
	if (c->dead)
		return rf_errf(t->err, RF_EDISCONNECTED, "fake phone: link is gone");
	if (c->in_dl) {
		size_t take = len < c->dl_size - c->dl_have ? len : c->dl_size - c->dl_have;
		pthread_mutex_lock(&p->mu);
		p->dl_total += (long long)take;
		if (p->cut_after >= 0 && p->dl_total >= p->cut_after) {
			p->cut_after = -1;
			c->dead = 1;
		}
		pthread_mutex_unlock(&p->mu);
		if (c->dead)
			return rf_errf(t->err, RF_EDISCONNECTED, "fake phone: cable pulled");
		memcpy(c->dl + c->dl_have, buf, take);
		c->dl_have += take;
		if (c->dl_have == c->dl_size) {
			free(c->last);
			c->last = c->dl;
			c->last_len = c->dl_size;
			c->dl = NULL;
			c->in_dl = 0;
			reply(c, "OKAY", "");
		}
		return RF_OK;
	}
	char cmd[65];
	snprintf(cmd, sizeof cmd, "%.*s", (int)(len < 64 ? len : 64), (const char *)buf);
	if (p->hook && p->hook(p, cmd, p->hook_user)) {
		pthread_mutex_lock(&p->mu);
		log_line(p, cmd);
		pthread_mutex_unlock(&p->mu);
		reply(c, "FAIL", "hook said no");
		return RF_OK;
	}
	pthread_mutex_lock(&p->mu);
	command(c, cmd);
	pthread_mutex_unlock(&p->mu);
	return RF_OK;
}

static int conn_read(struct rf_transport *t, void *buf, size_t cap, size_t *got, int timeout_ms)
{
	struct conn *c = (struct conn *)t;
	(void)timeout_ms;
	*got = 0;
	if (c->next < c->nreply) {
		size_t n = strlen(c->reply[c->next]);
		if (n > cap)
			return rf_errf(t->err, RF_EPROTO, "fake phone: reply too long");
		memcpy(buf, c->reply[c->next++], n);
		*got = n;
		if (c->next == c->nreply) {
			c->next = c->nreply = 0;
			if (c->leaving)
				c->dead = 1;
		}
		return RF_OK;
	}
	if (c->dead)
		return rf_errf(t->err, RF_EDISCONNECTED, "fake phone: link is gone");
	return rf_errf(t->err, RF_ETIMEDOUT, "fake phone: nothing to say");
}

static void conn_close(struct rf_transport *t)
{
	struct conn *c = (struct conn *)t;
	free(c->dl);
	free(c->last);
	free(c);
}

struct rf_transport *fake_phone_connect(struct fake_phone *p)
{
	struct conn *c;
	if (p->no_return && p->reboots)
		return NULL;
	if (!(c = calloc(1, sizeof *c)))
		abort();
	c->p = p;
	c->t.read = conn_read;
	c->t.write = conn_write;
	c->t.close = conn_close;
	snprintf(c->t.serial, sizeof c->t.serial, "%s", p->serial);
	snprintf(c->t.location, sizeof c->t.location, "fake:%.50s", p->serial);
	return &c->t;
}
