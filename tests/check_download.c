/* The downloader's library side (download.c, dl_watch.c) against
 * tests/http_faults.py: a reader beside the download sees exactly the
 * served bytes as they arrive, across a cut connection and across a
 * restart from byte 0 (a kept part whose ETag the server no longer has);
 * the lock makes a second download wait; names from URLs; MD5 checks. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "download.h"
#include "md5.h"

#define SIZE (6u << 20)

static char root[64], www[128], url[256];
static unsigned char *data;
static char data_md5[33];
static pid_t server;

static void start_server(void)
{
	char portfile[160], cmd[512];
	int port = 0;
	snprintf(portfile, sizeof portfile, "%s/port", root);
	server = fork();
	ck_assert_int_ge(server, 0);
	if (!server) {
		execlp("python3", "python3", "tests/http_faults.py", www, portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port)
			usleep(50000);
	}
	ck_assert_msg(port, "tests/http_faults.py did not start");
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	(void)cmd;
}

static void setup(void)
{
	struct rf_md5 m;
	char path[200];
	FILE *f;
	uint64_t x = 88172645463325252ull;
	snprintf(root, sizeof root, "/tmp/check_download.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(www, sizeof www, "%s/www", root);
	ck_assert_int_eq(mkdir(www, 0755), 0);
	data = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		data[i] = (unsigned char)x;
	}
	rf_md5_init(&m);
	rf_md5_update(&m, data, SIZE);
	rf_md5_final(&m, data_md5);
	snprintf(path, sizeof path, "%s/rom.bin", www);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, SIZE, f), SIZE);
	fclose(f);
	start_server();
}

static void teardown(void)
{
	char cmd[200];
	if (server > 0) {
		kill(server, SIGTERM);
		waitpid(server, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
	free(data);
}

/* A reader beside the download: compares every byte it can read with the
 * served file.  Bytes kept from an earlier attempt may turn out to be
 * another file's: a mismatch only counts if no new generation voids it. */
struct reader {
	struct rf_dl_watch *w;
	uint64_t verified;
	unsigned restarts;
	int bad;
	enum rf_dl_state end;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct rf_dl_snap s = { 0 };
	unsigned char buf[65536];
	unsigned gen = 0;
	uint64_t seen = 0;
	int fd = -1;

	for (;;) {
		rf_dl_watch_wait(r->w, seen, gen, 5000, &s);
		seen = s.written;
		if (s.generation != gen) {
			gen = s.generation;
			r->verified = 0;
			r->bad = 0;
			r->restarts++;
		}
		if (fd < 0 && r->w->part[0])
			fd = open(r->w->part, O_RDONLY);
		while (fd >= 0 && !r->bad && r->verified < s.written) {
			size_t n = s.written - r->verified < sizeof buf
				   ? (size_t)(s.written - r->verified) : sizeof buf;
			ssize_t got = pread(fd, buf, n, (off_t)r->verified);
			if (got <= 0)
				break; /* truncated under us: the next wait says so */
			if (memcmp(buf, data + r->verified, (size_t)got)) {
				r->bad = 1;
				break;
			}
			r->verified += (uint64_t)got;
		}
		if (s.state != RF_DL_RUNNING)
			break;
	}
	r->end = s.state;
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void dl_opts(struct rf_dl_opts *o, const char *u, const char *dir)
{
	memset(o, 0, sizeof *o);
	o->url = u;
	o->dir = dir;
	o->md5 = data_md5;
	o->stall_s = 2;
	o->retries = 3;
	o->retry_delay_ms = 50;
}

static void read_beside(const char *path_in_url, int kept_etag)
{
	struct rf_dl_watch w;
	struct rf_dl_opts o;
	struct rf_dl_result r;
	struct reader rd = { 0 };
	pthread_t th;
	char u[400], dir[200], p[300];

	snprintf(u, sizeof u, "%s/%s", url, path_in_url);
	snprintf(dir, sizeof dir, "%s/out", root);
	if (kept_etag) { /* a part of another file, with the validators it had */
		mkdir(dir, 0755);
		snprintf(p, sizeof p, "%s/rom.bin.part", dir);
		FILE *f = fopen(p, "wb");
		for (int i = 0; i < 100000; i++)
			fputc(0x5a, f);
		fclose(f);
		snprintf(p, sizeof p, "%s/rom.bin.part.meta", dir);
		f = fopen(p, "w");
		fprintf(f, "size %u\netag \"old\"\nlast-modified Mon, 01 Jan 2018 00:00:00 GMT\n", SIZE);
		fclose(f);
	}
	ck_assert_int_eq(rf_dl_watch_init(&w), RF_OK);
	dl_opts(&o, u, dir);
	o.watch = &w;
	rd.w = &w;
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &rd), 0);
	int rc = rf_download(&o, &r);
	pthread_join(th, NULL);
	ck_assert_msg(rc == RF_OK, "%s", r.err);
	ck_assert_int_eq(rd.bad, 0);
	ck_assert_int_eq(rd.end, RF_DL_DONE);
	ck_assert_uint_eq(rd.verified, SIZE);
	ck_assert_str_eq(w.md5, data_md5);
	ck_assert_str_eq(r.md5, data_md5);
	ck_assert_int_eq(r.md5_source, RF_DL_MD5_FULL);
	snprintf(p, sizeof p, "%s/rom.bin", dir);
	ck_assert_str_eq(w.path, p);
	if (kept_etag)
		ck_assert_uint_ge(rd.restarts, 1); /* the kept bytes were voided */
	rf_dl_watch_destroy(&w);
}

