#!/bin/sh
# `format` in a package's script, end to end against emulated phones that
# report their partitions' type and size (--vars):
#   - ext4 on a cache full of old bytes, in 16 MiB pieces: e2fsck finds a
#     clean empty filesystem of the partition's 98304 blocks, its journal
#     reads as zeros, no inode table is claimed zeroed; a small part of the
#     partition was sent; plan -s said what would be made; nothing left in
#     the temporary folder;
#   - f2fs the same (fsck.f2fs);
#   - a 12980 MiB userdata: only its metadata is sent (figure printed);
#   - two phones at once, each with the filesystem its own answers call for;
#   - refused before anything is written: the phone does not report the
#     type (exit 3), another type than the script names (3), mke2fs not
#     installed (2), mke2fs failing (1);
#   - Debian's AOSP fastboot `format` against the same kind of phone (its
#     mke2fs, looked for next to its binary, is a wrapper around Debian's
#     without -E android_sparse, which Debian's mke2fs lacks): the same
#     questions asked, a filesystem of the same size; bytes sent compared.
. "$(dirname "$0")/lib.sh"
lib_init t_format
PATH="$PATH:/usr/sbin:/sbin"
need_tool mke2fs e2fsck debugfs dumpe2fs
RF_TIMEOUT=120
TOP=cancro_global_images_7.12.8_20171208.0000.00_6.0_global
CACHE="partition-type:cache=ext4;partition-size:cache=0x18000000"
mkdir -p "$T/tmp"
TMPDIR="$T/tmp"
export TMPDIR

