#!/bin/sh
# Real Xiaomi flash scripts (tests/fixtures/real/, unchanged) against what
# they really do.  Each device folder is packaged with small made-up images;
# then, for every mode script of the package:
#   reference: bash runs the script with Debian's AOSP fastboot against an
#              emulated phone A (ANDROID_SERIAL=tcp:..., so "$*" is empty);
#   romflash:  `plan -s` and `flash` against an identical emulated phone B.
# The commands phone B received must be those phone A received (getvar
# aside), every partition byte-identical, the plan's steps the same commands,
# and the .bat twin must agree (or the known real difference be reported).
# A `format` (latte's cache) is made by each side (AOSP fastboot with
# Debian's mke2fs: lib.sh aosp_fastboot), so there its downloads are one
# "FORMAT" in both command lists, and each side's filesystem is checked by
# e2fsck instead of compared byte for byte.
# One extra pair replays cancro's unchecked `erase DDR` failing.
#
# Prints one line per (device, mode): "same" or why not, and a summary.
# Env: REAL_ONLY=device to run one folder.
. "$(dirname "$0")/lib.sh"
lib_init t_real_scripts
REAL="$ROOT/tests/fixtures/real"
RF_TIMEOUT=120
PATH="$PATH:/usr/sbin:/sbin"

for tool in fastboot bash python3 e2fsck; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then fail "$tool missing (tools/deps.sh)"; lib_finish; fi
		echo "SKIP: t_real_scripts needs $tool (tools/deps.sh)"
		exit 0
	fi
done

# package DEVICE: $T/pkg.DEVICE/<top>/ and its .tgz (name with the MD5
# prefix); prints the .tgz path.  Made-up images for every images/ file a
# script names; the package's own text files as they were.
package() {
	python3 - "$REAL/$1" "$T/pkg.$1" "$1" <<'EOF'
import hashlib, os, random, re, shutil, subprocess, sys
src, out, dev = sys.argv[1:4]
top = "%s_global_images_V1.0.1.0.TESTMIX_20250101.0000.00_14.0_global" % dev
d = os.path.join(out, top)
os.makedirs(os.path.join(d, "images"))
rng = random.Random(dev)
names = set()
for f in sorted(os.listdir(src)):
    p = os.path.join(src, f)
    if os.path.isdir(p):
        shutil.copytree(p, os.path.join(d, f), dirs_exist_ok=True)
        continue
    shutil.copy(p, os.path.join(d, f))
    if f.endswith((".sh", ".bat")):
        # the images flash and boot lines name (the scripts' other files,
        # anti_version.txt..., are the package's own: kept, never made up)
        for line in open(p, errors="replace"):
            if re.search(r"fastboot\s.*\s(flash|boot)\s", line):
                for m in re.finditer(r"images[/\\]+([A-Za-z0-9._+-]+)", line):
                    names.add(m.group(1))
for n in sorted(names):
    p = os.path.join(d, "images", n)
    if os.path.exists(p):
        continue
    size = rng.choice([4096, 8192, 12288]) + rng.choice([0, 0, 1, 513, 2047])
    data = rng.randbytes(size)
    if "boot" in n or "recovery" in n:  # fastboot boot wraps anything else
        data = b"ANDROID!" + data[8:]
    if n == "gpt_both0.bin":  # a partition table romflash checks: a real one
        from importlib.machinery import SourceFileLoader
        data = SourceFileLoader("mkpkg", os.path.join(os.path.dirname(src), "..", "mkpkg")) \
            .load_module().gpt_image({})
    with open(p, "wb") as f:
        f.write(data)
tgz = os.path.join(out, top + ".tgz")
subprocess.run(["tar", "czf", tgz, "-C", out, top], check=True)
md5 = hashlib.md5(open(tgz, "rb").read()).hexdigest()[:10]
final = os.path.join(out, "%s_%s.tgz" % (top, md5))
os.rename(tgz, final)
print(final)
EOF
}

product_of() { [ "$1" = cancro ] && echo MSM8974 || echo "$1"; }

mode_of() {
	case $1 in
	flash_all.sh) echo clean ;;
	flash_all_lock.sh) echo lock ;;
	*) echo keep-data ;;
	esac
}

