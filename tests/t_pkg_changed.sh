#!/bin/sh
# A package changed on disk while it is being flashed (a flaky USB stick or
# SD card, another program rewriting it): one bit of boot.img's compressed
# data is flipped by the test after the verification pass, while the
# emulated phone (throttled) takes the first images.  romflash must stop
# before it commits a byte it did not verify: exit 3, "changed on disk
# since it was verified", and the phone never received flash:boot.  For a
# .tgz deflated as usual, one of stored blocks only, one of three gzip
# members, and an extracted folder (its boot.img changed in place).
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_pkg_changed

# 48 MB of images: at 4 MB/s the phone takes ~11 s, boot.img last; the
# read-ahead runs at most 16 MiB ahead of it, so boot.img is read well
# after the flip whatever the machine's load.
"$MKPKG" --size-mb 48 --seed 5 --out "$T/deflate" --keep-folder >/dev/null &
"$MKPKG" --size-mb 48 --seed 5 --out "$T/stored" --stored >/dev/null &
"$MKPKG" --size-mb 48 --seed 5 --out "$T/multi" --members 3 >/dev/null &
wait
DEFLATE=$(ls "$T"/deflate/*.tgz) || { echo "mkpkg failed"; exit 1; }
STORED=$(ls "$T"/stored/*.tgz) || { echo "mkpkg --stored failed"; exit 1; }
MULTI=$(ls "$T"/multi/*.tgz) || { echo "mkpkg --members failed"; exit 1; }
FOLDER=$(pkg_folder "$T/deflate")

# boot_offset FILE: a byte of a .tgz in the middle of boot.img's data as
# stored there (the compressed input that inflates to it), or the middle
# of a folder's images/boot.img.
boot_offset() {
	python3 - "$1" <<'EOF'
import os, sys, tarfile, zlib
path = sys.argv[1]
if open(path, "rb").read(2) != b"\x1f\x8b":  # the folder's boot.img
    print(os.path.getsize(path) // 2)
    sys.exit(0)
with tarfile.open(path, "r:gz") as t:
    m = next(m for m in t if m.name.endswith("/images/boot.img"))
    target = m.offset_data + m.size // 2
# the compressed offset where the inflated output reaches `target`
data = open(path, "rb").read()
pos = out = 0
while pos < len(data):
    d = zlib.decompressobj(31)
    member = data[pos:]
    i = 0
    while i < len(member) and not d.eof:
        out += len(d.decompress(member[i:i + 512]))
        i += 512
        if out >= target:
            print(pos + i - 256)
            sys.exit(0)
    pos += len(member) - len(d.unused_data)
sys.exit("boot.img not found")
EOF
}

# flip FILE OFFSET: XOR one byte with 0x10, in place
flip() {
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o); b = f.read(1)
f.seek(o); f.write(bytes([b[0] ^ 0x10])); f.close()' "$1" "$2"
}

# changed NAME PKG FILE_TO_FLIP: flash PKG, flip a byte of FILE_TO_FLIP
# once the phone took its first image, expect the refusal
changed() {
	name=$1 pkg=$2 file=$3
	st="$T/st.$name"
	off=$(boot_offset "$file") || { fail "$name: no boot.img offset"; return 1; }
	emu_start E "$st" --throttle 4
	rf -s "$E_DEV" flash "$pkg" --no-reboot >"$st.out" 2>"$st.err" &
	pid=$!
	i=0
	while ! grep -q '^flash:' "$st/commands.log" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	grep -q '^flash:' "$st/commands.log" || fail "$name: nothing flashed in 30 s"
	grep -q '^flash:boot' "$st/commands.log" &&
		fail "$name: boot was flashed before the flip: the test is too slow"
	flip "$file" "$off"
	wait $pid
	rc=$?
	emu_stop E
	[ $rc = 3 ] || fail "$name: exit $rc, want 3: $(tail -n 5 "$st.err")"
	grep -q "changed on disk since it was verified" "$st.err" ||
		fail "$name: no 'changed on disk' message: $(tail -n 5 "$st.err")"
	if grep -q '^flash:boot' "$st/commands.log"; then
		fail "$name: the phone received flash:boot from changed bytes"
	fi
	grep -q '^flash:tz' "$st/commands.log" || fail "$name: not even tz flashed"
	[ "$fails" -eq 0 ]
}

job deflate changed deflate "$DEFLATE" "$DEFLATE"
job stored changed stored "$STORED" "$STORED"
job multi changed multi "$MULTI" "$MULTI"
job folder changed folder "$FOLDER" "$FOLDER/images/boot.img"
wait_jobs

lib_finish
