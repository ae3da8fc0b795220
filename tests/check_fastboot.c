/* The fastboot client engine against a scripted fake transport: the exact
 * bytes of every command, reply parsing, and every way a device can
 * misbehave. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fastboot.h"
#include "helpers/fake_transport.h"

static struct fake_transport *f;
static struct rf_fastboot fb;

static void setup(void)
{
	f = fake_transport_new();
	rf_fb_init(&fb, &f->t);
}

static void teardown(void)
{
	rf_transport_close(&f->t);
	f = NULL;
}

/* INFO/TEXT lines seen by on_info, joined as "KIND:text|". */
static char infos[1024];
static void on_info(void *user, const char *kind, const char *text)
{
	(void)user;
	strncat(infos, kind, sizeof infos - strlen(infos) - 1);
	strncat(infos, ":", sizeof infos - strlen(infos) - 1);
	strncat(infos, text, sizeof infos - strlen(infos) - 1);
	strncat(infos, "|", sizeof infos - strlen(infos) - 1);
}

#define WIRE_IS(i, s) ck_assert_msg(fake_transport_write_is(f, (i), (s)), \
				    "write %d is not \"%s\"", (int)(i), (s))

/* ---- exact bytes on the wire ---- */

START_TEST(wire_simple_commands)
{
	struct {
		int (*fn)(struct rf_fastboot *);
		const char *wire;
	} cases[] = {
		{ rf_fb_boot, "boot" },
		{ rf_fb_reboot, "reboot" },
		{ rf_fb_reboot_bootloader, "reboot-bootloader" },
		{ rf_fb_reboot_recovery, "reboot-recovery" },
		{ rf_fb_continue, "continue" },
	};
	size_t n = sizeof cases / sizeof cases[0];
	for (size_t i = 0; i < n; i++) {
		fake_transport_reply(f, "OKAY");
		if (!strncmp(cases[i].wire, "reboot", 6))
			fake_transport_reply_error(f, RF_EDISCONNECTED);
		ck_assert_int_eq(cases[i].fn(&fb), RF_OK);
		WIRE_IS(i, cases[i].wire);
		/* a reboot returns once the phone has left: a fresh link */
		if (f->disconnected) {
			f->disconnected = 0;
			ck_assert_msg(!strncmp(cases[i].wire, "reboot", 6),
				      "%s waited for a disconnect", cases[i].wire);
		}
	}
	ck_assert_uint_eq(f->nwrites, n);
	ck_assert_uint_eq(fake_transport_pending(f), 0);
}
END_TEST

START_TEST(wire_commands_with_args)
{
	char v[65];
	for (int i = 0; i < 8; i++)
		fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", v, sizeof v), RF_OK);
	ck_assert_int_eq(rf_fb_flash(&fb, "system"), RF_OK);
	ck_assert_int_eq(rf_fb_flash(&fb, "a+b"), RF_OK);
	ck_assert_int_eq(rf_fb_erase(&fb, "userdata"), RF_OK);
	ck_assert_int_eq(rf_fb_oem(&fb, "lock"), RF_OK);
	ck_assert_int_eq(rf_fb_flashing(&fb, "unlock"), RF_OK);
	ck_assert_int_eq(rf_fb_set_active(&fb, "a"), RF_OK);
	ck_assert_int_eq(rf_fb_command(&fb, "oem device-info", NULL), RF_OK);
	WIRE_IS(0, "getvar:product");
	WIRE_IS(1, "flash:system");
	WIRE_IS(2, "flash:a+b");
	WIRE_IS(3, "erase:userdata");
	WIRE_IS(4, "oem lock");
	WIRE_IS(5, "flashing unlock");
	WIRE_IS(6, "set_active:a");
	WIRE_IS(7, "oem device-info");
	ck_assert_uint_eq(f->nwrites, 8);
}
END_TEST

