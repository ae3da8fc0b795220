/* The adb protocol, host side: messages, the connection (CNXN, AUTH) and
 * streams (OPEN, OKAY, WRTE, CLSE) with adb's flow control.
 *
 * A message is a 24-byte little-endian header (command, arg0, arg1, payload
 * length, payload checksum, magic = command ^ 0xffffffff) followed by the
 * payload.  Over USB the header and the payload are two transfers; over TCP
 * they are a plain byte stream.  Both come through the transport interface:
 * this code only ever asks for exactly the bytes it expects next.
 *
 * Versions: we offer 0x01000001 and a 1 MiB payload, then use the smaller
 * of ours and the peer's.  Peers older than 0x01000001 (4 KiB payloads)
 * want the payload checksum (sum of the bytes) on every message and check
 * it; we send it until the peer's CNXN says otherwise and check it on what
 * such a peer sends.
 *
 * AUTH: the phone may answer CNXN with a 20-byte token.  It is signed by the
 * caller's callback (the user's adb key: flasher/flash/adb_key.c; this file
 * reads no file).  When the phone refuses the signature, the public key is
 * offered once: the phone then asks its user ("Allow USB debugging?") and
 * answers CNXN when allowed.
 *
 * Flow control: after a WRTE the sender waits for the peer's OKAY before
 * the next WRTE on that stream.  We acknowledge the phone's WRTE once the
 * caller has consumed its payload, so at most one unread payload per stream
 * is ever buffered.
 *
 * Nothing here prints or exits: errors are RF_E* codes, message in a->err. */
#ifndef RF_ADB_H
#define RF_ADB_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "rf_error.h"
#include "transport.h"

#define RF_ADB_CNXN 0x4e584e43u
#define RF_ADB_AUTH 0x48545541u
#define RF_ADB_OPEN 0x4e45504fu
#define RF_ADB_OKAY 0x59414b4fu
#define RF_ADB_CLSE 0x45534c43u
#define RF_ADB_WRTE 0x45545257u

#define RF_ADB_VERSION_MIN 0x01000000u
#define RF_ADB_VERSION_SKIP_CHECKSUM 0x01000001u
#define RF_ADB_VERSION RF_ADB_VERSION_SKIP_CHECKSUM
#define RF_ADB_MAX_PAYLOAD (1024u * 1024u)
#define RF_ADB_MAX_PAYLOAD_V1 4096u
#define RF_ADB_HEADER_LEN 24

#define RF_ADB_AUTH_TOKEN 1u
#define RF_ADB_AUTH_SIGNATURE 2u
#define RF_ADB_AUTH_RSAPUBLICKEY 3u
#define RF_ADB_TOKEN_LEN 20
#define RF_ADB_SIG_MAX 512

/* ---- messages ----------------------------------------------------------- */

struct rf_adb_header {
	uint32_t cmd, arg0, arg1, len, check, magic;
};

/* Sum of the payload's bytes, the check of versions before 0x01000001. */
uint32_t rf_adb_checksum(const void *payload, size_t len);

/* Encode a header; the checksum is filled in when `with_check`, else 0. */
void rf_adb_header_pack(unsigned char out[RF_ADB_HEADER_LEN], uint32_t cmd,
			uint32_t arg0, uint32_t arg1, const void *payload,
			uint32_t len, int with_check);

/* Decode a header; RF_EPROTO (message in err) when the magic is wrong. */
int rf_adb_header_unpack(const unsigned char in[RF_ADB_HEADER_LEN],
			 struct rf_adb_header *h, char *err);

/* "CNXN", "WRTE", ... ; "????" for anything else. */
const char *rf_adb_cmd_name(uint32_t cmd, char buf[5]);

/* ---- the banner (payload of the phone's CNXN) --------------------------- */

enum rf_adb_mode {
	RF_ADB_MODE_UNKNOWN = 0,
	RF_ADB_MODE_DEVICE,     /* Android booted, USB debugging on */
	RF_ADB_MODE_RECOVERY,   /* recovery's adbd */
	RF_ADB_MODE_SIDELOAD,   /* recovery's minadbd: "Apply update from ADB" */
	RF_ADB_MODE_RESCUE,     /* newer recoveries' rescue mode */
	RF_ADB_MODE_BOOTLOADER, /* "bootloader::" (never seen on cancro) */
};

struct rf_adb_banner {
	enum rf_adb_mode mode;
	char mode_name[16];   /* the word before "::", as sent */
	char name[64];        /* ro.product.name */
	char model[64];       /* ro.product.model */
	char device[64];      /* ro.product.device */
	char features[512];
};

/* "sideload::ro.product.name=cancro;ro.product.model=MI 4LTE;
 * ro.product.device=cancro;features=..." -- missing fields stay "". */
void rf_adb_banner_parse(const void *payload, size_t len,
			 struct rf_adb_banner *b);
