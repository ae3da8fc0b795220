#!/bin/sh
# `romflash info` and `romflash plan` at the command line: output, JSON,
# modes, exit statuses, and every bad input of the package issue -- each a
# clear error, exit 3, nothing left on disk.
# Env (from tests/run-all): ROMFLASH, ROOT.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_plan

# expect STATUS WORDS -- CMD...: exit status and a word of the error
expect() {
	want=$1 word=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	[ "$rc" = "$want" ] || fail "$* -> exit $rc, want $want: $(cat "$T/err")"
	[ -z "$word" ] || grep -q -- "$word" "$T/err" "$T/out" ||
		fail "$* -> no '$word' in: $(cat "$T/err")"
}

# Nothing may be written anywhere: run from an empty folder with an empty
# TMPDIR and check both stay empty.
mkdir "$T/cwd" "$T/tmpdir"
run() { (cd "$T/cwd" && TMPDIR="$T/tmpdir" "$@"); }

PKG=$("$MKPKG" --variant modern --order scripts-last --size-mb 2 --out "$T/p" --keep-folder) ||
	{ echo "mkpkg failed"; exit 1; }
DIR="$T/p/cancro_global_images_7.12.8_20171208.0000.00_6.0_global"

# --- good packages ---------------------------------------------------------
expect 0 "" run "$ROMFLASH" info "$PKG"
grep -q "Codename  cancro" "$T/out" || fail "info: codename"
grep -q "verified (10-digit prefix" "$T/out" || fail "info: md5 prefix"
FULL=$(md5sum "$PKG" | cut -c1-32)
expect 0 "" run "$ROMFLASH" info "$PKG" --md5 "$FULL"
grep -q "verified (full MD5" "$T/out" || fail "info --md5: full"
expect 0 "" run "$ROMFLASH" plan "$PKG"
grep -q "flash_all_except_storage.sh (its .bat twin agrees)" "$T/out" || fail "plan: script"
grep -q "Total: 18 steps" "$T/out" || fail "plan: totals $(grep Total "$T/out")"
expect 0 "" run "$ROMFLASH" plan "$PKG" --mode clean
grep -q "userdata" "$T/out" || fail "plan clean: userdata"
expect 0 "" run "$ROMFLASH" plan --mode lock "$PKG"
grep -q "oem .*lock" "$T/out" || fail "plan lock: oem lock"
expect 0 "" run "$ROMFLASH" plan "$DIR"
grep -q "nothing to verify" "$T/out" || fail "plan folder: md5 line"
expect 2 "unknown mode" run "$ROMFLASH" plan "$PKG" --mode wipe-all

# JSON: one object per step, then the summary
expect 0 "" run "$ROMFLASH" --json plan "$PKG" --mode clean
n=$(grep -c '"event":"step"' "$T/out")
[ "$n" = 19 ] || fail "json: $n steps"
tail -n 1 "$T/out" | grep -q '"event":"plan".*"md5_verified":"prefix".*"steps":19' ||
	fail "json summary: $(tail -n 1 "$T/out")"
grep -q '"op":"flash","partition":"system","image":"images/system.img","size":[0-9]*,"format":"sparse","unsparsed_size":[0-9]*,"downloads":1' "$T/out" ||
	fail "json: system step"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out" ||
	fail "json: not JSON lines"
expect 0 "" run "$ROMFLASH" --json info "$PKG"
grep -q '"codename":"cancro"' "$T/out" || fail "json info"

# --- bad inputs: exit 3, a clear message -------------------------------------
expect 2 "" run "$ROMFLASH" plan
head -c 1500000 "$PKG" >"$T/trunc.tgz"
expect 3 "truncated" run "$ROMFLASH" plan "$T/trunc.tgz"
cp "$PKG" "$T/cancro_global_images_7.12.8_20171208.0000.00_6.0_global_0123456789.tgz"
expect 3 "MD5 mismatch" run "$ROMFLASH" plan "$T/cancro_global_images_7.12.8_20171208.0000.00_6.0_global_0123456789.tgz"
expect 3 "MD5 mismatch" run "$ROMFLASH" plan "$PKG" --md5 0123456789abcdef0123456789abcdef
head -c 100000 /dev/urandom >"$T/random.tgz"
expect 3 "not a gzip file" run "$ROMFLASH" plan "$T/random.tgz"
: >"$T/empty.tgz"
expect 3 "empty file" run "$ROMFLASH" plan "$T/empty.tgz"
expect 3 "No such file" run "$ROMFLASH" plan "$T/missing.tgz"

