/* Window tags and verified reads.  See vfile.h. */
#include "vfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rf_str.h"

/* The GMAC algorithm, fetched once for every thread. */
static EVP_MAC *gmac;
static pthread_once_t gmac_once = PTHREAD_ONCE_INIT;

static void gmac_fetch(void)
{
	gmac = EVP_MAC_fetch(NULL, "GMAC", NULL);
}

/* A MAC of window k under the key of `ws`: the index as the IV, so no two
 * windows of one key share one.  NULL when OpenSSL cannot give it. */
static EVP_MAC_CTX *tag_start(const struct rf_winsums *ws, size_t k)
{
	char cipher[] = "AES-128-GCM";
	unsigned char iv[12] = { 0 };
	OSSL_PARAM prm[3];
	EVP_MAC_CTX *c;

	pthread_once(&gmac_once, gmac_fetch);
	if (!gmac || !(c = EVP_MAC_CTX_new(gmac)))
		return NULL;
	for (int i = 0; i < 8; i++)
		iv[4 + i] = (unsigned char)((uint64_t)k >> (56 - 8 * i));
	prm[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						  cipher, 0);
	prm[1] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_IV, iv,
						   sizeof iv);
	prm[2] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(c, ws->key, sizeof ws->key, prm)) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

/* The tag of what was fed to `c`, which is freed. */
static int tag_end(EVP_MAC_CTX *c, unsigned char *tag)
{
	size_t n = 0;
	int ok = EVP_MAC_final(c, tag, &n, RF_WINTAG_LEN) &&
		 n == RF_WINTAG_LEN;
	EVP_MAC_CTX_free(c);
	return ok;
}

/* The tag of window k's complete bytes. */
static int tag_of(const struct rf_winsums *ws, size_t k, const void *p,
		  size_t n, unsigned char *tag)
{
	EVP_MAC_CTX *c = tag_start(ws, k);
	if (!c)
		return 0;
	if (!EVP_MAC_update(c, p, n)) {
		EVP_MAC_CTX_free(c);
		return 0;
	}
	return tag_end(c, tag);
}

static int draw_key(struct rf_winsums *ws)
{
	if (!ws->keyed && RAND_bytes(ws->key, sizeof ws->key) != 1)
		return RF_ENOMEM;
	ws->keyed = 1;
	return RF_OK;
}

void rf_winsums_free(struct rf_winsums *ws)
{
	free(ws->tag);
	OPENSSL_cleanse(ws, sizeof *ws);
}

/* Room for one more window's tag. */
static unsigned char *next_slot(struct rf_winsums *ws)
{
	if (ws->n == ws->cap) {
		size_t cap = ws->cap ? 2 * ws->cap : 64;
		void *v = realloc(ws->tag, cap * sizeof *ws->tag);
		if (!v)
			return NULL;
		ws->tag = v;
		ws->cap = cap;
	}
	return ws->tag[ws->n];
}

int rf_winsums_add(struct rf_winsums *ws, const void *p, size_t n)
{
	unsigned char *d = next_slot(ws);
	if (!d || draw_key(ws) || !tag_of(ws, ws->n, p, n, d))
		return RF_ENOMEM;
	ws->n++;
	ws->size += n;
	return RF_OK;
}

int rf_winrec_init(struct rf_winrec *r, struct rf_winsums *ws)
{
	memset(r, 0, sizeof *r);
	memset(ws, 0, sizeof *ws);
	r->ws = ws;
	return draw_key(ws);
}

/* The window being fed is complete (or the last one): its tag. */
static int close_window(struct rf_winrec *r)
{
	unsigned char *d = next_slot(r->ws);
	EVP_MAC_CTX *c = r->mac;
	r->mac = NULL;
	if (!d) {
		EVP_MAC_CTX_free(c);
		return RF_ENOMEM;
	}
	if (!tag_end(c, d))
		return RF_ENOMEM;
	r->ws->n++;
	r->ws->size += r->fill;
	r->fill = 0;
	return RF_OK;
}

int rf_winrec_feed(struct rf_winrec *r, const void *p, size_t n)
{
	const unsigned char *c = p;
	while (n) {
		size_t k = RF_VWIN - r->fill < n ? RF_VWIN - r->fill : n;
		if (!r->mac && !(r->mac = tag_start(r->ws, r->ws->n)))
			return RF_ENOMEM;
		if (!EVP_MAC_update(r->mac, c, k))
			return RF_ENOMEM;
		r->fill += k;
		c += k;
		n -= k;
		if (r->fill == RF_VWIN && close_window(r))
			return RF_ENOMEM;
	}
	return RF_OK;
}

int rf_winrec_finish(struct rf_winrec *r)
{
	return r->fill ? close_window(r) : RF_OK;
}

void rf_winrec_free(struct rf_winrec *r)
{
	EVP_MAC_CTX_free(r->mac);
	r->mac = NULL;
}

