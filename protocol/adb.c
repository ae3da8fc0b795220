/* adb, host side.  See adb.h. */
#include "adb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rf_str.h"

#define ADB_DEFAULT_TIMEOUT_MS 10000
#define ADB_PROMPT_TIMEOUT_MS 60000
/* Long waits are cut in slices so a stop request is seen. */
#define ADB_SLICE_MS 1000
#define HOST_BANNER "host::"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ---- messages ----------------------------------------------------------- */

uint32_t rf_adb_checksum(const void *payload, size_t len)
{
	const unsigned char *p = payload;
	uint32_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

void rf_adb_header_pack(unsigned char out[RF_ADB_HEADER_LEN], uint32_t cmd,
			uint32_t arg0, uint32_t arg1, const void *payload,
			uint32_t len, int with_check)
{
	put32(out, cmd);
	put32(out + 4, arg0);
	put32(out + 8, arg1);
	put32(out + 12, len);
	put32(out + 16, with_check ? rf_adb_checksum(payload, len) : 0);
	put32(out + 20, cmd ^ 0xffffffffu);
}

const char *rf_adb_cmd_name(uint32_t cmd, char buf[5])
{
	for (int i = 0; i < 4; i++) {
		unsigned char c = (unsigned char)(cmd >> (8 * i));
		if (c < 'A' || c > 'Z') {
			memcpy(buf, "????", 5);
			return buf;
		}
		buf[i] = (char)c;
	}
	buf[4] = 0;
	return buf;
}

int rf_adb_header_unpack(const unsigned char in[RF_ADB_HEADER_LEN],
			 struct rf_adb_header *h, char *err)
{
	h->cmd = get32(in);
	h->arg0 = get32(in + 4);
	h->arg1 = get32(in + 8);
	h->len = get32(in + 12);
	h->check = get32(in + 16);
	h->magic = get32(in + 20);
	if (h->magic != (h->cmd ^ 0xffffffffu))
		return rf_errf(err, RF_EPROTO,
			       "adb: bad message header (command 0x%08x, magic "
			       "0x%08x): not an adb peer, or out of step",
			       h->cmd, h->magic);
	return RF_OK;
}

/* ---- banner ------------------------------------------------------------- */

const char *rf_adb_mode_name(enum rf_adb_mode m)
{
	switch (m) {
	case RF_ADB_MODE_DEVICE: return "device";
	case RF_ADB_MODE_RECOVERY: return "recovery";
	case RF_ADB_MODE_SIDELOAD: return "sideload";
	case RF_ADB_MODE_RESCUE: return "rescue";
	case RF_ADB_MODE_BOOTLOADER: return "bootloader";
	default: return "unknown";
	}
}

/* Copy [s, s+n) into dst as text: control bytes become '?'. */
static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++)
		dst[k++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	dst[k] = 0;
}

static void banner_prop(struct rf_adb_banner *b, const char *kv, size_t n)
{
	static const struct { const char *key; size_t off, cap; } keys[] = {
		{ "ro.product.name", offsetof(struct rf_adb_banner, name), 64 },
		{ "ro.product.model", offsetof(struct rf_adb_banner, model), 64 },
		{ "ro.product.device", offsetof(struct rf_adb_banner, device), 64 },
		{ "features", offsetof(struct rf_adb_banner, features), 512 },
	};
	const char *eq = memchr(kv, '=', n);
	if (!eq)
		return;
	size_t kl = (size_t)(eq - kv);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strlen(keys[i].key) == kl && !memcmp(kv, keys[i].key, kl))
			copy_field((char *)b + keys[i].off, keys[i].cap, eq + 1,
				   n - kl - 1);
}

