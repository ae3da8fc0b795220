/* Phone identity and the one-process-per-phone lock.  See phone_id.h. */
#include "phone_id.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf_str.h"

/* getvar with "not known to this bootloader" answered as "". */
static int getvar_opt(struct rf_fastboot *fb, const char *var, char *val, size_t cap)
{
	int rc = rf_fb_getvar(fb, var, val, cap);
	if (rc == RF_EFAIL) {
		val[0] = 0;
		return RF_OK;
	}
	return rc;
}

int rf_phone_identify(struct rf_fastboot *fb, struct rf_phone_id *id, char *err)
{
	char val[RF_FB_RESP_MAX + 1];
	int rc;

	memset(id, 0, sizeof *id);
	rf_strlcpy(id->address, fb->t->location[0] ? fb->t->location : fb->t->serial,
		   sizeof id->address);
	if ((rc = getvar_opt(fb, "serialno", val, sizeof val)))
		goto fail;
	/* over TCP the transport's "serial" is its address: not an identity */
	if (!val[0] && strncmp(fb->t->serial, "tcp:", 4))
		rf_strlcpy(val, fb->t->serial, sizeof val);
	rf_strlcpy(id->serial, val, sizeof id->serial);
	if ((rc = getvar_opt(fb, "product", id->product, sizeof id->product)))
		goto fail;
	if ((rc = getvar_opt(fb, "version-bootloader", id->bootloader, sizeof id->bootloader)))
		goto fail;
	return RF_OK;
fail:
	return rf_errf(err, rc, "identifying the phone: %s", fb->err);
}

static void safe_append(char *out, size_t cap, size_t *n, const char *s)
{
	for (; *s && *n + 1 < cap; s++) {
		char c = *s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '-' || c == '.';
		out[(*n)++] = ok ? c : '_';
	}
	out[*n] = 0;
}

void rf_phone_key(const struct rf_phone_id *id, char *key, size_t cap)
{
	size_t n = 0;
	if (!cap)
		return;
	key[0] = 0;
	if (id->serial[0]) {
		safe_append(key, cap, &n, id->serial);
		return;
	}
	safe_append(key, cap, &n, "noserial-");
	safe_append(key, cap, &n, id->product[0] ? id->product : "unknown");
	safe_append(key, cap, &n, "-");
	safe_append(key, cap, &n, id->address);
}

int rf_phone_same(const struct rf_phone_id *a, const struct rf_phone_id *b)
{
	return a->serial[0] && !strcmp(a->serial, b->serial) &&
	       !strcmp(a->product, b->product);
}

void rf_phone_describe(const struct rf_phone_id *id, char *out, size_t cap)
{
	if (id->serial[0])
		snprintf(out, cap, "%s (%s)", id->serial,
			 id->product[0] ? id->product : "product unknown");
	else
		snprintf(out, cap, "a phone without serial number (%s) at %s",
			 id->product[0] ? id->product : "product unknown", id->address);
}

/* ---- the lock ---- */

struct rf_phone_lock {
	int fd;
	char path[4400];
};

static int lock_dir(char *dir, size_t cap, char *err)
{
	const char *d = getenv("ROMFLASH_LOCK_DIR");
	const char *run = getenv("XDG_RUNTIME_DIR");
	struct stat sb;

	if (d && *d)
		snprintf(dir, cap, "%s", d);
	else if (run && *run)
		snprintf(dir, cap, "%s/romflash", run);
	else
		snprintf(dir, cap, "/tmp/romflash-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return rf_errf(err, RF_ESYS, "%s: %s", dir, strerror(errno));
	/* a shared /tmp: the folder must be ours, not someone's link */
	if (lstat(dir, &sb) || !S_ISDIR(sb.st_mode) || sb.st_uid != getuid())
		return rf_errf(err, RF_ESYS, "%s: not a folder of this user's", dir);
	return RF_OK;
}

/* Who holds it, from the file's text ("pid N: COMMAND"). */
static void holder(int fd, char *out, size_t cap)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		snprintf(out, cap, "another romflash");
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(out, cap, "%s", buf);
}

int rf_phone_lock(const struct rf_phone_id *id, const char *what,
		  struct rf_phone_lock **out, char *err)
{
	char dir[4096], key[128], who[512], line[600];
	struct rf_phone_lock *lk;
	int rc, len;

	*out = NULL;
	if ((rc = lock_dir(dir, sizeof dir, err)))
		return rc;
	if (!(lk = calloc(1, sizeof *lk)))
		return rf_errf(err, RF_ENOMEM, "out of memory");
	rf_phone_key(id, key, sizeof key);
	snprintf(lk->path, sizeof lk->path, "%s/%s.lock", dir, key);
	lk->fd = open(lk->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lk->fd < 0) {
		rc = rf_errf(err, RF_ESYS, "%s: %s", lk->path, strerror(errno));
		goto fail;
	}
	if (flock(lk->fd, LOCK_EX | LOCK_NB)) {
		if (errno == EWOULDBLOCK) {
			char desc[200];
			holder(lk->fd, who, sizeof who);
			rf_phone_describe(id, desc, sizeof desc);
			rc = rf_errf(err, RF_EBUSY, "phone %s is being flashed by %s", desc, who);
		} else {
			rc = rf_errf(err, RF_ESYS, "%s: %s", lk->path, strerror(errno));
		}
		goto fail;
	}
	len = snprintf(line, sizeof line, "pid %ld: %s\n", (long)getpid(), what ? what : "romflash");
	if (ftruncate(lk->fd, 0) || pwrite(lk->fd, line, (size_t)len, 0) != len) {
		/* the lock holds all the same; only the holder's name is lost */
	}
	*out = lk;
	return RF_OK;
fail:
	if (lk->fd >= 0)
		close(lk->fd);
	free(lk);
	return rc;
}

void rf_phone_unlock(struct rf_phone_lock *lk)
{
	if (!lk)
		return;
	/* truncated, not unlinked: unlinking would let a process that has the
	 * old file open and one that makes a new one both hold "the" lock */
	if (ftruncate(lk->fd, 0)) {
		/* nothing to do: the lock goes with the descriptor */
	}
	close(lk->fd);
	free(lk);
}
