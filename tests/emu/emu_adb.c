/* The emulated phone's adb side: messages, connection, services, modes.
 * See emu_adb.h. */
#include "emu_adb_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t sum(const unsigned char *p, size_t n)
{
	uint32_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

const char *emu_adb_mode_name(enum emu_adb_mode m)
{
	static const char *names[] = { "device", "recovery", "sideload",
				       "fastboot", "gone" };
	return m <= EMU_ADB_OFF ? names[m] : "?";
}

void emu_adb_logf(struct emu_adb *a, const char *fmt, ...)
{
	va_list ap;
	if (!a->log)
		return;
	va_start(ap, fmt);
	vfprintf(a->log, fmt, ap);
	va_end(ap);
	fputc('\n', a->log);
	fflush(a->log);
}

/* <state>/adb-mode via a temporary name: a poller never sees half. */
static void write_mode(struct emu_adb *a, const char *word)
{
	char p[4200], tmp[4300];
	snprintf(p, sizeof p, "%s/adb-mode", a->state_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", word);
	if (fclose(f) == 0)
		rename(tmp, p);
}

/* ---- replies ------------------------------------------------------------ */

static void queue(struct emu_adb *a, const void *data, size_t len)
{
	struct piece *p = malloc(sizeof *p + len);
	if (!p)
		abort();
	p->next = NULL;
	p->len = len;
	p->off = 0;
	memcpy(p->data, data, len);
	if (a->out_tail)
		a->out_tail->next = p;
	else
		a->out = p;
	a->out_tail = p;
}

/* Header and payload are two pieces: two USB transfers, as adbd sends. */
void emu_adb_send(struct emu_adb *a, uint32_t cmd, uint32_t arg0,
		  uint32_t arg1, const void *data, size_t len)
{
	unsigned char h[EMU_HDR];
	/* old peers check sums; a new one sends none once connected */
	int check = a->o.old_version || !a->connected;
	put32(h, cmd);
	put32(h + 4, arg0);
	put32(h + 8, arg1);
	put32(h + 12, (uint32_t)len);
	put32(h + 16, check ? sum(data, len) : 0);
	put32(h + 20, cmd ^ 0xffffffffu);
	queue(a, h, sizeof h);
	if (len)
		queue(a, data, len);
}

double emu_adb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double emu_adb_busy_s(const struct emu_adb *a)
{
	double left = a->hold_until - emu_adb_now();
	return left > 0 ? left : 0;
}

size_t emu_adb_reply(struct emu_adb *a, void *buf, size_t cap)
{
	struct piece *p = a->out;
	if (!p || cap == 0 || emu_adb_busy_s(a) > 0)
		return 0;
	size_t n = p->len - p->off < cap ? p->len - p->off : cap;
	memcpy(buf, p->data + p->off, n);
	p->off += n;
	if (p->off == p->len) {
		a->out = p->next;
		if (!a->out)
			a->out_tail = NULL;
		free(p);
	}
	return n;
}

static void drop_replies(struct emu_adb *a)
{
	while (a->out) {
		struct piece *p = a->out;
		a->out = p->next;
		free(p);
	}
	a->out_tail = NULL;
}

/* ---- connection --------------------------------------------------------- */

void emu_adb_send_banner(struct emu_adb *a)
{
	char b[512];
	int n = snprintf(b, sizeof b, "%s::ro.product.name=%s;ro.product.model=%s;"
			 "ro.product.device=%s;%s", emu_adb_mode_name(a->mode),
			 a->name, a->model, a->device,
			 a->mode == EMU_ADB_DEVICE ? "features=shell_v2,cmd" : "");
	/* old adbd sent the banner NUL-terminated */
	emu_adb_send(a, A_CNXN, a->version, a->max_payload, b,
		     (size_t)n + (a->o.old_version ? 1 : 0));
	a->connected = 1;
	emu_adb_logf(a, "connected as %s", emu_adb_mode_name(a->mode));
}

static void host_cnxn(struct emu_adb *a, uint32_t ver, uint32_t maxp)
{
	a->use_version = ver < a->version ? ver : a->version;
	a->use_payload = maxp < a->max_payload ? maxp : a->max_payload;
	a->connected = 0;
	a->stream = 0;
	emu_adb_logf(a, "CNXN version 0x%08x payload %u", ver, maxp);
	if (a->o.auth_keys && !a->authorized)
		emu_adb_auth_start(a);
	else
		emu_adb_send_banner(a);
}

/* The link goes: after a reboot (EMU_DROPPED) it comes back in `next`. */
void emu_adb_leave(struct emu_adb *a, enum emu_link how, enum emu_adb_mode next)
{
	a->link = how;
	a->next_mode = next;
	write_mode(a, how == EMU_GONE ? "gone" : "rebooting");
	emu_adb_logf(a, "link %s%s%s", how == EMU_GONE ? "gone" : "dropped",
		     how == EMU_GONE ? "" : ", back as ",
		     how == EMU_GONE ? "" : emu_adb_mode_name(next));
}

/* ---- services ----------------------------------------------------------- */

static void refuse(struct emu_adb *a, const char *service)
{
	emu_adb_logf(a, "OPEN %s refused", service);
	emu_adb_send(a, A_CLSE, 0, a->host_id, NULL, 0);
	a->stream = 0;
}

static void accept_stream(struct emu_adb *a)
{
	a->my_id++;
	a->stream = 1;
	emu_adb_send(a, A_OKAY, a->my_id, a->host_id, NULL, 0);
}

static void reboot(struct emu_adb *a, const char *target)
{
	static const struct { const char *t; enum emu_adb_mode m; } to[] = {
		{ "bootloader", EMU_ADB_FASTBOOT }, { "recovery", EMU_ADB_RECOVERY },
		{ "sideload", EMU_ADB_SIDELOAD }, { "", EMU_ADB_DEVICE },
	};
	int k = -1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(target, to[i].t))
			k = i;
	if (a->mode == EMU_ADB_SIDELOAD || k < 0) {
		refuse(a, target); /* minadbd has no reboot service */
		return;
	}
	accept_stream(a);
	if (a->mode == EMU_ADB_DEVICE && to[k].m == EMU_ADB_SIDELOAD && !a->o.root) {
		static const char msg[] = "'adb root' is required for 'adb reboot sideload'.\n";
		emu_adb_logf(a, "reboot:%s refused (not root)", target);
		emu_adb_send(a, A_WRTE, a->my_id, a->host_id, msg, sizeof msg - 1);
		emu_adb_send(a, A_CLSE, a->my_id, a->host_id, NULL, 0);
		a->stream = 0;
		return;
	}
	emu_adb_logf(a, "reboot:%s", target);
	emu_adb_leave(a, EMU_DROPPED, to[k].m);
}

static void host_open(struct emu_adb *a, uint32_t host_id, const unsigned char *d,
		      size_t len)
{
	char svc[256];
	size_t n = len < sizeof svc - 1 ? len : sizeof svc - 1;
	memcpy(svc, d, n);
	svc[n] = 0;
	a->host_id = host_id;
	if (a->stream) {
		refuse(a, svc); /* one service at a time is all we model */
		return;
	}
	emu_adb_logf(a, "OPEN %s", svc);
	if (!strncmp(svc, "reboot:", 7)) {
		reboot(a, svc + 7);
	} else if (a->mode == EMU_ADB_SIDELOAD && !a->o.legacy &&
		   !strncmp(svc, "sideload-host:", 14)) {
		accept_stream(a);
		if (emu_sl_open_host(a, svc + 14))
			emu_adb_leave(a, EMU_GONE, EMU_ADB_OFF);
	} else if (a->mode == EMU_ADB_SIDELOAD && a->o.legacy &&
		   !strncmp(svc, "sideload:", 9)) {
		accept_stream(a);
		if (emu_sl_open_legacy(a, svc + 9))
			emu_adb_leave(a, EMU_GONE, EMU_ADB_OFF);
	} else {
		refuse(a, svc);
	}
}

/* ---- one message from the host ------------------------------------------ */

static int violation(struct emu_adb *a, const char *why)
{
	emu_adb_logf(a, "protocol violation: %s; closing", why);
	fprintf(stderr, "romflash-emu: adb protocol violation: %s\n", why);
	emu_adb_leave(a, EMU_GONE, EMU_ADB_OFF);
	return -1;
}

static void message(struct emu_adb *a, const unsigned char *h,
		    const unsigned char *d, size_t len)
{
	uint32_t cmd = get32(h), arg0 = get32(h + 4), arg1 = get32(h + 8);

	if (cmd == A_CNXN) {
		host_cnxn(a, arg0, arg1);
		return;
	}
	if (cmd == A_AUTH) {
		if (a->connected || !a->o.auth_keys)
			violation(a, "AUTH outside authentication");
		else
			emu_adb_auth_message(a, arg0, d, len);
		return;
	}
	if (!a->connected) {
		violation(a, "a message before the connection");
		return;
	}
	switch (cmd) {
	case A_OPEN:
		host_open(a, arg0, d, len);
		break;
	case A_OKAY:
		if (a->stream && arg1 == a->my_id && arg0 == a->host_id)
			emu_sl_okay(a);
		break;
	case A_WRTE:
		if (!a->stream || arg1 != a->my_id || arg0 != a->host_id) {
			violation(a, "WRTE on a stream that is not open");
			break;
		}
		emu_adb_send(a, A_OKAY, a->my_id, a->host_id, NULL, 0);
		emu_sl_data(a, d, len);
		break;
	case A_CLSE:
		if (a->stream && arg1 == a->my_id) {
			a->stream = 0;
			emu_sl_host_closed(a);
		}
		break;
	default:
		violation(a, "unknown command");
	}
}

/* Validate the header just completed; the payload length to expect. */
static int check_header(struct emu_adb *a)
{
	uint32_t cmd = get32(a->hdr), len = get32(a->hdr + 12);
	uint32_t cap = a->connected ? a->use_payload : EMU_MAX_PAYLOAD;
	if (get32(a->hdr + 20) != (cmd ^ 0xffffffffu))
		return violation(a, "bad magic");
	if (len > cap)
		return violation(a, "payload larger than agreed");
	return (int)len;
}

enum emu_link emu_adb_receive(struct emu_adb *a, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len > 0 && a->link == EMU_ONLINE) {
		if (!a->in_payload) {
			size_t n = EMU_HDR - a->hdr_have < len ? EMU_HDR - a->hdr_have
							       : len;
			memcpy(a->hdr + a->hdr_have, p, n);
			a->hdr_have += n;
			p += n;
			len -= n;
			if (a->hdr_have < EMU_HDR)
				break;
			int plen = check_header(a);
			if (plen < 0)
				break;
			a->pay_len = (size_t)plen;
			a->pay_have = 0;
			a->in_payload = 1;
		}
		size_t n = a->pay_len - a->pay_have < len ? a->pay_len - a->pay_have
							  : len;
		memcpy(a->payload + a->pay_have, p, n);
		a->pay_have += n;
		p += n;
		len -= n;
		if (a->pay_have < a->pay_len)
			break;
		a->in_payload = 0;
		a->hdr_have = 0;
		uint32_t chk = get32(a->hdr + 16);
		if (a->o.old_version && chk != sum(a->payload, a->pay_len)) {
			violation(a, "payload checksum wrong (old peer checks it)");
			break;
		}
		message(a, a->hdr, a->payload, a->pay_len);
	}
	return a->link;
}

