#!/usr/bin/env python3
"""Print a VS tree the way a round trip must preserve it, one line per
object: path, type, mode, owner relative to BASE, size, mtime (ns),
symlink target, content hash, xattrs (ACL ids made relative), hard-link
group and whether the file is the skeleton's inode at that path.
Directory mtimes are included.  usage: 300-vsnap-tree.py ROOT BASE [SKEL]"""
import hashlib
import os
import stat
import struct
import sys

root, base = sys.argv[1], int(sys.argv[2])
skel = sys.argv[3] if len(sys.argv) > 3 else None
groups = {}


def rel(i):
    return i - base if base <= i < base + 65536 else "ext%d" % i


def acl(v):
    out = []
    for off in range(4, len(v), 8):
        tag, perm, i = struct.unpack("<HHI", v[off:off + 8])
        out.append("%d:%d:%s" % (tag, perm,
                                 rel(i) if tag in (2, 8) else "-"))
    return ",".join(out)


def xattrs(p):
    out = []
    for n in sorted(os.listxattr(p, follow_symlinks=False)):
        v = os.getxattr(p, n, follow_symlinks=False)
        out.append("%s=%s" % (n, acl(v) if n.startswith("system.posix_acl")
                              else v.hex()))
    return ";".join(out)


for d, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs + files) + ([""] if d == root else []):
        p = os.path.join(d, n) if n else d
        st = os.lstat(p)
        r = os.path.relpath(p, root)
        t = stat.S_IFMT(st.st_mode)
        line = [r, oct(st.st_mode), str(rel(st.st_uid)),
                str(rel(st.st_gid)), str(st.st_mtime_ns)]
        if stat.S_ISREG(t):
            h = hashlib.sha256(open(p, "rb").read()).hexdigest()
            line += [str(st.st_size), h]
            sk = False
            if skel:
                try:
                    k = os.lstat(os.path.join(skel, r))
                    sk = (k.st_ino, k.st_dev) == (st.st_ino, st.st_dev)
                except FileNotFoundError:
                    pass
            if sk:
                line.append("skel")
            elif st.st_nlink > 1:
                g = groups.setdefault(st.st_ino, r)
                line.append("links=%d group=%s" % (st.st_nlink, g))
        elif stat.S_ISLNK(t):
            line.append("-> " + os.readlink(p))
        if not stat.S_ISLNK(t):
            line.append(xattrs(p))
        print(" ".join(line))
