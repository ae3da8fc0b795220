#!/bin/sh
# The catalog: data/catalog.txt is what tools/catalog-gen.py makes from the
# release pages in data/seeds/; the generator's refusals; `romflash catalog`
# (table, filters, --json); a user's file adds and overrides; a broken one
# is refused with its line.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_catalog
GEN="$ROOT/tools/catalog-gen.py"
export XDG_CONFIG_HOME="$T/config"
unset ROMFLASH_CATALOG

# --- the shipped catalog is the generator's output ------------------------------
python3 "$GEN" "$ROOT"/data/seeds/*.txt -o "$T/gen.txt" 2>"$T/gen.err" || fail "generator: $(cat "$T/gen.err")"
cmp -s "$T/gen.txt" "$ROOT/data/catalog.txt" || fail "data/catalog.txt is not what tools/catalog-gen.py makes: $(diff "$T/gen.txt" "$ROOT/data/catalog.txt" | head)"
[ "$(grep -c '^name: ' "$T/gen.txt")" = 6 ] || fail "12 cards of 6 files: $(grep -c '^name: ' "$T/gen.txt") entries"
grep -q "^device: MI 3 / Mi 4 Global; MI 3 Global$" "$T/gen.txt" || fail "duplicates' device names not joined"
# merging a page again changes nothing
python3 "$GEN" "$ROOT"/data/seeds/000_*.txt --merge "$T/gen.txt" -o "$T/gen2.txt" 2>/dev/null || fail "merge"
[ "$(grep -v '^#' "$T/gen2.txt")" = "$(grep -v '^#' "$T/gen.txt")" ] || fail "merge changed entries"

# --- the generator refuses what contradicts itself ------------------------------------
page="$ROOT/data/seeds/000_ac19e5becf66c30e.txt"
sed 's/7d3da389652f8fb5de458aadaca375b8/ffffffff652f8fb5de458aadaca375b8/' "$page" >"$T/badmd5.txt"
python3 "$GEN" "$T/badmd5.txt" -o "$T/x.txt" 2>"$T/x.err" && fail "generator took an MD5 contradicting the name"
grep -q "contradicts the name's prefix" "$T/x.err" || fail "generator: $(cat "$T/x.err")"
[ -e "$T/x.txt" ] && fail "generator wrote a catalog after an error"
awk 'BEGIN{n=0} /Release Date: <\/b>2017-12-08/{n++; if(n==2){sub("2017-12-08","2017-12-09")}} {print}' "$page" >"$T/disagree.txt"
python3 "$GEN" "$T/disagree.txt" >/dev/null 2>"$T/x.err" && fail "generator took two cards disagreeing about one file"
grep -q "date is" "$T/x.err" || fail "generator: $(cat "$T/x.err")"

# --- romflash catalog ------------------------------------------------------------
rf catalog >"$T/all.out" 2>&1 || fail "catalog: exit $?"
[ "$(grep -c '^cancro ' "$T/all.out")" = 6 ] || fail "catalog: $(cat "$T/all.out")"
rf catalog 7.3.23 --type fastboot >"$T/f.out" 2>&1 || fail "catalog 7.3.23: exit $?"
[ "$(grep -c '^cancro ' "$T/f.out")" = 2 ] || fail "catalog 7.3.23 --type fastboot: $(cat "$T/f.out")"
rf --json catalog cancro >"$T/all.json" || fail "catalog --json: exit $?"
python3 - "$T/all.json" <<'PY' || fail "catalog --json: $(head -c 400 "$T/all.json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 6 and all(e["event"] == "rom" for e in ev), ev
r = [e for e in ev if e["name"] == "miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip"][0]
assert r["md5"] == "7d3da389652f8fb5de458aadaca375b8" and r["region"] == "global", r
assert r["changelog"].startswith("[Highlights]\nNew - "), r["changelog"]
f = [e for e in ev if e["name"].startswith("cancro_images_7.3.23")][0]
assert f["md5"] is None and f["region"] == "cn" and f["type"] == "fastboot", f
PY

# --- a user's file adds and overrides; a broken one is refused ----------------------
mkdir -p "$XDG_CONFIG_HOME/romflash"
cat >"$XDG_CONFIG_HOME/romflash/catalog.txt" <<'CAT'
name: cancro_images_7.3.23_20170323.0000.00_6.0_cn_702eb114c6.tgz
url: https://mirror.invalid/cancro_images_7.3.23_20170323.0000.00_6.0_cn_702eb114c6.tgz
codename: cancro
version: 7.3.23
type: fastboot
region: cn
md5: 702eb114c6000000000000000000abcd

name: cancro_global_images_8.1.1_20180101.0000.00_7.0_global_0123456789.tgz
url: https://mirror.invalid/cancro_global_images_8.1.1_20180101.0000.00_7.0_global_0123456789.tgz
codename: cancro
version: 8.1.1
type: fastboot
region: global
CAT
rf -v catalog >"$T/user.out" 2>&1 || fail "user catalog: exit $?: $(cat "$T/user.out")"
[ "$(grep -c '^cancro ' "$T/user.out")" = 7 ] || fail "user catalog: not 7 entries"
grep -q "https://mirror.invalid/cancro_images_7.3.23" "$T/user.out" || fail "user catalog: no override"
# (the name under its row within 80 columns: compared with blanks squeezed)
tr -s ' \n' '  ' <"$T/user.out" | grep -q "702eb114c6 cancro_images_7.3.23" ||
	fail "user catalog: override MD5 not shown"
printf '\nname: x.tgz\ncolour: red\n' >>"$XDG_CONFIG_HOME/romflash/catalog.txt"
rf catalog >/dev/null 2>"$T/broken.err"
rc=$?
[ $rc = 2 ] || fail "broken user catalog: exit $rc, want 2"
grep -q "catalog.txt:17: unknown key 'colour'" "$T/broken.err" || fail "broken user catalog: $(cat "$T/broken.err")"
# a version lookup through it is refused the same way (nothing downloaded)
rf plan 7.3.23 >/dev/null 2>&1
[ $? = 2 ] || fail "plan VERSION with a broken catalog: want exit 2"
rm -rf "$XDG_CONFIG_HOME/romflash"

# --- versions: ambiguous, unknown ---------------------------------------------------
rf plan 7.3.23 >/dev/null 2>"$T/amb.err"
rc=$?
[ $rc = 2 ] || fail "ambiguous version: exit $rc, want 2"
grep -q "2 packages match (cn fastboot, global fastboot): choose with --region" "$T/amb.err" ||
	fail "ambiguous version: $(cat "$T/amb.err")"
rf info 6.6.6 >/dev/null 2>"$T/unk.err"
[ $? = 2 ] || fail "unknown version: want exit 2"

lib_finish