void rf_adb_banner_parse(const void *payload, size_t len,
			 struct rf_adb_banner *b)
{
	static const struct { const char *word; enum rf_adb_mode mode; } modes[] = {
		{ "device", RF_ADB_MODE_DEVICE },
		{ "recovery", RF_ADB_MODE_RECOVERY },
		{ "sideload", RF_ADB_MODE_SIDELOAD },
		{ "rescue", RF_ADB_MODE_RESCUE },
		{ "bootloader", RF_ADB_MODE_BOOTLOADER },
	};
	const char *s = payload, *end;
	memset(b, 0, sizeof *b);
	/* a trailing NUL (older peers) is not part of the banner */
	end = memchr(s, 0, len);
	if (end)
		len = (size_t)(end - s);
	end = s + len;
	/* "TYPE:SERIAL:PROPS" (the serial is empty nowadays: "device::...") */
	const char *c1 = memchr(s, ':', len);
	copy_field(b->mode_name, sizeof b->mode_name, s,
		   (size_t)((c1 ? c1 : end) - s));
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(b->mode_name, modes[i].word))
			b->mode = modes[i].mode;
	const char *p = c1 ? c1 + 1 : end;
	const char *c2 = p < end ? memchr(p, ':', (size_t)(end - p)) : NULL;
	p = c2 ? c2 + 1 : end;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *e = semi ? semi : end;
		banner_prop(b, p, (size_t)(e - p));
		p = semi ? semi + 1 : end;
	}
}

/* ---- byte I/O ----------------------------------------------------------- */

static int io_timeout(const struct rf_adb *a)
{
	return a->timeout_ms > 0 ? a->timeout_ms : ADB_DEFAULT_TIMEOUT_MS;
}

/* Exactly `len` bytes, one read per transfer (USB: a header or a payload).
 * The first read waits `first_ms`; once anything arrived the rest of the
 * message gets the normal timeout, and a failure then leaves the stream
 * out of step (a->broken). */
static int read_exact(struct rf_adb *a, void *buf, size_t len, int first_ms)
{
	unsigned char *p = buf;
	size_t done = 0;
	while (done < len) {
		size_t got = 0;
		int rc = rf_transport_read(a->t, p + done, len - done, &got,
					   done ? io_timeout(a) : first_ms);
		if (rc) {
			if (done)
				a->broken = 1;
			return rf_errf(a->err, rc, "%s", a->t->err);
		}
		done += got; /* a zero-length USB packet adds nothing */
	}
	return RF_OK;
}

/* The peer sends checksums (and wants ours) below version 0x01000001;
 * until its CNXN came we do not know, so we send them. */
static int send_check(const struct rf_adb *a)
{
	return !a->connected || a->version < RF_ADB_VERSION_SKIP_CHECKSUM;
}

static int write_failed(struct rf_adb *a, int rc, uint32_t cmd)
{
	char name[5];
	a->broken = 1;
	return rf_errf(a->err, rc, "adb: sending %s: %s",
		       rf_adb_cmd_name(cmd, name), a->t->err);
}

/* A byte stream: an acknowledgement we owe goes out now, alone. */
static int flush_ack(struct rf_adb *a)
{
	unsigned char h[RF_ADB_HEADER_LEN];
	int rc;
	if (!a->ack_pending)
		return RF_OK;
	a->ack_pending = 0;
	rf_adb_header_pack(h, RF_ADB_OKAY, a->ack_local, a->ack_remote, NULL, 0,
			   send_check(a));
	rc = rf_transport_write(a->t, h, sizeof h, io_timeout(a));
	return rc ? write_failed(a, rc, RF_ADB_OKAY) : RF_OK;
}

static int send_msg(struct rf_adb *a, uint32_t cmd, uint32_t arg0,
		    uint32_t arg1, const void *payload, uint32_t len)
{
	unsigned char *h = a->tx;
	size_t n = 0;
	int rc;

	if (a->broken)
		return rf_errf(a->err, RF_EPROTO, "adb: connection unusable "
			       "after an earlier error");
	if (!a->stream) {
		/* USB: the header and the payload are two transfers */
		rf_adb_header_pack(h, cmd, arg0, arg1, payload, len,
				   send_check(a));
		rc = rf_transport_write(a->t, h, RF_ADB_HEADER_LEN, io_timeout(a));
		if (!rc && len)
			rc = rf_transport_write(a->t, payload, len, io_timeout(a));
		return rc ? write_failed(a, rc, cmd) : RF_OK;
	}
	/* a byte stream: the acknowledgement we owe, the header and the
	 * payload in one write */
	if (a->ack_pending) {
		rf_adb_header_pack(h, RF_ADB_OKAY, a->ack_local, a->ack_remote,
				   NULL, 0, send_check(a));
		n = RF_ADB_HEADER_LEN;
		a->ack_pending = 0;
	}
	rf_adb_header_pack(h + n, cmd, arg0, arg1, payload, len, send_check(a));
	n += RF_ADB_HEADER_LEN;
	if (len)
		memcpy(h + n, payload, len);
	rc = rf_transport_write(a->t, h, n + len, io_timeout(a));
	return rc ? write_failed(a, rc, cmd) : RF_OK;
}