int rf_vfile_open(struct rf_vfile *vf, const char *path,
		  const struct rf_winsums *ws, char *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return rf_errf(err, RF_ECHANGED, "%s changed on disk since it "
			       "was verified (not a regular file now)", path);
	}
	if ((uint64_t)sb.st_size != ws->size) {
		close(fd);
		return rf_errf(err, RF_ECHANGED, "%s changed on disk since it "
			       "was verified (%llu bytes, were %llu)", path,
			       (unsigned long long)sb.st_size,
			       (unsigned long long)ws->size);
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rf_vfile_wrap(vf, fd, ws, path);
	vf->own_fd = 1;
	return RF_OK;
}

void rf_vfile_wrap(struct rf_vfile *vf, int fd, const struct rf_winsums *ws,
		   const char *name)
{
	memset(vf, 0, sizeof *vf);
	vf->fd = fd;
	vf->ws = ws;
	rf_strlcpy(vf->name, name, sizeof vf->name);
}

void rf_vfile_close(struct rf_vfile *vf)
{
	if (vf->own_fd && vf->fd >= 0)
		close(vf->fd);
	vf->fd = -1;
	vf->own_fd = 0;
}

int rf_vfile_window(const struct rf_vfile *vf, size_t k, unsigned char *buf,
		    size_t *len, char *err)
{
	const struct rf_winsums *ws = vf->ws;
	uint64_t off = (uint64_t)k * RF_VWIN;
	unsigned char d[RF_WINTAG_LEN];
	char e[RF_ERRLEN];
	size_t want, got;
	int rc;

	*len = 0;
	if (k >= ws->n)
		return rf_errf(err, RF_EINVAL, "%s: no verified bytes at offset "
			       "%llu", vf->name, (unsigned long long)off);
	want = ws->size - off < RF_VWIN ? (size_t)(ws->size - off) : RF_VWIN;
	if ((rc = rf_read_at(vf->fd, buf, want, off, NULL, &got, e)))
		return rf_errf(err, rc, "%s: %s", vf->name, e);
	if (got != want)
		return rf_errf(err, RF_ECHANGED, "%s changed on disk since it "
			       "was verified (it ends at %llu now)", vf->name,
			       (unsigned long long)(off + got));
	if (!tag_of(ws, k, buf, want, d))
		return rf_errf(err, RF_ENOMEM, "out of memory");
	if (CRYPTO_memcmp(d, ws->tag[k], sizeof d))
		return rf_errf(err, RF_ECHANGED, "%s changed on disk since it "
			       "was verified (bytes %llu-%llu differ)", vf->name,
			       (unsigned long long)off,
			       (unsigned long long)(off + want - 1));
	*len = want;
	return RF_OK;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* rf_read_at of a file whose writer says how far it is (gr->wait). */
static int read_fed(int fd, void *buf, size_t len, uint64_t off,
		    const struct rf_growing *gr, size_t *got, char *err)
{
	int short_reads = 0;
	*got = 0;
	while (*got < len) {
		uint64_t pos = off + *got, avail;
		int rc = gr->wait(gr->user, off + len, &avail, err);
		if (rc)
			return rc;
		if (avail <= pos)
			break; /* complete, and no byte left at pos */
		size_t n = avail - pos < len - *got ? (size_t)(avail - pos)
						    : len - *got;
		ssize_t r = pread(fd, (char *)buf + *got, n, (off_t)pos);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rf_errf(err, RF_ESYS, "read: %s", strerror(errno));
		if (r == 0) {
			/* shorter than its writer says: it is starting over
			 * (the next wait says so), or someone else cut it */
			if (++short_reads > 1)
				return rf_errf(err, RF_ECHANGED, "the file ends at "
					       "%llu, its writer says %llu",
					       (unsigned long long)pos,
					       (unsigned long long)avail);
			continue;
		}
		short_reads = 0;
		*got += (size_t)r;
	}
	return RF_OK;
}

int rf_read_at(int fd, void *buf, size_t len, uint64_t off,
	       const struct rf_growing *gr, size_t *got, char *err)
{
	double last = 0;
	if (gr && gr->wait)
		return read_fed(fd, buf, len, off, gr, got, err);
	*got = 0;
	while (*got < len) {
		ssize_t r = pread(fd, (char *)buf + *got, len - *got,
				  (off_t)(off + *got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return rf_errf(err, RF_ESYS, "read: %s", strerror(errno));
		if (r > 0) {
			*got += (size_t)r;
			last = 0;
			continue;
		}
		/* at the end of the file: done, unless more is coming */
		if (!gr || !gr->expect || off + *got >= gr->expect)
			break;
		if (gr->stop && *gr->stop)
			return rf_errf(err, RF_EINTR, "interrupted");
		if (!last)
			last = now_ms();
		else if (now_ms() - last > (gr->stall_ms ? gr->stall_ms
							 : RF_GROW_STALL_MS))
			return rf_errf(err, RF_ETIMEDOUT, "the file stopped "
				       "growing at %llu of %llu bytes",
				       (unsigned long long)(off + *got),
				       (unsigned long long)gr->expect);
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	return RF_OK;
}
