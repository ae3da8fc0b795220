/* Internal to pkg_stream: pkg_stream.c (the order, finding an image),
 * pkg_pass.c (a pass of the tar parser over the gunzipped package),
 * pkg_reader.c (the reader handed out, folders), pkg_spool.c (copies of
 * images passed over).  Other rooms use pkg_stream.h. */
#ifndef RF_PKG_STREAM_INT_H
#define RF_PKG_STREAM_INT_H

#include <archive.h>
#include <unistd.h>
#include "inflate.h"
#include "par_inflate.h"
#include "pkg_stream.h"
#include "vfile.h"

struct img {
	char *rel;
	uint64_t size;
	uint64_t tar_off;    /* its tar header in the uncompressed stream */
	uint64_t data_off;   /* its data there (0: unknown) */
	int spool_fd;        /* complete copy in the spool, or -1 ... */
	struct rf_winsums spool_win; /* ... and its windows' digests */
	unsigned seen_pass;  /* the pass that last went past it (0: none) */
};

/* A copy being written to the spool: its windows recorded as it goes. */
struct spool_out {
	int fd;              /* -1: none */
	struct rf_winrec rec;
	struct rf_winsums win;
	uint64_t size;       /* reserved in the budget */
};

enum rkind { R_NONE, R_TAR, R_SPOOL, R_FILE, R_PAR, R_FAILED };

struct reader {
	struct rf_pkg_stream *s;
	enum rkind kind;
	int rc;              /* R_FAILED: what every read returns */
	size_t k;            /* image */
	uint64_t size, done;
	/* R_TAR: current data block of the entry */
	const unsigned char *blk;
	size_t blk_len;
	uint64_t blk_off;
	struct spool_out tee; /* copy to the spool while reading */
	/* R_SPOOL, R_FILE: read in verified windows */
	struct rf_vfile vf;
	int fd;              /* R_FILE: the folder's file (ours to close) */
	struct rf_pinf *par; /* R_PAR */
};

struct rf_pkg_stream {
	const struct rf_package *pkg;
	const volatile sig_atomic_t *cancel;
	uint64_t par_min;    /* images this large go to par_inflate */
	struct img *img;
	size_t nimg, capimg;
	size_t *ord;         /* order entry -> image */
	size_t norder, pos;  /* next order entry expected */
	/* TGZ: the package, read only in windows verified by package.c */
	struct rf_vfile vf;
	int use_index;       /* the package has resume points, and they work */
	/* the pass */
	struct rf_gzr *g;
	struct archive *a;
	int g_rc;            /* error of rf_gzr seen by the read callback */
	unsigned pass;
	int pass_end;        /* tar fully read */
	int mid;             /* the pass resumed at an index point */
	uint64_t skip;       /* uncompressed bytes still to discard */
	uint64_t here;       /* about where the tar reader stands */
	/* a verified window of a folder file or a spool copy */
	unsigned char *win;
	const struct rf_vfile *win_of;
	size_t win_k, win_len;
	/* spool */
	char spool_parent[4096];
	char spool_dir[4096 + 32];
	int have_spool_dir;
	unsigned seq;
	uint64_t budget, spool_used;
	struct rf_pkg_stream_stats st;
	struct reader r;
	char err[RF_ERRLEN];
};

static inline int rf_ps_cancelled(const struct rf_pkg_stream *s)
{
	return s->cancel && *s->cancel;
}

/* How many times the order asks for image k from order entry `from` on. */
int rf_ps_uses_from(const struct rf_pkg_stream *s, size_t k, size_t from);

/* pkg_pass.c */
int rf_ps_pass_open_at(struct rf_pkg_stream *s, const struct rf_gz_point *pt,
		       uint64_t skip_to);
void rf_ps_pass_close(struct rf_pkg_stream *s);
/* Next regular file of the tar: *k its image (or (size_t)-1 when the
 * order does not need it).  *end at the end of the tar. */
int rf_ps_pass_next(struct rf_pkg_stream *s, size_t *k, int *end);
/* Next data block of the current entry; *len 0 at its end. */
int rf_ps_data_block(struct rf_pkg_stream *s, const void **p, size_t *len,
		     uint64_t *off);

/* pkg_spool.c */
/* Start a copy of `size` bytes (out->fd -1 when it does not fit). */
void rf_ps_spool_create(struct rf_pkg_stream *s, uint64_t size,
			struct spool_out *out);
/* Append; a failure ends the copy (out->fd -1), not the stream. */
void rf_ps_spool_write(struct rf_pkg_stream *s, struct spool_out *out,
		       const void *p, size_t n);
void rf_ps_spool_zeros(struct rf_pkg_stream *s, struct spool_out *out,
		       uint64_t n);
static inline void rf_ps_spool_abort(struct rf_pkg_stream *s,
				     struct spool_out *out)
{
	/* here, not in pkg_spool.c: closing a pass (pkg_pass.c) drops the
	 * copy being made beside it, and pkg_spool.c reads through passes */
	if (out->fd < 0)
		return;
	close(out->fd);
	out->fd = -1;
	rf_winrec_free(&out->rec);
	rf_winsums_free(&out->win);
	s->spool_used -= out->size;
}
/* The copy is complete: it becomes image k's. */
void rf_ps_spool_keep(struct rf_pkg_stream *s, struct spool_out *out,
		      size_t k);
/* Copy the rest of the current tar entry (`done` bytes in out already). */
int rf_ps_spool_rest(struct rf_pkg_stream *s, struct spool_out *out,
		     uint64_t done);
/* Spool image k, the current tar entry, when it fits. */
int rf_ps_spool_entry(struct rf_pkg_stream *s, size_t k);
void rf_ps_spool_drop(struct rf_pkg_stream *s, size_t k);
/* Drop what the rest of the order no longer needs (but `keep`). */
void rf_ps_spool_gc(struct rf_pkg_stream *s, size_t keep);

/* pkg_reader.c */
int rf_ps_reader_read(void *ctx, void *buf, size_t len, size_t *got);
/* Leave the current reader (a spool copy under way is completed). */
int rf_ps_reader_end(struct rf_pkg_stream *s);
/* Position the reader on folder image k. */
int rf_ps_dir_image(struct rf_pkg_stream *s, size_t k);

#endif
