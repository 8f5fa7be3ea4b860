#!/usr/bin/env python3
"""doc_excerpts.py DOC OUTDIR ROOT T PORT: check the output excerpts of DOC
(docs/guide.md's convention) against what its commands really printed.

OUTDIR/<basename DOC>.<LINE> holds the output of the command on line LINE.
Every excerpt line must match a line of that output, in order (a
subsequence).  Before comparing, both sides are normalized: the test's
paths become the documented ones (ROOT -> /var/lib/vsd, T/secret ->
/etc/vsd/secret), hex strings of 8+ characters become H, digits become
0, runs of blanks one blank.  "..." alone skips lines; "..." inside a line
matches anything.  Prints one line per mismatch; exits 1 if any."""
import os
import re
import sys


def norm(line, root=None, t=None, port=None):
    if root:
        line = line.replace(root, "/var/lib/vsd")
        line = line.replace(t + "/secret", "/etc/vsd/secret")
        line = re.sub(r"\bport %s\b" % port, "port 1725", line)
    line = re.sub(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,}\b", "H", line)
    line = re.sub(r"[0-9]+", "0", line)
    return " ".join(line.split())


def excerpts(doc):
    """(line number, command, [excerpt lines]) for each console command"""
    out, kind, cur = [], None, None
    with open(doc) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.startswith("```"):
                kind = None if kind is not None else line[3:].strip()
                cur = None
                continue
            if kind is None or not kind.startswith("console"):
                continue
            if line.startswith("# "):
                cur = (n, line[2:], [])
                out.append(cur)
            elif cur is not None and not cur[1].endswith("\\"):
                cur[2].append(line)
    return out


def main():
    doc, outdir, root, t, port = sys.argv[1:6]
    bad = 0
    for n, cmd, lines in excerpts(doc):
        path = os.path.join(outdir, "%s.%d" % (os.path.basename(doc), n))
        if not lines or not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            got = [norm(l, root, t, port) for l in f.read().splitlines()]
        i = 0
        for want in lines:
            if want.strip() == "...":
                continue
            parts = [re.escape(norm(p)) for p in want.split("...")]
            rx = re.compile("^" + ".*".join(parts) + "$")
            while i < len(got) and not rx.match(got[i]):
                i += 1
            if i == len(got):
                print("%s:%d: %s: output has no line %r (after the "
                      "lines matched before it)" % (doc, n, cmd, want))
                bad = 1
                break
            i += 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
