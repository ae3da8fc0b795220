/* libFuzzer harness: the phone's block requests in adb sideload
 * (protocol/sideload.c over protocol/adb.c).
 *
 * Input: a configuration byte (bit 0: byte stream instead of USB, as in
 * fuzz_adb.c), two bytes giving the package size (1..5 blocks and a bit),
 * for a stream the byte that cuts it into reads, then what the phone
 * sends: its CNXN, the OKAY or CLSE to the sideload-host service, the
 * 8-digit block requests as WRTEs, DONEDONE or FAILFAIL.
 *
 * Whatever the phone asks: the package source is only read within the
 * package, by whole blocks (sideload-host) or front to back (legacy), and
 * the bytes the host writes are exactly the bytes read, in order -- all of
 * them when the run says it succeeded. */
#include <stdlib.h>
#include <string.h>

#include "adb_feed.h"
#include "harness.h"
#include "sideload.h"

struct span {
	uint64_t off;
	size_t len;
};

struct source {
	uint64_t size, next; /* legacy: the next offset expected */
	const struct rf_sideload *run; /* st.legacy: which service */
	struct span *v;
	size_t n, cap;
	/* the host's WRTEs walked against v[]: read k, byte pos */
	size_t k, pos;
	uint64_t written;
};

/* The package's byte at `off`: position-dependent, so a byte from the
 * wrong place shows. */
static unsigned char byte_at(uint64_t off)
{
	return (unsigned char)(off * 131u + (off >> 16) * 7u + 3u);
}

static int src_read(void *user, uint64_t off, void *buf, size_t len, char *err)
{
	struct source *s = user;
	unsigned char *p = buf;

	(void)err;
	if (off > s->size || len > s->size - off || len == 0)
		abort();
	if (s->run->st.legacy ? off != s->next
		      : off % RF_SIDELOAD_BLOCK != 0 ||
			(len != RF_SIDELOAD_BLOCK && off + len != s->size))
		abort();
	s->next = off + len;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (!s->v)
			abort();
	}
	s->v[s->n++] = (struct span){ off, len };
	for (size_t i = 0; i < len; i++)
		p[i] = byte_at(off + i);
	return RF_OK;
}

/* Each WRTE of the host continues the bytes read, in read order. */
static void host_msg(void *user, const struct rf_adb_header *h,
		     const uint8_t *payload)
{
	struct source *s = user;

	if (h->cmd != RF_ADB_WRTE)
		return;
	for (size_t i = 0; i < h->len; i++) {
		while (s->k < s->n && s->pos == s->v[s->k].len) {
			s->k++;
			s->pos = 0;
		}
		if (s->k == s->n || payload[i] != byte_at(s->v[s->k].off + s->pos))
			abort();
		s->pos++;
	}
	s->written += h->len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	int stream = cfg & 1;
	uint64_t size = 1 + (uint64_t)fz_u16(&in) * 5;
	uint8_t cut = stream ? fz_u8(&in) : 0;
	const uint8_t *phone;
	size_t n = fz_rest(&in, &phone);
	struct fake_transport *f = fz_adb_phone(phone, n, stream, cut);
	struct rf_sideload s;
	struct source src = { .size = size, .run = &s };
	struct rf_sideload_src rs = { src_read, &src, size };
	struct rf_adb a;
	uint64_t bytes_read = 0;
	int rc;

	memset(&a, 0, sizeof a);
	a.stream = stream;
	memset(&s, 0, sizeof s);
	s.adb = &a;
	s.src = &rs;
	if (!rf_adb_connect(&a, &f->t, NULL)) {
		rc = rf_sideload_run(&s);
		fz_check_str(s.err, sizeof s.err);
		if (s.st.unique > size || s.st.nblocks != (size + 65535) / 65536)
			abort();
		fz_adb_check_host(f, stream, a.version < RF_ADB_VERSION_SKIP_CHECKSUM,
				  a.max_payload, host_msg, &src);
		for (size_t i = 0; i < src.n; i++)
			bytes_read += src.v[i].len;
		/* only the last read may be cut short by a failed write */
		if (src.written > bytes_read ||
		    (src.n && src.written + src.v[src.n - 1].len < bytes_read) ||
		    (rc == RF_OK && src.written != bytes_read))
			abort();
		if (rc == RF_OK && s.st.legacy && bytes_read != size)
			abort();
	}
	free(src.v);
	rf_adb_free(&a);
	rf_transport_close(&f->t);
	return 0;
}
