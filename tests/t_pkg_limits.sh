#!/bin/sh
# Packages no ROM is made like, end to end: a gzip bomb (one 60 GiB entry
# of zeros, and five), too many entries, a path too deep -- refused by
# info, plan and flash at once (seconds, not minutes), within 64 MiB of
# memory (peak RSS by /usr/bin/time), nothing written; and images the
# bootloader (LK) would refuse halfway through a write -- an image of
# fewer than 28 bytes that begins with the sparse magic, a sparse image
# of 1020-byte blocks, one with a CRC32 chunk: plan and flash exit 3
# before any write (and flash-image of a 3-byte image that begins like the
# sparse magic).
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_pkg_limits

MKODD="$ROOT/tests/fixtures/mkodd"
if [ ! -x /usr/bin/time ]; then
	if [ "${CI:-}" = true ]; then
		echo "FAIL: /usr/bin/time is missing (tools/deps.sh installs it)"
		exit 1
	fi
	echo "SKIP: /usr/bin/time is missing"
	exit 0
fi

"$MKODD" bomb "$T/bomb1.tgz" --entries 1 --gib 60 &
"$MKODD" bomb "$T/bomb5.tgz" --entries 5 --gib 60 &
"$MKODD" count "$T/count.tgz" &
"$MKODD" deep "$T/deep.tgz" &
for k in tiny short crc blk1020; do "$MKODD" "$k" "$T/$k.tgz" & done
wait

emu_start E "$T/phone"

# refuse NAME WANT CMD...: exit 3 within 20 s (a loaded machine; inflating
# what a bomb claims takes minutes), peak RSS <= 64 MiB, stderr has WANT
refuse() {
	_name=$1 _want=$2
	shift 2
	/usr/bin/time -f '%e %M' -o "$T/time" timeout -k 2 60 "$ROMFLASH" "$@" \
		>"$T/out" 2>"$T/err"
	rc=$?
	# (time -o first says "Command exited with non-zero status N")
	read -r secs kib <<EOF
$(tail -n 1 "$T/time")
EOF
	[ -n "${kib:-}" ] || { secs="?"; kib="?"; }
	echo "$_name: exit $rc, ${secs} s, peak RSS ${kib} KiB"
	[ "$rc" = 3 ] || fail "$_name: exit $rc, want 3: $(tail -n 3 "$T/err")"
	grep -q "$_want" "$T/err" || fail "$_name: no '$_want': $(tail -n 3 "$T/err")"
	awk -v s="$secs" 'BEGIN { exit !(s + 0 < 20) }' || fail "$_name: took $secs s"
	if [ "$kib" = "?" ] || [ "$kib" -gt 65536 ]; then
		fail "$_name: peak RSS $kib KiB > 64 MiB"
	fi
}

for pkg in bomb1 bomb5; do
	md5=$(md5sum "$T/$pkg.tgz" | cut -c1-32)
	refuse "info $pkg" "absurd size" info "$T/$pkg.tgz"
	refuse "plan $pkg" "absurd size" plan "$T/$pkg.tgz"
	refuse "flash $pkg" "absurd size" -s "$E_DEV" flash "$T/$pkg.tgz" --md5 "$md5"
done
refuse "plan count" "more than 512 entries" plan "$T/count.tgz"
refuse "plan deep" "more than 6 levels" plan "$T/deep.tgz"

# the bootloader's refusals: the step that names the image is refused
refuse "plan tiny" "begin like a sparse image" plan "$T/tiny.tgz"
refuse "plan short" "begin like a sparse image" plan "$T/short.tgz"
refuse "plan crc" "CRC32 chunk" plan "$T/crc.tgz"
refuse "plan blk1020" "multiple of 512" plan "$T/blk1020.tgz"
for k in tiny crc; do
	md5=$(md5sum "$T/$k.tgz" | cut -c1-32)
	refuse "flash $k" "images/boot.img" -s "$E_DEV" flash "$T/$k.tgz" --md5 "$md5"
done
printf '\072\377\046' >"$T/short.img"
refuse "flash-image short" "begin like a sparse image" -s "$E_DEV" \
	flash-image boot "$T/short.img"
emu_stop E
no_writes "$T/phone"

lib_finish
