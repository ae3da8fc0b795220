#!/bin/sh
# Keeps the emulated phone honest: Debian's AOSP fastboot (the reference
# client) flashes raw, split-raw, sparse and split-sparse images into
# romflash-emu over TCP, and every written partition must match its source
# byte for byte (zeros beyond the image).  Then reboot-bootloader must bring
# the emulator back on the same port, fault injection must FAIL once, and a
# write at the eMMC pace (--write-rate) must be waited for.
#
# Debian's fastboot 29 mis-splits raw images whose size is not a multiple of
# 4096, so every raw image here is a multiple of 4096.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
EMU=${ROMFLASH_EMU:-$ROOT/${B:-build}/romflash-emu}
T=$(mktemp -d /tmp/t_emu_fb.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*"; [ -f "$T/emu.log" ] && tail -n 20 "$T/emu.log"; exit 1; }
ok() { echo "ok: $*"; }

command -v fastboot >/dev/null || fail "fastboot not installed (tools/deps.sh)"
command -v img2simg >/dev/null && command -v simg2img >/dev/null ||
	fail "img2simg/simg2img not installed (tools/deps.sh)"
[ -x "$EMU" ] || fail "$EMU not built"

# start_emu NAME ARGS...: start an emulator with state $T/NAME; sets PORT
start_emu() {
	name=$1; shift
	"$EMU" --state "$T/$name" --port 0 --port-file "$T/$name.port" "$@" \
		>>"$T/emu.log" 2>&1 &
	PIDS="$PIDS $!"
	LAST_PID=$!
	i=0
	while [ ! -s "$T/$name.port" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "emulator $name did not start"
		kill -0 "$LAST_PID" 2>/dev/null || fail "emulator $name died"
		sleep 0.05
	done
	PORT=$(cat "$T/$name.port")
}

# fb ARGS...: fastboot against the current emulator; output in $T/fb.out
fb() {
	timeout 20 fastboot -s "tcp:127.0.0.1:$PORT" "$@" >"$T/fb.out" 2>&1
}

# check_part IMAGE PARTITION_FILE: image at offset 0, zeros after it
check_part() {
	size=$(stat -c %s "$1")
	psize=$(stat -c %s "$2")
	cmp -n "$size" "$1" "$2" || fail "$2 differs from $1"
	rest=$((psize - size))
	tail -c "+$((size + 1))" "$2" | cmp -n "$rest" - /dev/zero ||
		fail "$2 not zero after the image"
}

rnd() { head -c "$2" /dev/urandom >"$1"; }

start_emu st --max-download 0x100000 --reboot-delay 300 --pidfile "$T/pid" \
	--vars "board_version=3;anti=2"
S=$T/st

fb getvar product && grep -q '^product: MSM8974$' "$T/fb.out" || fail "getvar product: $(cat "$T/fb.out")"
fb getvar max-download-size && grep -q 'max-download-size: 	0x00100000' "$T/fb.out" ||
	fail "max-download-size: $(cat "$T/fb.out")"
fb getvar anti && grep -q '^anti: 2$' "$T/fb.out" || fail "getvar anti"
# (fastboot 29 exits 0 even when getvar FAILs: check the message)
fb getvar no-such-var
grep -q 'Variable Not found' "$T/fb.out" || fail "unknown getvar message: $(cat "$T/fb.out")"
ok getvar

# a small raw image, one download
rnd "$T/boot.img" 65536
fb flash boot "$T/boot.img" || fail "flash boot: $(cat "$T/fb.out")"
check_part "$T/boot.img" "$S/boot.img"
ok "raw boot"

# raw image larger than max-download: fastboot splits it into sparse pieces
rnd "$T/recovery.img" 5242880
fb flash recovery "$T/recovery.img" || fail "flash recovery: $(cat "$T/fb.out")"
grep -q "Sending sparse 'recovery' 1/" "$T/fb.out" || fail "recovery was not split"
check_part "$T/recovery.img" "$S/recovery.img"
ok "split raw recovery"

# sparse image with data, a fill pattern and holes, also split
truncate -s 12M "$T/persist.raw"
head -c 1048576 /dev/urandom | dd of="$T/persist.raw" bs=1M seek=0 conv=notrunc 2>/dev/null
head -c 2097152 /dev/zero | tr '\0' '\252' |
	dd of="$T/persist.raw" bs=1M seek=4 conv=notrunc 2>/dev/null
head -c 1500000 /dev/urandom | dd of="$T/persist.raw" bs=1M seek=9 conv=notrunc 2>/dev/null
img2simg "$T/persist.raw" "$T/persist.simg" || fail img2simg
simg2img "$T/persist.simg" "$T/persist.expect" || fail simg2img
fb flash persist "$T/persist.simg" || fail "flash persist: $(cat "$T/fb.out")"
grep -q "Sending sparse 'persist' 2/" "$T/fb.out" || fail "persist was not split"
check_part "$T/persist.expect" "$S/persist.img"
ok "split sparse persist"

# Xiaomi's a+b: one download, both partitions
fb flash modem+modem1 "$T/boot.img" || fail "flash modem+modem1: $(cat "$T/fb.out")"
check_part "$T/boot.img" "$S/modem.img"
check_part "$T/boot.img" "$S/modem1.img"
ok "a+b"

# an image larger than its partition is refused and writes nothing
rnd "$T/big.img" 2101248
fb flash sbl1 "$T/big.img" && fail "oversize sbl1 accepted"
grep -q 'size too large' "$T/fb.out" || fail "oversize message: $(cat "$T/fb.out")"
fb flash nosuchpart "$T/boot.img" && fail "unknown partition accepted"
grep -q 'partition does not exist' "$T/fb.out" || fail "unknown partition message"
# a truncated sparse image is refused before anything is written
head -c 262144 /dev/urandom >"$T/misc.raw"
img2simg "$T/misc.raw" "$T/misc.simg" || fail img2simg
head -c 100000 "$T/misc.simg" >"$T/misc.trunc"
fb flash misc "$T/misc.trunc" && fail "truncated sparse accepted"
grep -q 'sparse image truncated' "$T/fb.out" || fail "truncated sparse message: $(cat "$T/fb.out")"
[ -e "$S/misc.img" ] && fail "truncated sparse wrote misc"
ok refusals

fb erase boot || fail "erase boot: $(cat "$T/fb.out")"
cmp -n 33554432 "$S/boot.img" /dev/zero || fail "boot not erased"
[ "$(stat -c %s "$S/boot.img")" -eq 33554432 ] || fail "erased boot has wrong size"
ok erase

fb oem device-info && grep -q 'Device unlocked: true' "$T/fb.out" || fail "oem device-info: $(cat "$T/fb.out")"
grep -q '^flash:boot$' "$S/commands.log" && grep -q '^erase:boot$' "$S/commands.log" ||
	fail "commands.log incomplete"
ok "device-info, commands.log"

# reboot-bootloader: the port goes away, then the same phone comes back
fb reboot-bootloader || fail "reboot-bootloader: $(cat "$T/fb.out")"
timeout 10 fastboot -s "tcp:127.0.0.1:$PORT" getvar product >"$T/fb.out" 2>&1 ||
	fail "emulator did not come back: $(cat "$T/fb.out")"
grep -q '^product: MSM8974$' "$T/fb.out" || fail "getvar after reboot"
[ "$(cat "$S/state")" = online ] || fail "state after reboot: $(cat "$S/state")"
check_part "$T/recovery.img" "$S/recovery.img"
ok "reboot-bootloader"

# reboot: the phone leaves fastboot for good, the emulator exits
fb reboot || fail "reboot: $(cat "$T/fb.out")"
i=0
while kill -0 "$LAST_PID" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 60 ] && fail "emulator still running after reboot"
	sleep 0.05
done
[ "$(cat "$S/state")" = gone ] || fail "state after reboot: $(cat "$S/state")"
ok reboot

# fault injection: the first flash:boot FAILs, the next one works
start_emu st2 --fail flash:boot --info-lines 2
fb flash boot "$T/boot.img" && fail "--fail did not fail"
grep -q 'emulated failure' "$T/fb.out" || fail "injected failure message: $(cat "$T/fb.out")"
fb flash boot "$T/boot.img" || fail "flash after injected failure: $(cat "$T/fb.out")"
grep -q '(bootloader) writing' "$T/fb.out" || fail "INFO lines not shown"
check_part "$T/boot.img" "$T/st2/boot.img"
ok "fault injection"

# eMMC pace: an 8 MiB flash at 4 MB/s is silent about 2 s after the data,
# and AOSP fastboot waits for the OKAY as for a real phone
start_emu st3 --write-rate 4
rnd "$T/slow.img" 8388608
start=$(date +%s.%N)
fb flash boot "$T/slow.img" || fail "flash at the eMMC pace: $(cat "$T/fb.out")"
took=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $start }")
awk "BEGIN { exit !($took >= 1.9) }" || fail "an 8 MiB write at 4 MB/s took $took s"
grep -q "OKAY" "$T/fb.out" || fail "no OKAY: $(cat "$T/fb.out")"
check_part "$T/slow.img" "$T/st3/boot.img"
ok "eMMC pace (${took}s)"

echo "all ok"