# the phone: the product the scripts check, slots for set_active, the CRC
# lists, a patch level older than any package's, partition types (a cache
# to format)
PHONE_VARS='crc=1;slot-count=2;security-patch-level=2024-01-01;partition-type:opconfig=raw'
PHONE_VARS="$PHONE_VARS;partition-type:cache=ext4;partition-size:cache=0x18000000"
# bash's fastboot: Debian's, with the mke2fs it runs for `format`
aosp_fastboot "$T/pt" || { fail "cannot set up AOSP fastboot for format"; lib_finish; }

# non-getvar lines of a phone's commands.log
commands() { grep -v '^getvar:' "$1/commands.log" 2>/dev/null; }

# the commands the plan says phone B gets (from `plan -s --json`)
plan_commands() {
	python3 - "$1" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") != "step":
        continue
    op = e["op"]
    if e.get("phone") == "no":
        continue
    if op in ("flash", "crc-flash"):
        if e["downloads"] != 1:
            print("MULTI")
        print("download:%08x" % e["size"])
        print("flash:" + e["partition"])
    elif op == "boot":
        print("download:%08x" % e["size"])
        print("boot")
    elif op == "erase":
        print("erase:" + e["partition"])
    elif op == "oem":
        print("oem " + e["arg"])
    elif op == "set_active":
        print("set_active:" + e["arg"])
    elif op in ("reboot", "reboot-bootloader"):
        print(op)
    elif op == "format":
        print("FORMAT " + e["partition"])
EOF
}

# same_images DIR_A DIR_B [PART...]: the same partitions, byte for byte
# (holes of the emulator's sparse partition files are skipped, not read),
# but the PARTs (filesystems each side made)
same_images() { _lib_py same "$@"; }

# formats PLANJSON: the partitions the plan formats
formats() {
	python3 -c 'import json, sys
for e in map(json.loads, open(sys.argv[1])):
    if e.get("event") == "step" and e["op"] == "format":
        print(e["partition"])' "$1"
}

# fold_formats FILE PART...: each PART's "download:"/"flash:PART" pairs (a
# filesystem made on the host: its size is the maker's) as one "FORMAT PART"
fold_formats() {
	python3 - "$@" <<'EOF'
import sys
path, parts = sys.argv[1], set(sys.argv[2:])
lines, out, i = open(path).read().split("\n"), [], 0
while i < len(lines):
    p = lines[i + 1][6:] if i + 1 < len(lines) and lines[i + 1].startswith("flash:") else None
    if lines[i].startswith("download:") and p in parts:
        if out[-1:] != ["FORMAT " + p]:
            out.append("FORMAT " + p)
        i += 2
        continue
    out.append(lines[i])
    i += 1
open(path, "w").write("\n".join(out))
EOF
}

pairs=0; same=0; planned=0; refused=""
# run_pair DEV SCRIPT LABEL [emulator options...]
run_pair() {
	dev=$1 script=$2 label=$3
	shift 3
	pairs=$((pairs + 1))
	mode=$(mode_of "$script")
	top=$(dirname "$PKG")/$(basename "$PKG" .tgz | sed 's/_[0-9a-f]\{10\}$//')
	a="$T/$label.A" b="$T/$label.B"
	opts="--product $(product_of "$dev") --other-partitions 1 --reboot-delay 300"
	# shellcheck disable=SC2086
	emu_start A "$a" $opts --vars "$PHONE_VARS" "$@"
	(cd "$T" && PATH="$T/pt:$PATH" ANDROID_SERIAL="$A_DEV" timeout -k 2 180 \
		bash "$top/$script" >"$a.out" 2>&1)
	bash_rc=$?
	emu_wait_gone A 3 || emu_stop A
	# shellcheck disable=SC2086
	emu_start B "$b" $opts --vars "$PHONE_VARS" "$@"
	rf --json -s "$B_DEV" plan "$PKG" --mode "$mode" >"$b.plan" 2>"$b.plan.err"
	plan_rc=$?
	rf -s "$B_DEV" flash "$PKG" --mode "$mode" --yes >"$b.out" 2>"$b.err" </dev/null
	rf_rc=$?
	emu_wait_gone B 3 || emu_stop B
	why=""
	if [ "$plan_rc" != 0 ]; then
		why="plan refused (exit $plan_rc): $(tail -n 1 "$b.plan.err")"
	elif [ "$rf_rc" != "$bash_rc" ] && { [ "$rf_rc" = 0 ] || [ "$bash_rc" = 0 ]; }; then
		why="romflash exit $rf_rc, bash $bash_rc: $(grep error "$b.err" | head -n 1)"
	fi
	[ -z "$why" ] && planned=$((planned + 1))
	if [ -z "$why" ]; then
		made=$(formats "$b.plan")
		commands "$a" >"$a.cmds"
		commands "$b" >"$b.cmds"
		# shellcheck disable=SC2086
		fold_formats "$a.cmds" $made
		# shellcheck disable=SC2086
		fold_formats "$b.cmds" $made
		plan_commands "$b.plan" >"$b.plancmds"
		for p in $made; do
			for d in "$a" "$b"; do
				[ ! -f "$d/$p.img" ] || e2fsck -fn "$d/$p.img" >/dev/null 2>&1 ||
					why="$why$d/$p.img is no clean ext4; "
			done
		done
		# shellcheck disable=SC2086 # $made: partition names, one word each
		if [ -n "$why" ]; then
			:
		elif ! cmp -s "$a.cmds" "$b.cmds"; then
			why="commands differ: $(diff "$a.cmds" "$b.cmds" | head -n 4 | tr '\n' ' ')"
		elif ! cmp -s "$a.cmds" "$b.plancmds"; then
			why="the plan says otherwise: $(diff "$a.cmds" "$b.plancmds" | head -n 4 | tr '\n' ' ')"
		elif ! d=$(same_images "$a" "$b" $made); then
			why="bytes differ: $d"
		fi
	fi
	if [ -z "$why" ]; then
		same=$((same + 1))
		echo "$label ($mode, $script): same commands and bytes as bash + fastboot (exit $bash_rc)"
	else
		echo "$label ($mode, $script): $why"
		refused="$refused
  $label: $why"
	fi
	[ -n "$why" ] && return 1
	return 0
}

