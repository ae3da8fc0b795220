/* A run of the flash executor over in-process fake phones, for the Check
 * suites of the executor (check_exec.c, check_preflight.c):
 *
 *   tcase_add_checked_fixture(tc, bench_setup, bench_teardown);
 *   struct bench b;
 *   const char *dir = bench_std_package();      // a package folder in bench_tmp
 *   bench_open(&b, dir, 1);                     // plan it, one phone SER1
 *   ck_assert_int_eq(bench_run(&b), 1);         // preflight + execute: phones done
 *   bench_expect_part(b.ph[0], "boot", dir, "boot.img");
 *   bench_close(&b);
 *
 * The run's events (progress left out) are kept for bench_failure_of and
 * bench_count_events; bench_open forgets those of the run before. */
#ifndef EXEC_BENCH_H
#define EXEC_BENCH_H

#include <signal.h>
#include <stddef.h>

#include "fake_phone.h"
#include "flash_exec.h"
#include "flash_run.h"
#include "package.h"
#include "plan.h"

#define BENCH_PKGNAME "cancro_global_images_7.12.8_20171208.0000.00_6.0_global"

/* the test's scratch folder (bench_setup, bench_teardown) */
extern char bench_tmp[256];
void bench_setup(void);
void bench_teardown(void);

/* ---- a package folder ---- */
void bench_write_file(const char *path, const void *data, size_t n);
/* images/NAME of n pseudo-random bytes (seed) */
void bench_image(const char *dir, const char *name, size_t n, unsigned seed);
/* A package folder named `name` in bench_tmp whose keep-data script is
 * `script` (no images yet). */
const char *bench_package(const char *name, const char *script);
/* BENCH_PKGNAME: a product check, tz, erase boot, oem lock, set_active,
 * reboot-bootloader, system (3 MiB), boot, reboot */
const char *bench_std_package(void);

/* ---- events ---- */
struct bench_seen {
	enum rf_ev_type type;
	char phone[32];
	size_t index;
	char text[600];
	int report_step, report_rc;
	char state[600], wrote[256], erased[256], resume[600];
};

/* the first failure event of `phone`, or NULL */
const struct bench_seen *bench_failure_of(const char *phone);
/* events of type t (of `phone`; NULL: of every phone) */
int bench_count_events(enum rf_ev_type t, const char *phone);

/* ---- a run over fake phones ---- */

#define BENCH_MAX_PH 4

struct bench {
	struct rf_package pkg;
	struct rf_plan plan;
	struct fake_phone *ph[BENCH_MAX_PH];
	struct rf_flash_target tg[BENCH_MAX_PH];
	size_t n;
	struct rf_flash_run run;
	volatile sig_atomic_t stop;
};

/* Plan the package at dir (keep-data) for nphones fake phones SER1... */
void bench_open(struct bench *b, const char *dir, size_t nphones);
/* Connect and identify every phone, then preflight and execute: the
 * number of phones done (0 when the preflight refused). */
size_t bench_run(struct bench *b);
void bench_close(struct bench *b);
/* The partition holds exactly the image (a split raw image is padded to
 * whole blocks with zeros). */
void bench_expect_part(struct fake_phone *p, const char *part, const char *dir,
		       const char *img);

#endif