const char *rf_adb_mode_name(enum rf_adb_mode m); /* "sideload", ... */

/* ---- connection --------------------------------------------------------- */

/* Sign the 20-byte token for AUTH: RSA PKCS#1 v1.5 over it as a SHA-1
 * digest (as adb does).  *siglen <= cap.  RF_OK or an error with `err`. */
typedef int (*rf_adb_sign_fn)(void *user, const unsigned char *token,
			      size_t len, unsigned char *sig, size_t cap,
			      size_t *siglen, char *err);

struct rf_adb_auth {
	rf_adb_sign_fn sign;      /* NULL: no key (AUTH fails) */
	void *user;
	/* adb's public key line "BASE64 user@host", asked for after a
	 * refused signature; NULL (or returning NULL): never offered */
	const char *(*public_key)(void *user);
	/* Called once when the public key was offered: the phone shows its
	 * prompt now.  May be NULL. */
	void (*on_prompt)(void *user);
	int prompt_timeout_ms;    /* how long the user gets; 0: 60 s */
};

struct rf_adb {
	struct rf_transport *t;
	uint32_t peer_version, peer_max_payload;
	uint32_t version;     /* in use: min(ours, the peer's) */
	uint32_t max_payload; /* in use: min(ours, the peer's) */
	struct rf_adb_banner banner;
	int timeout_ms;       /* one read or write; 0: 10 s */
	/* Checked while waiting (prompt, replies): set by the caller's signal
	 * handler; the call returns RF_EINTR soon after. May be NULL. */
	const volatile sig_atomic_t *stop;
	int connected;
	int auth_offered_key; /* the public key was sent (phone prompted) */
	int broken;           /* the byte stream is out of step: give up */
	uint32_t next_id;
	unsigned char *rx;    /* payload of the last message received */
	struct rf_adb_header rxh;
	unsigned char *tx;    /* [OKAY +] header + payload of one message */
	/* Set before rf_adb_connect for a byte stream (TCP): each message
	 * goes out in one write, reads fill a buffer (several messages per
	 * read), and the OKAY for the phone's data rides on our next message
	 * (it goes alone before we wait for the phone).  Off (USB): a header
	 * and a payload are two transfers each way. */
	int stream;
	unsigned char *ib;    /* stream: bytes read, not parsed yet */
	size_t ib_pos, ib_len;
	int ack_pending;      /* stream: an OKAY we owe, not sent yet */
	uint32_t ack_local, ack_remote;
	char err[RF_ERRLEN];
};

#define RF_ADB_IB_CAP (2 * (RF_ADB_HEADER_LEN + RF_ADB_MAX_PAYLOAD))

/* Start the connection on transport `t` (not owned): CNXN, AUTH if the
 * phone asks.  On RF_OK a->banner says what the phone is.  Errors:
 * RF_EACCESS (no key, key refused, prompt not answered in time),
 * RF_EPROTO, the transport's codes, RF_EINTR. */
int rf_adb_connect(struct rf_adb *a, struct rf_transport *t,
		   const struct rf_adb_auth *auth);

/* Free what rf_adb_connect allocated (the transport is the caller's). */
void rf_adb_free(struct rf_adb *a);

/* ---- streams ------------------------------------------------------------ */

struct rf_adb_stream {
	struct rf_adb *a;
	uint32_t local, remote;
	int closed;           /* the phone sent CLSE */
	unsigned char *in;    /* one unread WRTE payload, not acknowledged */
	size_t in_len, in_off;
};

/* Open a service ("sideload-host:123:65536", "reboot:bootloader").
 * RF_EFAIL when the phone refuses it (CLSE instead of OKAY). */
int rf_adb_open(struct rf_adb *a, const char *service,
		struct rf_adb_stream *s);

/* Send `len` bytes, cut to the payload size in use, each WRTE acknowledged
 * before the next.  RF_EDISCONNECTED when the phone closes the stream. */
int rf_adb_write(struct rf_adb_stream *s, const void *buf, size_t len);

/* Receive up to `cap` bytes the phone wrote.  *got = 0 with RF_OK: the
 * phone closed the stream.  RF_ETIMEDOUT after timeout_ms (0: a->timeout_ms;
 * < 0: no limit, only a->stop ends the wait) without a message; the stream
 * is still usable then. */
int rf_adb_read(struct rf_adb_stream *s, void *buf, size_t cap, size_t *got,
		int timeout_ms);

/* Read exactly `len` bytes (the phone may cut them in several WRTEs).
 * RF_EDISCONNECTED when the stream closes first (*got says how many
 * came); timeouts as rf_adb_read, counted per message. */
int rf_adb_read_full(struct rf_adb_stream *s, void *buf, size_t len,
		     size_t *got, int timeout_ms);

/* Send CLSE (unless the phone closed first) and free the stream. */
void rf_adb_close(struct rf_adb_stream *s);

#endif