/* A byte stream: at least `need` unparsed bytes in a->ib, reading as much
 * as the transport has (often several messages at once). */
static int fill(struct rf_adb *a, size_t need, int first_ms)
{
	while (a->ib_len - a->ib_pos < need) {
		size_t got = 0;
		int partial = a->ib_len > a->ib_pos, rc;
		/* never wait for the phone while it waits for our OKAY */
		if ((rc = flush_ack(a)))
			return rc;
		if (a->ib_pos + need > RF_ADB_IB_CAP) {
			memmove(a->ib, a->ib + a->ib_pos, a->ib_len - a->ib_pos);
			a->ib_len -= a->ib_pos;
			a->ib_pos = 0;
		}
		rc = rf_transport_read(a->t, a->ib + a->ib_len,
				       RF_ADB_IB_CAP - a->ib_len, &got,
				       partial ? io_timeout(a) : first_ms);
		if (rc) {
			if (partial)
				a->broken = 1;
			return rf_errf(a->err, rc, "%s", a->t->err);
		}
		a->ib_len += got;
	}
	return RF_OK;
}

/* The next `len` bytes of the link into buf. */
static int recv_bytes(struct rf_adb *a, void *buf, size_t len, int first_ms)
{
	int rc;
	if (!a->stream)
		return read_exact(a, buf, len, first_ms);
	rc = fill(a, len, first_ms);
	if (rc)
		return rc;
	memcpy(buf, a->ib + a->ib_pos, len);
	a->ib_pos += len;
	return RF_OK;
}

/* One message into a->rxh / a->rx, waiting up to `first_ms` for it. */
static int recv_msg(struct rf_adb *a, int first_ms)
{
	unsigned char h[RF_ADB_HEADER_LEN];
	uint32_t cap = a->connected ? a->max_payload : RF_ADB_MAX_PAYLOAD;
	char name[5];
	int rc;

	if (a->broken)
		return rf_errf(a->err, RF_EPROTO, "adb: connection unusable "
			       "after an earlier error");
	/* a header cut by a timeout would put the stream out of step: wait
	 * for the whole of it first */
	if (a->stream && (rc = fill(a, sizeof h, first_ms)))
		return rc;
	rc = recv_bytes(a, h, sizeof h, first_ms);
	if (rc)
		return rc;
	rc = rf_adb_header_unpack(h, &a->rxh, a->err);
	if (rc) {
		a->broken = 1;
		return rc;
	}
	if (a->rxh.len > cap) {
		a->broken = 1;
		return rf_errf(a->err, RF_EPROTO, "adb: %s of %u bytes, more "
			       "than the %u agreed", rf_adb_cmd_name(a->rxh.cmd,
			       name), a->rxh.len, cap);
	}
	rc = recv_bytes(a, a->rx, a->rxh.len, io_timeout(a));
	if (rc) {
		a->broken = 1;
		return rc;
	}
	/* before the peer's CNXN its version is unknown: 0 or a right sum;
	 * after it, an old peer's sums must be right */
	int must = a->connected && a->version < RF_ADB_VERSION_SKIP_CHECKSUM;
	int may = !a->connected && a->rxh.check != 0;
	if ((must || may) && a->rxh.check != rf_adb_checksum(a->rx, a->rxh.len)) {
		a->broken = 1;
		return rf_errf(a->err, RF_EPROTO, "adb: %s payload checksum "
			       "0x%08x, the data sums to 0x%08x (corrupted "
			       "link?)", rf_adb_cmd_name(a->rxh.cmd, name),
			       a->rxh.check, rf_adb_checksum(a->rx, a->rxh.len));
	}
	return RF_OK;
}

/* Wait up to `total_ms` (< 0: without limit) for a message, in slices so
 * that a stop request is seen. */
