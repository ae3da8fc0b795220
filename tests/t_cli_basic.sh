#!/bin/sh
# romflash's single operations end to end against the emulated phone over
# TCP: devices, getvar (text and --json), flash-image (raw and sparse, split
# and not, a+b names), erase, reboot bootloader, reboot.  Every written
# partition is compared byte for byte with what a correct flash leaves there.
#
# The partitions are pre-filled with a pattern, so a flash that writes too
# little, too much, or zeros where it should keep old bytes shows up:
#  - raw image in one download: exactly its bytes, old content after;
#  - raw image split into sparse pieces: its bytes, zeros up to the end of
#    the last 4096-byte block (blocks are the unit of a sparse image), old
#    content after;
#  - sparse image: RAW/FILL chunks written, DONT_CARE keeps old content.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_cli_basic
need_tool img2simg simg2img
RF=$ROMFLASH
S=""

# every failure here ends the test: what follows builds on it
fail() {
	echo "FAIL: $*"
	for f in out err; do [ -s "$T/$f" ] && { echo "--- $f:"; tail -n 15 "$T/$f"; }; done
	[ -n "$S" ] && [ -f "$S.emu.log" ] && { echo "--- emulator:"; tail -n 10 "$S.emu.log"; }
	fails=$((fails + 1))
	lib_finish
}
ok() { echo "ok: $*"; }

# start_emu NAME ARGS...: emulator with state $T/NAME (may be pre-filled);
# sets PORT, EPID, S
start_emu() {
	name=$1; shift
	S=$T/$name
	emu_start E "$S" "$@"
	PORT=$E_PORT EPID=$E_PID
}

# rf ARGS...: romflash against the current emulator; must exit 0.
# stdout in $T/out, stderr in $T/err.
rf() {
	timeout 60 "$RF" -s "tcp:127.0.0.1:$PORT" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 124 ] && fail "romflash $* hung"
	[ $rc -eq 0 ] || fail "romflash $* exited $rc"
}

# pattern FILE SIZE BYTE_OCTAL: FILE of SIZE bytes, all BYTE
pattern() { head -c "$2" /dev/zero | tr '\0' "\\$3" >"$1"; }
rnd() { head -c "$2" /dev/urandom >"$1"; }
# put SRC DST OFFSET: write SRC into DST at OFFSET bytes, DST keeps its size
put() { dd if="$1" of="$2" bs=65536 seek="$3" oflag=seek_bytes conv=notrunc status=none; }

# prefill DIR NAME SIZE: partition file of SIZE with a 0x5a pattern over its
# first 8 MiB (the rest reads as zeros), and the same as DIR/NAME.expect
prefill() {
	mkdir -p "$1"
	pattern "$T/pat" $((8 << 20)) 132
	truncate -s "$3" "$1/$2.img"
	put "$T/pat" "$1/$2.img" 0
	cp "$1/$2.img" "$1/$2.expect"
}

# Log lines after line $1 that change the phone or move data.
log_since() { tail -n "+$(($1 + 1))" "$S/commands.log" | grep -E '^(download|flash|erase|reboot)'; }
log_len() { wc -l <"$S/commands.log"; }