# expect_pair: the pair must match (the known exceptions are listed here)
for dir in "$REAL"/*/; do
	dev=$(basename "$dir")
	[ -n "${REAL_ONLY:-}" ] && [ "$dev" != "$REAL_ONLY" ] && continue
	PKG=$(package "$dev") || { fail "$dev: packaging"; continue; }
	for s in "$dir"*.sh; do
		script=$(basename "$s")
		run_pair "$dev" "$script" "$dev.${script%.sh}" || fail "$dev/$script"
		# the .bat twin: the same commands, or the difference reported
		diff=$(python3 -c 'import json,sys; [print(e.get("bat_diff") or "") for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "plan"]' \
			"$T/$dev.${script%.sh}.B.plan" 2>/dev/null)
		bat=$(python3 -c 'import json,sys; [print(e.get("bat") or "") for e in map(json.loads, open(sys.argv[1])) if e.get("event") == "plan"]' \
			"$T/$dev.${script%.sh}.B.plan" 2>/dev/null)
		case "$dev/$script" in
		tanzanite/flash_all.sh) # the .bat flashes lk_ab after rescue
			echo "$diff" | grep -q "lk_ab" || fail "$dev: the .bat's real difference not reported: '$diff'" ;;
		piano/*) # the .bats flash idmanager_ab earlier than the .sh
			echo "$diff" | grep -q "idmanager_ab" || fail "$dev: the .bat's real difference not reported: '$diff'" ;;
		latte/*) # the .bat does not flash userdata.img into data
			echo "$diff" | grep -q "data" || fail "$dev: the .bat's real difference not reported: '$diff'" ;;
		*)
			[ -z "$diff" ] || fail "$dev/$script: .bat twin reported as differing: $diff" ;;
		esac
		[ -n "$bat" ] && echo "  twin $bat: ${diff:-agrees}"
	done
done

# cancro's `erase DDR` is not checked by its script: when the phone refuses
# it, bash goes on, and so must romflash (a warning, the same commands)
if [ -z "${REAL_ONLY:-}" ] || [ "$REAL_ONLY" = cancro ]; then
	PKG=$(ls "$T"/pkg.cancro/*.tgz)
	run_pair cancro flash_all.sh cancro.ddrfail --fail erase:DDR || fail "cancro: a failed erase DDR"
	grep -q "does not stop on it" "$T/cancro.ddrfail.B.err" ||
		fail "cancro: no warning for the failed erase DDR: $(cat "$T/cancro.ddrfail.B.err")"
	grep -q "^erase:DDR" "$T/cancro.ddrfail.B.cmds" || fail "cancro: erase DDR not sent"
fi

echo "real scripts: $pairs (device, mode) pairs; $planned planned and flashed; $same with the same commands and bytes as bash + fastboot"
[ -n "$refused" ] && echo "not the same:$refused"
lib_finish
