#!/usr/bin/env python3
"""Build a vsnap archive from a JSON list of members, with a valid header
and seal: what an attacker who knows snapshots/FORMAT.md can forge.  Used
by the 3xx tests to craft hostile archives.

usage: 300-vsnap-mksnap.py SPEC.json OUT.tar.zst
SPEC: {"vs": "web1", "uid_count": 65536, "skel": "", "full": false,
       "members": [{"name": "root/", "type": "d", "mode": 493,
                    "uid": 0, "gid": 0, "data": "...", "zeros": N,
                    "link": "target", "size": N}, ...],
       "raw_seal": null}
type: f d l h (hard link) c b p.  "zeros": N appends N zero bytes to the
data, streamed (a bomb); "size" overrides the declared size.
"""
import hashlib
import io
import json
import subprocess
import sys
import tarfile

TYPES = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE,
         "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE, "b": tarfile.BLKTYPE,
         "p": tarfile.FIFOTYPE}


def esc(s):
    out = []
    for b in s.encode():
        if b <= 0x20 or b >= 0x7f or b == 0x5c:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
    return "".join(out)


class Zeros(io.RawIOBase):
    def __init__(self, head, n):
        self.head, self.n = head, n

    def readinto(self, b):
        if self.head:
            k = min(len(b), len(self.head))
            b[:k] = self.head[:k]
            self.head = self.head[k:]
            return k
        k = min(len(b), self.n)
        b[:k] = bytes(k)
        self.n -= k
        return k


def main():
    spec = json.load(open(sys.argv[1]))
    mtime = 1700000000
    seal = []
    entries = nbytes = 0
    z = subprocess.Popen(["zstd", "-q", "-c", "-T0", "-o", sys.argv[2]],
                         stdin=subprocess.PIPE)
    tf = tarfile.open(fileobj=z.stdin, mode="w|", format=tarfile.PAX_FORMAT)

    def add(name, typ, mode, uid, gid, data, zeros, link, size, meta, pad=0):
        nonlocal entries, nbytes
        ti = tarfile.TarInfo(name)
        ti.type = TYPES[typ]
        ti.mode = mode
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.mtime = mtime
        ti.linkname = link or ""
        real = len(data) + zeros if typ == "f" else 0
        ti.size = real
        declared = size if size is not None else real
        h = hashlib.sha256()
        h.update(("%s\n%s\n%o\n%d\n%d\n%d\n%d\n%s\n" % (
            name, typ, mode & 0o7777, uid, gid, mtime, declared,
            link or "")).encode())
        if typ == "f":
            h.update(data)
            left = zeros
            while left:
                k = min(left, 1 << 20)
                h.update(bytes(k))
                left -= k
        if size is not None:
            ti.size = size
        if pad:
            ti.pax_headers = {"comment": "A" * pad}
        tf.addfile(ti, Zeros(data, zeros) if typ == "f" else None)
        seal.append("%s %s" % (h.hexdigest(), esc(name)))
        if not meta:
            entries += 1
            nbytes += declared

    hdr = ("format vsnap 1\nvs %s\nid 20240101T000000Z\ncreated %d\n"
           "kind %s\nskel_id %s\nuid_count %d\nmessage hostile\n" % (
               spec.get("vs", "web1"), mtime,
               "full" if spec.get("full") else "skel",
               spec.get("skel_id") or "-", spec.get("uid_count", 65536)))
    add("vsnap/header", "f", 0o644, 0, 0, hdr.encode(), 0, None, None, True)
    skel = spec.get("skel", "")
    add("vsnap/skel", "f", 0o644, 0, 0, skel.encode(), 0, None, None, True)
    for m in spec["members"]:
        add(m["name"], m.get("type", "f"), m.get("mode", 0o644),
            m.get("uid", 0), m.get("gid", 0),
            m.get("data", "").encode(), m.get("zeros", 0), m.get("link"),
            m.get("size"), False, m.get("pax_pad", 0))
    nskel = len([l for l in skel.split("\n") if l])
    text = "".join(l + "\n" for l in seal)
    text += "entries %d\nbytes %d\nskel %d\nend\n" % (entries, nbytes, nskel)
    if spec.get("raw_seal") is not None:
        text = spec["raw_seal"]
    ti = tarfile.TarInfo("vsnap/seal")
    ti.size = len(text)
    ti.mtime = mtime
    tf.addfile(ti, io.BytesIO(text.encode()))
    tf.close()
    z.stdin.close()
    sys.exit(z.wait())


main()