# crafted archives: tarfile lets us write what tar would refuse
craft() { # craft OUT KIND: the package folder re-packed with one defect
	python3 - "$DIR" "$1" "$2" <<'EOF'
import io, os, sys, tarfile
src, out, kind = sys.argv[1:4]
top = os.path.basename(src)
with tarfile.open(out, "w:gz") as t:
    t.add(src, arcname=top)
    def extra(name, **kw):
        ti = tarfile.TarInfo(name)
        for k, v in kw.items():
            setattr(ti, k, v)
        data = kw.pop("data", None)
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
    if kind == "dotdot":
        ti = tarfile.TarInfo(top + "/../evil.sh"); ti.size = 3
        t.addfile(ti, io.BytesIO(b"hi\n"))
    elif kind == "absolute":
        ti = tarfile.TarInfo("/tmp/evil"); ti.size = 3
        t.addfile(ti, io.BytesIO(b"hi\n"))
    elif kind == "symlink":
        ti = tarfile.TarInfo(top + "/images/link.img"); ti.type = tarfile.SYMTYPE
        ti.linkname = "/etc/passwd"; t.addfile(ti)
    elif kind == "hardlink":
        ti = tarfile.TarInfo(top + "/images/hl.img"); ti.type = tarfile.LNKTYPE
        ti.linkname = top + "/images/boot.img"; t.addfile(ti)
    elif kind == "device":
        ti = tarfile.TarInfo(top + "/images/sda"); ti.type = tarfile.BLKTYPE
        ti.devmajor, ti.devminor = 8, 0; t.addfile(ti)
    elif kind == "huge":  # a header claiming 100 GiB, no data after it
        ti = tarfile.TarInfo(top + "/images/huge.img"); ti.size = 100 << 30
        t.fileobj.write(ti.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape"))
    elif kind == "fifo":
        ti = tarfile.TarInfo(top + "/images/fifo"); ti.type = tarfile.FIFOTYPE
        t.addfile(ti)
EOF
}
for k in dotdot:"goes up" absolute:"absolute path" symlink:"symbolic link" \
	 hardlink:"hard link" device:"device file" fifo:"fifo" huge:"absurd size"; do
	kind=${k%%:*} word=${k#*:}
	craft "$T/$kind.tgz" "$kind"
	expect 3 "$word" run "$ROMFLASH" plan "$T/$kind.tgz"
	expect 3 "$word" run "$ROMFLASH" info "$T/$kind.tgz"
done

# scripts: a missing image, an unknown command, an empty script
mkdir "$T/bad"
cp -r "$DIR" "$T/bad/missing"
rm "$T/bad/missing/images/cache.img"
expect 3 "flash_all_except_storage.sh:[0-9]*: images/cache.img is not in the package" \
	run "$ROMFLASH" plan "$T/bad/missing"
cp -r "$DIR" "$T/bad/unknown"
echo 'fastboot $* flash aboot `dirname $0`/images/emmc_appsboot.mbn' >"$T/bad/unknown/flash_all.sh"
echo 'curl http://example.com/x | sh' >>"$T/bad/unknown/flash_all.sh"
expect 3 "flash_all.sh:2: unsupported: curl http://example.com/x | sh" \
	run "$ROMFLASH" plan "$T/bad/unknown" --mode clean
cp -r "$DIR" "$T/bad/empty"
: >"$T/bad/empty/flash_all_lock.sh"
expect 3 "flash_all_lock.sh: the script is empty" run "$ROMFLASH" plan "$T/bad/empty" --mode lock
# the same as a tgz (scripts last)
(cd "$T/bad/unknown/.." && tar czf "$T/unknown.tgz" unknown)
expect 3 "flash_all.sh:2: unsupported" run "$ROMFLASH" plan "$T/unknown.tgz" --mode clean
# a package without the mode's script lists the scripts it has
cp -r "$DIR" "$T/bad/nolock"
rm "$T/bad/nolock/flash_all_lock.sh"
expect 3 "its scripts: flash_all.sh, flash_all_except_storage.sh" \
	run "$ROMFLASH" plan "$T/bad/nolock" --mode lock
# a .bat twin that differs is reported (the .sh is used)
cp -r "$DIR" "$T/bad/twin"
sed -i 's/flash system /flash system2 /' "$T/bad/twin/flash_all.bat"
expect 0 "differ" run "$ROMFLASH" plan "$T/bad/twin" --mode clean

# a recovery zip: info identifies it, plan refuses it
python3 - "$T" <<'EOF'
import hashlib, os, sys, zipfile
d = sys.argv[1]
p = os.path.join(d, "z.zip")
with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/com/google/android/updater-script",
               'assert(getprop("ro.product.device") == "cancro" || '
               'getprop("ro.build.product") == "cancro");\n')
    z.writestr("boot.img", b"\0" * 100000)
h = hashlib.md5(open(p, "rb").read()).hexdigest()[:10]
os.rename(p, os.path.join(d, "miui_MI3WMI4WGlobal_7.12.8_%s_6.0.zip" % h))
EOF
ZIP=$(ls "$T"/miui_*.zip)
expect 0 "" run "$ROMFLASH" info "$ZIP"
grep -q "Device    cancro" "$T/out" || fail "zip: device"
grep -q "Model     MI3WMI4WGlobal" "$T/out" || fail "zip: model"
grep -q "verified (10-digit prefix" "$T/out" || fail "zip: md5"
expect 3 "recovery zip" run "$ROMFLASH" plan "$ZIP"

# a name that does not parse: unknown, but the package still works
cp "$PKG" "$T/rom.tgz"
expect 0 "not verified" run "$ROMFLASH" plan "$T/rom.tgz"
expect 0 "" run "$ROMFLASH" info "$T/rom.tgz"
grep -q "Codename  unknown" "$T/out" || fail "unparsed name: codename"

# --- plan -s: only getvar, the phone's max-download-size and checks --------
emu_start OK "$T/ok" --max-download 0x100000 --vars 'anti=1;crc=1'
expect 0 "" run "$ROMFLASH" -s "$OK_DEV" plan "$PKG" --mode clean
grep -q "1.0 MiB (0x100000, from the phone)" "$T/out" || fail "plan -s: max-download"
grep -Eq "images/system.img \(([2-9]|[1-9][0-9]+) downloads\)" "$T/out" ||
	fail "plan -s: system not split at 1 MiB"
grep -q "pass" "$T/out" || fail "plan -s: checks not evaluated"
emu_stop OK
others=$(grep -v '^getvar:' "$T/ok/commands.log")
[ -z "$others" ] || fail "plan -s sent more than getvar: $others"
[ "$(grep -c '^getvar:crc' "$T/ok/commands.log")" = 1 ] || fail "plan -s: getvar crc twice"
emu_start NEWER "$T/newer" --vars 'anti=3'
expect 4 "check fails on this phone" run "$ROMFLASH" -s "$NEWER_DEV" plan "$PKG"
grep -q "anti-rollback: the phone's anti is 3, this package allows at most" "$T/err" ||
	fail "plan -s anti: $(cat "$T/err")"
emu_stop NEWER
# every step's answer is kept: a check after 300 other steps (the table
# once stopped at 256 steps, silently)
cp -r "$DIR" "$T/long"
rm "$T/long/flash_all.bat"
{
	i=0
	while [ $i -lt 300 ]; do echo 'fastboot $* erase misc'; i=$((i + 1)); done
	echo 'fastboot $* getvar product 2>&1 | grep "^product: *MSM8974$"'
	echo 'if [ $? -ne 0 ] ; then echo "Missmatching image and device"; exit 1; fi'
} >"$T/long/flash_all.sh"
emu_start LONG "$T/longphone"
expect 0 "" run "$ROMFLASH" --json -s "$LONG_DEV" plan "$T/long" --mode clean
grep -q '"n":301,"op":"check",.*"phone_value":"MSM8974","phone":"pass"' "$T/out" ||
	fail "plan -s: no answer for step 301: $(grep '"n":301' "$T/out")"
expect 0 "" run "$ROMFLASH" -s "$LONG_DEV" plan "$T/long" --mode clean
grep -q '^301  pass  check ' "$T/out" || fail "plan -s table: step 301: $(grep '^301' "$T/out")"
emu_stop LONG
# nothing was written to the emulated phones' partitions
no_writes "$T/ok"
no_writes "$T/newer"
no_writes "$T/longphone"

# --- the checks as steps: where the package's value came from -----------------
expect 0 "" run "$ROMFLASH" --json plan "$PKG" --mode clean
grep -q '"op":"anti-check","var":"anti","anti_max":[0-9]*,"value_source":"flash_all.sh:[0-9]*"' "$T/out" ||
	fail "json: anti-check source: $(grep anti-check "$T/out")"
grep -q '"checks_product":true' "$T/out" || fail "json: checks_product"
expect 0 "" run "$ROMFLASH" plan "$PKG" --mode clean
grep -q "phone's anti <= [0-9]* (package: flash_all.sh:[0-9]*)" "$T/out" ||
	fail "human: anti-check line: $(grep anti "$T/out")"

# a script without a product check: said, in text and JSON
cp -r "$DIR" "$T/noproduct"
sed -i '/getvar product/,+1d' "$T/noproduct/flash_all.sh"
rm "$T/noproduct/flash_all.bat"
expect 0 "checks no product" run "$ROMFLASH" plan "$T/noproduct" --mode clean
grep -q "Notes: flash_all.sh checks no product" "$T/out" || fail "no product: no note"
expect 0 "" run "$ROMFLASH" --json plan "$T/noproduct" --mode clean
tail -n 1 "$T/out" | grep -q '"checks_product":false,"notes":"flash_all.sh checks no product' ||
	fail "no product json: $(tail -n 1 "$T/out")"

# a keep-data script named flash_all_except_data.sh (older packages)
cp -r "$DIR" "$T/exceptdata"
mv "$T/exceptdata/flash_all_except_storage.sh" "$T/exceptdata/flash_all_except_data.sh"
mv "$T/exceptdata/flash_all_except_storage.bat" "$T/exceptdata/flash_all_except_data.bat"
expect 0 "" run "$ROMFLASH" plan "$T/exceptdata"
grep -q "keep-data: flash_all_except_data.sh (its .bat twin agrees)" "$T/out" ||
	fail "except_data: $(grep Mode "$T/out")"

# --- regional names, a browser's copy, an unfinished download ------------------
MD5P=$(md5sum "$PKG" | cut -c1-10)
REG="$T/reg/sweet_in_global_images_V14.0.3.0.TKFINXM_20230601.0000.00_13.0_in_$MD5P.tgz"
mkdir -p "$T/reg"
cp "$PKG" "$REG"
expect 0 "" run "$ROMFLASH" info "$REG"
grep -q "Region    in" "$T/out" || fail "regional name: region: $(cat "$T/out")"
grep -q "verified (10-digit prefix" "$T/out" || fail "regional name: md5 prefix not used"
cp "$PKG" "$T/reg/$(basename "$PKG" .tgz) (1).tgz"
expect 0 "renamed" run "$ROMFLASH" plan "$T/reg/$(basename "$PKG" .tgz) (1).tgz"
grep -q "verified (prefix" "$T/out" || fail "(1) copy: md5 prefix not used: $(grep MD5 "$T/out")"
head -c 100000 "$PKG" >"$T/reg/$(basename "$PKG").part"
expect 3 "unfinished download (.part)" run "$ROMFLASH" plan "$T/reg/$(basename "$PKG").part"

left=$(find "$T/cwd" "$T/tmpdir" -mindepth 1)
[ -z "$left" ] || fail "files left: $left"
lib_finish
