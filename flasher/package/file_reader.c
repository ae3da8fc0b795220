#include "file_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rf_file_open(struct rf_file_reader *r, const char *path)
{
	struct stat st;
	memset(r, 0, sizeof *r);
	r->fd = -1;
	snprintf(r->path, sizeof r->path, "%s", path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return rf_errf(r->err, RF_ESYS, "%s: %s", path, strerror(errno));
	if (fstat(r->fd, &st) || !S_ISREG(st.st_mode)) {
		close(r->fd);
		r->fd = -1;
		return rf_errf(r->err, RF_ESYS, "%s: not a regular file", path);
	}
	r->size = (uint64_t)st.st_size;
	/* We read each image front to back, usually twice. */
	posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return RF_OK;
}

int rf_file_rewind(struct rf_file_reader *r)
{
	if (lseek(r->fd, 0, SEEK_SET) != 0)
		return rf_errf(r->err, RF_ESYS, "%s: %s", r->path, strerror(errno));
	return RF_OK;
}

int rf_file_seek(void *ctx, uint64_t off)
{
	struct rf_file_reader *r = ctx;
	if (off > r->size)
		return rf_errf(r->err, RF_EFORMAT, "%s: offset %llu is past its end",
			       r->path, (unsigned long long)off);
	if (lseek(r->fd, (off_t)off, SEEK_SET) != (off_t)off)
		return rf_errf(r->err, RF_ESYS, "%s: %s", r->path, strerror(errno));
	return RF_OK;
}

int rf_file_read(void *ctx, void *buf, size_t len, size_t *got)
{
	struct rf_file_reader *r = ctx;
	ssize_t n;
	do
		n = read(r->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*got = 0;
		return rf_errf(r->err, RF_ESYS, "%s: %s", r->path, strerror(errno));
	}
	*got = (size_t)n;
	return RF_OK;
}

void rf_file_close(struct rf_file_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
