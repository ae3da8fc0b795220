#!/bin/sh
# `romflash flash` against a hostile world (issue 8), end to end over TCP
# into the emulated phone.  Each case must be refused before anything is
# written (or, for the messages, say what was actually sent):
#   swapped  another phone (serial) at the address of a failed flash:
#            --resume refuses it (exit 4), resumes the right one; a phone
#            without serial needs --confirm-phone
#   oversize images larger than their partition on a phone that reports
#            no sizes: sizes from the known cancro layout, from the
#            package's own GPT (exit 3, nothing written)
#   aries    a package for another phone whose script has no product
#            check (exit 4; --force-device flashes it); `info` says who it
#            is for
#   twice    a second romflash on a phone being flashed, during the first
#            one's reboot wait: exit 4 naming the holder; the first ends
#            with every byte right
#   anti     a one-off FAIL to getvar anti on a phone above the package's
#            version: retried, refused (exit 4)
#   nomd5    a .tgz whose name carries no MD5 (renamed): refused (exit 3,
#            nothing written) unless --md5 gives the right one; a wrong
#            --md5 is refused too
#   messages a refused tz download (nothing of tz was written, no "do NOT
#            unplug"), a refused reboot-bootloader, an erased partition
#            listed as erased, progress that cannot be saved (refused
#            before writing; --no-resume flashes)
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_flash_safety
need_tool img2simg simg2img
handled=0
ok() { echo "ok: $*"; handled=$((handled + 1)); }

"$MKPKG" --variant modern --order scripts-first --size-mb 8 --seed 11 --out "$T/mod" \
	--keep-folder >/dev/null &
"$MKPKG" --variant repartition --order scripts-first --size-mb 8 --seed 12 --out "$T/rep" \
	--keep-folder >/dev/null &
"$MKPKG" --variant repartition --order scripts-first --size-mb 8 --seed 13 --out "$T/gpt" \
	--keep-folder --gpt-size cache=0.1 >/dev/null &
