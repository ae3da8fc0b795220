#!/usr/bin/env python3
"""Regenerate romflash's ROM catalog (data/catalog.txt) from release pages.

  tools/catalog-gen.py PAGE... [-o data/catalog.txt] [--merge CATALOG]

A PAGE is a text dump of a ROM release page (the format of
shared/seeds/*: front matter, then one "card" per download with Device,
Codename, Version, Branch, Type, Size, Release Date, Package Name, MD5,
Download and Changelog).  Every card becomes one entry; the same file
listed twice (on one page or several) is one entry, its device names
joined.  --merge starts from an existing catalog (so pages can be added a
few at a time).  The output is the format of docs/catalog.md, sorted by
codename, version, type and region, so that a regenerated catalog diffs
cleanly.

Fails (exit 1, nothing written) on a card it cannot read, a package name
that does not follow Xiaomi's patterns, an MD5 that contradicts the one in
the package name, or two cards that disagree about the same file.
Standard library only.
"""
import argparse
import html
import os
import re
import sys
import tempfile

FIELDS = ["name", "url", "codename", "version", "type", "region", "device",
          "branch", "android", "size", "date", "md5", "changelog"]

FASTBOOT_RE = re.compile(
    r"^(?P<codename>[a-z0-9]+)(?:_[a-z]+)*_images_(?P<version>[^_]+)_"
    r"(?P<build>[0-9]{8}\.[0-9.]+)_(?P<android>[0-9]+\.[0-9]+)_"
    r"(?P<tag>[a-z_]+?)(?:_(?P<md5>[0-9a-f]{10}))?\.tgz$")
RECOVERY_RE = re.compile(
    r"^miui_(?P<model>[A-Za-z0-9]+)_(?P<version>[^_]+)_(?P<md5>[0-9a-f]{10})_"
    r"(?P<android>[0-9]+\.[0-9]+)\.zip$")
# Regional builds' model suffixes (miui_MODEL_..., MODEL = family + tag + Global)
REGIONAL = ["EEA", "IN", "RU", "ID", "TR", "TW", "JP"]
CARD_FIELD_RE = re.compile(r"<b>\s*([A-Za-z0-9 ]+?):\s*</b>(.*?)</h5>", re.S)


class GenError(Exception):
    pass


def text_of(fragment):
    """Visible text of an HTML fragment, entities decoded, spaces folded."""
    t = re.sub(r"<[^>]*>", " ", fragment)
    return " ".join(html.unescape(t).split())


def region_of(name, kind, m):
    """Region from the package name: global, cn, or a regional tag."""
    if kind == "fastboot":
        tag = m.group("tag")
        if tag in ("global", "cn"):
            return tag
        return tag[:-len("_global")] if tag.endswith("_global") else tag
    model = m.group("model")
    if not model.endswith("Global"):
        return "cn"
    g = re.search(r"(%s)Global$" % "|".join(REGIONAL), model)
    return g.group(1).lower() if g else "global"


def parse_card(card, page, codename_fm):
    fields = {}
    for key, val in CARD_FIELD_RE.findall(card):
        fields[key.strip().lower()] = val
    url = re.search(r"window\.open\('([^']+)'", card)
    log = re.search(r'<p id="changelog_text">(.*?)</p>', card, re.S)
    need = ["device", "codename", "version", "type", "package name"]
    missing = [k for k in need if k not in fields]
    if missing or not url:
        raise GenError("%s: a download card without %s" %
                       (page, ", ".join(missing + ([] if url else ["download"]))))
    e = {
        "device": text_of(fields["device"]),
        "codename": text_of(fields["codename"]) or codename_fm,
        "version": text_of(fields["version"]),
        "branch": text_of(fields.get("branch", "")).lower(),
        "type": text_of(fields["type"]).lower(),
        "size": text_of(fields.get("size", "")),
        "date": text_of(fields.get("release date", "")),
        "name": text_of(fields["package name"]),
        "md5": text_of(fields.get("md5", "")).lower(),
        "url": html.unescape(url.group(1)).strip(),
    }
    if log:
        lines = [" ".join(html.unescape(re.sub(r"<[^>]*>", "", x)).split())
                 for x in re.split(r"<br\s*/?>", log.group(1))]
        e["changelog"] = "\n".join(x for x in lines if x)
    else:
        e["changelog"] = ""
    return check_entry(e, page)