static int recv_wait(struct rf_adb *a, int total_ms)
{
	long long deadline = total_ms < 0 ? 0 : now_ms() + total_ms;
	for (;;) {
		if (a->stop && *a->stop)
			return rf_errf(a->err, RF_EINTR, "adb: interrupted");
		long long left = total_ms < 0 ? ADB_SLICE_MS : deadline - now_ms();
		if (left <= 0)
			return rf_errf(a->err, RF_ETIMEDOUT, "adb: no answer "
				       "from the phone within %d ms", total_ms);
		int rc = recv_msg(a, (int)(left < ADB_SLICE_MS ? left
							: ADB_SLICE_MS));
		if (rc != RF_ETIMEDOUT || a->broken)
			return rc;
	}
}

/* ---- connection --------------------------------------------------------- */

static int answer_auth(struct rf_adb *a, const struct rf_adb_auth *auth,
		       int *signed_once, long long *deadline)
{
	unsigned char sig[RF_ADB_SIG_MAX];
	size_t siglen = 0;
	int rc;

	if (a->rxh.arg0 != RF_ADB_AUTH_TOKEN || a->rxh.len != RF_ADB_TOKEN_LEN) {
		a->broken = 1;
		return rf_errf(a->err, RF_EPROTO, "adb: unexpected AUTH type "
			       "%u of %u bytes from the phone", a->rxh.arg0,
			       a->rxh.len);
	}
	if (!auth || !auth->sign)
		return rf_errf(a->err, RF_EACCESS, "the phone asks for adb "
			       "authorisation and no adb key is available");
	if (!*signed_once) {
		*signed_once = 1;
		rc = auth->sign(auth->user, a->rx, RF_ADB_TOKEN_LEN, sig,
				sizeof sig, &siglen, a->err);
		if (rc)
			return rc;
		return send_msg(a, RF_ADB_AUTH, RF_ADB_AUTH_SIGNATURE, 0, sig,
				(uint32_t)siglen);
	}
	const char *pub = auth->public_key && !a->auth_offered_key ?
		auth->public_key(auth->user) : NULL;
	if (!pub)
		return rf_errf(a->err, RF_EACCESS, "the phone refused romflash's "
			       "adb key");
	/* the key is unknown to the phone: offer it, the phone prompts */
	size_t n = strlen(pub) + 1;
	if (n > RF_ADB_MAX_PAYLOAD_V1)
		return rf_errf(a->err, RF_EINVAL, "adb public key too long");
	rc = send_msg(a, RF_ADB_AUTH, RF_ADB_AUTH_RSAPUBLICKEY, 0, pub,
		      (uint32_t)n);
	if (rc)
		return rc;
	a->auth_offered_key = 1;
	if (auth->on_prompt)
		auth->on_prompt(auth->user);
	*deadline = now_ms() + (auth->prompt_timeout_ms > 0 ?
				auth->prompt_timeout_ms : ADB_PROMPT_TIMEOUT_MS);
	return RF_OK;
}

static int take_cnxn(struct rf_adb *a)
{
	a->peer_version = a->rxh.arg0;
	a->peer_max_payload = a->rxh.arg1;
	if (a->peer_version < RF_ADB_VERSION_MIN || a->peer_max_payload < 256)
		return rf_errf(a->err, RF_EPROTO, "adb: the phone answered "
			       "version 0x%08x, payload %u: not usable",
			       a->peer_version, a->peer_max_payload);
	a->version = a->peer_version < RF_ADB_VERSION ? a->peer_version
						      : RF_ADB_VERSION;
	a->max_payload = a->peer_max_payload < RF_ADB_MAX_PAYLOAD ?
		a->peer_max_payload : RF_ADB_MAX_PAYLOAD;
	rf_adb_banner_parse(a->rx, a->rxh.len, &a->banner);
	a->connected = 1;
	return RF_OK;
}

