#!/bin/sh
# One end-to-end flash (a small package, the TCP emulator) and one sideload
# under valgrind's memcheck (issue 15): any memory error, or a leak that is
# definitely or indirectly lost, fails the test (--error-exitcode).  Leaks
# "possibly lost" (pointers into a block: thread stacks, libraries' pools)
# and "still reachable" (globals of libcurl/OpenSSL freed by the exit) are
# reported in the log but do not count.  Each run must also do its work:
# the partitions byte for byte, the phone's copy of the zip identical.
# Skipped under ASAN=1 (valgrind does not run sanitizer builds).
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_valgrind
if [ -n "${ASAN:-}" ]; then
	echo "SKIP: valgrind does not run an ASan build"
	exit 0
fi
need_tool valgrind img2simg simg2img
HOME="$T/home"
export HOME
unset ANDROID_USER_HOME
mkdir -p "$HOME"
# valgrind is 20-50 times slower: the runs get a longer leash than rf's
RF_TIMEOUT=300
# memcheck does not carry definedness through PCLMULQDQ: every GMAC tag
# of the package's windows (GHASH) would read as uninitialised, a false
# report (OpenSSL's C GHASH, chosen by masking that CPU bit, gives the same
# tags and none).  Our code paths are the same either way.
OPENSSL_ia32cap="~0x200000000"
export OPENSSL_ia32cap

VG="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
--errors-for-leak-kinds=definite,indirect --track-origins=yes --child-silent-after-fork=yes"

# vg NAME ARGS...: romflash ARGS under valgrind; the status is romflash's,
# 99 when valgrind found an error (its report in $T/NAME.vg)
vg() {
	_n=$1
	shift
	# shellcheck disable=SC2086 # VG is a word list
	timeout -k 2 "$RF_TIMEOUT" $VG --log-file="$T/$_n.vg" "$ROMFLASH" "$@" \
		>"$T/$_n.out" 2>"$T/$_n.err" </dev/null
	_rc=$?
	if [ $_rc = 99 ] || [ -s "$T/$_n.vg" ]; then
		fail "$_n: valgrind: $(head -n 40 "$T/$_n.vg")"
	fi
	return $_rc
}

# ---- a flash: a modern package split into 1 MiB downloads -------------------
"$MKPKG" --variant modern --order shuffled --size-mb 3 --seed 21 --out "$T/mod" \
	--keep-folder >/dev/null || { echo "mkpkg failed"; exit 1; }
MOD=$(ls "$T"/mod/*.tgz)
MODDIR=$(pkg_folder "$T/mod")
emu_start E "$T/flash" --vars crc=1 --max-download 0x100000
rf --json -s "$E_DEV" plan "$MOD" --mode keep-data >"$T/flash.plan" || fail "plan"
vg flash -s "$E_DEV" flash "$MOD" --mode keep-data --yes --no-reboot ||
	fail "flash under valgrind: exit $?: $(tail -n 5 "$T/flash.err")"
emu_stop E
check_flash "$T/flash" "$MODDIR" "$T/flash.plan" --no-reboot

# ---- a sideload ---------------------------------------------------------------
python3 "$ROOT/tests/fixtures/mkzip" --out "$T/zip" --key "$T/keys" --size-mb 1.5 \
	>"$T/zip.out" || { echo "mkzip failed"; exit 1; }
ZIP=$(sed -n 1p "$T/zip.out")
emu_start S "$T/sl" --adb sideload --order random --seed 5
vg sideload -s "$S_DEV" sideload "$ZIP" --wait 30 ||
	fail "sideload under valgrind: exit $?: $(tail -n 5 "$T/sideload.err")"
emu_stop S
cmp -s "$ZIP" "$T/sl/sideload.zip" || fail "sideload: the phone's copy differs"

lib_finish
