#!/usr/bin/env python3
"""Two small writes, then wait for the answer, through a relay to TCP.

usage: two_writes.py ROUNDS NAME=COMMAND...

The pattern Nagle's algorithm delays: the second write waits until the first
is acknowledged, and the receiver delays that acknowledgement (up to 40 ms on
Linux) hoping to piggyback it on an answer that needs both writes. ssh writes
packets back to back like this (key exchange, a command after its channel
request). COMMAND is run once per program with "{}" replaced by the port of
a loopback server that answers "R" to every two bytes; its stdin and stdout
are pipes, as ssh without fd passing gives them. Prints a TSV: program,
rounds, median and p90 in microseconds. Only 127.0.0.1 is involved.
"""
import shlex
import socket
import subprocess
import sys
import threading
import time


def serve(listener):
    conn, _ = listener.accept()
    with conn:
        while True:
            got = b""
            while len(got) < 2:
                data = conn.recv(2 - len(got))
                if not data:
                    return
                got += data
            conn.sendall(b"R")


def measure(rounds, command):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    argv = shlex.split(command.replace("{}", str(listener.getsockname()[1])))
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    times = []
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            proc.stdin.write(b"a")
            proc.stdin.flush()
            time.sleep(0.0002)  # two writes, not one: the relay sees them apart
            proc.stdin.write(b"b")
            proc.stdin.flush()
            if proc.stdout.read(1) != b"R":
                sys.exit(f"two_writes: {command}: no answer")
            times.append((time.perf_counter() - start) * 1e6)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
        listener.close()
    times.sort()
    return times[len(times) // 2], times[len(times) * 9 // 10]


def main():
    rounds = int(sys.argv[1])
    print("program\trounds\tmedian_us\tp90_us")
    for spec in sys.argv[2:]:
        name, command = spec.split("=", 1)
        median, p90 = measure(rounds, command)
        print(f"{name}\t{rounds}\t{median:.0f}\t{p90:.0f}", flush=True)


if __name__ == "__main__":
    main()
