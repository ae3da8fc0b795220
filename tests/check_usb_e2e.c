/* End-to-end: the real romflash binary, run as a child process, drives
 * emulated phones over USB (umockdev, tests/helpers/usb_emu.c).
 *
 * The child runs against this process's umockdev testbed (see
 * helpers/rf_run.h).  Every test compares what the phone stored (partition
 * files) with the images byte for byte, sparse images through simg2img.
 * Phones at real pace and stations: check_usb_e2e_life.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers/e2e_pkg.h"
#include "helpers/phone_data.h"
#include "helpers/rf_run.h"
#include "helpers/usb_emu.h"

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_devices_and_getvar)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	struct usb_emu *u = e2e_start_one(&o);

	ck_assert_msg(e2e_rf("devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "EMU0001") && strstr(e2e_out, "fastboot") &&
		      strstr(e2e_out, "usb:1-1"), RF_OUTPUT);

	ck_assert_msg(e2e_rf("--json", "devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "\"serial\":\"EMU0001\"") &&
		      strstr(e2e_out, "\"location\":\"usb:1-1\"") &&
		      strstr(e2e_out, "\"mode\":\"fastboot\""), RF_OUTPUT);

	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "product: MSM8974\n") != NULL, RF_OUTPUT);
	/* the real bootloader's leading tab is not shown */
	ck_assert_msg(e2e_rf("getvar", "max-download-size", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "max-download-size: 0x30000000\n") != NULL, RF_OUTPUT);
	ck_assert_msg(e2e_rf("getvar", "nonexistent-var", NULL) == 1, RF_OUTPUT);

	usb_emu_stop(u);
}
END_TEST

/* A raw image larger than max-download-size, of a size that is not a
 * multiple of 4096: sent as sparse pieces, each addressing its own blocks. */
START_TEST(test_flash_image_raw_split)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	e2e_small_max_download(&o);
	struct usb_emu *u = e2e_start_one(&o);
	const char *img = e2e_path("system.raw");
	e2e_make_image(img, 3 * MiB + 12345, 1, NULL, 0);

	ck_assert_msg(e2e_rf("flash-image", "system", img, NULL) == 0, RF_OUTPUT);
	e2e_expect_partition(o.state_dir, "system", img);
	char *log = e2e_commands_log(o.state_dir);
	int downloads = e2e_count_lines_starting(log, "download:");
	ck_assert_msg(downloads >= 4, "%d downloads for 3 MiB with a 1 MiB limit:\n%s",
		      downloads, log);
	ck_assert_int_eq(e2e_count_lines_starting(log, "flash:system"), downloads);
	free(log);

	/* a sparse image with holes, also split */
	const char *raw = e2e_path("cache.raw"), *simg = e2e_path("cache.simg");
	const uint64_t holes[] = { 1 * MiB, 2 * MiB, 5 * MiB - 8192, 4096 };
	e2e_make_image(raw, 6 * MiB, 2, holes, 2);
	e2e_run_tool("img2simg", raw, simg);
	ck_assert(e2e_is_sparse_file(simg));
	ck_assert_msg(e2e_rf("flash-image", "cache", simg, NULL) == 0, RF_OUTPUT);
	e2e_expect_partition(o.state_dir, "cache", raw);

	/* an image larger than the partition: the phone refuses it, and
	 * nothing lands in the partition */
	const char *big = e2e_path("big.raw");
	e2e_make_image(big, 1 * MiB + 1, 3, NULL, 0);
	ck_assert_msg(e2e_rf("flash-image", "tz", big, NULL) == 1, RF_OUTPUT);
	if (access(e2e_path("phone/tz.img"), F_OK) == 0)
		e2e_expect_zero_partition(o.state_dir, "tz");

	usb_emu_stop(u);
}
END_TEST

