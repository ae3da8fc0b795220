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
		"         [--fail CMD] [--slow CMD=MS] [--cut-after BYTES] [--throttle MB/S] [--write-rate MB/S]\n"
		"         [--reboot-delay MS] [--leave-delay MS] [--no-return] [--info-lines N]\n"
		"         [--vars 'k=v;k=v'] [--locked] [--other-partitions MIB]\n"
		"         [--fault KIND@WHAT[#N][+BYTES]]... (fail|cut|stall|garbage|slow=MS)\n"
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
	struct emu_adb *a = NULL;
	int adb = 0, bound;
	const char *port_file = NULL, *pidfile = NULL;
	long long port = 0, v;
	char err[256], *end, faults[1024] = "";
	int c, rc = 1;
	struct emu *e = NULL;

	o.reboot_delay_ms = 500;
	o.unlocked = 1; /* Mi 3/Mi 4 bootloaders shipped unlocked */
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		int ar = adb_option(c, optarg, &ao, &adb);
		if (ar < 0)
			goto bad;
		if (ar == 0)
			continue;
		switch (c) {
		case 'S': o.state_dir = optarg; break;
		case 'p':
			if (parse_num(optarg, &port) < 0 || port < 0 || port > 65535)
				goto bad;
			break;
		case 'P': port_file = optarg; break;
		case 's': o.serial = optarg; break;
		case 'd': o.product = optarg; break;
		case 'm':
			if (parse_num(optarg, &v) < 0 || v <= 0 || v > 0xffffffffLL)
				goto bad;
			o.max_download = (uint32_t)v;
			break;
		case 'M': o.max_download_text = optarg; break;
		case 'f': o.fail_cmd = optarg; break;
		case 'W': /* CMD=MS */
			end = strrchr(optarg, '=');
			if (!end || parse_num(end + 1, &v) < 0 || v < 0 || v > 600000)
				goto bad;
			*end = 0;
			o.slow_cmd = optarg;
			o.slow_ms = (int)v;
			break;
		case 'c':
			if (parse_num(optarg, &o.cut_after) < 0)
				goto bad;
			break;
		case 't':
			errno = 0;
			o.throttle_mbps = strtod(optarg, &end);
			if (errno || end == optarg || *end || o.throttle_mbps < 0)
				goto bad;
			break;
		case 'w':
			errno = 0;
			o.write_mbps = strtod(optarg, &end);
			if (errno || end == optarg || *end || o.write_mbps < 0)
				goto bad;
			break;
		case 'r':
			if (parse_num(optarg, &v) < 0 || v < 0 || v > 600000)
				goto bad;
			o.reboot_delay_ms = (int)v;
			break;
		case 'L':
			if (parse_num(optarg, &v) < 0 || v < 0 || v > 600000)
				goto bad;
			o.leave_delay_ms = (int)v;
			break;
		case 'n': o.no_return = 1; break;
		case 'i':
			if (parse_num(optarg, &v) < 0 || v < 0 || v > 1000)
				goto bad;
			o.info_lines = (int)v;
			break;
		case 'v': o.vars = optarg; break;
		case 'F': pidfile = optarg; break;
		case 'l': o.unlocked = 0; break;
		case 'o':
			if (parse_num(optarg, &v) < 0 || v <= 0 || v > 65536)
				goto bad;
			o.other_parts_mib = (unsigned)v;
			break;
		case O_FAULT: /* repeatable: a list, checked by emu_new */
			if (strlen(faults) + strlen(optarg) + 2 > sizeof faults)
				goto bad;
			if (faults[0])
				strcat(faults, ",");
			strcat(faults, optarg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.state_dir || optind != argc) {
		usage(stderr);
		return 2;
	}

	o.faults = faults;
	e = emu_new(&o, err);
	if (!e) {
		fprintf(stderr, "romflash-emu: %s\n", err);
		return 1;
	}
	if (adb) {
		ao.state_dir = o.state_dir;
		ao.serial = o.serial;
		ao.cut_after = o.cut_after;
		ao.reboot_delay_ms = o.reboot_delay_ms;
		ao.throttle_mbps = o.throttle_mbps;
		ao.faults = faults;
		if (!(a = emu_adb_new(&ao, err)) ||
		    !(g_adb = emu_adb_tcp_listen(a, (int)port, err))) {
			fprintf(stderr, "romflash-emu: %s\n", err);
			emu_adb_free(a);
			goto out;
		}
		bound = emu_adb_tcp_port(g_adb);
	} else if ((g_tcp = emu_tcp_listen(e, (int)port, err))) {
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

	if (pidfile && write_file(pidfile, (long)getpid()) < 0) {
		fprintf(stderr, "romflash-emu: %s: %s\n", pidfile, strerror(errno));
		goto out;
	}
	/* the port file last: once it exists, the emulator accepts */
	if (port_file && write_file(port_file, bound) < 0) {
		fprintf(stderr, "romflash-emu: %s: %s\n", port_file, strerror(errno));
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
bad:
	fprintf(stderr, "romflash-emu: bad option value '%s'\n", optarg);
	return 2;
}
