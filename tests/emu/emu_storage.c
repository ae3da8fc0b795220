/* The emulated phone's eMMC: the Mi 4 partition table, partitions as
 * sparse files `<state_dir>/<name>.img`, and flashing a download into them
 * (raw, or a sparse image validated completely first).  See emu_int.h.
 *
 * Deliberately independent of protocol/: its own sparse parser, so a bug
 * in romflash's sparse code cannot be mirrored here and hide itself. */
#include "emu_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPARSE_MAGIC 0xed26ff3aU
#define CH_RAW 0xcac1
#define CH_FILL 0xcac2
#define CH_DONT_CARE 0xcac3
#define CH_CRC32 0xcac4

/* Mi 4, MIUI 6.0 layout (SPEC), plus the names the KitKat dual-system
 * packages flash (modem1, system1, boot1), the CRC lists and the GPT. */
static const struct part_def parts[] = {
	{"sbl1", 2 * MiB},      {"rpm", 1 * MiB},       {"tz", 1 * MiB},
	{"DDR", 1 * MiB},       {"ssd", 1 * MiB},       {"dbi", 1 * MiB},
	{"aboot", 4 * MiB},     {"misc", 4 * MiB},      {"logo", 8 * MiB},
	{"modemst1", 1536 * KiB}, {"modemst2", 1536 * KiB}, {"fsg", 1536 * KiB},
	{"persist", 16 * MiB},  {"modem", 128 * MiB},   {"modem1", 128 * MiB},
	{"system", 1280 * MiB}, {"system1", 1280 * MiB}, {"cache", 384 * MiB},
	{"userdata", 12980 * MiB}, {"boot", 32 * MiB},  {"boot1", 32 * MiB},
	{"recovery", 16 * MiB}, {"crclist", 1 * MiB},   {"sparsecrclist", 1 * MiB},
	{"partition", 1 * MiB},
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

static const struct part_def *find_part(struct emu *e, const char *name,
				       size_t len)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (strlen(parts[i].name) == len &&
		    memcmp(parts[i].name, name, len) == 0)
			return &parts[i];
	for (size_t i = 0; i < e->nother; i++)
		if (strlen(e->other[i]->name) == len &&
		    memcmp(e->other[i]->name, name, len) == 0)
			return e->other[i];
	/* --other-partitions: another device's name, made up now (each on
	 * its own: an "a+b" holds two of them at once) */
	if (!e->other_size || !len || len > 64 || memchr(name, '/', len) ||
	    name[0] == '.' || e->nother == 256)
		return NULL;
	struct part_def **v = realloc(e->other, sizeof(*v) * (e->nother + 1));
	if (!v)
		return NULL;
	e->other = v;
	struct part_def *d = calloc(1, sizeof(*d));
	char *nm = strndup(name, len);
	if (!d || !nm) {
		free(d);
		free(nm);
		return NULL;
	}
	d->name = nm;
	d->size = e->other_size;
	v[e->nother++] = d;
	return d;
}

/* "a+b": Xiaomi LK writes every named partition from one download. */
int emu_parse_targets(struct emu *e, const char *arg,
			 const struct part_def **out)
{
	int n = 0;
	const char *p = arg;
	for (;;) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);
		const struct part_def *d = find_part(e, p, len);
		if (!d || n == MAX_TARGETS)
			return -1;
		out[n++] = d;
		if (!plus)
			return n;
		p = plus + 1;
	}
}

