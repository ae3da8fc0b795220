/* The emulated recovery's sideload: it asks for blocks (sideload-host) or
 * takes the stream (legacy) and reassembles the package in
 * <state>/sideload.zip.  See emu_adb.h. */
#include "emu_adb_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPEAT_EVERY 7 /* random order: re-ask an earlier block this often */

static void slogf(struct emu_adb *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void slogf(struct emu_adb *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(a->slog, fmt, ap);
	va_end(ap);
	fputc('\n', a->slog);
	fflush(a->slog);
}

static int parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*end = s;
	*out = v;
	return 0;
}

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One pass's requests appended to the order. */
static void add_pass(struct sideload *s, enum emu_adb_order ord, uint64_t *rng)
{
	uint64_t n = s->nblocks, *o = s->order + s->norder, *perm;
	size_t k = 0;

	if (ord == EMU_ORDER_TAIL)
		o[k++] = n - 1; /* the end record first, as a zip reader does */
	if (ord != EMU_ORDER_RANDOM) {
		for (uint64_t i = 0; i < n; i++)
			o[k++] = i;
		s->norder += k;
		return;
	}
	perm = malloc((size_t)n * sizeof *perm);
	if (!perm)
		abort();
	for (uint64_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = next_rand(rng) % (i + 1), t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	/* and now and then a block asked for before, again */
	for (uint64_t i = 0; i < n; i++) {
		o[k++] = perm[i];
		if ((i + 1) % REPEAT_EVERY == 0)
			o[k++] = perm[next_rand(rng) % (i + 1)];
	}
	free(perm);
	s->norder += k;
}

static void finish(struct emu_adb *a, int ok, const char *why);

/* A fault (emu_fault.h) at this block request: 1 when it took the place
 * of the request. */
static int fault_at_request(struct emu_adb *a, uint64_t blk)
{
	struct sideload *s = &a->sl;
	struct emu_fault *f = emu_faults_hit(&a->faults, "block");
	if (!f)
		return 0;
	slogf(a, "fault: %s at the request of block %llu", emu_fault_name(f->kind),
	      (unsigned long long)blk);
	switch (f->kind) {
	case EMU_FAULT_FAIL:
		finish(a, 0, "(fault)");
		return 1;
	case EMU_FAULT_CUT:
		a->cut_done = 1;
		emu_adb_leave(a, EMU_GONE, EMU_ADB_OFF);
		return 1;
	case EMU_FAULT_GARBAGE:
	case EMU_FAULT_STALL:
		if (f->kind == EMU_FAULT_GARBAGE)
			emu_adb_send(a, A_WRTE, a->my_id, a->host_id, "GARBAGE!", 8);
		s->want_okay = s->want_data = 1; /* never advances again */
		return 1;
	case EMU_FAULT_SLOW:
		a->hold_until = emu_adb_now() + f->ms / 1000.0;
		return 0;
	}
	return 0;
}

static void request(struct emu_adb *a, uint64_t blk)
{
	struct sideload *s = &a->sl;
	char req[32];
	if (fault_at_request(a, blk))
		return;
	snprintf(req, sizeof req, "%08llu", (unsigned long long)blk);
	s->cur = blk;
	s->cur_have = 0;
	s->cur_len = (size_t)(s->size - blk * s->bs < s->bs ? s->size - blk * s->bs
							    : s->bs);
	s->want_okay = s->want_data = 1;
	slogf(a, "block %llu", (unsigned long long)blk);
	emu_adb_send(a, A_WRTE, a->my_id, a->host_id, req, 8);
}

static void finish(struct emu_adb *a, int ok, const char *why)
{
	struct sideload *s = &a->sl;
	const char *word = s->legacy ? (ok ? "OKAY" : "FAIL")
				     : (ok ? "DONEDONE" : "FAILFAIL");
	s->done = 1;
	s->active = 0;
	slogf(a, "%s%s%s", word, why ? " " : "", why ? why : "");
	emu_adb_send(a, A_WRTE, a->my_id, a->host_id, word, strlen(word));
	emu_adb_send(a, A_CLSE, a->my_id, a->host_id, NULL, 0);
	a->stream = 0;
	/* minadbd exits when the install is over: the link goes */
	emu_adb_leave(a, EMU_GONE, EMU_ADB_OFF);
}

/* The next request once the last one is acknowledged and answered. */
static void advance(struct emu_adb *a)
{
	struct sideload *s = &a->sl;
	if (!s->active || s->legacy || s->want_okay || s->want_data)
		return;
	if (s->next < s->norder) {
		request(a, s->order[s->next++]);
		return;
	}
	for (uint64_t b = 0; b < s->nblocks; b++)
		if (!(s->have[b / 8] & (1u << (b % 8)))) {
			finish(a, 0, "(a block never arrived)");
			return;
		}
	finish(a, !a->o.fail, a->o.fail ? "(as told: --fail)" : NULL);
}

static int start(struct emu_adb *a, uint64_t size, uint64_t bs, int legacy)
{
	struct sideload *s = &a->sl;
	char p[4200];
	emu_sl_free(s);
	memset(s, 0, sizeof *s);
	s->fd = -1;
	snprintf(p, sizeof p, "%s/sideload.zip", a->state_dir);
	s->fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (s->fd < 0 || ftruncate(s->fd, (off_t)size) < 0) {
		slogf(a, "cannot create %s: %s", p, strerror(errno));
		return -1;
	}
	s->size = size;
	s->bs = bs;
	s->nblocks = (size + bs - 1) / bs;
	s->legacy = legacy;
	s->active = 1;
	s->buf = malloc((size_t)bs);
	s->have = calloc((size_t)(s->nblocks / 8 + 1), 1);
	return s->buf && s->have ? 0 : -1;
}

int emu_sl_open_host(struct emu_adb *a, const char *args)
{
	struct sideload *s = &a->sl;
	uint64_t size, bs, rng = a->o.seed ? a->o.seed : 0x9e3779b97f4a7c15ull;
	const char *e;
	if (parse_u64(args, &e, &size) || *e != ':' || parse_u64(e + 1, &e, &bs) ||
	    *e || size == 0 || bs < 512 || bs > EMU_MAX_PAYLOAD) {
		slogf(a, "bad sideload-host arguments '%s'", args);
		return -1;
	}
	if (start(a, size, bs, 0))
		return -1;
	/* every pass asks for every block; random ones ask some twice */
	s->order = malloc((size_t)(s->nblocks + 2) * (size_t)a->o.passes * 2 *
			  sizeof *s->order);
	if (!s->order)
		return -1;
	for (int p = 0; p < a->o.passes; p++)
		add_pass(s, a->o.order, &rng);
	slogf(a, "sideload-host %llu %llu", (unsigned long long)size,
	      (unsigned long long)bs);
	request(a, s->order[s->next++]);
	return 0;
}

int emu_sl_open_legacy(struct emu_adb *a, const char *args)
{
	uint64_t size;
	const char *e;
	if (parse_u64(args, &e, &size) || *e || size == 0) {
		slogf(a, "bad sideload arguments '%s'", args);
		return -1;
	}
	slogf(a, "sideload %llu", (unsigned long long)size);
	return start(a, size, EMU_MAX_PAYLOAD, 1);
}

void emu_sl_okay(struct emu_adb *a)
{
	a->sl.want_okay = 0;
	advance(a);
}

static int cable_pulled(struct emu_adb *a)
{
	if (a->o.cut_after <= 0 || a->cut_done ||
	    a->sl.received < (uint64_t)a->o.cut_after)
		return 0;
	a->cut_done = 1;
	slogf(a, "cable pulled after %llu bytes",
	      (unsigned long long)a->sl.received);
	emu_adb_leave(a, EMU_GONE, EMU_ADB_OFF);
	return 1;
}

static void legacy_data(struct emu_adb *a, const unsigned char *d, size_t len)
{
	struct sideload *s = &a->sl;
	if (s->received + len > s->size ||
	    pwrite(s->fd, d, len, (off_t)s->received) != (ssize_t)len) {
		finish(a, 0, "(more data than announced, or a write error)");
		return;
	}
	s->received += len;
	if (cable_pulled(a))
		return;
	if (s->received == s->size)
		finish(a, !a->o.fail, NULL);
}

/* The block is complete: stored, or compared with what came the first
 * time (the host must serve the same bytes every time). */
static int store_block(struct emu_adb *a)
{
	struct sideload *s = &a->sl;
	off_t off = (off_t)(s->cur * s->bs);
	if (s->have[s->cur / 8] & (1u << (s->cur % 8))) {
		unsigned char *old = malloc(s->cur_len);
		int same = old && pread(s->fd, old, s->cur_len, off) == (ssize_t)s->cur_len &&
			   !memcmp(old, s->buf, s->cur_len);
		free(old);
		if (!same)
			slogf(a, "block %llu differs from the first time",
			      (unsigned long long)s->cur);
		return same ? 0 : -1;
	}
	if (pwrite(s->fd, s->buf, s->cur_len, off) != (ssize_t)s->cur_len)
		return -1;
	s->have[s->cur / 8] |= (unsigned char)(1u << (s->cur % 8));
	return 0;
}

void emu_sl_data(struct emu_adb *a, const unsigned char *d, size_t len)
{
	struct sideload *s = &a->sl;
	if (!s->active) {
		slogf(a, "data after the end (%zu bytes)", len);
		return;
	}
	if (s->legacy) {
		legacy_data(a, d, len);
		return;
	}
	if (!s->want_data || s->cur_have + len > s->cur_len) {
		finish(a, 0, "(the host sent more than the block asked for)");
		return;
	}
	memcpy(s->buf + s->cur_have, d, len);
	s->cur_have += len;
	s->received += len;
	if (cable_pulled(a) || s->cur_have < s->cur_len)
		return;
	s->want_data = 0;
	if (store_block(a)) {
		finish(a, 0, "(a block came back different)");
		return;
	}
	advance(a);
}

void emu_sl_host_closed(struct emu_adb *a)
{
	if (a->sl.active && !a->sl.done)
		slogf(a, "host closed the stream before the end");
	a->sl.active = 0;
}

void emu_sl_free(struct sideload *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->order);
	free(s->buf);
	free(s->have);
	s->order = NULL;
	s->buf = s->have = NULL;
}
