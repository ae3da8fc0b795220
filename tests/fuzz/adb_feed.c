/* The phone's side of an adb link for the harnesses.  See adb_feed.h. */
#include "adb_feed.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

struct fake_transport *fz_adb_phone(const uint8_t *phone, size_t n, int stream,
				    uint8_t cut)
{
	struct fake_transport *f = fake_transport_new();
	uint32_t x = 0x9e3779b9u ^ cut;
	size_t off = 0;

	while (off < n) {
		size_t k;
		if (stream) {
			/* xorshift: pieces of 1..cut bytes, or 4 KiB */
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			k = cut ? 1 + x % cut : 4096;
		} else if (n - off >= RF_ADB_HEADER_LEN) {
			fake_transport_reply_bytes(f, phone + off, RF_ADB_HEADER_LEN);
			off += RF_ADB_HEADER_LEN;
			k = le32(phone + off - RF_ADB_HEADER_LEN + 12);
			if (!k)
				continue; /* no payload transfer */
		} else {
			k = n - off;
		}
		if (k > n - off)
			k = n - off;
		fake_transport_reply_bytes(f, phone + off, k);
		off += k;
	}
	fake_transport_reply_error(f, RF_EDISCONNECTED);
	return f;
}

static int known(uint32_t cmd)
{
	return cmd == RF_ADB_CNXN || cmd == RF_ADB_AUTH || cmd == RF_ADB_OPEN ||
	       cmd == RF_ADB_OKAY || cmd == RF_ADB_WRTE || cmd == RF_ADB_CLSE;
}

static void check_msg(const struct rf_adb_header *h, const uint8_t *payload,
		      int old_peer, uint32_t max_payload)
{
	int must_sum = old_peer || h->cmd == RF_ADB_CNXN || h->cmd == RF_ADB_AUTH;
	uint32_t sum = rf_adb_checksum(payload, h->len);

	if (!known(h->cmd) || h->len > RF_ADB_MAX_PAYLOAD)
		abort();
	if (h->cmd == RF_ADB_WRTE && h->len > max_payload)
		abort();
	if (h->check != (must_sum ? sum : 0))
		abort();
	/* streams are named by a non-zero local id */
	if ((h->cmd == RF_ADB_OPEN || h->cmd == RF_ADB_WRTE) && h->arg0 == 0)
		abort();
}

void fz_adb_check_host(const struct fake_transport *f, int stream, int old_peer,
		       uint32_t max_payload,
		       void (*visit)(void *user, const struct rf_adb_header *h,
				     const uint8_t *payload),
		       void *user)
{
	struct rf_adb_header h;
	char err[RF_ERRLEN];
	int want_payload = 0;

	for (size_t i = 0; i < f->nwrites; i++) {
		size_t len, pos = 0;
		const uint8_t *w = fake_transport_write(f, i, &len);
		if (!stream && want_payload) {
			/* USB: the payload of the header before, alone */
			if (len != h.len)
				abort();
			check_msg(&h, w, old_peer, max_payload);
			if (visit)
				visit(user, &h, w);
			want_payload = 0;
			continue;
		}
		do {
			if (len - pos < RF_ADB_HEADER_LEN ||
			    rf_adb_header_unpack(w + pos, &h, err))
				abort();
			pos += RF_ADB_HEADER_LEN;
			if (!stream) {
				if (len != RF_ADB_HEADER_LEN)
					abort();
				want_payload = h.len > 0;
				if (!want_payload) {
					check_msg(&h, w, old_peer, max_payload);
					if (visit)
						visit(user, &h, w);
				}
				break;
			}
			if (len - pos < h.len)
				abort(); /* a message cut between writes */
			check_msg(&h, w + pos, old_peer, max_payload);
			if (visit)
				visit(user, &h, w + pos);
			pos += h.len;
		} while (pos < len);
	}
	/* a header whose payload never went out is allowed only when the
	 * link failed right then (the write that failed is not recorded) */
	(void)want_payload;
}
