#!/usr/bin/env python3
"""A systemd-machined stand-in for tests: io.systemd.Machine.List over Varlink.

usage: fake_machined.py --listen PATH --fixture FILE

FILE is JSON: {"NAME": ENTRY, ...}. An ENTRY is one of
  {"parameters": {...}}   answered as the machine's record
  {"error": "x.y.Z"}      answered as a Varlink error
  {"raw": "text"}         sent as it is, then a NUL
  {"raw": "text", "nul": false}   sent without the NUL, then the connection closes
  {"size": N}             N bytes of JSON whitespace, then a NUL
Names not in FILE get io.systemd.Machine.NoSuchMachine. FILE is read afresh
for every call: a test registers a machine late by rewriting it (atomically,
with a rename).
"""
import argparse
import json
import os
import signal
import socket


def answer(fixture, request):
    try:
        call = json.loads(request)
        name = call["parameters"]["name"]
        assert call["method"] == "io.systemd.Machine.List"
    except Exception:  # a client we don't understand
        return json.dumps({"error": "org.varlink.service.InvalidParameter",
                           "parameters": {}}).encode() + b"\0", True
    entry = fixture.get(name)
    if entry is None:
        return json.dumps({"error": "io.systemd.Machine.NoSuchMachine",
                           "parameters": {}}).encode() + b"\0", True
    if "raw" in entry:
        return entry["raw"].encode("latin-1"), entry.get("nul", True)
    if "size" in entry:
        return b" " * entry["size"], True
    return json.dumps(entry).encode(), True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--fixture", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    os.makedirs(os.path.dirname(args.listen), exist_ok=True)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.listen)
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        if os.fork() == 0:
            srv.close()
            request = b""
            while not request.endswith(b"\0"):
                chunk = conn.recv(4096)
                if not chunk:
                    os._exit(0)
                request += chunk
            with open(args.fixture) as f:
                fixture = json.load(f)
            reply, nul = answer(fixture, request[:-1])
            conn.sendall(reply + (b"\0" if nul else b""))
            conn.close()
            os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