START_TEST(reader_whole)
{
	read_beside("rom.bin", 0);
}
END_TEST

START_TEST(reader_across_a_cut)
{
	read_beside("cut/2000000/rom.bin", 0);
}
END_TEST

START_TEST(reader_across_a_restart)
{
	read_beside("rom.bin", 1);
}
END_TEST

static int locked_seen;
static void on_event(void *user, const struct rf_dl_event *e)
{
	(void)user;
	if (e->kind == RF_DL_EV_LOCKED)
		__atomic_store_n(&locked_seen, 1, __ATOMIC_SEQ_CST);
}

struct dl_thread {
	struct rf_dl_opts o;
	struct rf_dl_result r;
	int rc, done;
};

static void *dl_main(void *arg)
{
	struct dl_thread *t = arg;
	t->rc = rf_download(&t->o, &t->r);
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

START_TEST(lock_waits)
{
	struct dl_thread t;
	pthread_t th;
	char u[300], dir[200], lock[300];
	int fd;
	volatile sig_atomic_t stop = 0;

	snprintf(u, sizeof u, "%s/rom.bin", url);
	snprintf(dir, sizeof dir, "%s/locked", root);
	mkdir(dir, 0755);
	snprintf(lock, sizeof lock, "%s/rom.bin.lock", dir);
	fd = open(lock, O_RDWR | O_CREAT, 0644);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);

	memset(&t, 0, sizeof t);
	dl_opts(&t.o, u, dir);
	t.o.event = on_event;
	t.o.stop = &stop;
	locked_seen = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, dl_main, &t), 0);
	for (int i = 0; i < 200 && !__atomic_load_n(&locked_seen, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	ck_assert_int_eq(locked_seen, 1);
	usleep(300000);
	ck_assert_int_eq(__atomic_load_n(&t.done, __ATOMIC_SEQ_CST), 0); /* still waiting */
	unlink(lock); /* as a holder does when it is done */
	close(fd);
	pthread_join(th, NULL);
	ck_assert_msg(t.rc == RF_OK, "%s", t.r.err);
	ck_assert_str_eq(t.r.md5, data_md5);
	ck_assert_int_eq(access(lock, F_OK), -1);

	/* stopped while waiting: RF_EINTR, nothing written */
	fd = open(lock, O_RDWR | O_CREAT, 0644);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	memset(&t, 0, sizeof t);
	snprintf(dir, sizeof dir, "%s/locked2", root);
	mkdir(dir, 0755);
	snprintf(lock, sizeof lock, "%s/rom.bin.lock", dir);
	close(fd);
	fd = open(lock, O_RDWR | O_CREAT, 0644);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	dl_opts(&t.o, u, dir);
	t.o.stop = &stop;
	ck_assert_int_eq(pthread_create(&th, NULL, dl_main, &t), 0);
	usleep(200000);
	stop = 1;
	pthread_join(th, NULL);
	ck_assert_int_eq(t.rc, RF_EINTR);
	close(fd);
}
END_TEST

START_TEST(names)
{
	char n[256];
	rf_dl_name_from_url("https://h/a/b/cancro_x_5b06774c6e.tgz?sig=1#f", n, sizeof n);
	ck_assert_str_eq(n, "cancro_x_5b06774c6e.tgz");
	rf_dl_name_from_url("https://h/", n, sizeof n);
	ck_assert_str_eq(n, "");
	rf_dl_name_from_url("https://h", n, sizeof n);
	ck_assert_str_eq(n, "");
	rf_dl_name_from_url("https://h/.hidden", n, sizeof n);
	ck_assert_str_eq(n, "");
	rf_dl_name_from_url("https://h/a%2f..", n, sizeof n);
	ck_assert_str_eq(n, "");
	rf_dl_name_from_url("https://h/x?y=/z.tgz", n, sizeof n);
	ck_assert_str_eq(n, "x");
}
END_TEST

/* Names the cache keeps for its own files: never a download's. */
START_TEST(reserved_names)
{
	static const char *const names[] = { "verified", "a.tgz.part", "a.tgz.part.meta",
					     "a.tgz.lock", "a.tgz.verified", "a.tmp" };
	struct rf_dl_opts o;
	struct rf_dl_result r;
	char u[300], dir[200], sub[300];
	snprintf(dir, sizeof dir, "%s/cache", root);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		snprintf(u, sizeof u, "http://127.0.0.1:1/%s", names[i]);
		dl_opts(&o, u, dir);
		ck_assert_int_eq(rf_download(&o, &r), RF_EINVAL);
		ck_assert_ptr_nonnull(strstr(r.err, "keeps for its own files"));
	}
	/* a catalog's name likewise */
	dl_opts(&o, "http://127.0.0.1:1/x.tgz", dir);
	o.name = "verified";
	ck_assert_int_eq(rf_download(&o, &r), RF_EINVAL);
	snprintf(sub, sizeof sub, "%s/verified", dir);
	ck_assert_int_eq(access(sub, F_OK), -1);
	/* "verified" inside a longer name is a name like any other */
	rf_dl_name_from_url("http://h/verified.tgz", u, sizeof u);
	ck_assert_str_eq(u, "verified.tgz");
}
END_TEST

