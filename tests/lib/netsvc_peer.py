#!/usr/bin/env python3
"""netsvc_peer.py - servers and clients for the 5xx tests (vsredirect,
virtuald).  Servers run inside a VS's netns; clients on the host.

servers (print "ready" once listening, serve until killed):
  serve IP PORT MODE     MODE: halfclose  read to EOF, answer "got N SHA", close
                               reset      read a line, then close with RST
                               proxy      read one line/v2 header, answer it in hex
                               hold       count connections in FILE (arg 4), keep them open
                               stream     send N MiB (arg 4) of seeded data, close
clients (exit 0 on success, print what they saw):
  halfclose IP PORT MIB  send MIB of data, shutdown(SHUT_WR), expect "got N SHA"
  reset IP PORT          expect ConnectionResetError
  proxy IP PORT          print the header the server saw and our own address
  hold IP PORT N SECS    open N connections, keep them SECS, print how many lived
  stream IP PORT MIB     receive, check length and sha256
  trickle IP PORT SECS   to a halfclose server: 64 KiB every 0.1 s for SECS
                         (a connection that lives through reloads), then as halfclose
  bind IP PORT           try to bind (for "a VS cannot bind 80")
"""
import hashlib, os, socket, struct, sys, threading, time

def data(mib):
    blk = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB
    for i in range(mib):
        yield blk[i % 64:] + blk[:i % 64]

def expected(mib):
    h = hashlib.sha256()
    for b in data(mib):
        h.update(b)
    return h.hexdigest()

def listen(ip, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.listen(512)
    print("ready", flush=True)
    return s

def serve(ip, port, mode, arg=None):
    s = listen(ip, port)
    count = [0]
    held = []
    def one(c):
        try:
            if mode == "halfclose":
                h, n = hashlib.sha256(), 0
                while True:
                    b = c.recv(1 << 20)
                    if not b:
                        break
                    h.update(b); n += len(b)
                c.sendall(b"got %d %s\n" % (n, h.hexdigest().encode()))
                c.close()
            elif mode == "reset":
                c.recv(100)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                c.close()
            elif mode == "proxy":
                b = b""
                while len(b) < 16 or (b.startswith(b"PROXY") and b"\n" not in b):
                    k = c.recv(200)
                    if not k:
                        break
                    b += k
                if b.startswith(b"PROXY"):
                    b = b[:b.index(b"\n") + 1]
                else:
                    b = b[:16 + struct.unpack("!H", b[14:16])[0]]
                c.sendall(b.hex().encode() + b"\n")
                c.close()
            elif mode == "stream":
                for b in data(int(arg)):
                    c.sendall(b)
                c.close()
        except OSError:
            pass
    while True:
        c, _ = s.accept()
        if mode == "hold":
            count[0] += 1
            held.append(c)
            with open(arg, "w") as f:
                f.write("%d\n" % count[0])
            continue
        threading.Thread(target=one, args=(c,), daemon=True).start()

def main():
    a = sys.argv[1:]
    cmd, ip, port = a[0], a[1], int(a[2])
    if cmd == "serve":
        serve(ip, port, a[3], a[4] if len(a) > 4 else None)
    elif cmd == "halfclose":
        mib = int(a[3])
        c = socket.create_connection((ip, port), timeout=30)
        h = hashlib.sha256()
        for b in data(mib):
            c.sendall(b); h.update(b)
        c.shutdown(socket.SHUT_WR)
        r = b""
        while True:
            k = c.recv(200)
            if not k:
                break
            r += k
        want = b"got %d %s\n" % (mib << 20, h.hexdigest().encode())
        print(r.decode().strip())
        sys.exit(0 if r == want else 1)
    elif cmd == "reset":
        try:
            c = socket.create_connection((ip, port), timeout=10)
        except ConnectionRefusedError:
            print("refused: nobody listens")
            sys.exit(1)
        except ConnectionResetError:
            # the SYN was answered (someone listens), then the reset
            # arrived before connect() returned
            print("reset")
            return
        try:
            c.sendall(b"hello\n")
            r = c.recv(100)
            print("no reset: got %r" % r)
            sys.exit(1)
        except (ConnectionResetError, BrokenPipeError):
            print("reset")
    elif cmd == "proxy":
        c = socket.create_connection((ip, port), timeout=10)
        me = c.getsockname()
        c.sendall(b"x")
        r = c.makefile().readline().strip()
        print(bytes.fromhex(r).hex() if not bytes.fromhex(r).startswith(b"PROXY")
              else bytes.fromhex(r).decode().strip())
        print("me %s %d" % me)
    elif cmd == "hold":
        n, secs = int(a[3]), float(a[4])
        cs = []
        for i in range(n):
            try:
                c = socket.create_connection((ip, port), timeout=5)
                cs.append(c)
            except OSError:
                pass
        time.sleep(secs)
        alive = 0
        for c in cs:
            c.setblocking(False)
            try:
                if c.recv(1) == b"":
                    continue
            except BlockingIOError:
                alive += 1
                continue
            except OSError:
                continue
        print(alive)
    elif cmd == "stream":
        mib = int(a[3])
        c = socket.create_connection((ip, port), timeout=30)
        h, n = hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 20)
            if not b:
                break
            h.update(b); n += len(b)
        ok = n == mib << 20 and h.hexdigest() == expected(mib)
        print("%d %s" % (n, "ok" if ok else "BAD"))
        sys.exit(0 if ok else 1)
    elif cmd == "trickle":
        end = time.time() + float(a[3])
        c = socket.create_connection((ip, port), timeout=30)
        h, n, blk = hashlib.sha256(), 0, os.urandom(65536)
        while time.time() < end:
            c.sendall(blk); h.update(blk); n += len(blk)
            time.sleep(0.1)
        c.shutdown(socket.SHUT_WR)
        r = c.makefile("rb").read()
        print(r.decode().strip())
        sys.exit(0 if r == b"got %d %s\n" % (n, h.hexdigest().encode()) else 1)
    elif cmd == "bind":
        s = socket.socket()
        try:
            s.bind((ip, port))
            print("bound")
        except PermissionError as e:
            print("denied: %s" % e)
            sys.exit(1)

main()
