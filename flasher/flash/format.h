/* `fastboot format PARTITION`: an empty filesystem made on the host and
 * flashed, as AOSP fastboot does it.
 *
 * The phone says what the partition holds and how large it is (getvar
 * partition-type:P, partition-size:P, and the flash's erase-block-size and
 * logical-block-size when it has them).  romflash makes that filesystem
 * (ext4 with Debian's mke2fs, f2fs with mkfs.f2fs, each run with a fixed
 * argv and environment, no shell) into a private file of the partition's
 * size in the temporary folder, sparse on disk, and removes the file's
 * name as soon as the tool is done.  What the tool wrote is sent as an
 * Android sparse image: the data runs of the file (found with SEEK_DATA /
 * SEEK_HOLE) as RAW chunks, the holes as DONT_CARE, so a 12 GiB userdata
 * costs its metadata, not 12 GiB.
 *
 * Holes are blocks the phone keeps as they were, so the tool is told not
 * to count on them reading as zeros: no discard (which on a file punches
 * holes that "read as zeros"), inode tables left for the kernel to zero on
 * first mount (lazy_itable_init, not marked zeroed), and every zero the
 * tool does write (the journal) written as data, not punched
 * (UNIX_IO_NOZEROOUT), so it reaches the phone.
 *
 * Nothing here prints; the caller owns the stop flag. */
#ifndef RF_FORMAT_H
#define RF_FORMAT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "fastboot.h"
#include "image_send.h"

#define RF_FORMAT_BLOCK 4096u

/* What the phone says the partition needs. */
struct rf_format_spec {
	char partition[64];
	char type[16];          /* "ext4" or "f2fs" */
	uint64_t size;          /* partition-size, bytes */
	uint32_t erase_blk;     /* erase-block-size; 0: not reported */
	uint32_t logical_blk;   /* logical-block-size; 0: not reported */
};

/* Ask the phone (getvar only) what `format[:want] partition` would make.
 * RF_OK with *sp filled; RF_EFORMAT with the reason in err when no
 * filesystem can be made for it (no type or size reported, a type romflash
 * does not make, another type than the script names); a link error as the
 * link gave it. */
int rf_format_query(struct rf_fastboot *fb, const char *partition, const char *want,
		    struct rf_format_spec *sp, char *err);

/* The program that makes a `type` filesystem ("mke2fs", "mkfs.f2fs") and,
 * in `path`, where it is: searched in `dirs` (":"-separated; NULL:
 * $ROMFLASH_MKFS_PATH, else /usr/sbin:/sbin:/usr/bin:/bin).  NULL for a
 * type no program makes; path "" when it is not installed. */
const char *rf_format_tool(const char *type, const char *dirs, char *path, size_t cap);

struct rf_format_opts {
	const char *tmp_dir;    /* NULL: $TMPDIR, else /tmp */
	const char *tool_dirs;  /* NULL: as rf_format_tool */
	const volatile sig_atomic_t *stop; /* ends the tool's run: RF_EINTR */
	int timeout_s;          /* the tool's run; 0: 300 s */
};

struct rf_format_image;

/* Make the filesystem `sp` describes.  RF_OK with *out (rf_format_free it);
 * else RF_EINVAL (its program is not installed), RF_ESYS (the temporary
 * file, or the program failed: its last words in err), RF_EINTR,
 * RF_ENOMEM.  No file is left behind in any case. */
int rf_format_make(const struct rf_format_spec *sp, const struct rf_format_opts *o,
		   struct rf_format_image **out, char *err);
void rf_format_free(struct rf_format_image *im);

/* The made filesystem as an image to send (image_send.h): only its layout
 * exists (always sent as sparse pieces), read from its first byte on. */
void rf_format_image_of(struct rf_format_image *im, struct rf_image *img);
/* Bytes the tool wrote (the RAW chunks' data). */
uint64_t rf_format_written(const struct rf_format_image *im);
/* "empty ext4 filesystem of 402653184 bytes (98304 blocks of 4096), 16.2
 * MiB of it written by /usr/sbin/mke2fs, the rest left as it is" */
void rf_format_describe(const struct rf_format_image *im, char *out, size_t cap);

#endif
