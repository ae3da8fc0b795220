/* Saved flash progress.  See resume.h. */
#include "resume.h"
#include "rf_str.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		snprintf(tmp, sizeof tmp, "%s", dir);
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

/* The phone's id as a file name: anything odd becomes '_'. */
static void file_for(const char *dir, const char *phone, char *path, size_t cap)
{
	char safe[96];
	size_t i;
	for (i = 0; phone[i] && i < sizeof safe - 1; i++) {
		char c = phone[i];
		safe[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.' ? c : '_';
	}
	safe[i] = 0;
	snprintf(path, cap, "%s/%s.resume", dir, safe);
}

int rf_resume_save(const struct rf_resume *r, char *err)
{
	char dir[4096], path[4400], tmp[4500];
	FILE *f;
	int rc = state_dir(dir, sizeof dir, 1, err);
	if (rc)
		return rc;
	file_for(dir, r->phone, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return rf_errf(err, RF_ESYS, "%s: %s", tmp, strerror(errno));
	fprintf(f, "phone=%s\npackage=%s\nmd5=%s\nmode=%s\nscript=%s\nnsteps=%zu\nnext=%zu\nfailed=%s\n",
		r->phone, r->package, r->md5, r->mode, r->script, r->nsteps,
		r->next, r->failed);
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

int rf_resume_load(const char *phone, struct rf_resume *r, char *err)
{
	char dir[4096], path[4400], line[4200], num[32];
	FILE *f;
	int rc = state_dir(dir, sizeof dir, 0, err);
	if (rc)
		return rc;
	memset(r, 0, sizeof *r);
	file_for(dir, phone, path, sizeof path);
	f = fopen(path, "r");
	if (!f)
		return rf_errf(err, RF_ENODEV, "no saved progress for phone %s", phone);
	while (fgets(line, sizeof line, f)) {
		field(line, "phone", r->phone, sizeof r->phone);
		field(line, "package", r->package, sizeof r->package);
		field(line, "md5", r->md5, sizeof r->md5);
		field(line, "mode", r->mode, sizeof r->mode);
		field(line, "script", r->script, sizeof r->script);
		field(line, "failed", r->failed, sizeof r->failed);
		num[0] = 0;
		field(line, "nsteps", num, sizeof num);
		if (num[0])
			r->nsteps = strtoul(num, NULL, 10);
		num[0] = 0;
		field(line, "next", num, sizeof num);
		if (num[0])
			r->next = strtoul(num, NULL, 10);
	}
	fclose(f);
	if (strcmp(r->phone, phone) || !r->nsteps || r->next > r->nsteps)
		return rf_errf(err, RF_EFORMAT, "%s: saved progress is damaged", path);
	return RF_OK;
}

void rf_resume_clear(const char *phone)
{
	char dir[4096], path[4400], err[RF_ERRLEN];
	if (state_dir(dir, sizeof dir, 0, err))
		return;
	file_for(dir, phone, path, sizeof path);
	unlink(path);
}
