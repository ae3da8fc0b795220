/* Running a program from a test suite (romflash, mkzip): the suite's
 * environment plus a few variables, stdin from /dev/null, stdout and
 * stderr into files, killed when it outlives its time (a hang fails the
 * test instead of leaving a process behind).  posix_spawn only: the
 * suites have threads (umockdev's), so a child may do nothing but exec.
 * (check_usb_e2e.c spawns romflash with helpers of its own, being
 * reworked on the usb branch: one of the two should serve both.) */
#ifndef RUN_CHILD_H
#define RUN_CHILD_H

/* Exit status, 128 + signal when killed.  `env` (NULL-terminated
 * "NAME=value" entries, may be NULL) replaces or adds variables. */
int run_child(char *const argv[], char *const env[], const char *out_path,
	      const char *err_path, int timeout_s);

/* A whole (small) file, NUL-terminated; "" when it cannot be read.
 * free() it. */
char *read_all(const char *path);

#endif
