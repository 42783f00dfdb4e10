#!/usr/bin/env python3
"""A vsock multiplexer for tests, speaking Firecracker's host-side protocol.

usage: fake_mux.py --listen PATH --style firecracker|no-ok --guest-port N -- CMD...

Listens on the AF_UNIX socket PATH. For each connection it reads one line,
"CONNECT <port>" (any case, as cloud-hypervisor accepts), then:
  - port other than N: closes without a byte (nothing listens there);
  - style firecracker: answers "OK <host port>" with host ports from 2^30,
    as Firecracker and cloud-hypervisor number them;
  - style no-ok: answers nothing, the guest speaks first;
and runs CMD (e.g. sshd -i) with the connection as its stdin and stdout,
standing in for the guest's service on port N.
"""
import argparse
import os
import re
import signal
import socket
import sys

LINE = re.compile(rb"^connect ([0-9]+)\n$", re.IGNORECASE)


def read_line(conn):
    line = b""
    while not line.endswith(b"\n") and len(line) < 64:
        b = conn.recv(1)
        if not b:
            break
        line += b
    return line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--style", choices=["firecracker", "no-ok"], required=True)
    ap.add_argument("--guest-port", type=int, required=True)
    ap.add_argument("cmd", nargs="+")
    args = ap.parse_args()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # reap children
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.listen)
    srv.listen(64)
    host_port = 1 << 30
    while True:
        conn, _ = srv.accept()
        host_port += 1
        if os.fork() == 0:
            srv.close()
            m = LINE.match(read_line(conn))
            if not m or int(m.group(1)) != args.guest_port:
                conn.close()
                os._exit(0)
            if args.style == "firecracker":
                conn.sendall(b"OK %d\n" % host_port)
            os.dup2(conn.fileno(), 0)
            os.dup2(conn.fileno(), 1)
            conn.close()
            os.execvp(args.cmd[0], args.cmd)
        conn.close()


if __name__ == "__main__":
    main()