START_TEST(wire_download)
{
	unsigned char data[1000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7);
	fake_transport_reply(f, "DATA000003e8");
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 1000), RF_OK);
	ck_assert_int_eq(fb.dl_active, 1);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 600), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data + 600, 400), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_OK);
	ck_assert_int_eq(fb.dl_active, 0);
	WIRE_IS(0, "download:000003e8");
	size_t len;
	const unsigned char *p = fake_transport_write(f, 1, &len);
	ck_assert_uint_eq(len, 600);
	ck_assert_mem_eq(p, data, 600);
	p = fake_transport_write(f, 2, &len);
	ck_assert_uint_eq(len, 400);
	ck_assert_mem_eq(p, data + 600, 400);
	ck_assert_uint_eq(f->nwrites, 3);
	ck_assert_uint_eq(f->flushes, 1);
}
END_TEST

START_TEST(wire_download_hex_is_lowercase_8_digits)
{
	fake_transport_reply(f, "DATAabcdef01");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0xabcdef01u), RF_OK);
	WIRE_IS(0, "download:abcdef01");
	teardown();
	setup();
	fake_transport_reply(f, "DATA00000001");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 1), RF_OK);
	WIRE_IS(0, "download:00000001");
}
END_TEST

START_TEST(download_large_write_is_split)
{
	size_t n = 2 * 1024 * 1024 + 5;
	unsigned char *data = malloc(n);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)(i ^ (i >> 9));
	fake_transport_reply(f, "DATA00200005");
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_download_begin(&fb, (uint32_t)n), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, n), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_OK);
	/* command + pieces; the pieces together are the data */
	ck_assert_uint_ge(f->nwrites, 3);
	ck_assert_uint_eq(f->wire_len, strlen("download:00200005") + n);
	ck_assert_mem_eq(f->wire + strlen("download:00200005"), data, n);
	free(data);
}
END_TEST

/* ---- replies ---- */

START_TEST(reply_okay_payload)
{
	char okay[RF_FB_RESP_MAX + 1];
	fake_transport_reply(f, "OKAYhello world");
	ck_assert_int_eq(rf_fb_command(&fb, "oem hello", okay), RF_OK);
	ck_assert_str_eq(okay, "hello world");
}
END_TEST

START_TEST(reply_fail_text)
{
	fake_transport_reply(f, "FAILdata too large");
	ck_assert_int_eq(rf_fb_flash(&fb, "system"), RF_EFAIL);
	ck_assert_str_eq(fb.fail, "data too large");
	ck_assert_ptr_nonnull(strstr(fb.err, "data too large"));
	ck_assert_ptr_nonnull(strstr(fb.err, "flash:system"));
	/* the next success clears it */
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_continue(&fb), RF_OK);
	ck_assert_str_eq(fb.fail, "");
}
END_TEST

START_TEST(reply_fail_empty)
{
	fake_transport_reply(f, "FAIL");
	ck_assert_int_eq(rf_fb_erase(&fb, "cache"), RF_EFAIL);
	ck_assert_str_eq(fb.fail, "");
}
END_TEST

START_TEST(reply_info_and_text)
{
	infos[0] = '\0';
	fb.on_info = on_info;
	fake_transport_reply(f, "INFOerasing");
	fake_transport_reply(f, "TEXTsome text");
	fake_transport_reply(f, "INFO");
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_command(&fb, "oem device-info", NULL), RF_OK);
	ck_assert_str_eq(infos, "INFO:erasing|TEXT:some text|INFO:|");
	ck_assert_uint_eq(f->reads, 4);
}
END_TEST

START_TEST(reply_info_without_callback)
{
	fake_transport_reply(f, "INFOx");
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_flash(&fb, "boot"), RF_OK);
}
END_TEST

/* A command answered at once: every read gets the full timeout (each INFO
 * restarts it), and silence ends it. */
START_TEST(reply_info_then_timeout)
{
	fb.timeout_ms = 1234;
	fake_transport_reply(f, "INFOworking");
	fake_transport_reply_error(f, RF_ETIMEDOUT);
	ck_assert_int_eq(rf_fb_command(&fb, "getvar:all", NULL), RF_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(fb.err, "getvar:all"));
	ck_assert_ptr_nonnull(strstr(fb.err, "1.234 s"));
	ck_assert_uint_eq(f->reads, 2);
	ck_assert_int_eq(f->last_read_timeout, 1234);
}
END_TEST

