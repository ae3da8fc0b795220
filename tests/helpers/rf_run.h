/* End-to-end test support: the romflash binary run as a child, against
 * emulated USB phones (usb_emu.h); scratch folders, images, and what the
 * emulated phone stored.  See rf_run.c. */
#ifndef RF_RUN_H
#define RF_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "usb_emu.h"

#define KiB 1024u
#define MiB (1024u * 1024u)
#define CHILD_TIMEOUT_S 60
#define SMALL_MAX_DL 0x100000u /* 1 MiB: forces split downloads */
/* exit status of a sanitizer report in an ASan/UBSan romflash, so a report
 * is caught even where the test expects romflash to fail */
#define SAN_EXIT 86
/* ck_assert_msg(cond, RF_OUTPUT): the last child's output on failure */
#define RF_OUTPUT "\n--- stdout:\n%s\n--- stderr:\n%s", e2e_out, e2e_err

extern char e2e_dir[256];       /* the test's scratch directory */
extern char e2e_errbuf[256];
extern char *e2e_out, *e2e_err; /* stdout / stderr of the last romflash */

/* Check fixture: a scratch directory per test. */
void e2e_setup(void);
void e2e_teardown(void);

/* "<e2e_dir>/<name>" in a static ring of buffers (a few live at once). */
const char *e2e_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void e2e_mkdir_p(const char *p);
char *e2e_slurp(const char *p, size_t *len); /* "" when missing */

const char *e2e_romflash_bin(void);
/* The child's environment: ours (LD_PRELOAD, UMOCKDEV_DIR), resume state
 * in the scratch dir, sanitizer options (malloc'ed array). */
char **e2e_child_env(void);
pid_t e2e_spawn(char *const argv[], const char *outp, const char *errp);
int e2e_wait(pid_t pid, const char *what); /* exit status, 128+signal */
int e2e_spawn_wait(char *const argv[], const char *outp, const char *errp);

/* romflash ARGS... (NULL-terminated): exit status; e2e_out/e2e_err get
 * its output. */
int e2e_rf(const char *a0, ...);
/* Started in the background, under `prefix` (a NULL-terminated argv such
 * as setpriv's, or NULL); e2e_rf_collect waits for it. */
pid_t e2e_rf_start_as(char *const prefix[], const char *a0, ...);
int e2e_rf_collect(pid_t pid);
void e2e_run_tool(const char *tool, const char *a1, const char *a2);

/* A phone whose partitions live in <e2e_dir>/<name>/. */
struct emu_opts e2e_phone_opts(const char *name, const char *serial);
void e2e_small_max_download(struct emu_opts *o);
struct usb_emu *e2e_start_one(const struct emu_opts *o);

/* Deterministic bytes of stream `seed` at `off`; a raw image of them with
 * zero `holes` (offset, length pairs). */
void e2e_fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off);
void e2e_make_image(const char *p, uint64_t size, uint64_t seed,
		    const uint64_t *holes, int nholes);
uint64_t e2e_file_size(const char *p);
int e2e_is_sparse_file(const char *p);
/* The partition file starts with exactly the bytes of `img` (sparse
 * images expanded with simg2img first); or is all zeros. */
void e2e_expect_partition(const char *state, const char *part, const char *img);
void e2e_expect_zero_partition(const char *state, const char *part);
int e2e_count_lines_starting(const char *text, const char *prefix);
char *e2e_commands_log(const char *state); /* malloc'ed */

#endif
