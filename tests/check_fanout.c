/* One read of a file, several consumers (flasher/package/fanout.c): each
 * consumer gets every byte, in order, at the right offset; a buffer is
 * never read into while a consumer still works on it (a slow consumer
 * holds the reader back); errors, a short file, a stop request and a
 * failing read end the pass with the right code and message. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include "fanout.h"
#include "helpers/scratch.h"

static char dir[256];

static void setup(void)
{
	scratch_make(dir, sizeof dir, "check_fanout");
}

static unsigned char *content;
static int file_fd = -1;

static void teardown(void)
{
	if (file_fd >= 0)
		close(file_fd);
	file_fd = -1;
	free(content);
	content = NULL;
	scratch_remove(dir);
}

/* Not a whole number of slots, more than two rings' worth. */
#define FILE_LEN ((size_t)(2 * RF_FANOUT_SLOTS + 3) * RF_FANOUT_SLOT + 12345)

/* A file of FILE_LEN bytes nothing repeats in (a slot handed twice or out
 * of order shows); its path in `path`.  Closed by the teardown. */
static int make_file(char *path, size_t cap)
{
	uint32_t x = 2463534242u;
	content = malloc(FILE_LEN);
	ck_assert_ptr_nonnull(content);
	for (size_t i = 0; i < FILE_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		content[i] = (unsigned char)x;
	}
	snprintf(path, cap, "%s/f", dir);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, FILE_LEN), (ssize_t)FILE_LEN);
	return file_fd = fd;
}

/* Compares what it is given with the file, at the offset it is told, and
 * that the pieces follow each other. */
struct copier {
	uint64_t next;
	uint64_t size;   /* of the pass; 0: FILE_LEN */
	size_t calls;
	int slow;        /* sleep inside each piece: the reader must wait */
	int fail_at;     /* > 0: return RF_EFORMAT on that call */
};

static int eat_copy(void *user, const unsigned char *buf, size_t len,
		    uint64_t off, char *err)
{
	struct copier *c = user;
	uint64_t size = c->size ? c->size : FILE_LEN;
	c->calls++;
	ck_assert_uint_eq(off, c->next);
	ck_assert_uint_le(off + len, size);
	ck_assert_uint_eq(len, off + RF_FANOUT_SLOT <= size ?
			  RF_FANOUT_SLOT : size - off);
	if (c->fail_at && c->calls == (size_t)c->fail_at)
		return rf_errf(err, RF_EFORMAT, "bad byte at %llu",
			       (unsigned long long)off);
	uint32_t before = crc32_gzip_refl(0, buf, len);
	if (c->slow)
		usleep(20000); /* the others run ahead meanwhile */
	/* the buffer did not change under us, and is the file's bytes */
	ck_assert_uint_eq(crc32_gzip_refl(0, buf, len), before);
	ck_assert(!memcmp(buf, content + off, len));
	c->next = off + len;
	return RF_OK;
}

struct prog {
	uint64_t last, calls, total;
};

static void on_progress(void *user, uint64_t done, uint64_t total)
{
	struct prog *p = user;
	ck_assert_uint_ge(done, p->last);
	ck_assert_uint_le(done, total);
	p->last = done;
	p->total = total;
	p->calls++;
}

START_TEST(every_byte_in_order)
{
	char path[512], err[RF_ERRLEN] = "";
	struct copier a = { 0 }, b = { .slow = 1 }, c = { 0 };
	struct rf_fanout_consumer cs[] = {
		{ eat_copy, &a }, { eat_copy, &b }, { eat_copy, &c },
	};
	struct prog pr = { 0 };
	struct rf_fanout_opts o = { .progress = on_progress, .progress_user = &pr };
	int fd = make_file(path, sizeof path);

	ck_assert_int_eq(lseek(fd, 7, SEEK_SET), 7);
	ck_assert_msg(rf_fanout_file(fd, FILE_LEN, cs, 3, &o, err) == RF_OK, "%s", err);
	for (size_t i = 0; i < 3; i++) {
		struct copier *k = cs[i].user;
		ck_assert_uint_eq(k->next, FILE_LEN);
		ck_assert_uint_eq(k->calls, 2 * RF_FANOUT_SLOTS + 4);
	}
	ck_assert_uint_eq(pr.last, FILE_LEN);
	ck_assert_uint_eq(pr.total, FILE_LEN);
	ck_assert_uint_gt(pr.calls, 2);
	/* pread: the descriptor's offset is the caller's */
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 7);
}
END_TEST

