/* Internals of the emulated fastboot phone (emu.h), shared by its files:
 *   emu.c           state, reply queue, link changes, the public functions
 *   emu_fastboot.c  one command: parsing, getvar, flash/erase/oem, the
 *                   faults that strike at a command
 *   emu_download.c  download: and its data (throttle, cable pull, the
 *                   faults that strike inside the data)
 *   emu_storage.c   the partition table, partition files, sparse images
 * Not for other users. */
#ifndef EMU_INT_H
#define EMU_INT_H

#include <stddef.h>
#include <stdint.h>

#include "emu.h"
#include "emu_fault.h"

#define KiB 1024ULL
#define MiB (1024ULL * 1024ULL)
#define EMU_MSG 64            /* a fastboot message, without NUL */
#define EMU_CMD_MAX 64        /* LK's command buffer */
#define EMU_BUF (1024 * 1024) /* FILL pattern buffer */
#define MAX_TARGETS 4         /* "a+b": partitions written from one download */

struct part_def {
	const char *name;
	unsigned long long size;
};

struct emu_var {
	char *name, *value;
};

struct emu {
	char *state_dir, *serial, *product, *max_text;
	uint32_t max_download;
	long long cut_after;
	double throttle_mbps;
	double write_mbps;
	int reboot_delay_ms, leave_delay_ms, no_return, info_lines, unlocked;
	struct emu_var *vars;
	size_t nvars;
	unsigned long long other_size;  /* other_parts_mib in bytes */
	struct part_def **other;        /* partitions made up on first use */
	size_t nother;

	enum emu_link link;
	int log_fd;
	struct emu_faults faults;  /* --fault */
	struct emu_fault *armed;   /* a +BYTES fault of the download under way */
	int stalled;

	/* download */
	/* the download buffer: RAM, as on the phone (LK downloads to a
	 * scratch address); reserved at max-download-size, pages taken
	 * only as data arrives */
	unsigned char *dl;
	uint64_t dl_size, dl_got; /* announced / received so far */
	int in_download;
	int have_data;            /* a complete download sits in dl */
	unsigned long long total_dl; /* all download bytes ever, for cut_after */
	double link_free; /* throttle: when the link is next idle (s) */
	double link_idle; /* throttle: idle time lost in this download (s) */
	double busy_until; /* eMMC pace: writing until then (monotonic s) */

	/* reply queue */
	char (*q)[EMU_MSG + 1];
	size_t q_head, q_len, q_cap;

	unsigned char *buf;
};

/* emu.c */
void emu_push(struct emu *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void emu_write_state(struct emu *e, const char *state);
double emu_mono_now(void);
/* the phone leaves the bus: back after the reboot delay (comes_back and
 * not --no-return) or gone */
void emu_leave(struct emu *e, int comes_back);
/* the phone hangs (a stall fault) */
void emu_stall(struct emu *e);
/* the phone says nothing for ms from now (a slow fault) */
void emu_slow(struct emu *e, int ms);

/* emu_fastboot.c: one message that is a command */
void emu_command(struct emu *e, const char *cmd, size_t len);

/* emu_download.c */
void emu_start_download(struct emu *e, const char *arg);
void emu_download_data(struct emu *e, const unsigned char *p, size_t len);

/* emu_storage.c: NULL, or the reason for the host's FAIL */
int emu_parse_targets(struct emu *e, const char *arg,
		      const struct part_def **out);
const char *emu_flash_data(struct emu *e, const struct part_def **t, int nt);
const char *emu_erase_part(struct emu *e, const struct part_def *d);

#endif