START_TEST(test_erase)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	struct usb_emu *u = e2e_start_one(&o);
	const char *img = e2e_path("boot.img");
	e2e_make_image(img, 256 * KiB + 3, 4, NULL, 0);

	ck_assert_msg(e2e_rf("flash-image", "boot", img, NULL) == 0, RF_OUTPUT);
	e2e_expect_partition(o.state_dir, "boot", img);
	ck_assert_msg(e2e_rf("erase", "boot", NULL) == 0, RF_OUTPUT);
	e2e_expect_zero_partition(o.state_dir, "boot");
	char *log = e2e_commands_log(o.state_dir);
	ck_assert_int_eq(e2e_count_lines_starting(log, "erase:boot"), 1);
	free(log);
	ck_assert_msg(e2e_rf("erase", "no-such-partition", NULL) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "partition does not exist") != NULL, RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_reboot_bootloader)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	o.reboot_delay_ms = 300;
	struct usb_emu *u = e2e_start_one(&o);
	struct usb_emu_stats st;

	ck_assert_msg(e2e_rf("reboot", "bootloader", NULL) == 0, RF_OUTPUT);
	/* the phone dropped off the bus and comes back */
	ck_assert_int_eq(usb_emu_wait_online(u, 0, 5000), 0);
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 1);
	ck_assert_msg(e2e_rf("getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "serialno: EMU0001") != NULL, RF_OUTPUT);
	char *log = e2e_commands_log(o.state_dir);
	ck_assert_int_eq(e2e_count_lines_starting(log, "reboot-bootloader"), 1);
	free(log);
	usb_emu_stop(u);
}
END_TEST

/* A whole package, keep-data mode, split downloads (1 MiB limit). */
START_TEST(test_flash_package_modern)
{
	char folder[600];
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	e2e_small_max_download(&o);
	struct usb_emu *u = e2e_start_one(&o);
	char *pkg = e2e_make_package("modern", 8, folder, sizeof folder);

	ck_assert_msg(e2e_rf("--json", "flash", pkg, "--no-reboot", NULL) == 0, RF_OUTPUT);
	e2e_expect_script_result(o.state_dir, folder, "flash_all_except_storage.sh", 1);
	/* --json: nothing but JSON objects on stdout, one per line */
	for (const char *l = e2e_out; *l;) {
		const char *nl = strchr(l, '\n');
		ck_assert_msg(nl && !strncmp(l, "{\"event\":\"", 10) && nl[-1] == '}',
			      "not a JSON line: %.*s", (int)(nl ? nl - l : 80), l);
		l = nl + 1;
	}
	ck_assert_msg(strstr(e2e_out, "\"event\":\"step_done\""), RF_OUTPUT);
	/* --no-reboot: the phone is still in fastboot, never asked to reboot */
	char *log = e2e_commands_log(o.state_dir);
	ck_assert_int_eq(e2e_count_lines_starting(log, "reboot"), 0);
	free(log);
	struct usb_emu_stats st;
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 0);
	ck_assert_int_eq(st.online, 1);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* The repartition package reboots into the bootloader mid-flash (after the
 * GPT and the bootloader chain).  The phone stays away longer than the
 * script's "sleep 5", so romflash must wait and find it again by serial. */
START_TEST(test_flash_package_repartition)
{
	char folder[600];
	struct emu_opts o = e2e_phone_opts("phone", "MI4REPART01");
	o.reboot_delay_ms = 6500;
	/* a board the script accepts (it refuses 4.4 and 5.x) */
	o.vars = "board_version=3.0";
	struct usb_emu *u = e2e_start_one(&o);
	char *pkg = e2e_make_package("repartition", 8, folder, sizeof folder);

	ck_assert_msg(e2e_rf("flash", pkg, "--no-reboot", NULL) == 0, RF_OUTPUT);
	e2e_expect_script_result(o.state_dir, folder, "flash_all_except_storage.sh", 1);
	struct usb_emu_stats st;
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 1);
	char *log = e2e_commands_log(o.state_dir);
	ck_assert_int_eq(e2e_count_lines_starting(log, "reboot-bootloader"), 1);
	/* the GPT went first, before the reboot */
	const char *gpt = strstr(log, "flash:partition"), *rb = strstr(log, "reboot-bootloader");
	ck_assert(gpt && rb && gpt < rb);
	free(log);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* The phone never comes back after reboot-bootloader: romflash gives up
 * after --wait seconds, says so, and how to resume. */
START_TEST(test_flash_package_no_return)
{
	char folder[600];
	struct emu_opts o = e2e_phone_opts("phone", "MI4GONE01");
	o.no_return = 1;
	o.vars = "board_version=3.0";
	struct usb_emu *u = e2e_start_one(&o);
	char *pkg = e2e_make_package("repartition", 8, folder, sizeof folder);

	ck_assert_msg(e2e_rf("flash", pkg, "--no-reboot", "--wait", "1", NULL) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "reboot-bootloader") && strstr(e2e_err, "MI4GONE01") &&
		      strstr(e2e_err, "did not come back"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "--resume"), RF_OUTPUT);
	char *log = e2e_commands_log(o.state_dir);
	ck_assert_int_eq(e2e_count_lines_starting(log, "flash:aboot"), 1);
	ck_assert_int_eq(e2e_count_lines_starting(log, "flash:system"), 0);
	free(log);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* Several phones: `flash` without -s refuses before writing anything;
 * --all flashes every phone in lockstep, the downloads cut to the smaller
 * max-download-size of the two. */
START_TEST(test_flash_package_two_phones)
{
	char folder[600];
	struct emu_opts o1 = e2e_phone_opts("phone1", "EMU0001");
	struct emu_opts o2 = e2e_phone_opts("phone2", "EMU0002");
	e2e_small_max_download(&o2);
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	struct usb_emu_devcfg c1 = { .emu = &o1 }, c2 = { .emu = &o2 };
	ck_assert_msg(usb_emu_add(u, &c1, e2e_errbuf) == 0, "%s", e2e_errbuf);
	ck_assert_msg(usb_emu_add(u, &c2, e2e_errbuf) == 1, "%s", e2e_errbuf);
	char *pkg = e2e_make_package("modern", 8, folder, sizeof folder);

	ck_assert_msg(e2e_rf("flash", pkg, "--no-reboot", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "EMU0001") && strstr(e2e_err, "EMU0002"), RF_OUTPUT);
	for (int i = 0; i < 2; i++) {
		char *log = e2e_commands_log(i ? o2.state_dir : o1.state_dir);
		ck_assert_msg(strstr(log, "download:") == NULL, "phone %d got data:\n%s", i + 1, log);
		free(log);
	}

	ck_assert_msg(e2e_rf("flash", pkg, "--all", "--no-reboot", NULL) == 0, RF_OUTPUT);
	e2e_expect_script_result(o1.state_dir, folder, "flash_all_except_storage.sh", 1);
	e2e_expect_script_result(o2.state_dir, folder, "flash_all_except_storage.sh", 1);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* The cable is pulled in the middle of system's download: romflash stops,
 * says how to resume; the phone comes back; --resume finishes the job
 * without writing the bootloader chain again. */
START_TEST(test_flash_package_cable_pull_resume)
{
	char folder[600];
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	e2e_small_max_download(&o);
	o.cut_after = 3 * MiB;
	o.reboot_delay_ms = 200;
	struct usb_emu *u = e2e_start_one(&o);
	char *pkg = e2e_make_package("modern", 8, folder, sizeof folder);

	ck_assert_msg(e2e_rf("flash", pkg, "--no-reboot", NULL) == 1, RF_OUTPUT);
	/* which step failed, what was done, how to go on (SPEC safety rule 4) */
	ck_assert_msg(strstr(e2e_err, "(flash system) failed"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "completed: steps 1-13"), RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "--resume"), RF_OUTPUT);
	/* the CRC lists were skipped (the phone does not check CRCs) */
	ck_assert_msg(!strstr(e2e_err, "crclist"), RF_OUTPUT);
	ck_assert_int_eq(usb_emu_wait_online(u, 0, 5000), 0);

	ck_assert_msg(e2e_rf("flash", pkg, "--resume", "--no-reboot", NULL) == 0, RF_OUTPUT);
	e2e_expect_script_result(o.state_dir, folder, "flash_all_except_storage.sh", 0);
	char *log = e2e_commands_log(o.state_dir);
	ck_assert_int_eq(e2e_count_lines_starting(log, "flash:tz"), 1);
	ck_assert_int_eq(e2e_count_lines_starting(log, "flash:aboot"), 1);
	ck_assert_int_eq(e2e_count_lines_starting(log, "flash:boot"), 1);
	free(log);
	struct usb_emu_stats st;
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 1);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_two_phones)
{
	struct emu_opts o1 = e2e_phone_opts("phone1", "EMU0001");
	struct emu_opts o2 = e2e_phone_opts("phone2", "EMU0002");
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	struct usb_emu_devcfg c1 = { .emu = &o1 }, c2 = { .emu = &o2 };
	ck_assert_msg(usb_emu_add(u, &c1, e2e_errbuf) == 0, "%s", e2e_errbuf);
	ck_assert_msg(usb_emu_add(u, &c2, e2e_errbuf) == 1, "%s", e2e_errbuf);

	ck_assert_msg(e2e_rf("devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "EMU0001") && strstr(e2e_out, "EMU0002"), RF_OUTPUT);

	/* no -s: refuses to guess, and names both */
	ck_assert_msg(e2e_rf("getvar", "product", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_err, "EMU0001") && strstr(e2e_err, "EMU0002"), RF_OUTPUT);
	const char *img = e2e_path("boot.img");
	e2e_make_image(img, 100 * KiB + 1, 5, NULL, 0);
	ck_assert_msg(e2e_rf("flash-image", "boot", img, NULL) == 4, RF_OUTPUT);

	ck_assert_msg(e2e_rf("-s", "EMU0002", "getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "serialno: EMU0002") != NULL, RF_OUTPUT);
	ck_assert_msg(e2e_rf("-s", "usb:1-1", "getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(e2e_out, "serialno: EMU0001") != NULL, RF_OUTPUT);
	ck_assert_msg(e2e_rf("--wait", "0", "-s", "EMU0009", "getvar", "product", NULL) == 4,
		      RF_OUTPUT);
	ck_assert_msg(e2e_rf("--wait", "0", "-s", "usb:1-7", "getvar", "product", NULL) == 4,
		      RF_OUTPUT);

	/* -s by location writes to that phone only */
	ck_assert_msg(e2e_rf("-s", "usb:1-2", "flash-image", "boot", img, NULL) == 0, RF_OUTPUT);
	e2e_expect_partition(o2.state_dir, "boot", img);
	char *log1 = e2e_commands_log(o1.state_dir);
	ck_assert_msg(strstr(log1, "download:") == NULL, "phone 1 got data:\n%s", log1);
	free(log1);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_no_phone)
{
	struct usb_emu *u = usb_emu_start_empty(e2e_errbuf);
	ck_assert_msg(u != NULL, "%s", e2e_errbuf);
	const char *img = e2e_path("boot.img");
	e2e_make_image(img, 4096, 6, NULL, 0);

	ck_assert_msg(e2e_rf("devices", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(e2e_rf("--wait", "0", "getvar", "product", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(e2e_rf("--wait", "0", "flash-image", "boot", img, NULL) == 4, RF_OUTPUT);
	ck_assert_msg(e2e_rf("--wait", "0", "-s", "EMU0001", "erase", "boot", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(e2e_rf("--wait", "0", "reboot", "bootloader", NULL) == 4, RF_OUTPUT);
	/* --wait N: N seconds, then the same answer */
	double t0 = phone_now_s();
	ck_assert_msg(e2e_rf("--wait", "1", "getvar", "product", NULL) == 4, RF_OUTPUT);
	double dt = phone_now_s() - t0;
	ck_assert_msg(dt >= 1.0 && dt < 10.0, "waited %.2f s", dt);
	ck_assert_msg(strstr(e2e_err, "fastboot"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* For the benchmarks: one 256 MiB raw download through the real binary. */
START_TEST(test_throughput_256m)
{
	struct emu_opts o = e2e_phone_opts("phone", NULL);
	struct usb_emu *u = e2e_start_one(&o);
	struct usb_emu_stats st;
	const uint64_t size = 256ull * MiB;
	const char *img = e2e_path("system.raw");
	e2e_make_image(img, size, 7, NULL, 0);

	double t0 = phone_now_s();
	ck_assert_msg(e2e_rf("--json", "flash-image", "system", img, NULL) == 0, RF_OUTPUT);
	double wall = phone_now_s() - t0;
	const char *done = strstr(e2e_out, "\"event\":\"step_done\"");
	ck_assert_msg(done != NULL, RF_OUTPUT);
	const char *sec = strstr(done, "\"seconds\":");
	ck_assert_msg(sec != NULL, RF_OUTPUT);
	double secs = strtod(sec + 10, NULL);
	usb_emu_get_stats(u, 0, &st);
	printf("usb e2e: romflash flash-image of 256 MiB raw: %.1f MB/s (%.2f s transfer, "
	       "%.2f s whole command), %llu OUT URBs of %llu KiB average, "
	       "max %u OUT transfers in flight\n",
	       secs > 0 ? (double)size / secs / 1e6 : 0.0, secs, wall,
	       (unsigned long long)st.urbs_out,
	       st.urbs_out ? (unsigned long long)(st.bytes_out / st.urbs_out / 1024) : 0ull,
	       st.max_out_in_flight);
	fflush(stdout);
	ck_assert_uint_ge(st.bytes_out, size);
	ck_assert_uint_ge(st.max_out_in_flight, 2);
	e2e_expect_partition(o.state_dir, "system", img);
	unlink(img);
	usb_emu_stop(u);
}
END_TEST

static Suite *e2e_suite(void)
{
	Suite *s = suite_create("usb_e2e");
	TCase *tc = tcase_create("usb_e2e");
	tcase_add_checked_fixture(tc, e2e_setup, e2e_teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_devices_and_getvar);
	tcase_add_test(tc, test_flash_image_raw_split);
	tcase_add_test(tc, test_erase);
	tcase_add_test(tc, test_reboot_bootloader);
	tcase_add_test(tc, test_flash_package_modern);
	tcase_add_test(tc, test_flash_package_repartition);
	tcase_add_test(tc, test_flash_package_no_return);
	tcase_add_test(tc, test_flash_package_two_phones);
	tcase_add_test(tc, test_flash_package_cable_pull_resume);
	tcase_add_test(tc, test_two_phones);
	tcase_add_test(tc, test_no_phone);
	tcase_add_test(tc, test_throughput_256m);
	suite_add_tcase(s, tc);
	return s;
}


int main(void)
{
	return usb_emu_suite_main(e2e_suite());
}