START_TEST(consumer_error_stops_all)
{
	char path[512], err[RF_ERRLEN] = "";
	struct copier a = { 0 }, b = { .fail_at = 3 };
	struct rf_fanout_consumer cs[] = { { eat_copy, &a }, { eat_copy, &b } };
	int fd = make_file(path, sizeof path);

	ck_assert_int_eq(rf_fanout_file(fd, FILE_LEN, cs, 2, NULL, err), RF_EFORMAT);
	ck_assert_str_eq(err, "bad byte at 2097152");
	/* the other one was stopped: it cannot run further than the ring */
	ck_assert_uint_lt(a.calls, 3 + RF_FANOUT_SLOTS + 1);
}
END_TEST

START_TEST(short_file_and_read_error)
{
	char path[512], err[RF_ERRLEN] = "";
	struct copier a = { 0 };
	struct rf_fanout_consumer cs[] = { { eat_copy, &a } };
	int fd = make_file(path, sizeof path);

	/* a file shorter than the caller said (it changed) */
	ck_assert_int_eq(ftruncate(fd, 3 * RF_FANOUT_SLOT + 5), 0);
	ck_assert_int_eq(rf_fanout_file(fd, FILE_LEN, cs, 1, NULL, err), RF_EFORMAT);
	ck_assert_msg(strstr(err, "ends at 3145733 bytes"), "%s", err);
	ck_assert_uint_le(a.next, 3 * RF_FANOUT_SLOT);
	/* a descriptor that cannot be read */
	memset(&a, 0, sizeof a);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(rf_fanout_file(fd, FILE_LEN, cs, 1, NULL, err), RF_ESYS);
	ck_assert_msg(strstr(err, "read: "), "%s", err);
	ck_assert_uint_eq(a.calls, 0);
	close(fd);
}
END_TEST

/* The stop flag, as a signal handler on the caller's thread would set it:
 * from the progress callback, once a consumer has taken a slot. */
static volatile sig_atomic_t stop;

static void stop_after_a_slot(void *user, uint64_t done, uint64_t total)
{
	(void)user;
	(void)total;
	if (done >= RF_FANOUT_SLOT)
		stop = 1;
}

START_TEST(stop_request)
{
	char path[512], err[RF_ERRLEN] = "";
	struct copier a = { .slow = 1 };
	struct rf_fanout_consumer cs[] = { { eat_copy, &a } };
	struct rf_fanout_opts o = { .stop = &stop, .progress = stop_after_a_slot };
	int fd = make_file(path, sizeof path);

	stop = 0;
	ck_assert_int_eq(rf_fanout_file(fd, FILE_LEN, cs, 1, &o, err), RF_EINTR);
	ck_assert_str_eq(err, "interrupted");
	ck_assert_uint_lt(a.calls, 2 + RF_FANOUT_SLOTS + 1);
}
END_TEST

START_TEST(edges)
{
	char path[512], err[RF_ERRLEN] = "";
	struct copier a = { 0 };
	struct rf_fanout_consumer cs[RF_FANOUT_MAX + 1];
	struct prog pr = { 0 };
	struct rf_fanout_opts o = { .progress = on_progress, .progress_user = &pr };
	int fd = make_file(path, sizeof path);

	for (size_t i = 0; i <= RF_FANOUT_MAX; i++)
		cs[i] = (struct rf_fanout_consumer){ eat_copy, &a };
	ck_assert_int_eq(rf_fanout_file(fd, FILE_LEN, cs, 0, NULL, err), RF_EINVAL);
	ck_assert_int_eq(rf_fanout_file(fd, FILE_LEN, cs, RF_FANOUT_MAX + 1, NULL, err),
			 RF_EINVAL);
	/* nothing to read: no call, done */
	ck_assert_int_eq(rf_fanout_file(fd, 0, cs, 1, &o, err), RF_OK);
	ck_assert_uint_eq(a.calls, 0);
	ck_assert_uint_eq(pr.total, 0);
	/* one byte */
	a.size = 1;
	ck_assert_int_eq(rf_fanout_file(fd, 1, cs, 1, NULL, err), RF_OK);
	ck_assert_uint_eq(a.calls, 1);
	ck_assert_uint_eq(a.next, 1);
}
END_TEST

static Suite *fanout_suite(void)
{
	Suite *s = suite_create("fanout");
	TCase *tc = tcase_create("fanout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_byte_in_order);
	tcase_add_test(tc, consumer_error_stops_all);
	tcase_add_test(tc, short_file_and_read_error);
	tcase_add_test(tc, stop_request);
	tcase_add_test(tc, edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fanout_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
