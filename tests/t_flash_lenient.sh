#!/bin/sh
# What romflash forgives, and only that: a bootloader that does not report
# max-download-size (the Mi 4's limit is used, with a warning), and a final
# reboot the phone does not take (everything is written by then: a warning,
# not a failed flash).  Both flashes must still write every byte.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_flash_lenient
need_tool img2simg simg2img

PKG=$("$MKPKG" --variant modern --order scripts-first --size-mb 8 --seed 9 --out "$T/p" \
	--keep-folder) || { echo "mkpkg failed"; exit 1; }
DIR=$(pkg_folder "$T/p")
rf --json plan "$PKG" >"$T/plan" || fail "plan"

# 1. getvar max-download-size answered FAIL
emu_start A "$T/a" --fail getvar:max-download-size
rf -s "$A_DEV" flash "$PKG" --no-reboot >"$T/a.out" 2>"$T/a.err"
rc=$?
[ $rc = 0 ] || fail "no max-download-size: exit $rc: $(cat "$T/a.err")"
grep -q "does not report max-download-size; using 0x30000000" "$T/a.err" ||
	fail "no max-download-size: no warning: $(cat "$T/a.err")"
emu_stop A
check_flash "$T/a" "$DIR" "$T/plan" --no-reboot

# 2. the final reboot answered FAIL
emu_start B "$T/b" --fail reboot
rf -s "$B_DEV" flash "$PKG" >"$T/b.out" 2>"$T/b.err"
rc=$?
[ $rc = 0 ] || fail "reboot refused: exit $rc: $(cat "$T/b.err")"
grep -q "did not take the reboot command" "$T/b.err" ||
	fail "reboot refused: no warning: $(cat "$T/b.err")"
ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 && fail "reboot refused: progress left behind"
emu_stop B
check_partitions "$T/b" "$DIR" "$T/plan"

# 3. but a FAIL on any write is still a failed flash
emu_start C "$T/c" --fail flash:boot
rf -s "$C_DEV" flash "$PKG" --no-reboot >"$T/c.out" 2>"$T/c.err"
rc=$?
[ $rc = 1 ] || fail "flash:boot refused: exit $rc, want 1"
emu_stop C

lib_finish
