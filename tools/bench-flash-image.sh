#!/bin/sh
# flash-image figures: romflash vs Debian's AOSP fastboot writing the same
# 1 GiB sparse image to `system` of the emulated phone over TCP.
#
# The image: img2simg of a raw file of SIZE_MIB MiB, mostly random data with
# zero holes (one 4 MiB segment in 8, and the last 256 KiB of every data
# segment), written segment by segment so it needs no RAM.  The emulator
# runs with its default max-download-size (0x30000000 = 768 MiB), so a
# 1 GiB image must be split.  Each run starts from a fresh emulator state;
# the emulator spools every download to disk and writes the partition file,
# so its disk writes are part of both timings.  Both results are checked
# byte for byte against simg2img's output.
#
# Usage: tools/bench-flash-image.sh        (env: SIZE_MIB=1024 RUNS=3
#        DIR=/tmp/... ROMFLASH=build/romflash EMU=build/romflash-emu
#        KEEP=1 keeps DIR, STATE=DIR/state: the emulator's state, e.g.
#        STATE=/dev/shm/rf-bench-state to take the disk out of the figures)
# Prints one line per run and a summary; wall time and peak RSS come from
# GNU time (`/usr/bin/time -f '%e %M %U %S'`, the "Elapsed" and "Maximum resident
# set size" of `time -v`).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RF=${ROMFLASH:-$ROOT/build/romflash}
EMU=${EMU:-$ROOT/build/romflash-emu}
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-3}
DIR=${DIR:-$(mktemp -d /tmp/romflash-bench.XXXXXX)}
STATE=${STATE:-$DIR/state}
GNUTIME=/usr/bin/time
EPID=""