START_TEST(reply_nul_padding_ignored)
{
	char okay[RF_FB_RESP_MAX + 1];
	static const char pad[] = "OKAYabc\0\0\0\0";
	fake_transport_reply_bytes(f, pad, sizeof pad - 1);
	ck_assert_int_eq(rf_fb_command(&fb, "oem x", okay), RF_OK);
	ck_assert_str_eq(okay, "abc");
}
END_TEST

/* ---- getvar ---- */

START_TEST(getvar_trims)
{
	char v[65];
	fake_transport_reply(f, "OKAY\t0x30000000");
	fake_transport_reply(f, "OKAY  MSM8974 \r\n");
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_getvar(&fb, "max-download-size", v, sizeof v),
			 RF_OK);
	ck_assert_str_eq(v, "0x30000000");
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", v, sizeof v), RF_OK);
	ck_assert_str_eq(v, "MSM8974");
	ck_assert_int_eq(rf_fb_getvar(&fb, "partition-size:system", v,
				      sizeof v), RF_OK);
	ck_assert_str_eq(v, "");
	WIRE_IS(2, "getvar:partition-size:system");
}
END_TEST

START_TEST(getvar_small_buffer)
{
	char v[4];
	fake_transport_reply(f, "OKAYMSM8974");
	ck_assert_int_eq(rf_fb_getvar(&fb, "product", v, sizeof v),
			 RF_ETOOBIG);
}
END_TEST

START_TEST(getvar_fail)
{
	char v[65];
	fake_transport_reply(f, "FAILunknown variable");
	ck_assert_int_eq(rf_fb_getvar(&fb, "anti", v, sizeof v), RF_EFAIL);
	ck_assert_str_eq(fb.fail, "unknown variable");
	ck_assert_str_eq(v, "");
}
END_TEST

/* ---- max-download-size ---- */

static int mds(const char *reply, uint32_t *out)
{
	fake_transport_reply(f, reply);
	return rf_fb_max_download_size(&fb, out);
}

START_TEST(max_download_size_parsing)
{
	uint32_t v = 0;
	ck_assert_int_eq(mds("OKAY\t0x30000000", &v), RF_OK);
	ck_assert_uint_eq(v, 0x30000000u);
	ck_assert_int_eq(mds("OKAY0X1000", &v), RF_OK);
	ck_assert_uint_eq(v, 0x1000);
	ck_assert_int_eq(mds("OKAY0xFFFFFFFF", &v), RF_OK);
	ck_assert_uint_eq(v, 0xffffffffu);
	ck_assert_int_eq(mds("OKAY536870912", &v), RF_OK);
	ck_assert_uint_eq(v, 536870912u);
	WIRE_IS(0, "getvar:max-download-size");

	v = 77;
	ck_assert_int_eq(mds("OKAY", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY0", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY0x0", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY0x", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY12abc", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY0x1g", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY-1", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY0x100000000", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY4294967296", &v), RF_EPROTO);
	ck_assert_int_eq(mds("OKAY1 2", &v), RF_EPROTO);
	ck_assert_uint_eq(v, 77);
	ck_assert_ptr_nonnull(strstr(fb.err, "max-download-size"));
}
END_TEST

/* ---- misbehaving devices ---- */

START_TEST(bad_garbage_reply)
{
	static const unsigned char junk[] = { 0x1b, '[', '2', 'J', 0xff, 0 };
	fake_transport_reply_bytes(f, junk, 5);
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	/* quoted safely: no raw control or high bytes in the message */
	for (const char *p = fb.err; *p; p++)
		ck_assert((unsigned char)*p >= 0x20 &&
			  (unsigned char)*p < 0x7f);
	ck_assert_ptr_nonnull(strstr(fb.err, "\\x1b[2J\\xff"));
	/* the reply alone, quoted the same way, for a report */
	ck_assert_str_eq(fb.bad_reply, "\\x1b[2J\\xff");
	/* a reply that makes sense clears it */
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_command(&fb, "getvar:x", NULL), RF_OK);
	ck_assert_str_eq(fb.bad_reply, "");
}
END_TEST

START_TEST(bad_unknown_prefix)
{
	fake_transport_reply(f, "OKEYdone");
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "OKEYdone"));
	ck_assert_str_eq(fb.bad_reply, "OKEYdone");
}
END_TEST

