#!/usr/bin/python3
# Copyright 2026 The ssh-socket-proxy Authors.
"""A paramiko client through the proxy in relay mode, as Ansible's paramiko
connection and many scripts use it (paramiko cannot take a socket from a
ProxyCommand: it always talks through the command's pipes).

  paramiko_client.py PROXY_COMMAND HOST_KEY_PUB CLIENT_KEY USER BYTES FILE

Checks, printing one line each: a command's output; BYTES random bytes up
(the remote sha256sum must match); FILE down (cat; the sha256 must match
the local file); three lines back and forth one at a time (nothing waits for
a full buffer). Exits 1 with the reason on stderr at the first mismatch.
"""

import base64
import hashlib
import os
import sys
import time

import paramiko


def run(client, command, stdin_data=None):
    stdin, stdout, _ = client.exec_command(command, timeout=60)
    if stdin_data is not None:
        stdin.write(stdin_data)
        stdin.channel.shutdown_write()
    return stdout.read(), stdout.channel.recv_exit_status()


def main(argv):
    proxy_command, host_pub, key_file, user, nbytes, down_file = argv
    kind, blob = open(host_pub).read().split()[:2]
    client = paramiko.SSHClient()
    client.get_host_keys().add("e2e-guest", kind, paramiko.Ed25519Key(data=base64.b64decode(blob)))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("e2e-guest", username=user, key_filename=key_file, look_for_keys=False,
                   allow_agent=False, sock=paramiko.ProxyCommand(proxy_command), timeout=30)

    out, rc = run(client, "echo ok")
    if (out, rc) != (b"ok\n", 0):
        sys.exit(f"echo ok: got {out!r}, exit {rc}")
    print("command ok")

    data = os.urandom(int(nbytes))
    out, rc = run(client, "sha256sum", data)
    if out.split()[:1] != [hashlib.sha256(data).hexdigest().encode()]:
        sys.exit(f"upload: remote sha256 {out!r}")
    print("upload ok")

    out, rc = run(client, f"cat {down_file}")
    if hashlib.sha256(out).digest() != hashlib.sha256(open(down_file, "rb").read()).digest():
        sys.exit(f"download: {len(out)} bytes, sha256 differs")
    print("download ok")

    chan = client.get_transport().open_session()
    chan.settimeout(10)
    chan.exec_command('while read -r l; do echo "got $l"; done')
    for word in ("one", "two", "three"):
        chan.sendall(word.encode() + b"\n")
        got, deadline = b"", time.monotonic() + 10
        while not got.endswith(b"\n") and time.monotonic() < deadline:
            got += chan.recv(100)
        if got != b"got " + word.encode() + b"\n":
            sys.exit(f"interactive: sent {word}, got {got!r}")
    chan.shutdown_write()
    chan.recv_exit_status()
    print("interactive ok")
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