die() { echo "bench: $*" >&2; exit 1; }
cleanup() {
	[ -n "$EPID" ] && kill "$EPID" 2>/dev/null
	rm -rf "$STATE"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$RF" ] || die "$RF not built (make build/romflash)"
[ -x "$EMU" ] || die "$EMU not built (make build/romflash-emu)"
command -v fastboot >/dev/null || die "fastboot not installed (apt-get install fastboot)"
command -v img2simg >/dev/null || die "img2simg not installed (apt-get install android-sdk-libsparse-utils)"
if [ ! -x "$GNUTIME" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
[ -x "$GNUTIME" ] || die "GNU time not installed (apt-get install time)"
mkdir -p "$DIR"

RAW=$DIR/system.raw
IMG=$DIR/system.simg
EXPECT=$DIR/system.expect
if [ ! -s "$IMG" ]; then
	echo "bench: making a $SIZE_MIB MiB image in $DIR"
	python3 - "$RAW" "$SIZE_MIB" <<'PY' || die "writing $RAW"
import random, sys
seg, mib = 4 << 20, int(sys.argv[2])
rng = random.Random(1)
with open(sys.argv[1], 'wb') as f:
    f.truncate(mib << 20)
    for i in range(mib * (1 << 20) // seg):
        if i % 8 != 7:
            f.seek(i * seg)
            f.write(rng.randbytes(seg - (256 << 10)))
PY
	img2simg "$RAW" "$IMG" || die img2simg
	rm -f "$RAW"
fi
[ -s "$EXPECT" ] || simg2img "$IMG" "$EXPECT" || die simg2img
ISIZE=$(stat -c %s "$IMG")
ESIZE=$(stat -c %s "$EXPECT")
echo "bench: image $IMG: $ISIZE bytes sparse, $ESIZE bytes unsparsed"

start_emu() {
	rm -rf "$STATE" "$DIR/port"
	"$EMU" --state "$STATE" --port 0 --port-file "$DIR/port" >>"$DIR/emu.log" 2>&1 &
	EPID=$!
	i=0
	while [ ! -s "$DIR/port" ]; do
		i=$((i + 1)); [ $i -gt 200 ] && die "emulator did not start"
		sleep 0.05
	done
	PORT=$(cat "$DIR/port")
}
stop_emu() { kill "$EPID" 2>/dev/null; wait "$EPID" 2>/dev/null; EPID=""; }

verify() {
	part=$STATE/system.img
	cmp -n "$ESIZE" "$EXPECT" "$part" || die "$1: system differs from simg2img output"
	# only the allocated extents can hold non-zero bytes
	python3 - "$part" "$ESIZE" <<'PY' || die "$1: system not zero after the image"
import os, sys
fd, pos = os.open(sys.argv[1], os.O_RDONLY), int(sys.argv[2])
while True:
    try:
        pos = os.lseek(fd, pos, os.SEEK_DATA)
    except OSError:
        break
    end = os.lseek(fd, pos, os.SEEK_HOLE)
    while pos < end:
        b = os.pread(fd, min(end - pos, 1 << 20), pos)
        if b.count(0) != len(b):
            sys.exit("non-zero byte near offset %d" % pos)
        pos += len(b)
PY
}

# run TOOL: one timed flash with a fresh emulator; appends to $DIR/results
run() {
	start_emu
	cat "$IMG" >/dev/null # same page cache state for both tools
	sync # no write-back of the previous run during this one
	case $1 in
	romflash) set -- romflash "$RF" -s "tcp:127.0.0.1:$PORT" flash-image system "$IMG" ;;
	fastboot) set -- fastboot fastboot -s "tcp:127.0.0.1:$PORT" flash system "$IMG" ;;
	esac
	tool=$1; shift
	"$GNUTIME" -f '%e %M %U %S' -o "$DIR/time.out" "$@" >"$DIR/$tool.log" 2>&1 ||
		die "$tool failed: $(tail -n 3 "$DIR/$tool.log")"
	pieces=$(grep -c '^flash:system$' "$STATE/commands.log")
	stop_emu
	verify "$tool"
	read -r secs rss_kib usr sys <"$DIR/time.out"
	echo "$tool $secs $rss_kib $pieces $usr $sys" >>"$DIR/results"
	awk -v t="$tool" -v s="$secs" -v m="$rss_kib" -v p="$pieces" -v u="$usr" -v y="$sys" 'BEGIN {
		printf "%-9s %6.2f s wall (%5.2f user %5.2f sys)  peak RSS %5.1f MiB  %d downloads  verified\n",
			t, s, u, y, m / 1024, p }'
}

: >"$DIR/results"
r=0
while [ $r -lt "$RUNS" ]; do
	r=$((r + 1))
	echo "run $r/$RUNS"
	run romflash
	run fastboot
done

# median wall time of TOOL
median() {
	grep "^$1 " "$DIR/results" | awk '{ print $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
awk -v mr="$(median romflash)" -v mf="$(median fastboot)" '
	{ t[$1] += $2; n[$1]++; c[$1] += $5 + $6; if ($3 > m[$1]) m[$1] = $3
	  if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2 }
	END {
		printf "best wall: romflash %.2f s, fastboot %.2f s, ratio romflash/fastboot %.2f\n",
			lo["romflash"], lo["fastboot"], lo["romflash"] / lo["fastboot"]
		printf "median wall: romflash %.2f s, fastboot %.2f s, ratio romflash/fastboot %.2f (goal <= 1.0)\n",
			mr, mf, mr / mf
		printf "mean wall: romflash %.2f s, fastboot %.2f s, ratio %.2f\n",
			t["romflash"] / n["romflash"], t["fastboot"] / n["fastboot"],
			(t["romflash"] / n["romflash"]) / (t["fastboot"] / n["fastboot"])
		printf "mean CPU (user+sys): romflash %.2f s, fastboot %.2f s\n",
			c["romflash"] / n["romflash"], c["fastboot"] / n["fastboot"]
		printf "max peak RSS: romflash %.1f MiB (goal <= 32), fastboot %.1f MiB\n",
			m["romflash"] / 1024, m["fastboot"] / 1024
	}' "$DIR/results"