START_TEST(bad_short_and_empty_reply)
{
	fake_transport_reply(f, "OK");
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	fake_transport_reply(f, "");
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "empty"));
}
END_TEST

START_TEST(bad_control_in_payload)
{
	static const char r[] = "INFOab\x07" "cd";
	fake_transport_reply_bytes(f, r, sizeof r - 1);
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "\\x07"));
}
END_TEST

START_TEST(bad_reply_over_256)
{
	char r[300];
	memset(r, 'x', sizeof r);
	memcpy(r, "OKAY", 4);
	r[257] = '\0'; /* 257 bytes */
	fake_transport_reply(f, r);
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "257 bytes"));
	/* exactly 256 is fine, as in AOSP (cancro's LK sends 64 at most) */
	r[256] = '\0';
	fake_transport_reply(f, r);
	char okay[RF_FB_RESP_MAX + 1];
	ck_assert_int_eq(rf_fb_command(&fb, "oem x", okay), RF_OK);
	ck_assert_uint_eq(strlen(okay), 252);
	/* a FAIL of 200 bytes of text: the text, whole */
	memcpy(r, "FAIL", 4);
	r[204] = '\0';
	fake_transport_reply(f, r);
	ck_assert_int_eq(rf_fb_flash(&fb, "boot"), RF_EFAIL);
	ck_assert_uint_eq(strlen(fb.fail), 200);
}
END_TEST

START_TEST(bad_data_wrong_size)
{
	fake_transport_reply(f, "DATA00001000");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x2000), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "device asked for 0x00001000 "
					     "bytes, expected 0x00002000"));
	ck_assert_int_eq(fb.dl_active, 0);
	/* no data may follow */
	ck_assert_int_eq(rf_fb_download_write(&fb, "x", 1), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 1);
}
END_TEST

START_TEST(bad_data_malformed)
{
	fake_transport_reply(f, "DATA0000zz00");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x10), RF_EPROTO);
	fake_transport_reply(f, "DATA");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x10), RF_EPROTO);
	fake_transport_reply(f, "DATA000000010");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x10), RF_EPROTO);
}
END_TEST

START_TEST(bad_data_to_non_download)
{
	fake_transport_reply(f, "DATA00000010");
	ck_assert_int_eq(rf_fb_flash(&fb, "boot"), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "flash:boot"));
}
END_TEST

START_TEST(bad_okay_to_download)
{
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x10), RF_EPROTO);
	ck_assert_int_eq(fb.dl_active, 0);
}
END_TEST

START_TEST(download_fail_too_large)
{
	fake_transport_reply(f, "FAILdata too large");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x40000000), RF_EFAIL);
	ck_assert_str_eq(fb.fail, "data too large");
	ck_assert_int_eq(fb.dl_active, 0);
}
END_TEST

START_TEST(download_disconnect_midway)
{
	unsigned char data[4096] = { 0 };
	fake_transport_reply(f, "DATA00002000");
	/* the command (17 bytes) and 5000 data bytes get through */
	f->disconnect_after = 17 + 5000;
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x2000), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 4096), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 4096),
			 RF_EDISCONNECTED);
	ck_assert_ptr_nonnull(strstr(fb.err, "4096 of 8192"));
	ck_assert_int_eq(fb.dl_active, 0);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_EINVAL);
}
END_TEST

START_TEST(download_write_error)
{
	fake_transport_reply(f, "DATA00000010");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0x10), RF_OK);
	f->write_error = RF_ETIMEDOUT;
	ck_assert_int_eq(rf_fb_download_write(&fb, "0123456789abcdef", 16),
			 RF_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(fb.err, "0 of 16"));
}
END_TEST

START_TEST(download_more_than_announced)
{
	unsigned char data[32] = { 0 };
	fake_transport_reply(f, "DATA00000010");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 16), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 17), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 1); /* nothing sent */
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 10), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, data, 7), RF_EINVAL);
	ck_assert_uint_eq(f->wire_len, 17 + 10);
	ck_assert_int_eq(fb.dl_active, 1);
}
END_TEST

