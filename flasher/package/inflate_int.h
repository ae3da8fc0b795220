/* The inside of a gzip reader (inflate.c), shared with its input stage
 * (inflate_input.c): the slot rings, the threads' shared state and the
 * functions the two files call in each other.  Private to those two. */
#ifndef RF_INFLATE_INT_H
#define RF_INFLATE_INT_H

#include "inflate.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "md5.h"

#define NIN 8
#define IN_SZ RF_VWIN /* an input slot holds one window */
#define NOUT 8
#define OUT_SZ (1u << 20)

struct slot {
	unsigned char *buf;
	unsigned char *data; /* input: the bytes to use (buf, or past the
				part of a window before a resume point) */
	size_t len;          /* of data */
	uint64_t off;        /* input: file offset of data[0] */
};

struct rf_gzr {
	int fd;
	int gunzip;
	int threaded;   /* a whole-file pass: reader (+ inflater) threads */
	uint64_t file_size;
	struct stat sb;
	const volatile sig_atomic_t *cancel;
	const struct rf_vfile *vf;  /* read through verified windows */
	struct rf_winsums *rec;     /* record the windows' digests */
	struct rf_growing grow;     /* the file may still be growing */
	_Atomic uint64_t limit;     /* most bytes inflated (0: no limit) */

	/* caller's side */
	uint64_t out_total;  /* bytes handed out */
	int holding;         /* the caller holds the oldest published slot */
	int started;
	int finished;
	int rc;              /* first error, sticky */
	char err[RF_ERRLEN];

	/* shared between the threads, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot in[NIN];
	uint64_t in_prod, in_cons;
	int in_eof;          /* the reader saw the end of the file */
	struct slot out[NOUT];
	uint64_t out_prod, out_cons;
	int inf_done;        /* the inflater stopped (end or error) */
	int th_rc;           /* first error of a thread ... */
	char th_err[RF_ERRLEN]; /* ... and its message */
	int stop;            /* rf_gzr_close: threads, give up */
	_Atomic uint64_t bytes_read;

	pthread_t reader, inflater;
	int reader_on, inflater_on;
	struct rf_md5 md5;
	int hashing;

	/* the inflater's own (the inflater thread, or the caller when
	 * synchronous) */
	struct inflate_state st;
	struct slot cur;     /* input slot being inflated */
	int have_cur;
	int eof;             /* no input left */
	int between;         /* at a gzip member boundary */
	int padding;         /* saw zero bytes after a member */
	int members;
	uint64_t inf_total;  /* bytes inflated */
	int indexing;
	struct rf_gz_index idx;
};

/* inflate_input.c: the input stage (reading, MD5 and window digests) */

/* Record a thread's first error (and wake everyone); returns rc. */
int rf_gzr_th_err(struct rf_gzr *g, int rc, const char *msg);
/* The next slot of a ring its producer may fill; NULL when told to stop. */
struct slot *rf_gzr_free_slot(struct rf_gzr *g, struct slot *ring, int n,
			      const uint64_t *prod, const uint64_t *cons);
void *rf_gzr_reader_main(void *arg);
/* Give back the input slot in use and take the next one into g->cur. */
int rf_gzr_next_input(struct rf_gzr *g, char *err);

#endif
