/* Internals of the emulated adb phone, shared by emu_adb.c (messages,
 * connection, services, modes), emu_adb_auth.c (AUTH) and
 * emu_adb_sideload.c (the block requests).  Not for other users. */
#ifndef EMU_ADB_INT_H
#define EMU_ADB_INT_H

#include <stdint.h>
#include <stdio.h>
#include "emu_adb.h"
#include "emu_fault.h"

#define A_CNXN 0x4e584e43u
#define A_AUTH 0x48545541u
#define A_OPEN 0x4e45504fu
#define A_OKAY 0x59414b4fu
#define A_CLSE 0x45534c43u
#define A_WRTE 0x45545257u
#define EMU_HDR 24
#define EMU_MAX_PAYLOAD (1024u * 1024u)
#define EMU_OLD_PAYLOAD 4096u

struct piece {
	struct piece *next;
	size_t len, off;
	unsigned char data[];
};

struct emu_key;   /* emu_adb_auth.c */

struct sideload {
	int active, legacy, done;
	uint64_t size, bs, nblocks;
	uint64_t *order;      /* the requests, in the order they go out */
	uint64_t norder, next;
	uint64_t cur;         /* block being received */
	size_t cur_len, cur_have;
	int want_okay;        /* our request is not acknowledged yet */
	int want_data;        /* the block is not complete yet */
	unsigned char *buf;   /* the block being received */
	unsigned char *have;  /* bitmap: blocks stored */
	int fd;               /* sideload.zip */
	uint64_t received;    /* package bytes received, repeats included */
};

struct emu_adb {
	struct emu_adb_opts o;
	char state_dir[4096], serial[64], device[64], name[64], model[64];
	char keys_path[4096];
	enum emu_adb_mode mode, next_mode;
	enum emu_link link;
	FILE *log, *slog;
	/* the message being received */
	unsigned char hdr[EMU_HDR];
	size_t hdr_have;
	unsigned char *payload;
	size_t pay_len, pay_have;
	int in_payload;
	/* the connection */
	int connected;
	uint32_t version, max_payload;   /* ours */
	uint32_t use_version, use_payload; /* agreed with the host */
	int authorized;
	unsigned char token[20];
	/* the one service stream */
	uint32_t my_id, host_id;
	int stream;
	struct sideload sl;
	int cut_done;
	struct emu_faults faults;
	double hold_until;    /* a slow fault: replies held until then */
	/* replies */
	struct piece *out, *out_tail;
};

/* emu_adb.c */
void emu_adb_send(struct emu_adb *a, uint32_t cmd, uint32_t arg0,
		  uint32_t arg1, const void *data, size_t len);
void emu_adb_logf(struct emu_adb *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void emu_adb_leave(struct emu_adb *a, enum emu_link how, enum emu_adb_mode next);
void emu_adb_send_banner(struct emu_adb *a);

/* emu_adb_auth.c: start (token out), then each AUTH message from the host */
void emu_adb_auth_start(struct emu_adb *a);
void emu_adb_auth_message(struct emu_adb *a, uint32_t type,
			  const unsigned char *data, size_t len);

/* emu_adb_sideload.c */
int emu_sl_open_host(struct emu_adb *a, const char *args);
int emu_sl_open_legacy(struct emu_adb *a, const char *args);
void emu_sl_okay(struct emu_adb *a);
void emu_sl_data(struct emu_adb *a, const unsigned char *data, size_t len);
void emu_sl_host_closed(struct emu_adb *a);
void emu_sl_free(struct sideload *s);
double emu_adb_now(void);

#endif