START_TEST(download_end_incomplete)
{
	fake_transport_reply(f, "DATA00000010");
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 16), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, "12345678", 8), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_EINVAL);
	ck_assert_ptr_nonnull(strstr(fb.err, "8 of 16"));
	ck_assert_uint_eq(f->flushes, 0);
	/* still in the data phase: commands are refused, not sent */
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 2);
	/* finishing properly still works */
	ck_assert_int_eq(rf_fb_download_write(&fb, "12345678", 8), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_OK);
}
END_TEST

START_TEST(download_end_fail_and_timeout)
{
	fake_transport_reply(f, "DATA00000004");
	fake_transport_reply(f, "INFOchecking");
	fake_transport_reply(f, "FAILbad image");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 4), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, "abcd", 4), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_EFAIL);
	ck_assert_str_eq(fb.fail, "bad image");

	fake_transport_reply(f, "DATA00000004");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 4), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, "abcd", 4), RF_OK);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(fb.err, "download:00000004"));
	ck_assert_int_eq(fb.dl_active, 0);
}
END_TEST

START_TEST(download_flush_disconnect)
{
	fake_transport_reply(f, "DATA00000004");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 4), RF_OK);
	ck_assert_int_eq(rf_fb_download_write(&fb, "abcd", 4), RF_OK);
	f->flush_error = RF_EDISCONNECTED;
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_EDISCONNECTED);
	ck_assert_ptr_nonnull(strstr(fb.err, "4 bytes"));
}
END_TEST

START_TEST(download_twice_and_zero)
{
	fake_transport_reply(f, "DATA00000004");
	ck_assert_int_eq(rf_fb_download_begin(&fb, 4), RF_OK);
	ck_assert_int_eq(rf_fb_download_begin(&fb, 4), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 1);
	teardown();
	setup();
	ck_assert_int_eq(rf_fb_download_begin(&fb, 0), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 0);
	ck_assert_int_eq(rf_fb_download_end(&fb), RF_EINVAL);
	ck_assert_int_eq(rf_fb_download_write(&fb, "a", 1), RF_EINVAL);
}
END_TEST

START_TEST(timeout_names_command)
{
	fb.timeout_ms = 50;
	ck_assert_int_eq(rf_fb_reboot_bootloader(&fb), RF_ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(fb.err, "reboot-bootloader"));
	ck_assert_int_eq(f->last_read_timeout, 50);
	WIRE_IS(0, "reboot-bootloader");
}
END_TEST

START_TEST(disconnect_waiting_reply)
{
	fake_transport_reply_error(f, RF_EDISCONNECTED);
	ck_assert_int_eq(rf_fb_command(&fb, "getvar:product", NULL), RF_EDISCONNECTED);
	ck_assert_ptr_nonnull(strstr(fb.err, "getvar:product"));
	ck_assert_int_eq(rf_fb_command(&fb, "getvar:product", NULL), RF_EDISCONNECTED);
	/* a reboot that loses the link is a phone that left: done */
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_OK);
}
END_TEST

START_TEST(transport_proto_error_passed_on)
{
	fake_transport_reply_error(f, RF_EPROTO);
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EPROTO);
	ck_assert_ptr_nonnull(strstr(fb.err, "reboot"));
}
END_TEST

START_TEST(command_too_long_never_sent)
{
	char cmd[80], name[70];
	memset(cmd, 'a', sizeof cmd);
	cmd[65] = '\0';
	ck_assert_int_eq(rf_fb_command(&fb, cmd, NULL), RF_EINVAL);
	memset(name, 'p', sizeof name);
	name[61] = '\0'; /* "oem " + 61 = 65 */
	ck_assert_int_eq(rf_fb_flash(&fb, name), RF_EINVAL);
	ck_assert_int_eq(rf_fb_erase(&fb, name), RF_EINVAL);
	char v[65];
	ck_assert_int_eq(rf_fb_getvar(&fb, name, v, sizeof v), RF_EINVAL);
	ck_assert_int_eq(rf_fb_oem(&fb, name), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 0);
	ck_assert_uint_eq(f->reads, 0);
	/* exactly 64 is sent */
	cmd[64] = '\0';
	fake_transport_reply(f, "OKAY");
	ck_assert_int_eq(rf_fb_command(&fb, cmd, NULL), RF_OK);
	ck_assert_uint_eq(f->nwrites, 1);
}
END_TEST

