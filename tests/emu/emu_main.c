/* romflash-emu: the emulated cancro phone in fastboot mode, over fastboot's
 * TCP transport, for tests and demos.  See docs/emulator.md. */
#include "emu.h"
#include "emu_tcp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct emu_tcp *g_tcp;

static void on_signal(int sig)
{
	(void)sig;
	if (g_tcp)
		emu_tcp_request_stop(g_tcp);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: romflash-emu --state DIR [--port N] [--port-file F] [--pidfile F]\n"
		"         [--serial S] [--product P] [--max-download 0xN] [--max-download-text T]\n"
		"         [--fail CMD] [--cut-after BYTES] [--throttle MB/S] [--write-rate MB/S]\n"
		"         [--reboot-delay MS] [--no-return] [--info-lines N]\n"
		"         [--vars 'k=v;k=v'] [--locked]\n");
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

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"state", 1, 0, 'S'},        {"port", 1, 0, 'p'},
		{"port-file", 1, 0, 'P'},    {"serial", 1, 0, 's'},
		{"product", 1, 0, 'd'},      {"max-download", 1, 0, 'm'},
		{"max-download-text", 1, 0, 'M'}, {"fail", 1, 0, 'f'},
		{"cut-after", 1, 0, 'c'},    {"throttle", 1, 0, 't'},
		{"write-rate", 1, 0, 'w'},
		{"reboot-delay", 1, 0, 'r'}, {"no-return", 0, 0, 'n'},
		{"info-lines", 1, 0, 'i'},   {"vars", 1, 0, 'v'},
		{"pidfile", 1, 0, 'F'},      {"locked", 0, 0, 'l'},
		{"help", 0, 0, 'h'},         {0, 0, 0, 0},
	};
	struct emu_opts o = {0};
	const char *port_file = NULL, *pidfile = NULL;
	long long port = 0, v;
	char err[256], *end;
	int c, rc = 1;
	struct emu *e = NULL;

	o.reboot_delay_ms = 500;
	o.unlocked = 1; /* Mi 3/Mi 4 bootloaders shipped unlocked */
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
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
		case 'n': o.no_return = 1; break;
		case 'i':
			if (parse_num(optarg, &v) < 0 || v < 0 || v > 1000)
				goto bad;
			o.info_lines = (int)v;
			break;
		case 'v': o.vars = optarg; break;
		case 'F': pidfile = optarg; break;
		case 'l': o.unlocked = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.state_dir || optind != argc) {
		usage(stderr);
		return 2;
	}

	e = emu_new(&o, err);
	if (!e) {
		fprintf(stderr, "romflash-emu: %s\n", err);
		return 1;
	}
	g_tcp = emu_tcp_listen(e, (int)port, err);
	if (!g_tcp) {
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
	if (port_file && write_file(port_file, emu_tcp_port(g_tcp)) < 0) {
		fprintf(stderr, "romflash-emu: %s: %s\n", port_file, strerror(errno));
		goto out;
	}
	printf("romflash-emu: listening on 127.0.0.1:%d\n", emu_tcp_port(g_tcp));
	fflush(stdout);
	rc = emu_tcp_serve(g_tcp) < 0 ? 1 : 0;
out:
	{
		struct emu_tcp *t = g_tcp;
		g_tcp = NULL; /* no signal may touch it once freed */
		emu_tcp_free(t);
	}
	emu_free(e);
	return rc;
bad:
	fprintf(stderr, "romflash-emu: bad option value '%s'\n", optarg);
	return 2;
}