/* ---- life cycle --------------------------------------------------------- */

enum emu_link emu_adb_link_state(const struct emu_adb *a) { return a->link; }
int emu_adb_reboot_delay_ms(const struct emu_adb *a) { return a->o.reboot_delay_ms; }
double emu_adb_throttle_mbps(const struct emu_adb *a) { return a->o.throttle_mbps; }
enum emu_adb_mode emu_adb_mode(const struct emu_adb *a) { return a->mode; }

static void reset_connection(struct emu_adb *a)
{
	a->hdr_have = 0;
	a->in_payload = 0;
	a->connected = 0;
	a->stream = 0;
	drop_replies(a);
}

void emu_adb_reset_link(struct emu_adb *a)
{
	reset_connection(a);
	a->mode = a->next_mode;
	a->authorized = 0;
	a->link = EMU_ONLINE;
	write_mode(a, emu_adb_mode_name(a->mode));
	emu_adb_logf(a, "back as %s", emu_adb_mode_name(a->mode));
}

void emu_adb_host_closed(struct emu_adb *a)
{
	if (a->stream)
		emu_sl_host_closed(a);
	reset_connection(a);
	a->authorized = 0;
}

static void copy_opt(char *dst, size_t cap, const char *v, const char *def)
{
	snprintf(dst, cap, "%s", v && *v ? v : def);
}

