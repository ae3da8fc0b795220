#!/bin/sh
# The notes cannot rot silently: every relative link (and its #anchor),
# every tree path (protocol/fastboot.c, tests/emu/, tools/bench-*.sh), every
# bare source name (pkg_walk.c), every `function()` and every rf_*/RF_* name
# cited in docs/*.md exists in the tree (tests/docs_refs.py says how each is
# looked up).  First the checker itself is shown a note with one broken
# reference of each kind and must report all of them.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_docs_links
CHECK="$ROOT/tests/docs_refs.py"

# ---- the checker finds what is broken ---------------------------------------
mkdir -p "$T/docs"
cat >"$T/docs/bad.md" <<'NOTE'
# A note

See [the design](design.md), [a gone note](gone.md) and
[a heading](#a-note), [no heading](#nowhere).
`protocol/fastboot.c` is real, `protocol/fastbooot.c` is not; neither is
`tests/check_nothing_*.c` nor `flasher/{cli,nowhere}/`.
`sparse_scan.c` exists, `sparse_scam.c` does not.
`rf_fb_sync()` exists, `rf_fb_synk()` does not, nor `RF_FB_NO_SUCH_MS`.
NOTE
cp "$ROOT/docs/design.md" "$T/docs/design.md"
python3 "$CHECK" "$ROOT" "$T/docs/bad.md" >"$T/bad.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "a note with broken references: exit $rc, not 1"
for want in "gone.md: no such file" "no heading #nowhere" \
	"protocol/fastbooot.c: no such" "tests/check_nothing_\*.c: no such" \
	"flasher/{cli,nowhere}/: no such" "sparse_scam.c: no file" \
	"rf_fb_synk(): neither" "RF_FB_NO_SUCH_MS: not in"; do
	grep -q "$want" "$T/bad.out" || fail "the checker missed: $want"
done
n=$(grep -c '^FAIL:' "$T/bad.out")
[ "$n" -eq 8 ] || { fail "the checker reported $n broken references, not 8"; cat "$T/bad.out"; }

# ---- the notes -----------------------------------------------------------------
python3 "$CHECK" "$ROOT" >"$T/docs.out" 2>&1 || fail "docs/*.md cite what does not exist"
cat "$T/docs.out"
lib_finish