# package NAME FORMAT-LINE: a folder package whose keep-data script checks
# the product, flashes tz, then runs FORMAT-LINE
package() {
	d="$T/$1/$TOP"
	mkdir -p "$d/images"
	head -c 70000 /dev/urandom >"$d/images/tz.mbn"
	cat >"$d/flash_all_except_storage.sh" <<EOF
fastboot \$* getvar product 2>&1 | grep "^product: *MSM8974\$"
if [ \$? -ne 0 ] ; then echo "Missmatching image and device"; exit 1; fi
fastboot \$* flash tz \`dirname \$0\`/images/tz.mbn
$2
if [ \$? -ne 0 ] ; then echo "Format error"; exit 1; fi
fastboot \$* reboot
EOF
	echo "$d"
}

# old_bytes FILE MIB: a partition file full of what an earlier system left
old_bytes() {
	python3 -c 'import os,sys
b = os.urandom(1 << 20)
with open(sys.argv[1], "wb") as f:
    for _ in range(int(sys.argv[2])): f.write(b)' "$1" "$2"
}

# sent DIR: bytes the phone downloaded
sent() { sed -n 's/^download:\(.*\)/\1/p' "$1/commands.log" | while read -r h; do echo $((0x$h)); done |
	awk '{ s += $1 } END { print s + 0 }'; }

# ext4_clean FILE BLOCKS: e2fsck clean, the size asked, journal zeros past
# its superblock, no inode table claimed zeroed
ext4_clean() {
	e2fsck -fn "$1" >"$1.fsck" 2>&1 || fail "$1: e2fsck: $(tail -n 3 "$1.fsck" | tr '\n' ' ')"
	n=$(dumpe2fs -h "$1" 2>/dev/null | sed -n 's/^Block count: *//p')
	[ "$n" = "$2" ] || fail "$1: $n blocks, want $2"
	j=$(debugfs -R 'cat <8>' "$1" 2>/dev/null | tail -c +4097 | tr -d '\000' | wc -c)
	[ "$j" = 0 ] || fail "$1: $j bytes of the journal are not zeros (old bytes left in it)"
	! dumpe2fs "$1" 2>/dev/null | grep -q ITABLE_ZEROED ||
		fail "$1: a group claims its inode table was zeroed"
}

PKG=$(package ext4 'fastboot $* format cache')

# ---- ext4 over old bytes, in pieces
emu_start A "$T/a" --vars "$CACHE" --max-download 0x1000000
old_bytes "$T/a/cache.img" 384
rf --json -s "$A_DEV" plan "$PKG" >"$T/a.plan" 2>"$T/a.plan.err" || fail "plan -s: $(cat "$T/a.plan.err")"
grep '"op":"format"' "$T/a.plan" | grep -q '"fs_type":"ext4","fs_size":402653184,"fs_tool":"/' ||
	fail "plan -s does not say what is made: $(grep '"op":"format"' "$T/a.plan")"
rf -s "$A_DEV" plan "$PKG" 2>/dev/null | grep -q "the phone says ext4, 384 MiB (402653184 bytes): an empty ext4 filesystem of that size is made with" ||
	fail "plan -s (text) does not say what is made"
t0=$(date +%s.%N)
rf --json -s "$A_DEV" flash "$PKG" --yes >"$T/a.json" 2>"$T/a.err" || fail "flash: $(cat "$T/a.err")"
t1=$(date +%s.%N)
emu_wait_gone A 5 || emu_stop A
ext4_clean "$T/a/cache.img" 98304
grep '"event":"step_done"' "$T/a.json" | grep '"op":"format"' |
	grep -q '"note":"an empty ext4 filesystem of 402653184 bytes (98304 blocks of 4096)' ||
	fail "step_done of the format does not say what was made"
n=$(grep -c '^flash:cache' "$T/a/commands.log")
[ "$n" -gt 1 ] || fail "one download for the cache at 16 MiB each: $n"
s=$(sent "$T/a")
[ "$s" -lt $((40 << 20)) ] || fail "sent $s bytes for an empty 384 MiB cache"
echo "ext4 cache 384 MiB over old bytes: $n pieces, $s bytes sent, $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"
[ -z "$(ls -A "$T/tmp")" ] || fail "left in TMPDIR: $(ls -A "$T/tmp")"

# ---- f2fs
if have_tool mkfs.f2fs && have_tool fsck.f2fs; then
	emu_start B "$T/b" --vars "partition-type:cache=f2fs;partition-size:cache=0x18000000"
	old_bytes "$T/b/cache.img" 384
	rf -s "$B_DEV" flash "$PKG" --yes >"$T/b.out" 2>"$T/b.err" || fail "f2fs flash: $(cat "$T/b.err")"
	emu_wait_gone B 5 || emu_stop B
	fsck.f2fs --dry-run -f "$T/b/cache.img" >"$T/b.fsck" 2>&1 || fail "fsck.f2fs: $(tail -n 3 "$T/b.fsck")"
	grep -q '\[Fail\]' "$T/b.fsck" && fail "fsck.f2fs: $(grep '\[Fail\]' "$T/b.fsck" | head -n 2)"
	grep -q "total FS sectors = 786432 (384 MB)" "$T/b.fsck" || fail "f2fs not of the partition's size"
	echo "f2fs cache 384 MiB: $(sent "$T/b") bytes sent"
fi

# ---- a 12980 MiB userdata: its metadata only
PKG2=$(package userdata 'fastboot $* format userdata')
emu_start C "$T/c" --vars "partition-type:userdata=ext4;partition-size:userdata=0x32B400000"
t0=$(date +%s.%N)
rf -s "$C_DEV" flash "$PKG2" --yes >"$T/c.out" 2>"$T/c.err" || fail "userdata: $(cat "$T/c.err")"
t1=$(date +%s.%N)
emu_wait_gone C 5 || emu_stop C
ext4_clean "$T/c/userdata.img" 3322880
s=$(sent "$T/c")
[ "$s" -lt $((100 << 20)) ] || fail "sent $s bytes for an empty 12980 MiB userdata"
echo "ext4 userdata 12980 MiB: $s bytes sent, $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s for the whole flash"

# ---- two phones at once (--all): each its own filesystem, for its answers
emu_start M1 "$T/m1" --serial EMU0001 --vars "$CACHE"
emu_start M2 "$T/m2" --serial EMU0002 --vars "partition-type:cache=ext4;partition-size:cache=0x10000000"
rf -s "$M1_DEV,$M2_DEV" flash --all "$PKG" --yes >"$T/m.out" 2>"$T/m.err" ||
	fail "two phones: $(cat "$T/m.err")"
emu_wait_gone M1 5 || emu_stop M1
emu_wait_gone M2 5 || emu_stop M2
ext4_clean "$T/m1/cache.img" 98304
ext4_clean "$T/m2/cache.img" 65536
[ -z "$(ls -A "$T/tmp")" ] || fail "two phones: left in TMPDIR: $(ls -A "$T/tmp")"

# ---- refused before anything is written
# refused NAME WANT-EXIT WANT-MESSAGE PKG [emulator options]
refused() {
	_name=$1 _want=$2 _msg=$3 _pkg=$4
	shift 4
	emu_start R "$T/r.$_name" "$@"
	rf -s "$R_DEV" flash "$_pkg" --yes >"$T/r.$_name.out" 2>"$T/r.$_name.err"
	_rc=$?
	emu_stop R
	[ "$_rc" = "$_want" ] || fail "$_name: exit $_rc, want $_want: $(cat "$T/r.$_name.err")"
	grep -q "$_msg" "$T/r.$_name.err" || fail "$_name: no '$_msg' in: $(cat "$T/r.$_name.err")"
	no_writes "$T/r.$_name"
	[ -z "$(ls -A "$T/tmp")" ] || fail "$_name: left in TMPDIR: $(ls -A "$T/tmp")"
}
refused notype 3 "the phone does not report the partition's type (getvar partition-type:cache)" "$PKG"
refused othertype 3 "format:f2fs cache: the phone says the partition is ext4" \
	"$(package f2fs 'fastboot $* format:f2fs cache')" --vars "$CACHE"
ROMFLASH_MKFS_PATH="$T/none"
export ROMFLASH_MKFS_PATH
refused notool 2 "needs mke2fs (Debian package e2fsprogs), which is not installed" \
	"$PKG" --vars "$CACHE"
mkdir -p "$T/bad"
printf '#!/bin/sh\necho "mke2fs: no room" >&2\nexit 1\n' >"$T/bad/mke2fs"
chmod +x "$T/bad/mke2fs"
ROMFLASH_MKFS_PATH="$T/bad"
refused toolfails 1 "mke2fs failed (exit status 1): mke2fs: no room" "$PKG" --vars "$CACHE"
unset ROMFLASH_MKFS_PATH

# ---- Debian's AOSP fastboot, formatting the same kind of phone
if have_tool fastboot && aosp_fastboot "$T/pt"; then
	emu_start E "$T/e" --vars "$CACHE"
	timeout 120 "$T/pt/fastboot" -s "$E_DEV" format cache >"$T/e.out" 2>&1 ||
		fail "AOSP fastboot format: $(cat "$T/e.out")"
	emu_stop E
	ext4=$(dumpe2fs -h "$T/e/cache.img" 2>/dev/null | sed -n 's/^Block count: *//p')
	[ "$ext4" = 98304 ] || fail "AOSP fastboot made $ext4 blocks"
	e2fsck -fn "$T/e/cache.img" >/dev/null 2>&1 || fail "AOSP fastboot's cache: e2fsck"
	# the same questions, in the same order (fastboot also asks has-slot);
	# romflash's flash asked last (its plan -s before it)
	q() { grep -E '^getvar:(partition-type|partition-size:cache|erase-block|logical-block)' \
		"$1/commands.log" | tail -n 4; }
	[ "$(q "$T/e")" = "$(q "$T/a")" ] || fail "other questions: AOSP $(q "$T/e" | tr '\n' ' '), romflash $(q "$T/a" | tr '\n' ' ')"
	echo "AOSP fastboot format cache: ran '$(head -n 1 "$T/pt/mke2fs.args")'; sent $(sent "$T/e") bytes (the raw image: Debian's mke2fs makes no sparse one); romflash $(sent "$T/a")"
	echo "  features AOSP/Debian defaults: $(dumpe2fs -h "$T/e/cache.img" 2>/dev/null | sed -n 's/^Filesystem features: *//p')"
	echo "  features romflash:             $(dumpe2fs -h "$T/a/cache.img" 2>/dev/null | sed -n 's/^Filesystem features: *//p')"
	# and Debian's fastboot as installed: it looks for mke2fs next to itself
	emu_start G "$T/g" --vars "$CACHE"
	timeout 60 fastboot -s "$G_DEV" format cache >"$T/g.out" 2>&1 &&
		echo "  note: Debian's fastboot formatted by itself"
	emu_stop G
	grep -q "mke2fs failed" "$T/g.out" &&
		echo "  Debian's fastboot as installed: $(grep -m1 'mke2fs failed' "$T/g.out")"
fi

lib_finish