START_TEST(command_bad_chars_never_sent)
{
	ck_assert_int_eq(rf_fb_command(&fb, "", NULL), RF_EINVAL);
	ck_assert_int_eq(rf_fb_command(&fb, "flash:boot\n", NULL), RF_EINVAL);
	ck_assert_int_eq(rf_fb_flash(&fb, ""), RF_EINVAL);
	ck_assert_int_eq(rf_fb_flash(&fb, NULL), RF_EINVAL);
	ck_assert_int_eq(rf_fb_erase(&fb, "a\x01"), RF_EINVAL);
	ck_assert_uint_eq(f->nwrites, 0);
}
END_TEST

static volatile sig_atomic_t cancel_flag;

START_TEST(cancel_between_writes)
{
	size_t n = 3 * 1024 * 1024;
	unsigned char *data = calloc(1, n);
	ck_assert_ptr_nonnull(data);
	cancel_flag = 0;
	fb.cancel = &cancel_flag;
	fake_transport_reply(f, "DATA00300000");
	ck_assert_int_eq(rf_fb_download_begin(&fb, (uint32_t)n), RF_OK);
	/* the flag goes up after the first data write */
	f->cancel_flag = &cancel_flag;
	f->cancel_after_writes = 2;
	ck_assert_int_eq(rf_fb_download_write(&fb, data, n), RF_EINTR);
	ck_assert_uint_eq(f->nwrites, 2);
	ck_assert_int_eq(fb.dl_active, 0);
	/* and nothing else is sent while cancelled */
	ck_assert_int_eq(rf_fb_reboot(&fb), RF_EINTR);
	ck_assert_uint_eq(f->nwrites, 2);
	free(data);
}
END_TEST

static Suite *fastboot_suite(void)
{
	Suite *s = suite_create("fastboot");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wire_simple_commands);
	tcase_add_test(tc, wire_commands_with_args);
	tcase_add_test(tc, wire_download);
	tcase_add_test(tc, wire_download_hex_is_lowercase_8_digits);
	tcase_add_test(tc, download_large_write_is_split);
	tcase_add_test(tc, reply_okay_payload);
	tcase_add_test(tc, reply_fail_text);
	tcase_add_test(tc, reply_fail_empty);
	tcase_add_test(tc, reply_info_and_text);
	tcase_add_test(tc, reply_info_without_callback);
	tcase_add_test(tc, reply_info_then_timeout);
	tcase_add_test(tc, reply_nul_padding_ignored);
	tcase_add_test(tc, getvar_trims);
	tcase_add_test(tc, getvar_small_buffer);
	tcase_add_test(tc, getvar_fail);
	tcase_add_test(tc, max_download_size_parsing);
	tcase_add_test(tc, bad_garbage_reply);
	tcase_add_test(tc, bad_unknown_prefix);
	tcase_add_test(tc, bad_short_and_empty_reply);
	tcase_add_test(tc, bad_control_in_payload);
	tcase_add_test(tc, bad_reply_over_256);
	tcase_add_test(tc, bad_data_wrong_size);
	tcase_add_test(tc, bad_data_malformed);
	tcase_add_test(tc, bad_data_to_non_download);
	tcase_add_test(tc, bad_okay_to_download);
	tcase_add_test(tc, download_fail_too_large);
	tcase_add_test(tc, download_disconnect_midway);
	tcase_add_test(tc, download_write_error);
	tcase_add_test(tc, download_more_than_announced);
	tcase_add_test(tc, download_end_incomplete);
	tcase_add_test(tc, download_end_fail_and_timeout);
	tcase_add_test(tc, download_flush_disconnect);
	tcase_add_test(tc, download_twice_and_zero);
	tcase_add_test(tc, timeout_names_command);
	tcase_add_test(tc, disconnect_waiting_reply);
	tcase_add_test(tc, transport_proto_error_passed_on);
	tcase_add_test(tc, command_too_long_never_sent);
	tcase_add_test(tc, command_bad_chars_never_sent);
	tcase_add_test(tc, cancel_between_writes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fastboot_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
