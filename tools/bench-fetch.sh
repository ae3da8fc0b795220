#!/bin/sh
# Download figures (docs/benchmarks.md), against Debian's nginx on 127.0.0.1:
#   1. `romflash fetch` of a BENCH_FETCH_MB (1024) MiB file against `curl -o`
#      then `md5sum`, alternating, BENCH_RUNS (3) times each: medians;
#   2. nginx throttled to 50 MB/s: `flash URL` of a package of BENCH_PKG_MB
#      (1600) MiB of images (mkpkg --compressible: a ~1 GB .tgz)
#      into the emulated phone, the time from the last downloaded byte
#      (nginx's log of when the response ended, $msec) to the first write
#      (the first `step_start` of a flash step, wall clock); the `fetched`
#      event's package_ready_after (download end -> package checked) too;
#   3. time to the first write of a second `flash URL` (the file cached)
#      against a first flash of the plain local file, from the start of the
#      process.
# Flashes are stopped once the first write began (the figure is taken).
# Usage: tools/bench-fetch.sh   (after make; uses build/romflash)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
. "$ROOT/tests/lib.sh"
lib_init bench-fetch
. "$ROOT/tests/fetch_lib.sh"
need_tool nginx openssl curl md5sum
RUNS=${BENCH_RUNS:-3}
MB=${BENCH_FETCH_MB:-1024}
PKG_MB=${BENCH_PKG_MB:-1600}
export XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
unset ROMFLASH_CATALOG
web_start 50m

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
secs() { # secs CMD...: wall seconds of CMD (output discarded)
	python3 -c 'import subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("%.3f" % (time.monotonic() - t))
sys.exit(r.returncode)' "$@"
}

# --- 1. fetch vs curl + md5sum ---------------------------------------------------
head -c $((MB << 20)) /dev/urandom >"$WWW/big.bin"
m=$(md5_of "$WWW/big.bin")
NAME="miui_MI3WMI4WGlobal_9.9.9_$(echo "$m" | cut -c1-10)_6.0.zip"
mv "$WWW/big.bin" "$WWW/$NAME"
cat "$WWW/$NAME" >/dev/null # served from page cache for both
: >"$T/f.times"
: >"$T/c.times"
for i in $(seq "$RUNS"); do
	sync
	secs "$ROMFLASH" fetch "$HTTP/$NAME" -o "$T/f" >>"$T/f.times" || echo "fetch failed" >&2
	rm -rf "$T/f"
	sync
	secs sh -c "curl -s -o '$T/c.bin' '$HTTP/$NAME' && md5sum '$T/c.bin'" >>"$T/c.times" ||
		echo "curl failed" >&2
	rm -f "$T/c.bin"
done
rm -f "$WWW/$NAME"
f=$(median <"$T/f.times")
c=$(median <"$T/c.times")
echo "1. ${MB} MiB from nginx: romflash fetch $(tr '\n' ' ' <"$T/f.times")-> median $f s;" \
	"curl -o + md5sum $(tr '\n' ' ' <"$T/c.times")-> median $c s; ratio $(echo "$f $c" | awk '{printf "%.2f", $1 / $2}')"

# --- 2 and 3. flash URL at 50 MB/s; time to the first write -----------------------------
"$MKPKG" --variant modern --order scripts-last --size-mb "$PKG_MB" --compressible --seed 5 --out "$T/pkg" >/dev/null ||
	{ echo "mkpkg failed"; exit 1; }
PKG=$(ls "$T"/pkg/*.tgz)
PNAME=$(basename "$PKG")
cp "$PKG" "$WWW/"

# first_write LABEL DEV ARGS...: runs romflash --json, stamps each event,
# stops it at the first write; prints "to_first_write first_write_wall_clock
# package_ready_after"
first_write() {
	_l=$1
	shift
	python3 - "$ROMFLASH" "$@" <<'PY'
import json, os, signal, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen([sys.argv[1], "--json"] + sys.argv[2:], stdout=subprocess.PIPE,
                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
ready = -1
out = None
for line in p.stdout:
    now = time.monotonic()
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "fetched":
        ready = e.get("package_ready_after", -1)
    if e.get("event") == "step_start" and e.get("op") in ("flash", "crc-flash"):
        out = (now - t0, time.time(), ready)
        break
p.send_signal(signal.SIGKILL)
p.wait()
if not out:
    sys.exit("no write")
print("%.3f %.6f %.3f" % out)
PY
}

: >"$T/last.times"
: >"$T/ready.times"
: >"$T/second.times"
: >"$T/local.times"
for i in $(seq "$RUNS"); do
	rm -rf "$XDG_CACHE_HOME"
	emu_start E "$T/st.a$i"
	r=$(first_write url -s "$E_DEV" flash "$HTTP/slow/$PNAME" --no-reboot) || echo "flash URL failed" >&2
	emu_stop E
	# nginx logs a response when its last byte went
	last=$(awk -v u="/slow/$PNAME" '$4 == u && $2 == 200 { t = $1 } END { print t }' \
		"$T/nginx/logs/timed.log")
	echo "$r $last" | awk '{ printf "%.3f\n", $2 - $4 }' >>"$T/last.times"
	echo "$r" | cut -d' ' -f3 >>"$T/ready.times"
	sync
	emu_start E "$T/st.b$i"
	r=$(first_write cached -s "$E_DEV" flash "$HTTP/slow/$PNAME" --no-reboot) || echo "flash cached failed" >&2
	emu_stop E
	echo "$r" | cut -d' ' -f1 >>"$T/second.times"
	sync
	emu_start E "$T/st.c$i"
	r=$(first_write local -s "$E_DEV" flash "$PKG" --no-reboot) || echo "flash local failed" >&2
	emu_stop E
	echo "$r" | cut -d' ' -f1 >>"$T/local.times"
	rm -rf "$T"/st.*
done
l=$(median <"$T/last.times")
s=$(median <"$T/second.times")
p=$(median <"$T/local.times")
echo "2. $(stat -c %s "$PKG" | awk '{printf "%.0f", $1 / 1048576}') MiB package at 50 MB/s:" \
	"last downloaded byte -> first write $(tr '\n' ' ' <"$T/last.times")-> median $l s" \
	"(download end -> package checked: $(tr '\n' ' ' <"$T/ready.times")s)"
echo "3. start -> first write: second flash of the cached file $(tr '\n' ' ' <"$T/second.times")-> median $s s;" \
	"first flash of the local file $(tr '\n' ' ' <"$T/local.times")-> median $p s; ratio $(echo "$s $p" | awk '{printf "%.2f", $1 / $2}')"
