"""The JSON documents (docs/json-events.md, docs/plan-json.md) as the tests
read them, and checking what romflash emits against them.

  fields_of(cell)          the field names of a table cell: backquoted words
                           outside parentheses (inside them: values,
                           "`mode` (`fastboot`, ...)")
  events_table(doc)        {event: fields} of json-events.md's event table
                           (an event may have several rows)
  fields_after(doc, head)  the fields of the first table after a heading line
  check(lines, docs, where, bad, seen)
                           each line one JSON object whose event is in docs
                           and whose fields are documented for it; problems
                           appended to bad, the events by kind to seen;
                           returns the objects
Standard library only.
"""
import json
import re


def fields_of(cell):
    while re.search(r"\([^()]*\)", cell):
        cell = re.sub(r"\([^()]*\)", "", cell)
    return set(re.findall(r"`([a-z0-9_]+)`", cell))


def events_table(doc):
    table, in_table = {}, False
    for line in open(doc):
        if line.startswith("| event |"):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-"):
            continue
        table.setdefault(cells[0].strip("`"), set()).update(fields_of(cells[2]))
    return table


def fields_after(doc, heading):
    lines = open(doc).read().split("\n")
    i = next(k for k, l in enumerate(lines) if l.strip() == heading)
    out, started = set(), False
    for l in lines[i + 1:]:
        if l.startswith("|"):
            started = True
            first = l.strip().strip("|").split("|")[0].strip()
            if set(first) <= set("-") or first == "field":
                continue
            out |= fields_of(first)
        elif started:
            break
    return out


def check(lines, docs, where, bad, seen):
    objs = []
    for n, line in enumerate(lines, 1):
        try:
            e = json.loads(line)
        except ValueError:
            bad.append("%s:%d is not JSON: %r" % (where, n, line[:80]))
            continue
        objs.append(e)
        ev = e.get("event")
        if ev not in docs:
            bad.append("%s:%d: event %r is not documented" % (where, n, ev))
            continue
        extra = set(e) - {"event"} - docs[ev]
        if extra:
            bad.append("%s:%d: %s carries undocumented %s" % (where, n, ev, sorted(extra)))
        seen.setdefault(ev, []).append(e)
    return objs
