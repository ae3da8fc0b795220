/* Saved flash progress.  See resume.h. */
#include "resume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rf_str.h"

static int state_dir(char *dir, size_t cap, int create, char *err)
{
	const char *d = getenv("ROMFLASH_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (d && *d)
		snprintf(dir, cap, "%s", d);
	else if (xdg && *xdg)
		snprintf(dir, cap, "%s/romflash", xdg);
	else if (home && *home)
		snprintf(dir, cap, "%s/.local/state/romflash", home);
	else
		return rf_errf(err, RF_ESYS, "no place to keep progress: set HOME or ROMFLASH_STATE_DIR");
	if (create) {
		/* mkdir -p */
		char tmp[4096];
		rf_strlcpy(tmp, dir, sizeof tmp);
		for (char *p = tmp + 1; *p; p++)
			if (*p == '/') {
				*p = 0;
				mkdir(tmp, 0700);
				*p = '/';
			}
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
	}
	return RF_OK;
}

static void file_for(const char *dir, const struct rf_phone_id *id, char *path, size_t cap)
{
	char key[128];
	rf_phone_key(id, key, sizeof key);
	snprintf(path, cap, "%s/%s.resume", dir, key);
}

int rf_resume_writable(char *err)
{
	char dir[4096], path[4200];
	int fd, rc = state_dir(dir, sizeof dir, 1, err);
	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/.write-test.%ld", dir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return rf_errf(err, RF_ESYS, "%s: %s", dir, strerror(errno));
	rc = write(fd, "ok\n", 3) == 3 && !fsync(fd) ? RF_OK
		: rf_errf(err, RF_ESYS, "%s: %s", dir, strerror(errno));
	close(fd);
	unlink(path);
	return rc;
}

/* A text as one line: a line break in it (a phone's answer quoted in the
 * failure's message) would start a line read back as another field -- a
 * "next=" after the real one moves the step a resume starts from. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int rf_resume_save(const struct rf_resume *saved, char *err)
{
	char dir[4096], path[4400], tmp[4500];
	struct rf_resume one = *saved, *r = &one;
	char *texts[] = { one.phone.serial, one.phone.product, one.phone.bootloader,
			  one.phone.address, one.package, one.md5, one.mode, one.script,
			  one.failed };
	FILE *f;
	int rc = state_dir(dir, sizeof dir, 1, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		one_line(texts[i]);
	file_for(dir, &r->phone, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
	fprintf(f, "serial=%s\nproduct=%s\nbootloader=%s\naddress=%s\n"
		"package=%s\nmd5=%s\nmode=%s\nscript=%s\nnsteps=%zu\nnext=%zu\nfailed=%s\n",
		r->phone.serial, r->phone.product, r->phone.bootloader, r->phone.address,
		r->package, r->md5, r->mode, r->script, r->nsteps, r->next, r->failed);
	if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
		unlink(tmp);
		return rf_errf(err, RF_ESYS, "%s: cannot write", tmp);
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return rf_errf(err, RF_ESYS, "%s: %s", path, strerror(errno));
	}
	return RF_OK;
}

static void field(const char *line, const char *key, char *dst, size_t cap)
{
	size_t k = strlen(key);
	if (!strncmp(line, key, k) && line[k] == '=') {
		rf_strlcpy(dst, line + k + 1, cap);
		dst[strcspn(dst, "\n")] = 0;
	}
}

static size_t number(const char *line, const char *key, size_t old)
{
	char num[32] = "";
	field(line, key, num, sizeof num);
	return num[0] ? strtoul(num, NULL, 10) : old;
}

static int read_file(const char *path, struct rf_resume *r)
{
	char line[4200];
	FILE *f = fopen(path, "r");
	memset(r, 0, sizeof *r);
	if (!f)
		return RF_ENODEV;
	while (fgets(line, sizeof line, f)) {
		field(line, "serial", r->phone.serial, sizeof r->phone.serial);
		field(line, "product", r->phone.product, sizeof r->phone.product);
		field(line, "bootloader", r->phone.bootloader, sizeof r->phone.bootloader);
		field(line, "address", r->phone.address, sizeof r->phone.address);
		field(line, "package", r->package, sizeof r->package);
		field(line, "md5", r->md5, sizeof r->md5);
		field(line, "mode", r->mode, sizeof r->mode);
		field(line, "script", r->script, sizeof r->script);
		field(line, "failed", r->failed, sizeof r->failed);
		r->nsteps = number(line, "nsteps", r->nsteps);
		r->next = number(line, "next", r->next);
	}
	fclose(f);
	return !r->nsteps || r->next > r->nsteps ? RF_EFORMAT : RF_OK;
}

int rf_resume_load(const struct rf_phone_id *id, struct rf_resume *r, char *err)
{
	char dir[4096], path[4400], want[128], have[128];
	int rc = state_dir(dir, sizeof dir, 0, err);
	if (rc)
		return rc;
	file_for(dir, id, path, sizeof path);
	rc = read_file(path, r);
	if (rc == RF_ENODEV) {
		char desc[200];
		rf_phone_describe(id, desc, sizeof desc);
		return rf_errf(err, RF_ENODEV, "no saved progress for phone %s", desc);
	}
	rf_phone_key(id, want, sizeof want);
	rf_phone_key(&r->phone, have, sizeof have);
	if (rc || strcmp(want, have) || strcmp(r->phone.product, id->product))
		return rf_errf(err, RF_EFORMAT, "%s: saved progress is damaged", path);
	return RF_OK;
}

int rf_resume_find_at(const char *address, const struct rf_phone_id *not,
		      struct rf_resume *r)
{
	char dir[4096], path[4400], err[RF_ERRLEN];
	struct dirent *de;
	DIR *d;
	int found = 0;

	if (state_dir(dir, sizeof dir, 0, err) || !(d = opendir(dir)))
		return RF_ENODEV;
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 8 || strcmp(de->d_name + n - 7, ".resume"))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		found = read_file(path, r) == RF_OK && !strcmp(r->phone.address, address) &&
			!rf_phone_same(&r->phone, not);
	}
	closedir(d);
	return found ? RF_OK : RF_ENODEV;
}

void rf_resume_clear(const struct rf_phone_id *id)
{
	char dir[4096], path[4400], err[RF_ERRLEN];
	if (state_dir(dir, sizeof dir, 0, err))
		return;
	file_for(dir, id, path, sizeof path);
	unlink(path);
}
