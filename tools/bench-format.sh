#!/bin/sh
# `format` figures (docs/benchmarks.md): romflash flashing a package whose
# script is a product check, `format PART`, `reboot`, against a fresh TCP
# emulated phone per run that reports PART as ext4 of SIZE; then, for the
# cache, Debian's AOSP fastboot `format cache` (its mke2fs: tests/lib.sh
# aosp_fastboot).  Prints wall time, max RSS and bytes sent per run, and
# the medians.
#   BENCH_RUNS  runs of each (default 5)
#   BENCH_DIR   work folder (default /tmp/romflash-bench-format)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
RF="$ROOT/$B/romflash"
EMU="$ROOT/$B/romflash-emu"
RUNS=${BENCH_RUNS:-5}
DIR=${BENCH_DIR:-/tmp/romflash-bench-format}
EP=""
trap '[ -z "$EP" ] || kill "$EP" 2>/dev/null || true; rm -rf "$DIR"' EXIT INT TERM
rm -rf "$DIR"
mkdir -p "$DIR/tmp"
export ROMFLASH_LOCK_DIR="$DIR/locks" ROMFLASH_STATE_DIR="$DIR/state" TMPDIR="$DIR/tmp"

# emu PART SIZE: a fresh emulated phone in $DIR/st; $PORT
emu() {
	rm -rf "$DIR/st" "$DIR/st.port"
	mkdir -p "$DIR/st"
	"$EMU" --state "$DIR/st" --port 0 --port-file "$DIR/st.port" \
		--vars "partition-type:$1=ext4;partition-size:$1=$2" >"$DIR/emu.log" 2>&1 &
	EP=$!
	while [ ! -s "$DIR/st.port" ]; do sleep 0.05; done
	PORT=$(cat "$DIR/st.port")
}

# one LABEL CMD...: timed; prints and records "seconds KiB bytes"
one() {
	_l=$1
	shift
	/usr/bin/time -v "$@" >"$DIR/out" 2>"$DIR/time" || { cat "$DIR/out" "$DIR/time"; exit 1; }
	kill "$EP" 2>/dev/null || true
	wait "$EP" 2>/dev/null || true
	EP=""
	w=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$DIR/time" | awk -F: '{ print $(NF-1) * 60 + $NF }')
	m=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$DIR/time")
	s=$(sed -n 's/^download:\(.*\)/\1/p' "$DIR/st/commands.log" |
		while read -r h; do echo $((0x$h)); done | awk '{ s += $1 } END { print s + 0 }')
	echo "$_l: ${w} s, ${m} KiB max RSS, ${s} bytes sent"
	echo "$w $m $s" >>"$DIR/$_l.runs"
}

median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

summary() {
	echo "median $1: $(median "$DIR/$1.runs" 1) s wall, $(median "$DIR/$1.runs" 2) KiB max RSS, $(median "$DIR/$1.runs" 3) bytes sent"
}

for part in userdata:0x32B400000 cache:0x18000000; do
	p=${part%%:*} size=${part#*:}
	pkg="$DIR/pkg.$p/cancro_global_images_7.12.8_20171208.0000.00_6.0_global"
	mkdir -p "$pkg/images"
	cat >"$pkg/flash_all_except_storage.sh" <<EOF
fastboot \$* getvar product 2>&1 | grep "^product: *MSM8974\$"
if [ \$? -ne 0 ] ; then echo "Missmatching image and device"; exit 1; fi
fastboot \$* format $p
if [ \$? -ne 0 ] ; then echo "Format error"; exit 1; fi
fastboot \$* reboot
EOF
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		emu "$p" "$size"
		one "romflash-$p" "$RF" -s "tcp:127.0.0.1:$PORT" flash "$pkg" --yes
	done
	summary "romflash-$p"
done

# shellcheck source=../tests/lib.sh
. "$ROOT/tests/lib.sh"
if aosp_fastboot "$DIR/pt"; then
	i=0
	while [ $i -lt "$RUNS" ]; do
		i=$((i + 1))
		emu cache 0x18000000
		one aosp-cache "$DIR/pt/fastboot" -s "tcp:127.0.0.1:$PORT" format cache
	done
	summary aosp-cache
else
	echo "no AOSP fastboot: its part not run"
fi
