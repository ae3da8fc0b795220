/* Helpers of the fuzz harnesses.  See harness.h. */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint8_t fz_u8(struct fz_in *in)
{
	return in->off < in->len ? in->p[in->off++] : 0;
}

uint16_t fz_u16(struct fz_in *in)
{
	uint16_t lo = fz_u8(in);
	return (uint16_t)(lo | fz_u8(in) << 8);
}

size_t fz_take(struct fz_in *in, size_t max, const uint8_t **out)
{
	size_t n = in->len - in->off < max ? in->len - in->off : max;
	*out = in->p + in->off;
	in->off += n;
	return n;
}

size_t fz_rest(struct fz_in *in, const uint8_t **out)
{
	return fz_take(in, in->len - in->off, out);
}

void fz_field(struct fz_in *in, char *dst, size_t cap)
{
	const uint8_t *p;
	size_t left = in->len - in->off;
	const uint8_t *end = left ? memchr(in->p + in->off, 0, left) : NULL;
	size_t n = fz_take(in, end ? (size_t)(end - (in->p + in->off)) : left, &p);

	if (end)
		in->off++;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

int fz_memfile(const void *data, size_t len, char path[64])
{
	const char *p = data;
	size_t done = 0;
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

struct fz_guarded fz_guarded_copy(const void *data, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct fz_guarded g;

	g.map_len = (len + page - 1) / page * page + page;
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.map == MAP_FAILED ||
	    mprotect((char *)g.map + g.map_len - page, page, PROT_NONE))
		abort();
	g.p = (uint8_t *)g.map + (g.map_len - page - len);
	if (len)
		memcpy(g.p, data, len);
	return g;
}

void fz_guarded_free(struct fz_guarded *g)
{
	munmap(g->map, g->map_len);
}

static char dir[64];

static void dir_remove(void)
{
	fz_dir_clear();
	rmdir(dir);
}

const char *fz_dir(void)
{
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/romflash-fuzz.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		atexit(dir_remove);
	}
	return dir;
}

void fz_dir_clear(void)
{
	DIR *d = opendir(fz_dir());
	struct dirent *e;
	char path[400];

	if (!d)
		abort();
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] ||
		    (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

void fz_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		abort();
}

void fz_check_str(const char *s, size_t cap)
{
	if (!memchr(s, 0, cap))
		abort();
}
