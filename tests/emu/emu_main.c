/* romflash-emu: the emulated cancro phone in fastboot mode, over fastboot's
 * TCP transport, or in an adb mode (--adb: Android, recovery, sideload)
 * over adb's TCP transport, for tests and demos.  See docs/emulator.md. */
#include "emu.h"
#include "emu_adb.h"
#include "emu_adb_tcp.h"
#include "emu_tcp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct emu_tcp *g_tcp;
static struct emu_adb_tcp *g_adb;
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
	if (g_tcp)
		emu_tcp_request_stop(g_tcp);
	if (g_adb)
		emu_adb_tcp_request_stop(g_adb);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: romflash-emu --state DIR [--port N] [--port-file F] [--pidfile F]\n"
		"         [--serial S] [--product P] [--max-download 0xN] [--max-download-text T]\n"
		"         [--fail CMD[,CMD...]]... [--slow CMD=MS]... [--cut-after BYTES]\n"
		"         [--throttle MB/S] [--write-rate MB/S]\n"
		"         [--reboot-delay MS] [--leave-delay MS] [--no-return] [--info-lines N]\n"
		"         [--vars 'k=v;k=v'] [--locked] [--other-partitions MIB]\n"
		"         [--fault KIND@WHAT[#N|#*][+BYTES]]... (fail|cut|stall|garbage|slow=MS)\n"
		"       --fail CMD: FAIL the first command starting with CMD, for each CMD of a\n"
		"         comma list, repeatable (= --fault fail@CMD); --slow CMD=MS: every command\n"
		"         starting with CMD answers MS late (= --fault slow=MS@CMD#*)\n"
		"       adb modes: --adb device|recovery|sideload [--adb-device NAME] [--adb-old]\n"
		"         [--order seq|tail|random] [--seed N] [--passes N] [--auth KEYS]\n"
		"         [--auth-accept] [--sideload-fail] [--legacy] [--root]\n");
}

/* Write via a temporary name so a test polling the file never sees it
 * half written. */
static int write_file(const char *path, long value)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", value);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static int parse_num(const char *s, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

/* ---- adb modes ------------------------------------------------------------ */

enum { O_ADB = 1000, O_ADB_DEVICE, O_ADB_OLD, O_ORDER, O_SEED, O_PASSES, O_AUTH,
       O_AUTH_ACCEPT, O_SL_FAIL, O_LEGACY, O_ROOT, O_FAULT };

/* The index of `arg` among the three `words`, or -1. */
static int word3(const char *arg, const char *const words[3])
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(arg, words[i]))
			return i;
	return -1;
}

/* One adb option into `ao`; 0 done, -1 bad value, 1 not an adb option. */
static int adb_option(int c, const char *arg, struct emu_adb_opts *ao, int *adb)
{
	static const char *const modes[3] = { "device", "recovery", "sideload" };
	static const char *const orders[3] = { "seq", "tail", "random" };
	long long v;
	int k;
	switch (c) {
	case O_ADB:
		if ((k = word3(arg, modes)) < 0)
			return -1;
		ao->mode = (enum emu_adb_mode)k;
		*adb = 1;
		return 0;
	case O_ORDER:
		if ((k = word3(arg, orders)) < 0)
			return -1;
		ao->order = (enum emu_adb_order)k;
		return 0;
	case O_SEED:
	case O_PASSES:
		if (parse_num(arg, &v) < 0 || v < 0 || v > 1000000)
			return -1;
		if (c == O_SEED)
			ao->seed = (unsigned)v;
		else
			ao->passes = (int)v;
		return 0;
	case O_ADB_DEVICE: ao->device = arg; return 0;
	case O_ADB_OLD: ao->old_version = 1; return 0;
	case O_AUTH: ao->auth_keys = arg; return 0;
	case O_AUTH_ACCEPT: ao->auth_accept = 1; return 0;
	case O_SL_FAIL: ao->fail = 1; return 0;
	case O_LEGACY: ao->legacy = 1; return 0;
	case O_ROOT: ao->root = 1; return 0;
	default: return 1;
	}
}

/* Serve the adb modes; when the phone reboots into the bootloader, the
 * fastboot emulator takes over the same port. */
static int serve_adb(struct emu *e, struct emu_adb *a, int port)
{
	char err[256];
	int r = emu_adb_tcp_serve(g_adb);
	struct emu_adb_tcp *t = g_adb;
	g_adb = NULL; /* no signal may touch it once freed */
	emu_adb_tcp_free(t);
	emu_adb_free(a);
	if (r != 1)
		return r < 0 ? 1 : 0;
	for (int tries = 0; !g_stop && !(g_tcp = emu_tcp_listen(e, port, err)); tries++) {
		if (tries == 50) {
			fprintf(stderr, "romflash-emu: %s\n", err);
			return 1;
		}
		usleep(100 * 1000);
	}
	if (g_stop)
		return 0;
	return emu_tcp_serve(g_tcp) < 0 ? 1 : 0;
}

