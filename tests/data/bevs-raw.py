#!/usr/bin/env python3
"""bevs-raw.py SOCKET VS: hostile clients of vsd's bevs socket
(src/lib/bevsproto.h), run as a member of admin_group.  Each case must be
refused with a FAILED message (or the connection closed) and run nothing;
a valid request sent with a host directory fd attached must not hand that
fd to the command; a SIGNAL other than HUP/INT/TERM/QUIT is not sent.
Prints one line per case; exit status 1 if any case misbehaved."""
import array, os, socket, struct, sys

SOCK, VS = sys.argv[1], sys.argv[2]
MAGIC, VERSION = 0x73766562, 1
PTY, ARGV = 1, 2
HDR = "@IIIHH33s33s64sII"
MSG = "@IIii1024s"
STARTED, FAILED, EXITED, SIGNAL = 1, 2, 3, 4
bad = 0


def req(name=VS, argv=None, flags=None, magic=MAGIC, version=VERSION,
        argc=None, argv_len=None, user=b"", term=b"", raw_name=None):
    blob = b"".join(a.encode() + b"\0" for a in (argv or []))
    if flags is None:
        flags = ARGV if argv else 0
    hdr = struct.pack(HDR, magic, version, flags, 24, 80,
                      raw_name if raw_name is not None else name.encode(),
                      user, term,
                      len(argv or []) if argc is None else argc,
                      len(blob) if argv_len is None else argv_len)
    return hdr + blob


def recv(s):
    fds = array.array("i")
    try:
        data, anc, _, _ = s.recvmsg(struct.calcsize(MSG),
                                    socket.CMSG_SPACE(8 * 4))
    except (ConnectionResetError, socket.timeout):
        return None, []
    for level, typ, d in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(d[:len(d) - len(d) % 4])
    if len(data) != struct.calcsize(MSG):
        return None, list(fds)
    m = struct.unpack(MSG, data)
    return (m[1], m[2], m[3], m[4].split(b"\0")[0].decode()), list(fds)


def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(15)
    s.connect(SOCK)
    return s


def refused(desc, payload):
    global bad
    s = connect()
    s.send(payload)
    m, fds = recv(s)
    for fd in fds:
        os.close(fd)
    if m is None or (m[0] == FAILED and not fds):
        print("refused: %s (%s)" % (desc, m[3] if m else "closed"))
    else:
        print("NOT REFUSED: %s: %r" % (desc, m))
        bad = 1
    s.close()


refused("a 3-byte message", b"abc")
refused("wrong magic", req(argv=["true"], magic=0x41414141))
refused("wrong version", req(argv=["true"], version=99))
refused("unknown flag", req(argv=["true"], flags=ARGV | 0x80))
refused("name without its NUL", req(argv=["true"], raw_name=b"a" * 33))
refused("name '../x'", req(name="../x", argv=["true"]))
refused("name '.'", req(name=".", argv=["true"]))
refused("user '../../etc'", req(argv=["true"], user=b"../../etc"))
refused("TERM with a slash", req(argv=["true"], term=b"../../x"))
refused("argc larger than the strings", req(argv=["true"], argc=5))
refused("argc 0 with ARGV", req(argv=["true"], argc=0))
refused("argv_len past the message", req(argv=["true"], argv_len=4000))
refused("argv without its last NUL", req(argv=["true"])[:-1])
refused("argv_len beyond the maximum", req(argv=["true"], argv_len=1 << 20))
refused("an empty argv[0]", req(argv=[""]))
refused("a message larger than any request",
        req(argv=["true"]) + b"x" * 40000)
refused("argv bytes without ARGV", req(argv=["true"], flags=0))

# a valid request with the caller's / attached: vsd must drop it
s = connect()
d = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
s.sendmsg([req(argv=["vsprobe", "fds"])],
          [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [d]))])
os.close(d)
m, fds = recv(s)
out = b""
if m and m[0] == STARTED and len(fds) == 3:
    os.close(fds[0])
    while True:
        chunk = os.read(fds[1], 4096)
        if not chunk:
            break
        out += chunk
    m2, _ = recv(s)
    for fd in fds[1:]:
        os.close(fd)
    if b"0 extra fds" in out and m2 and m2[0] == EXITED and m2[1] == 0:
        print("dropped: a directory fd sent along with a request")
    else:
        print("LEAKED? %r %r" % (out, m2))
        bad = 1
else:
    print("NOT STARTED: %r %d fds" % (m, len(fds)))
    bad = 1
s.close()

# SIGNAL 9 (and junk) during a session: not forwarded, it ends normally
s = connect()
s.send(req(argv=["sleep", "1"]))
m, fds = recv(s)
for fd in fds:
    os.close(fd)
for sig in (9, 19, -1, 0, 1 << 30):
    s.send(struct.pack(MSG, MAGIC, SIGNAL, sig, 0, b""))
m2, _ = recv(s)
if m and m[0] == STARTED and m2 and m2[0] == EXITED and m2[1] == 0:
    print("ignored: SIGNAL 9, 19, -1, 0 and 2^30 during a session")
else:
    print("SIGNAL MISHANDLED: %r %r" % (m, m2))
    bad = 1
s.close()

# junk during a session: a protocol violation ends it (closed, no status)
s = connect()
s.send(req(argv=["sleep", "5"]))
m, fds = recv(s)
for fd in fds:
    os.close(fd)
s.send(b"junk")
m2, _ = recv(s)
if m and m[0] == STARTED and m2 is None:
    print("hung up: junk during a session")
else:
    print("JUNK MISHANDLED: %r %r" % (m, m2))
    bad = 1
s.close()
sys.exit(bad)