struct emu_adb *emu_adb_new(const struct emu_adb_opts *o, char *err)
{
	struct emu_adb *a = calloc(1, sizeof *a);
	char p[4200];

	if (!a || !o->state_dir) {
		snprintf(err, 256, "%s", a ? "no state folder" : "out of memory");
		free(a);
		return NULL;
	}
	a->o = *o;
	copy_opt(a->state_dir, sizeof a->state_dir, o->state_dir, "");
	copy_opt(a->serial, sizeof a->serial, o->serial, "EMU0001");
	copy_opt(a->device, sizeof a->device, o->device, "cancro");
	copy_opt(a->name, sizeof a->name, o->name, a->device);
	copy_opt(a->model, sizeof a->model, o->model, "MI 4LTE");
	copy_opt(a->keys_path, sizeof a->keys_path, o->auth_keys, "");
	a->o.state_dir = a->state_dir;
	a->o.auth_keys = o->auth_keys ? a->keys_path : NULL;
	if (a->o.passes < 1)
		a->o.passes = 1;
	a->mode = a->next_mode = o->mode;
	a->version = o->old_version ? 0x01000000u : 0x01000001u;
	a->max_payload = o->old_version ? EMU_OLD_PAYLOAD : EMU_MAX_PAYLOAD;
	a->sl.fd = -1;
	if (emu_faults_parse(&a->faults, o->faults, err) < 0) {
		free(a);
		return NULL;
	}
	a->payload = malloc(EMU_MAX_PAYLOAD);
	mkdir(a->state_dir, 0755);
	snprintf(p, sizeof p, "%s/adb.log", a->state_dir);
	a->log = fopen(p, "a");
	snprintf(p, sizeof p, "%s/sideload.log", a->state_dir);
	a->slog = fopen(p, "a");
	if (!a->payload || !a->log || !a->slog) {
		snprintf(err, 256, "%.200s: %s", a->state_dir, strerror(errno));
		emu_adb_free(a);
		return NULL;
	}
	write_mode(a, emu_adb_mode_name(a->mode));
	return a;
}

void emu_adb_free(struct emu_adb *a)
{
	if (!a)
		return;
	drop_replies(a);
	emu_sl_free(&a->sl);
	if (a->log)
		fclose(a->log);
	if (a->slog)
		fclose(a->slog);
	free(a->payload);
	free(a);
}