/* A list "a,b,..." of fault specs (emu_fault.h) in a fixed buffer. */
struct spec_list {
	char s[1024];
};

static int spec_add(struct spec_list *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int spec_add(struct spec_list *l, const char *fmt, ...)
{
	size_t n = strlen(l->s);
	va_list ap;
	if (n && n + 1 < sizeof l->s)
		l->s[n++] = ',';
	va_start(ap, fmt);
	int w = vsnprintf(l->s + n, sizeof l->s - n, fmt, ap);
	va_end(ap);
	return w < 0 || (size_t)w >= sizeof l->s - n ? -1 : 0;
}

/* What the fastboot options give besides struct emu_opts. */
struct fb_cli {
	const char *port_file, *pidfile;
	long long port;
	/* --fail, --fault, --slow: all faults of the fastboot phone, in this
	 * order (a --fail strikes before a --fault at the same command, as
	 * --fail always did); --fault alone goes to the adb modes */
	struct spec_list fails, faults, slows;
};

/* --fail CMD[,CMD...] (repeatable): each CMD is the fault fail@CMD;
 * --slow CMD=MS: slow=MS@CMD#* (every such command). */
static int fail_slow_option(int c, char *arg, struct fb_cli *cl)
{
	long long v;
	char *end;
	if (c == 'W') {
		end = strrchr(arg, '=');
		if (!end || end == arg || parse_num(end + 1, &v) < 0 || v < 0 || v > 600000)
			return -1;
		*end = 0;
		return v ? spec_add(&cl->slows, "slow=%lld@%s#*", v, arg) : 0;
	}
	for (char *p = arg; p; p = end ? end + 1 : NULL) {
		end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (!len || spec_add(&cl->fails, "fail@%.*s", (int)len, p) < 0)
			return -1;
	}
	return 0;
}

/* One fastboot option into `o` or `cl`; 0 done, -1 bad value, 1 not one. */
static int fb_option(int c, char *arg, struct emu_opts *o, struct fb_cli *cl)
{
	long long v;
	char *end;
	switch (c) {
	case 'S': o->state_dir = arg; return 0;
	case 'p':
		return parse_num(arg, &cl->port) < 0 || cl->port < 0 || cl->port > 65535 ? -1 : 0;
	case 'P': cl->port_file = arg; return 0;
	case 's': o->serial = arg; return 0;
	case 'd': o->product = arg; return 0;
	case 'm':
		if (parse_num(arg, &v) < 0 || v <= 0 || v > 0xffffffffLL)
			return -1;
		o->max_download = (uint32_t)v;
		return 0;
	case 'M': o->max_download_text = arg; return 0;
	case 'f':
	case 'W':
		return fail_slow_option(c, arg, cl);
	case 'c': return parse_num(arg, &o->cut_after) < 0 ? -1 : 0;
	case 't':
	case 'w': {
		errno = 0;
		double r = strtod(arg, &end);
		if (errno || end == arg || *end || r < 0)
			return -1;
		*(c == 't' ? &o->throttle_mbps : &o->write_mbps) = r;
		return 0;
	}
	case 'r':
	case 'L':
		if (parse_num(arg, &v) < 0 || v < 0 || v > 600000)
			return -1;
		*(c == 'r' ? &o->reboot_delay_ms : &o->leave_delay_ms) = (int)v;
		return 0;
	case 'n': o->no_return = 1; return 0;
	case 'i':
		if (parse_num(arg, &v) < 0 || v < 0 || v > 1000)
			return -1;
		o->info_lines = (int)v;
		return 0;
	case 'v': o->vars = arg; return 0;
	case 'F': cl->pidfile = arg; return 0;
	case 'l': o->unlocked = 0; return 0;
	case 'o':
		if (parse_num(arg, &v) < 0 || v <= 0 || v > 65536)
			return -1;
		o->other_parts_mib = (unsigned)v;
		return 0;
	case O_FAULT: /* repeatable: a list, checked by emu_new */
		return spec_add(&cl->faults, "%s", arg);
	default: return 1;
	}
}

/* Listen (fastboot, or an adb mode), tell the port, serve until the phone
 * is gone or a signal comes. */
static int run(struct emu_opts *o, struct emu_adb_opts *ao, int adb,
	       const struct fb_cli *cl, const char *all_faults)
{
	struct emu_adb *a = NULL;
	char err[256];
	int bound, rc = 1;
	struct emu *e;

	o->faults = all_faults;
	e = emu_new(o, err);
	if (!e) {
		fprintf(stderr, "romflash-emu: %s\n", err);
		return 1;
	}
	if (adb) {
		ao->state_dir = o->state_dir;
		ao->serial = o->serial;
		ao->cut_after = o->cut_after;
		ao->reboot_delay_ms = o->reboot_delay_ms;
		ao->throttle_mbps = o->throttle_mbps;
		ao->faults = cl->faults.s;
		if (!(a = emu_adb_new(ao, err)) ||
		    !(g_adb = emu_adb_tcp_listen(a, (int)cl->port, err))) {
			fprintf(stderr, "romflash-emu: %s\n", err);
			emu_adb_free(a);
			a = NULL;
			goto out;
		}
		bound = emu_adb_tcp_port(g_adb);
	} else if ((g_tcp = emu_tcp_listen(e, (int)cl->port, err))) {
		bound = emu_tcp_port(g_tcp);
	} else {
		fprintf(stderr, "romflash-emu: %s\n", err);
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (cl->pidfile && write_file(cl->pidfile, (long)getpid()) < 0) {
		fprintf(stderr, "romflash-emu: %s: %s\n", cl->pidfile, strerror(errno));
		goto out;
	}
	/* the port file last: once it exists, the emulator accepts */
	if (cl->port_file && write_file(cl->port_file, bound) < 0) {
		fprintf(stderr, "romflash-emu: %s: %s\n", cl->port_file, strerror(errno));
		goto out;
	}
	printf("romflash-emu: listening on 127.0.0.1:%d%s\n", bound,
	       adb ? " (adb)" : "");
	fflush(stdout);
	if (adb) {
		rc = serve_adb(e, a, bound);
		a = NULL; /* serve_adb freed it */
	} else {
		rc = emu_tcp_serve(g_tcp) < 0 ? 1 : 0;
	}
out:
	{
		struct emu_tcp *t = g_tcp;
		struct emu_adb_tcp *at = g_adb;
		g_tcp = NULL; /* no signal may touch them once freed */
		g_adb = NULL;
		emu_tcp_free(t);
		emu_adb_tcp_free(at);
		emu_adb_free(a);
	}
	emu_free(e);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"state", 1, 0, 'S'},        {"port", 1, 0, 'p'},
		{"port-file", 1, 0, 'P'},    {"serial", 1, 0, 's'},
		{"product", 1, 0, 'd'},      {"max-download", 1, 0, 'm'},
		{"max-download-text", 1, 0, 'M'}, {"fail", 1, 0, 'f'},
		{"slow", 1, 0, 'W'},
		{"cut-after", 1, 0, 'c'},    {"throttle", 1, 0, 't'},
		{"write-rate", 1, 0, 'w'},
		{"reboot-delay", 1, 0, 'r'}, {"no-return", 0, 0, 'n'},
		{"leave-delay", 1, 0, 'L'},
		{"info-lines", 1, 0, 'i'},   {"vars", 1, 0, 'v'},
		{"pidfile", 1, 0, 'F'},      {"locked", 0, 0, 'l'},
		{"other-partitions", 1, 0, 'o'},
		{"help", 0, 0, 'h'},
		{"adb", 1, 0, O_ADB},        {"adb-device", 1, 0, O_ADB_DEVICE},
		{"adb-old", 0, 0, O_ADB_OLD}, {"order", 1, 0, O_ORDER},
		{"seed", 1, 0, O_SEED},      {"passes", 1, 0, O_PASSES},
		{"auth", 1, 0, O_AUTH},      {"auth-accept", 0, 0, O_AUTH_ACCEPT},
		{"sideload-fail", 0, 0, O_SL_FAIL}, {"legacy", 0, 0, O_LEGACY},
		{"root", 0, 0, O_ROOT},      {"fault", 1, 0, O_FAULT},
		{0, 0, 0, 0},
	};
	struct emu_opts o = {0};
	struct emu_adb_opts ao = {0};
	static struct fb_cli cl;
	static struct spec_list all;
	int adb = 0, c, r;

	o.reboot_delay_ms = 500;
	o.unlocked = 1; /* Mi 3/Mi 4 bootloaders shipped unlocked */
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if ((r = adb_option(c, optarg, &ao, &adb)) == 1)
			r = fb_option(c, optarg, &o, &cl);
		if (r < 0) {
			fprintf(stderr, "romflash-emu: bad option value '%s'\n", optarg);
			return 2;
		}
		if (r == 1) {
			usage(stderr);
			return 2;
		}
	}
	if (!o.state_dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	const struct spec_list *parts[] = { &cl.fails, &cl.faults, &cl.slows };
	for (size_t i = 0; i < 3; i++)
		if (parts[i]->s[0] && spec_add(&all, "%s", parts[i]->s) < 0) {
			fprintf(stderr, "romflash-emu: too many faults\n");
			return 2;
		}
	return run(&o, &ao, adb, &cl, all.s);
}
