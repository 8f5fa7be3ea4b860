#!/usr/bin/env python3
"""ptyrun.py [--input TEXT] CMD...: run CMD on a new pty (as a user's
terminal would), type TEXT into it, then read one more line from the same
terminal after CMD ended and print it as GOT:[line], so a test sees whether
CMD pushed input into the terminal it was started from (TIOCSTI).  Prints
everything the terminal showed, then EXIT:<status of CMD>."""
import os, pty, select, signal, sys, time

args = sys.argv[1:]
text = b""
if args[:1] == ["--input"]:
    text = args[1].encode().decode("unicode_escape").encode()
    args = args[2:]
script = '"$@"; rc=$?; read -t 1 line; echo "GOT:[$line]"; echo "EXIT:$rc"'
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "-c", script, "ptyrun"] + args)
out = b""
deadline = time.time() + 20
if text:
    os.write(fd, text)
while True:
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        out += b"\n(timeout)\n"
        os.killpg(pid, signal.SIGKILL)
        break
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