def check_entry(e, where):
    name = e["name"]
    if e["type"] not in ("fastboot", "recovery"):
        raise GenError("%s: %s: unknown type %r" % (where, name, e["type"]))
    m = (FASTBOOT_RE if e["type"] == "fastboot" else RECOVERY_RE).match(name)
    if not m:
        raise GenError("%s: %s: not a Xiaomi %s package name" % (where, name, e["type"]))
    if m.group("version") != e["version"]:
        raise GenError("%s: %s: name says version %s, page says %s" %
                       (where, name, m.group("version"), e["version"]))
    if e["type"] == "fastboot" and m.group("codename") != e["codename"]:
        raise GenError("%s: %s: name says codename %s, page says %s" %
                       (where, name, m.group("codename"), e["codename"]))
    e["region"] = region_of(name, e["type"], m)
    e["android"] = m.group("android")
    if e["md5"] in ("", "unknown", "-", "n/a"):
        e["md5"] = "unknown"
    elif not re.fullmatch(r"[0-9a-f]{32}", e["md5"]):
        raise GenError("%s: %s: MD5 %r is not 32 hex digits" % (where, name, e["md5"]))
    elif m.group("md5") and not e["md5"].startswith(m.group("md5")):
        raise GenError("%s: %s: MD5 %s contradicts the name's prefix %s" %
                       (where, name, e["md5"], m.group("md5")))
    if not re.match(r"^https?://[^\s/]+/\S*$", e["url"]):
        raise GenError("%s: %s: bad download URL %r" % (where, name, e["url"]))
    if os.path.basename(e["url"].split("?")[0]) != name:
        raise GenError("%s: %s: the URL names another file: %s" % (where, name, e["url"]))
    if e["date"] and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", e["date"]):
        raise GenError("%s: %s: release date %r is not YYYY-MM-DD" % (where, name, e["date"]))
    return e


def merge(entries, e, where):
    """Add e; the same package name seen again must agree."""
    old = entries.get(e["name"])
    if old is None:
        entries[e["name"]] = e
        return
    for k in FIELDS:
        a, b = old.get(k, ""), e.get(k, "")
        if k == "device":
            names = [x for x in a.split("; ") if x]
            for x in b.split("; "):
                if x and x not in names:
                    names.append(x)
            old[k] = "; ".join(names)
        elif k == "md5" and "unknown" in (a, b):
            old[k] = b if a == "unknown" else a
        elif not a or not b:
            old[k] = a or b
        elif k == "changelog" and a != b:
            old[k] = a if len(a) >= len(b) else b  # one page may cut it short
        elif a != b:
            raise GenError("%s: %s: %s is %r here and %r elsewhere" %
                           (where, e["name"], k, b, a))


def parse_page(path):
    text = open(path, encoding="utf-8").read()
    fm = re.match(r"---\n(.*?)\n---\n", text, re.S)
    codename = ""
    if fm:
        c = re.search(r"^codename:\s*(\S+)", fm.group(1), re.M)
        codename = c.group(1) if c else ""
    cards = re.split(r'<div class="card card-body">', text)[1:]
    out = []
    for card in cards:
        if "Package Name" not in card:
            continue
        out.append(parse_card(card, path, codename))
    if not out:
        raise GenError("%s: no download cards found" % path)
    return out


def parse_catalog(path):
    """Read a catalog written by this tool (docs/catalog.md)."""
    entries, cur, last, lineno = [], {}, None, 0
    for line in open(path, encoding="utf-8").read().split("\n") + [""]:
        lineno += 1
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                entries.append(cur)
            cur, last = {}, None
            continue
        if line.startswith(" "):
            if last is None:
                raise GenError("%s:%d: continuation without a field" % (path, lineno))
            more = "" if line.strip() == "." else line[1:]
            cur[last] = cur[last] + "\n" + more if cur[last] else more
            continue
        k, sep, v = line.partition(":")
        if not sep:
            raise GenError("%s:%d: not 'key: value'" % (path, lineno))
        last = k.strip()
        cur[last] = v.strip()
    return [check_entry(e, path) for e in entries]


def sort_key(e):
    def vkey(v):
        return [(0, int(x), "") if x.isdigit() else (1, 0, x) for x in re.split(r"[.]", v)]
    return (e["codename"], vkey(e["version"]), e["type"], e["region"], e["name"])


def render(entries, sources):
    out = ["# romflash ROM catalog (format: docs/catalog.md).",
           "# Generated by tools/catalog-gen.py from: " + ", ".join(sources) + ".",
           "# Add or override entries in $XDG_CONFIG_HOME/romflash/catalog.txt",
           "# rather than here.", ""]
    for e in sorted(entries, key=sort_key):
        for k in FIELDS:
            v = e.get(k, "")
            if not v:
                continue
            lines = v.split("\n")
            if k == "changelog":
                out.append("changelog:")
                out += [" " + (x if x else ".") for x in lines]
            else:
                out.append("%s: %s" % (k, lines[0]))
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("pages", nargs="+")
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--merge", help="start from this catalog")
    a = ap.parse_args()
    entries = {}
    try:
        if a.merge:
            for e in parse_catalog(a.merge):
                merge(entries, e, a.merge)
        for p in a.pages:
            for e in parse_page(p):
                merge(entries, e, p)
    except (GenError, OSError, UnicodeDecodeError) as ex:
        print("catalog-gen: %s" % ex, file=sys.stderr)
        return 1
    text = render(entries.values(), [os.path.basename(p) for p in a.pages])
    if a.output == "-":
        sys.stdout.write(text)
        return 0
    d = os.path.dirname(os.path.abspath(a.output))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".catalog.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, a.output)
    print("catalog-gen: %d entries -> %s" % (len(entries), a.output), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