int rf_adb_connect(struct rf_adb *a, struct rf_transport *t,
		   const struct rf_adb_auth *auth)
{
	static const char banner[] = HOST_BANNER;
	long long deadline;
	int signed_once = 0, rc;
	char name[5];

	a->t = t;
	a->connected = a->broken = a->auth_offered_key = 0;
	a->next_id = 0;
	a->ack_pending = 0;
	a->ib_pos = a->ib_len = 0;
	a->rx = malloc(RF_ADB_MAX_PAYLOAD);
	/* an acknowledgement, a header and a payload */
	a->tx = malloc(2 * RF_ADB_HEADER_LEN + RF_ADB_MAX_PAYLOAD);
	a->ib = a->stream ? malloc(RF_ADB_IB_CAP) : NULL;
	if (!a->rx || !a->tx || (a->stream && !a->ib))
		return rf_errf(a->err, RF_ENOMEM, "out of memory");
	/* the NUL is part of the classic host banner */
	rc = send_msg(a, RF_ADB_CNXN, RF_ADB_VERSION, RF_ADB_MAX_PAYLOAD,
		      banner, sizeof banner);
	if (rc)
		return rc;
	deadline = now_ms() + io_timeout(a);
	for (;;) {
		long long left = deadline - now_ms();
		rc = recv_wait(a, left > 0 ? (int)left : 0);
		if (rc == RF_ETIMEDOUT && a->auth_offered_key)
			return rf_errf(a->err, RF_EACCESS, "the phone did not "
				       "accept romflash's adb key in time");
		if (rc)
			return rc;
		switch (a->rxh.cmd) {
		case RF_ADB_CNXN:
			return take_cnxn(a);
		case RF_ADB_AUTH:
			rc = answer_auth(a, auth, &signed_once, &deadline);
			if (rc)
				return rc;
			if (!a->auth_offered_key)
				deadline = now_ms() + io_timeout(a);
			break;
		default:
			a->broken = 1;
			return rf_errf(a->err, RF_EPROTO, "adb: the phone sent "
				       "%s before connecting",
				       rf_adb_cmd_name(a->rxh.cmd, name));
		}
	}
}

void rf_adb_free(struct rf_adb *a)
{
	free(a->rx);
	free(a->tx);
	free(a->ib);
	a->rx = a->tx = a->ib = NULL;
	a->connected = 0;
}

/* ---- streams ------------------------------------------------------------ */

/* Apply the message just received to stream `s`.  Messages for other
 * streams are answered (an OPEN from the phone is refused) or dropped. */
static int dispatch(struct rf_adb_stream *s, int *acked)
{
	struct rf_adb *a = s->a;
	const struct rf_adb_header *h = &a->rxh;
	char name[5];

	switch (h->cmd) {
	case RF_ADB_OKAY:
		if (h->arg1 != s->local)
			return RF_OK;
		if (!s->remote)
			s->remote = h->arg0;
		*acked = 1;
		return RF_OK;
	case RF_ADB_WRTE:
		if (h->arg1 != s->local)
			return RF_OK;
		if (s->in_off < s->in_len) {
			a->broken = 1;
			return rf_errf(a->err, RF_EPROTO, "adb: the phone wrote "
				       "again before its data was acknowledged");
		}
		memcpy(s->in, a->rx, h->len);
		s->in_len = h->len;
		s->in_off = 0;
		return RF_OK;
	case RF_ADB_CLSE:
		if (h->arg1 == s->local)
			s->closed = 1;
		return RF_OK;
	case RF_ADB_OPEN:
		return send_msg(a, RF_ADB_CLSE, 0, h->arg0, NULL, 0);
	case RF_ADB_CNXN:
		a->broken = 1;
		return rf_errf(a->err, RF_EDISCONNECTED, "adb: the phone "
			       "restarted its side of the connection");
	default:
		a->broken = 1;
		return rf_errf(a->err, RF_EPROTO, "adb: unexpected %s from the "
			       "phone", rf_adb_cmd_name(h->cmd, name));
	}
}

int rf_adb_open(struct rf_adb *a, const char *service,
		struct rf_adb_stream *s)
{
	size_t n = strlen(service) + 1;
	int acked = 0, rc;