wait
MOD=$(ls "$T"/mod/*.tgz) || { echo "mkpkg modern failed"; exit 1; }
REP=$(ls "$T"/rep/*.tgz) || { echo "mkpkg repartition failed"; exit 1; }
MODDIR=$(pkg_folder "$T/mod")
REPDIR=$(pkg_folder "$T/rep")
GPTDIR=$(pkg_folder "$T/gpt")
REPVARS="board_version=3.0"

# expect NAME RC WANTRC WORD FILE: exit status and a word of the message
expect() {
	[ "$2" = "$3" ] || { fail "$1: exit $2, want $3: $(cat "$5")"; return 1; }
	grep -qi -- "$4" "$5" || { fail "$1: no '$4' in: $(cat "$5")"; return 1; }
	return 0
}

# --- swapped: the resume is the phone's, not the address's -------------------
rf --json plan "$MOD" >"$T/mod.plan" || fail "plan"
emu_start A "$T/swap.a" --serial AAAA1111 --fail flash:system
port=$A_PORT dev=$A_DEV
rf -s "$dev" flash "$MOD" --no-reboot >"$T/swap.out" 2>"$T/swap.err"
expect "swap: the first flash" $? 1 "flash system" "$T/swap.err"
emu_stop A
emu_start B "$T/swap.b" --port "$port" --serial BBBB2222
rf -s "$dev" flash "$MOD" --no-reboot --resume >"$T/swap.out" 2>"$T/swap.err"
if expect "swap: resume on another phone" $? 4 "AAAA1111" "$T/swap.err"; then
	grep -q BBBB2222 "$T/swap.err" && ok "resume on another phone at the same address refused" ||
		fail "swap: the message does not name this phone: $(cat "$T/swap.err")"
fi
emu_stop B
no_writes "$T/swap.b"
emu_start A "$T/swap.a" --port "$port" --serial AAAA1111
rf -s "$dev" flash "$MOD" --no-reboot --resume >"$T/swap.out" 2>"$T/swap.err" ||
	fail "swap: the right phone's resume: $(cat "$T/swap.err")"
emu_stop A
check_partitions "$T/swap.a" "$MODDIR" "$T/mod.plan"

# a phone without a serial number cannot prove it is the same one
emu_start N "$T/noserial" --serial '' --fail flash:system
rf -s "$N_DEV" flash "$MOD" --no-reboot >"$T/ns.out" 2>"$T/ns.err"
expect "no serial: the first flash" $? 1 "flash system" "$T/ns.err"
n0=$(grep -cvE '^getvar' "$T/noserial/commands.log")
rf -s "$N_DEV" flash "$MOD" --no-reboot --resume >"$T/ns.out" 2>"$T/ns.err" </dev/null
if expect "no serial: resume unconfirmed" $? 4 "confirm-phone" "$T/ns.err"; then
	[ "$(grep -cvE '^getvar' "$T/noserial/commands.log")" = "$n0" ] &&
		ok "a phone without serial does not resume unconfirmed" ||
		fail "no serial: the unconfirmed resume wrote to the phone"
fi
rf -s "$N_DEV" flash "$MOD" --no-reboot --resume --confirm-phone >"$T/ns.out" 2>"$T/ns.err" ||
	fail "no serial: confirmed resume: $(cat "$T/ns.err")"
emu_stop N
check_partitions "$T/noserial" "$MODDIR" "$T/mod.plan"

# --- oversize: the Mi 4 reports no partition sizes ----------------------------
# sparse_total BLOCKS FILE: a sparse image of BLOCKS 4 KiB blocks (one RAW
# block, the rest DONT_CARE): small on disk, large on the phone
sparse_total() {
	python3 - "$2" "$1" <<'EOF'
import struct, sys
n = int(sys.argv[2])
body = struct.pack('<HHII', 0xcac1, 0, 1, 12 + 4096) + b'\x5a' * 4096
body += struct.pack('<HHII', 0xcac3, 0, n - 1, 12)
open(sys.argv[1], 'wb').write(struct.pack('<IHHHHIIII', 0xed26ff3a, 1, 0, 28, 12, 4096, n, 2, 0) + body)
EOF
}
emu_start O "$T/oversize"
# oversize NAME IMAGE MAKE...: the folder package with IMAGE replaced
oversize() {
	_n=$1 _img=$2
	shift 2
	rm -rf "$T/big.$_n"
	cp -r "$MODDIR" "$T/big.$_n/" || fail "copy"
	_d="$T/big.$_n"
	"$@" "$_d/images/$_img"
	rf -s "$O_DEV" flash "$_d" --no-reboot >"$T/o.out" 2>"$T/o.err"
	expect "oversize $_n" $? 3 "known cancro layout" "$T/o.err" && ok "oversize: $_n"
	rm -rf "$_d"
}
mkraw() { rm -f "$1"; truncate -s "$RAWSIZE" "$1"; }
oversize "1 GiB sparse cache" cache.img sparse_total $((262144))
oversize "2 GiB sparse system" system.img sparse_total $((524288))
# a folder is read whole before the plan is checked: 3 GiB of a hole file
# takes ~10 s here, more on a loaded machine
RF_TIMEOUT=120 RAWSIZE=3G oversize "3 GiB raw system" system.img mkraw
oversize "40 MB sparse boot" boot.img sparse_total $((40000000 / 4096))
emu_stop O
no_writes "$T/oversize"
# the package's own partition table (it writes it first): cache is 100 KiB
# there, its cache.img larger
emu_start G "$T/gpt.st" --vars "$REPVARS"
rf -s "$G_DEV" flash "$GPTDIR" --no-reboot >"$T/g.out" 2>"$T/g.err"
expect "package GPT" $? 3 "package's partition table" "$T/g.err" && ok "oversize for the package's GPT"
emu_stop G
no_writes "$T/gpt.st"

# --- aries: a package for another phone, its script checks nothing -----------
python3 - "$MODDIR" "$T/aries" <<'EOF' || fail "making the aries package"
import hashlib, os, shutil, subprocess, sys
src, out = sys.argv[1], sys.argv[2]
top = "aries_images_V7.1.2.0.JXACNBK_20160125.0000.13_4.1_cn"
os.makedirs(out, exist_ok=True)
dst = os.path.join(out, top)
shutil.copytree(src, dst)
for f in os.listdir(dst):
    p = os.path.join(dst, f)
    if f.endswith(".sh"):  # no product check at all
        lines = open(p).read().split("\n")
        keep = [l for l in lines if "getvar product" not in l and "Missmatching" not in l]
        open(p, "w").write("\n".join(keep))
    if f.endswith(".bat"):
        os.unlink(p)
open(os.path.join(dst, "misc.txt"), "w").write("product=aries\n")
tmp = os.path.join(out, "tmp.tgz")
subprocess.run(["tar", "czf", tmp, "-C", out, top], check=True)
md5 = hashlib.md5(open(tmp, "rb").read()).hexdigest()
os.rename(tmp, os.path.join(out, top + "_" + md5[:10] + ".tgz"))
shutil.rmtree(dst)
EOF
ARIES=$(ls "$T"/aries/*.tgz)
rf info "$ARIES" >"$T/info.out" 2>&1 || fail "info aries: $(cat "$T/info.out")"
if grep -q "^For  *aries" "$T/info.out" && grep -q "force-device aries" "$T/info.out"; then
	ok "info says the package is for aries"
else
	fail "info aries: $(cat "$T/info.out")"
fi
rf info "$MOD" >"$T/info.out" 2>&1
grep -q "^For  *cancro (Xiaomi Mi 3 / Mi 4: bootloader product MSM8974)" "$T/info.out" ||
	fail "info cancro: $(cat "$T/info.out")"
emu_start R "$T/aries.st"
rf -s "$R_DEV" flash "$ARIES" --no-reboot >"$T/a.out" 2>"$T/a.err"
expect "aries" $? 4 "aries" "$T/a.err" && ok "aries package refused on a cancro phone"
no_writes "$T/aries.st"
rf -s "$R_DEV" flash "$ARIES" --no-reboot --force-device aries >"$T/a.out" 2>"$T/a.err" ||
	fail "aries with --force-device: $(cat "$T/a.err")"
emu_stop R

# --- twice: one romflash per phone ----------------------------------------------
rf --json plan "$REP" >"$T/rep.plan" || fail "plan rep"
emu_start W "$T/twice" --reboot-delay 100 --vars "$REPVARS"
"$ROMFLASH" -s "$W_DEV" flash "$REP" --no-reboot >"$T/w1.out" 2>"$T/w1.err" &
first=$!
i=0
while ! grep -q '^reboot-bootloader' "$T/twice/commands.log" 2>/dev/null && [ $i -lt 400 ]; do
	sleep 0.05
	i=$((i + 1))
done
sleep 0.5 # the phone is back on the bus; the first romflash sleeps 5 s
rf -s "$W_DEV" flash "$MOD" --no-reboot >"$T/w2.out" 2>"$T/w2.err"
expect "a second romflash" $? 4 "being flashed by pid $first: romflash flash" "$T/w2.err" &&
	ok "a second romflash on the same phone refused, naming the first"
wait $first || fail "the first romflash: $(cat "$T/w1.err")"
emu_stop W
check_flash "$T/twice" "$REPDIR" "$T/rep.plan" --no-reboot

# --- anti: a one-off FAIL is not "version 0" -----------------------------------
emu_start X "$T/anti" --vars anti=5 --fail getvar:anti
rf -s "$X_DEV" flash "$MOD" --no-reboot >"$T/x.out" 2>"$T/x.err"
expect "anti after a FAIL" $? 4 "anti-rollback: the phone's anti is 5" "$T/x.err" &&
	ok "a one-off FAIL to getvar anti retried, then refused"
emu_stop X
no_writes "$T/anti"

# --- nomd5: a package that cannot be verified is not flashed ----------------
cp "$MOD" "$T/renamed-rom.tgz"
MODMD5=$(md5sum "$MOD" | cut -d' ' -f1)
emu_start M "$T/nomd5.st"
rf -s "$M_DEV" flash "$T/renamed-rom.tgz" --no-reboot >"$T/n.out" 2>"$T/n.err"
expect "no MD5 in the name" $? 3 "cannot be verified" "$T/n.err" &&
	ok "a package whose name carries no MD5: refused"
rf -s "$M_DEV" flash "$T/renamed-rom.tgz" --md5 00000000000000000000000000000000 \
	--no-reboot >"$T/n.out" 2>"$T/n.err"
expect "a wrong --md5" $? 3 "md5" "$T/n.err" && ok "a wrong --md5: refused"
no_writes "$T/nomd5.st"
rf -s "$M_DEV" flash "$T/renamed-rom.tgz" --md5 "$MODMD5" --no-reboot \
	>"$T/n.out" 2>"$T/n.err" || fail "the right --md5: $(cat "$T/n.err")"
emu_stop M
check_partitions "$T/nomd5.st" "$MODDIR" "$T/mod.plan"

# --- messages that tell what was sent -----------------------------------------
emu_start M "$T/msg.dl" --fail download
rf -s "$M_DEV" flash "$MOD" --no-reboot >"$T/m.out" 2>"$T/m.err"
if expect "refused tz download" $? 1 "nothing of tz was written" "$T/m.err"; then
	! grep -q "do NOT unplug" "$T/m.err" && ok "a refused tz download: nothing written, said so" ||
		fail "refused tz download: a bootloader warning: $(cat "$T/m.err")"
fi
emu_stop M
emu_start M "$T/msg.rb" --vars "$REPVARS" --fail reboot-bootloader
rf -s "$M_DEV" flash "$REP" --no-reboot >"$T/m.out" 2>"$T/m.err"
expect "refused reboot-bootloader" $? 1 "the phone refused to restart" "$T/m.err" &&
	ok "a refused reboot-bootloader"
emu_stop M
emu_start M "$T/msg.erase" --fail flash:misc
rf -s "$M_DEV" flash "$MOD" --no-reboot >"$T/m.out" 2>"$T/m.err"
if expect "erased" $? 1 "erased: boot" "$T/m.err"; then
	! grep -Eq "wrote: ([^;]*, )?boot(,|;|$)" "$T/m.err" && ok "an erased partition is listed as erased" ||
		fail "erased boot listed as written: $(cat "$T/m.err")"
fi
emu_stop M
emu_start M "$T/msg.state"
ROMFLASH_STATE_DIR=/proc/romflash-cannot rf -s "$M_DEV" flash "$MOD" --no-reboot \
	>"$T/m.out" 2>"$T/m.err"
expect "unwritable progress" $? 2 "cannot save progress" "$T/m.err" &&
	ok "progress that cannot be saved: refused before writing"
no_writes "$T/msg.state"
ROMFLASH_STATE_DIR=/proc/romflash-cannot rf -s "$M_DEV" flash "$MOD" --no-reboot \
	--no-resume >"$T/m.out" 2>"$T/m.err" || fail "--no-resume: $(cat "$T/m.err")"
emu_stop M
check_partitions "$T/msg.state" "$MODDIR" "$T/mod.plan"

echo "hostile cases handled: $handled"
lib_finish