/* The download record holds while the file is the one it was written for;
 * a file changed in place with its mtime set back is hashed again. */
START_TEST(record_identity)
{
	struct rf_dl_opts o;
	struct rf_dl_result r;
	char u[300], dir[200];
	struct timespec ts[2];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/rec", root);
	snprintf(u, sizeof u, "%s/rom.bin", url);
	dl_opts(&o, u, dir);
	o.md5 = data_md5;
	ck_assert_int_eq(rf_download(&o, &r), RF_OK);
	ck_assert_int_eq(r.cached, 0);
	ck_assert_int_eq(rf_download(&o, &r), RF_OK);
	ck_assert_int_eq(r.cached, 1);
	/* one byte changed, the mtime put back: the ctime tells */
	ck_assert_int_eq(stat(r.path, &st), 0);
	int fd = open(r.path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\x5a", 1, 100), 1);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ck_assert_int_eq(futimens(fd, ts), 0);
	close(fd);
	ck_assert_int_eq(rf_download(&o, &r), RF_OK);
	ck_assert_int_eq(r.cached, 0); /* hashed: wrong MD5, downloaded again */
	ck_assert_str_eq(r.md5, data_md5);
}
END_TEST

START_TEST(md5_refusals)
{
	struct rf_dl_opts o;
	struct rf_dl_result r;
	char u[300], dir[200];
	snprintf(dir, sizeof dir, "%s/md5", root);
	/* a full MD5 that contradicts the name's prefix: refused before any byte */
	dl_opts(&o, "http://127.0.0.1:1/miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip", dir);
	o.md5 = "00000000000000000000000000000000";
	ck_assert_int_eq(rf_download(&o, &r), RF_EINVAL);
	ck_assert_ptr_nonnull(strstr(r.err, "contradicts"));
	/* the wrong full MD5: the file is removed */
	snprintf(u, sizeof u, "%s/rom.bin", url);
	dl_opts(&o, u, dir);
	o.md5 = "0123456789abcdef0123456789abcdef";
	ck_assert_int_eq(rf_download(&o, &r), RF_EFORMAT);
	ck_assert_ptr_nonnull(strstr(r.err, "the file was removed"));
	ck_assert_str_eq(r.md5, data_md5);
	ck_assert_int_eq(access(r.path, F_OK), -1);
	char part[4200];
	snprintf(part, sizeof part, "%s.part", r.path);
	ck_assert_int_eq(access(part, F_OK), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("download");
	TCase *tc = tcase_create("download");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reader_whole);
	tcase_add_test(tc, reader_across_a_cut);
	tcase_add_test(tc, reader_across_a_restart);
	tcase_add_test(tc, lock_waits);
	tcase_add_test(tc, names);
	tcase_add_test(tc, md5_refusals);
	tcase_add_test(tc, reserved_names);
	tcase_add_test(tc, record_identity);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int nf = srunner_ntests_failed(r);
	srunner_free(r);
	return nf ? 1 : 0;
}