# expect_pieces N PART MAXHEX: the new log is N x (download <= MAX, flash:PART)
expect_pieces() {
	log_since "$MARK" >"$T/log.new"
	lines=$(wc -l <"$T/log.new")
	[ "$lines" -eq $((2 * $1)) ] || fail "$2: expected $1 download(s), log: $(tr '\n' ' ' <"$T/log.new")"
	k=0
	while read -r line; do
		k=$((k + 1))
		if [ $((k % 2)) -eq 1 ]; then
			case "$line" in download:????????) ;; *) fail "$2: expected a download: $line" ;; esac
			[ $((0x${line#download:})) -le $(($3)) ] || fail "$2: $line exceeds $3"
		else
			[ "$line" = "flash:$2" ] || fail "$2: expected flash:$2, got $line"
		fi
	done <"$T/log.new"
}

cat >"$T/sparse.py" <<'EOF'
import struct, sys, random
def apply(base, simg):
    """Write sparse image `simg` onto file `base` the way a phone does."""
    with open(simg, 'rb') as f, open(base, 'r+b') as out:
        magic, major, minor, fhs, chs, bs, blks, chunks, _ = struct.unpack('<IHHHHIIII', f.read(28))
        assert magic == 0xed26ff3a and major == 1
        f.seek(fhs)
        blk = 0
        for _ in range(chunks):
            typ, _, n, tot = struct.unpack('<HHII', f.read(12))
            f.seek(chs - 12, 1)
            data = f.read(tot - chs)
            if typ == 0xcac1:
                out.seek(blk * bs); out.write(data)
            elif typ == 0xcac2:
                out.seek(blk * bs); out.write(data[:4] * (n * bs // 4))
            if typ != 0xcac4:
                blk += n
        assert blk == blks
def make(path, bs, chunks):
    """Hand-made sparse image: chunks of ('raw'|'fill'|'skip', blocks)."""
    body = b''
    rng = random.Random(7)
    for typ, n in chunks:
        if typ == 'raw':
            body += struct.pack('<HHII', 0xcac1, 0, n, 12 + n * bs) + rng.randbytes(n * bs)
        elif typ == 'fill':
            body += struct.pack('<HHII', 0xcac2, 0, n, 16) + b'\x44\x33\x22\x11'
        else:
            body += struct.pack('<HHII', 0xcac3, 0, n, 12)
    blks = sum(n for _, n in chunks)
    hdr = struct.pack('<IHHHHIIII', 0xed26ff3a, 1, 0, 28, 12, bs, blks, len(chunks), 0)
    open(path, 'wb').write(hdr + body)
if sys.argv[1] == 'apply':
    apply(sys.argv[2], sys.argv[3])
else:
    make(sys.argv[2], 4096, [('raw', 256), ('skip', 256), ('fill', 256), ('raw', 700),
                             ('skip', 300), ('raw', 100), ('fill', 1), ('skip', 179)])
EOF
sparse_apply() { python3 "$T/sparse.py" apply "$1" "$2" || fail "sparse_apply $2"; }

# check PART: the partition file equals what we computed
check() { cmp "$S/$1.expect" "$S/$1.img" >"$T/cmp" 2>&1 || fail "$1 differs: $(cat "$T/cmp")"; }

# ---- images ----
RAW_BIG=$(( (5 << 20) + 123 ))    # > max-download 4 MiB: split, not a 4096 multiple
RAW_SMALL=300007
rnd "$T/big.raw" $RAW_BIG
rnd "$T/small.raw" $RAW_SMALL
# sparse from img2simg: data, a 0xaa pattern, zero holes, a 100-byte island
truncate -s 12M "$T/persist.raw"
rnd "$T/r1" $((3 << 20)); put "$T/r1" "$T/persist.raw" 0
pattern "$T/r2" $((2 << 20)) 252; put "$T/r2" "$T/persist.raw" $((4 << 20))
rnd "$T/r3" 100; put "$T/r3" "$T/persist.raw" $((7 << 20))
rnd "$T/r4" 1500000; put "$T/r4" "$T/persist.raw" $((9 << 20))
img2simg "$T/persist.raw" "$T/persist.simg" || fail img2simg
# a small sparse image that fits one download, odd size
truncate -s 700001 "$T/cache.raw"
put "$T/r3" "$T/cache.raw" 0; put "$T/r3" "$T/cache.raw" 600000
img2simg "$T/cache.raw" "$T/cache.simg" || fail img2simg
# hand-made, with DONT_CARE chunks (img2simg never emits them), split
python3 "$T/sparse.py" make "$T/logo.simg" || fail "making logo.simg"

# ==== emulator 1: max-download 4 MiB, so big images are split ====
D=$T/e1
for p in recovery:16M boot:32M persist:16M cache:384M logo:8M modem:128M modem1:128M; do
	prefill "$D" "${p%%:*}" "${p#*:}"
done
start_emu e1 --max-download 0x400000 --reboot-delay 200

rf devices
grep -Eq '^EMU0001 +fastboot +MSM8974( |$)' "$T/out" || fail "devices row: $(cat "$T/out")"
rf --json devices
grep -q '"event":"device"' "$T/out" && grep -q '"serial":"EMU0001"' "$T/out" &&
	grep -q '"mode":"fastboot"' "$T/out" && grep -q '"product":"MSM8974"' "$T/out" ||
	fail "devices --json: $(cat "$T/out")"
ok devices

rf getvar product
[ "$(cat "$T/out")" = "product: MSM8974" ] || fail "getvar product: $(cat "$T/out")"
rf --json getvar product
[ "$(cat "$T/out")" = '{"event":"getvar","name":"product","value":"MSM8974"}' ] ||
	fail "getvar --json: $(cat "$T/out")"
rf getvar max-download-size
[ "$(cat "$T/out")" = "max-download-size: 0x00400000" ] || fail "max-download-size not trimmed: $(cat "$T/out")"
ok getvar

MARK=$(log_len)
rf flash-image recovery "$T/big.raw"
expect_pieces 2 recovery 0x400000
put "$T/big.raw" "$D/recovery.expect" 0
pad=$(( (4096 - RAW_BIG % 4096) % 4096 ))
head -c $pad /dev/zero >"$T/pad"; put "$T/pad" "$D/recovery.expect" $RAW_BIG
check recovery
ok "raw $RAW_BIG bytes split in 2, last block zero-padded, old content kept after"

MARK=$(log_len)
rf flash-image boot "$T/small.raw"
expect_pieces 1 boot 0x400000
grep -q "^download:$(printf %08x $RAW_SMALL)$" "$S/commands.log" || fail "small raw not sent as is"
put "$T/small.raw" "$D/boot.expect" 0
check boot
ok "raw $RAW_SMALL bytes in one download"

MARK=$(log_len)
rf flash-image persist "$T/persist.simg"
n=$(log_since "$MARK" | grep -c '^flash:')
[ "$n" -ge 2 ] || fail "persist.simg ($(stat -c %s "$T/persist.simg") bytes) not split"
expect_pieces "$n" persist 0x400000
sparse_apply "$D/persist.expect" "$T/persist.simg"
simg2img "$T/persist.simg" "$T/persist.unsparse" || fail simg2img
cmp -n "$(stat -c %s "$T/persist.unsparse")" "$T/persist.unsparse" "$D/persist.img" ||
	fail "persist differs from simg2img output"
check persist
ok "img2simg sparse split in $n"

MARK=$(log_len)
rf flash-image cache "$T/cache.simg"
expect_pieces 1 cache 0x400000
grep -q "^download:$(printf %08x "$(stat -c %s "$T/cache.simg")")$" "$S/commands.log" ||
	fail "small sparse not sent as is"
sparse_apply "$D/cache.expect" "$T/cache.simg"
check cache
ok "img2simg sparse in one download"

MARK=$(log_len)
rf --json flash-image logo "$T/logo.simg"
n=$(log_since "$MARK" | grep -c '^flash:')
[ "$n" -ge 2 ] || fail "logo.simg not split"
expect_pieces "$n" logo 0x400000
sparse_apply "$D/logo.expect" "$T/logo.simg"
check logo
python3 -c '
import json, sys
ev = [json.loads(l)["event"] for l in open(sys.argv[1]) if l.strip()]
assert "step_done" in ev and "step_failed" not in ev, ev
' "$T/out" || fail "flash-image --json output: $(cat "$T/out")"
ok "sparse with DONT_CARE split in $n (--json)"

MARK=$(log_len)
rf flash-image modem+modem1 "$T/big.raw"
expect_pieces 2 modem+modem1 0x400000
for p in modem modem1; do
	put "$T/big.raw" "$D/$p.expect" 0
	put "$T/pad" "$D/$p.expect" $RAW_BIG
	check $p
done
ok "a+b split"

MARK=$(log_len)
rf erase boot
[ "$(log_since "$MARK")" = "erase:boot" ] || fail "erase log: $(log_since "$MARK")"
cmp -n $((32 << 20)) "$D/boot.img" /dev/zero || fail "boot not erased"
[ "$(stat -c %s "$D/boot.img")" -eq $((32 << 20)) ] || fail "erased boot has the wrong size"
ok erase

rf reboot bootloader
[ "$(tail -n 1 "$S/commands.log")" = "reboot-bootloader" ] || fail "reboot-bootloader not sent"
i=0
until timeout 10 "$RF" -s "tcp:127.0.0.1:$PORT" getvar product >"$T/out" 2>"$T/err"; do
	i=$((i + 1)); [ $i -gt 40 ] && fail "emulator did not come back"
	sleep 0.1
done
[ "$(cat "$T/out")" = "product: MSM8974" ] || fail "getvar after reboot: $(cat "$T/out")"
check recovery
ok "reboot bootloader, back after $i retries"

# ==== emulator 2: the default max-download (768 MiB): nothing is split ====
D=$T/e2
prefill "$D" recovery 16M
prefill "$D" persist 16M
start_emu e2
rf getvar max-download-size
[ "$(cat "$T/out")" = "max-download-size: 0x30000000" ] || fail "default max-download-size: $(cat "$T/out")"
MARK=$(log_len)
rf flash-image recovery "$T/big.raw"
expect_pieces 1 recovery 0x30000000
put "$T/big.raw" "$D/recovery.expect" 0
check recovery
MARK=$(log_len)
rf flash-image persist "$T/persist.simg"
expect_pieces 1 persist 0x30000000
sparse_apply "$D/persist.expect" "$T/persist.simg"
check persist
ok "default max-download: raw and sparse in one download each"

rf reboot
[ "$(tail -n 1 "$S/commands.log")" = "reboot" ] || fail "reboot not sent"
i=0
while kill -0 "$EPID" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 60 ] && fail "emulator still running after reboot"
	sleep 0.05
done
[ "$(cat "$S/state")" = gone ] || fail "state after reboot: $(cat "$S/state")"
ok reboot

lib_finish