	memset(s, 0, sizeof *s);
	s->a = a;
	if (!a->connected)
		return rf_errf(a->err, RF_EINVAL, "adb: not connected");
	if (n > a->max_payload)
		return rf_errf(a->err, RF_EINVAL, "adb: service name too long");
	s->in = malloc(a->max_payload);
	if (!s->in)
		return rf_errf(a->err, RF_ENOMEM, "out of memory");
	s->local = ++a->next_id;
	rc = send_msg(a, RF_ADB_OPEN, s->local, 0, service, (uint32_t)n);
	while (!rc && !acked && !s->closed) {
		rc = recv_wait(a, io_timeout(a));
		if (!rc)
			rc = dispatch(s, &acked);
	}
	if (!rc && !acked) {
		char what[64];
		rf_strlcpy(what, service, sizeof what);
		rc = rf_errf(a->err, RF_EFAIL, "the phone refused the adb "
			     "service '%s'", what);
	}
	if (rc) {
		free(s->in);
		s->in = NULL;
		s->closed = 1;
	}
	return rc;
}

int rf_adb_write(struct rf_adb_stream *s, const void *buf, size_t len)
{
	struct rf_adb *a = s->a;
	const unsigned char *p = buf;

	while (len > 0) {
		uint32_t n = len > a->max_payload ? a->max_payload
						  : (uint32_t)len;
		int acked = 0, rc;
		if (s->closed)
			return rf_errf(a->err, RF_EDISCONNECTED, "adb: the phone "
				       "closed the stream");
		rc = send_msg(a, RF_ADB_WRTE, s->local, s->remote, p, n);
		while (!rc && !acked && !s->closed) {
			rc = recv_wait(a, io_timeout(a));
			if (!rc)
				rc = dispatch(s, &acked);
		}
		if (rc)
			return rc;
		if (!acked)
			return rf_errf(a->err, RF_EDISCONNECTED, "adb: the phone "
				       "closed the stream before taking %u "
				       "bytes", n);
		p += n;
		len -= n;
	}
	return RF_OK;
}

int rf_adb_read(struct rf_adb_stream *s, void *buf, size_t cap, size_t *got,
		int timeout_ms)
{
	struct rf_adb *a = s->a;
	int acked = 0, rc;

	*got = 0;
	while (s->in_off >= s->in_len && !s->closed) {
		rc = recv_wait(a, timeout_ms ? timeout_ms : io_timeout(a));
		if (rc)
			return rc;
		rc = dispatch(s, &acked);
		if (rc)
			return rc;
	}
	if (s->in_off >= s->in_len)
		return RF_OK; /* closed */
	size_t n = s->in_len - s->in_off;
	if (n > cap)
		n = cap;
	memcpy(buf, s->in + s->in_off, n);
	s->in_off += n;
	*got = n;
	/* all of it consumed: the phone may send the next one.  On a byte
	 * stream the OKAY rides on our next message (or goes alone before we
	 * wait).  The data is the caller's even if the acknowledgement
	 * cannot go out (a phone that said its last word and left): that
	 * failure is sticky (a->broken) and ends whatever comes next. */
	if (s->in_off == s->in_len && !s->closed) {
		if (a->stream) {
			flush_ack(a); /* at most one owed at a time */
			a->ack_pending = 1;
			a->ack_local = s->local;
			a->ack_remote = s->remote;
		} else {
			send_msg(a, RF_ADB_OKAY, s->local, s->remote, NULL, 0);
		}
	}
	return RF_OK;
}

int rf_adb_read_full(struct rf_adb_stream *s, void *buf, size_t len,
		     size_t *got, int timeout_ms)
{
	unsigned char *p = buf;
	size_t done = 0;
	int rc = RF_OK;

	while (done < len) {
		size_t n = 0;
		rc = rf_adb_read(s, p + done, len - done, &n, timeout_ms);
		if (rc)
			break;
		if (n == 0) {
			rc = rf_errf(s->a->err, RF_EDISCONNECTED, "adb: the "
				     "phone closed the stream after %zu of %zu "
				     "bytes", done, len);
			break;
		}
		done += n;
	}
	if (got)
		*got = done;
	return rc;
}

void rf_adb_close(struct rf_adb_stream *s)
{
	if (!s->a)
		return;
	if (s->a->ack_pending && s->a->ack_local == s->local)
		s->a->ack_pending = 0; /* CLSE says more than OKAY */
	if (!s->closed && s->remote && !s->a->broken)
		send_msg(s->a, RF_ADB_CLSE, s->local, s->remote, NULL, 0);
	s->closed = 1;
	free(s->in);
	s->in = NULL;
}