static int open_part(struct emu *e, const struct part_def *d)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s.img", e->state_dir, d->name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "emu: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* sparse file of the partition's size: cheap even for userdata */
	if (fstat(fd, &st) < 0 || (unsigned long long)st.st_size != d->size) {
		if (ftruncate(fd, (off_t)d->size) < 0) {
			fprintf(stderr, "emu: %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* ---------- flashing ---------- */

/* Write dl[src, src+len) to every target at `dst`. */
static int copy_out(struct emu *e, const int *fds, int nt, uint64_t src,
		    uint64_t dst, uint64_t len)
{
	for (int i = 0; i < nt; i++)
		if (pwrite_full(fds[i], e->dl + src, (size_t)len, dst) < 0)
			return -1;
	return 0;
}

static int fill_out(struct emu *e, const int *fds, int nt, uint32_t pattern,
		    uint64_t dst, uint64_t len)
{
	/* only as much pattern as one write needs: sparse images from
	 * img2simg carry thousands of one-block FILL chunks */
	size_t words = (len < EMU_BUF ? (size_t)len : EMU_BUF) / 4;
	for (size_t i = 0; i < words; i++)
		memcpy(e->buf + i * 4, &pattern, 4); /* pattern is LE on wire */
	while (len > 0) {
		size_t n = len > EMU_BUF ? EMU_BUF : (size_t)len;
		for (int i = 0; i < nt; i++)
			if (pwrite_full(fds[i], e->buf, n, dst) < 0)
				return -1;
		dst += n;
		len -= n;
	}
	return 0;
}

struct sparse_hdr {
	uint32_t blk_sz, total_blks, total_chunks;
	uint16_t file_hdr_sz, chunk_hdr_sz;
};

/* Walk a sparse image in the download buffer.  With fds == NULL only validates
 * (nothing is written unless the whole image is well formed); the
 * message for the host goes to `why`. */
static int sparse_walk(struct emu *e, const struct sparse_hdr *h,
		       uint64_t part_size, const int *fds, int nt,
		       const char **why)
{
	uint64_t off = h->file_hdr_sz, out = 0;
	uint64_t size = e->dl_size;
	uint64_t limit = (uint64_t)h->total_blks * h->blk_sz;

	if (limit > part_size) {
		*why = "size too large";
		return -1;
	}
	for (uint32_t c = 0; c < h->total_chunks; c++) {
		if (off + h->chunk_hdr_sz > size) {
			*why = "sparse image truncated";
			return -1;
		}
		const unsigned char *ch = e->dl + off;
		uint16_t type = le16(ch);
		uint64_t blocks = le32(ch + 4);
		uint64_t total = le32(ch + 8);
		uint64_t bytes = blocks * h->blk_sz;
		uint64_t body = total < h->chunk_hdr_sz ? 0 : total - h->chunk_hdr_sz;
		uint64_t data = off + h->chunk_hdr_sz;
		uint64_t want;

		switch (type) {
		case CH_RAW: want = bytes; break;
		case CH_FILL: want = 4; break;
		case CH_DONT_CARE: want = 0; break;
		case CH_CRC32: want = 4; break;
		default:
			*why = "unknown chunk type";
			return -1;
		}
		if (total < h->chunk_hdr_sz || body != want) {
			*why = "bad chunk size";
			return -1;
		}
		if (data + body > size) {
			*why = "sparse image truncated";
			return -1;
		}
		if (type != CH_CRC32 && out + bytes > limit) {
			*why = "sparse image write failure";
			return -1;
		}
		if (fds && type == CH_RAW && copy_out(e, fds, nt, data, out, bytes) < 0) {
			*why = "flash write failure";
			return -1;
		}
		if (fds && type == CH_FILL) {
			uint32_t p;
			memcpy(&p, e->dl + data, 4); /* LE on the wire and in the file */
			if (fill_out(e, fds, nt, p, out, bytes) < 0) {
				*why = "flash write failure";
				return -1;
			}
		}
		/* DONT_CARE: the old bytes stay -- that is what lets the
		 * pieces of one split image compose */
		if (type != CH_CRC32)
			out += bytes;
		off = data + body;
	}
	if (out != limit) {
		*why = "sparse image write failure";
		return -1;
	}
	if (off != size) {
		*why = "sparse image has trailing data";
		return -1;
	}
	return 0;
}

const char *emu_flash_data(struct emu *e, const struct part_def **t, int nt)
{
	const char *why = NULL;
	int fds[MAX_TARGETS] = {-1, -1, -1, -1};
	int opened = 0;
	int sparse = 0;
	struct sparse_hdr h = {0};
	uint64_t min_part = UINT64_MAX;

	for (int i = 0; i < nt; i++)
		if (t[i]->size < min_part)
			min_part = t[i]->size;

	if (e->dl_size >= 4 && le32(e->dl) == SPARSE_MAGIC) {
		sparse = 1;
		if (e->dl_size < 28) {
			why = "sparse image truncated";
			goto out;
		}
		const unsigned char *head = e->dl;
		h.file_hdr_sz = le16(head + 8);
		h.chunk_hdr_sz = le16(head + 10);
		h.blk_sz = le32(head + 12);
		h.total_blks = le32(head + 16);
		h.total_chunks = le32(head + 20);
		if (le16(head + 4) != 1 || h.file_hdr_sz < 28 ||
		    h.chunk_hdr_sz < 12 || h.blk_sz == 0 || h.blk_sz % 4) {
			why = "invalid sparse image header";
			goto out;
		}
		if (sparse_walk(e, &h, min_part, NULL, 0, &why) < 0)
			goto out;
	} else if (e->dl_size > min_part) {
		why = "size too large";
		goto out;
	}

	for (; opened < nt; opened++) {
		fds[opened] = open_part(e, t[opened]);
		if (fds[opened] < 0) {
			why = "flash write failure";
			goto out;
		}
	}
	if (sparse) {
		if (sparse_walk(e, &h, min_part, fds, nt, &why) < 0)
			goto out;
	} else if (copy_out(e, fds, nt, 0, 0, e->dl_size) < 0) {
		why = "flash write failure";
		goto out;
	}
out:
	for (int i = 0; i < opened; i++)
		close(fds[i]);
	return why;
}

const char *emu_erase_part(struct emu *e, const struct part_def *d)
{
	int fd = open_part(e, d);
	if (fd < 0)
		return "failed to erase partition";
	/* punch the whole file out: zeros, and no disk used for userdata */
	int rc = ftruncate(fd, 0) == 0 && ftruncate(fd, (off_t)d->size) == 0;
	close(fd);
	return rc ? NULL : "failed to erase partition";
}

