#!/usr/bin/env python3
"""Runs a ProxyCommand the way ssh does with ProxyUseFdpass, and reports.

usage: fdpass_harness.py COMMAND [ARG...]

Like ssh: a socketpair whose one end is the command's stdin and stdout; reads
from the other end until EOF, collecting every descriptor that arrives with
the data, then reaps the command. Prints one line on stdout:
    exit=N bytes=B fds=K kind=KIND
KIND is what the first received descriptor is ("unix-stream", "none", ...).
The harness is not ssh, so --mode=auto relays to it (the peer check in
net/handover.h): give the proxy --mode=fdpass to test a hand-over.
"""
import os
import socket
import stat
import subprocess
import sys


def main():
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    proc = subprocess.Popen(sys.argv[1:], stdin=theirs, stdout=theirs)
    theirs.close()
    data = b""
    fds = []
    while True:
        msg, received, _, _ = socket.recv_fds(ours, 4096, 8)
        fds.extend(received)
        if not msg and not received:
            break
        data += msg
    code = proc.wait(timeout=60)
    kind = "none"
    if fds:
        st = os.fstat(fds[0])
        if stat.S_ISSOCK(st.st_mode):
            s = socket.socket(fileno=os.dup(fds[0]))
            kind = ("unix-stream" if s.family == socket.AF_UNIX and
                    s.type == socket.SOCK_STREAM else f"{s.family}/{s.type}")
            s.close()
        else:
            kind = "not-a-socket"
    for fd in fds:
        os.close(fd)
    print(f"exit={code} bytes={len(data)} fds={len(fds)} kind={kind}")


if __name__ == "__main__":
    main()
