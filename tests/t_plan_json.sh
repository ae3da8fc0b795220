#!/bin/sh
# docs/plan-json.md against what `plan --json` and `info --json` emit:
# every line one JSON object; the first line of a plan its `effects`
# (fields as docs/json-events.md lists them), then its `step` lines, then
# the `plan` summary; every field the program emits is in the document's
# table for that object, and every field the document lists is emitted by
# one of the runs below (but those that need a script this test does not
# make: listed, with why).  Runs: the three modes of a modern package
# (MiFlash's names for two of them), with -s against an emulated phone, a
# kitkat package (its pauses and twins), a repartitioning one (its
# reboot-bootloader), an extracted folder, --md5, info
# of a package, a folder and a recovery zip.  Also: what each mode erases
# and relocks.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_plan_json
need_tool openssl

"$MKPKG" --variant modern --order scripts-first --size-mb 4 --seed 31 --out "$T/mod" \
	--keep-folder >/dev/null || { echo "mkpkg modern failed"; exit 1; }
"$MKPKG" --variant kitkat --order scripts-first --size-mb 4 --seed 32 --out "$T/kk" \
	>/dev/null || { echo "mkpkg kitkat failed"; exit 1; }
"$MKPKG" --variant repartition --order scripts-first --size-mb 4 --seed 33 --out "$T/rep" \
	>/dev/null || { echo "mkpkg repartition failed"; exit 1; }
REP=$(ls "$T"/rep/*.tgz)
MOD=$(ls "$T"/mod/*.tgz)
KK=$(ls "$T"/kk/*.tgz)
FOLDER=$(pkg_folder "$T/mod")
python3 "$ROOT/tests/fixtures/mkzip" --out "$T/zip" --key "$T/keys" --size-mb 1 >"$T/zip.out" ||
	{ echo "mkzip failed"; exit 1; }
ZIP=$(sed -n 1p "$T/zip.out")
MD5=$(md5sum "$MOD" | cut -d' ' -f1)

# p KIND FILE ARGS...: romflash --json ARGS into FILE (KIND: plan or info)
p() {
	_k=$1 _f=$2
	shift 2
	rf --json "$_k" "$@" >"$T/$_f.$_k" 2>>"$T/stderr" || fail "romflash $_k $*: $(tail -n 2 "$T/stderr")"
}
p plan keep "$MOD"
p plan clean "$MOD" --mode "clean all"
p plan lock "$MOD" --mode "Clean_All_And_Lock"
p plan md5 "$MOD" --md5 "$MD5"
p plan kitkat "$KK" --mode clean
p plan folder "$FOLDER"
p plan rep "$REP"
emu_start E "$T/e" --max-download 0x100000 --vars 'anti=1;crc=1'
p plan phone -s "$E_DEV" "$MOD" --mode clean
emu_stop E
p info tgz "$MOD"
p info folder "$FOLDER"
p info zip "$ZIP"

python3 - "$ROOT/docs/plan-json.md" "$ROOT/docs/json-events.md" "$T" "$ROOT/tests" <<'EOF' || fail "plan --json against docs/plan-json.md"
import glob, os, sys
sys.path.insert(0, sys.argv[4])
import json_docs
doc, events_doc, tmp = sys.argv[1:4]
docs = {
    "step": json_docs.fields_after(doc, "### `step`"),
    "plan": json_docs.fields_after(doc, "### `plan` (summary, last line)"),
    "info": json_docs.fields_after(doc, "## `info`"),
    "effects": json_docs.events_table(events_doc)["effects"],
}
bad, seen = [], {}
for path in sorted(glob.glob(os.path.join(tmp, "*.plan")) + glob.glob(os.path.join(tmp, "*.info"))):
    name = os.path.basename(path)
    evs = json_docs.check(open(path), docs, name, bad, seen)
    kinds = [e.get("event") for e in evs]
    if name.endswith(".plan"):
        want = ["effects"] + ["step"] * (len(evs) - 2) + ["plan"]
        if kinds != want:
            bad.append("%s: events %s, want effects, steps, plan" % (name, kinds))
    elif kinds != ["info"]:
        bad.append("%s: events %s, want one info" % (name, kinds))
    if name.endswith(".plan") and evs:
        steps = [e for e in evs if e.get("event") == "step"]
        eff = evs[0]
        # the steps effects names are those that carry an effect
        marked = [e["n"] for e in steps if "effect" in e]
        if eff.get("steps") != marked:
            bad.append("%s: effects steps %s, steps with an effect %s" % (name, eff.get("steps"), marked))
        wipes = eff.get("erases_user_data")
        mode = evs[-1].get("mode")
        if (mode in ("clean", "lock")) != wipes or (mode == "lock") != eff.get("relocks_bootloader"):
            bad.append("%s: mode %s but effects %s" % (name, mode, eff))
        if evs[-1].get("erases_user_data") != wipes:
            bad.append("%s: the summary and effects disagree" % name)
# fields the runs here cannot produce: grep -E patterns and security-patch
# checks (newer scripts: t_real_scripts), unchecked commands
# (t_unchecked_skip), a .bat twin that differs (t_plan);
# effects' command is oem/flashing's (t_flash_json); what a format step
# would make, with -s (t_format)
rare = {"step": {"pattern_flavor", "patch_max", "unchecked", "fs_type", "fs_size", "fs_tool",
                 "format_error"},
        "plan": {"bat_diff"}, "effects": {"command"}}
for ev, fields in sorted(docs.items()):
    got = set().union(*(set(e) for e in seen.get(ev, [])))
    never = sorted(fields - got - rare.get(ev, set()))
    if never:
        bad.append("%s: documented fields never emitted: %s" % (ev, never))
for b in bad:
    print("FAIL: " + b)
print("%d kinds checked: %s" % (len(seen), sorted(seen)))
sys.exit(1 if bad else 0)
EOF
lib_finish
