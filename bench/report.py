#!/usr/bin/env python3
# Copyright 2026 The ssh-socket-proxy Authors.
"""Writes docs/benchmarks.md (and the plot) from the measurements of ci/bench.sh.

ci/bench.sh runs the harnesses and leaves tab-separated tables in a work
directory; this script reads them, decides which targets are met, and
writes the report. It measures nothing itself, so it can be tested on a
fixture of measurements (bench/testdata/, bench/report_test.py).

  report.py --work DIR --out DIR [--quick] [--no-plot]
            [--runs N] [--bytes N] [--reps N] [--rounds N] [--user NAME]

Inputs in DIR (every file is written by ci/bench.sh; see there):
  latency.tsv, relay.tsv, relay_user.tsv    bench latency / bench relay
  relay_pinned.tsv                          bench relay under taskset -c 0 (optional)
  rtt_{unix,tcp}_{alone,together}.tsv       bench rtt
  rtt_unix_pinned.tsv                       bench rtt under taskset -c 0
  cost.tsv                                  bench cost (rusage, migrations)
  strace/NAME.ROUNDS                        strace -c -f of bench cost runs
  binaries.tsv, storm.tsv, generator.tsv, two_writes.tsv
  linking.md                                a page of its own, included
Also bench/before.tsv: the figures before issue 17, shown beside.
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys

OURS = "ssh-socket-proxy"


def read_tsv(path):
    """A table as (header, rows), each row a dict by column name."""
    with open(path) as f:
        lines = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    return lines[0], [dict(zip(lines[0], r)) for r in lines[1:]]


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(out)


def by_program(rows):
    return {r["program"]: r for r in rows}


def strace_counts(path):
    """{syscall: calls} from an `strace -c` summary; {} if there is none."""
    counts = {}
    if not os.path.exists(path):
        return counts
    with open(path) as f:
        for line in f:
            parts = line.split()
            # "% time seconds usecs/call calls [errors] syscall"
            if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
                counts[parts[-1]] = int(parts[3])
    return counts


def wakeups_per_round(wakeup_dir, name):
    """(wake-ups a round trip, share sent to another CPU) of the wake-ups
    the program takes part in (waker or wakee, by command name), from
    `perf script -F comm,cpu,trace` of sched:sched_wakeup recorded while
    every program's session ran; None without a recording."""
    comm_file = os.path.join(wakeup_dir, name.replace(" ", "_") + ".comm")
    trace = os.path.join(wakeup_dir, "perf.txt")
    if not os.path.exists(trace) or not os.path.exists(comm_file):
        return None
    with open(comm_file) as f:
        comm = f.read().strip()
    with open(os.path.join(wakeup_dir, "rounds")) as f:
        rounds = int(f.read())
    total = other = 0
    with open(trace) as f:
        for line in f:
            # "bench [001] comm=socat pid=12 prio=120 target_cpu=000"
            parts = line.split()
            fields = dict(p.split("=", 1) for p in parts if "=" in p)
            if len(parts) < 3 or "target_cpu" not in fields:
                continue
            waker, wakee = parts[0], fields.get("comm", "")
            if comm not in (waker, wakee):
                continue
            total += 1
            other += int(parts[1].strip("[]")) != int(fields["target_cpu"])
    if total == 0:
        return None
    return total / rounds, other / total


def syscalls_per_round(strace_dir, name, rounds):
    """'6.0 (splice 4.0, poll 2.0)': calls per round trip, start-up taken out."""
    name = name.replace(" ", "_")  # as ci/bench.sh names the files
    full = strace_counts(os.path.join(strace_dir, f"{name}.{rounds}"))
    empty = strace_counts(os.path.join(strace_dir, f"{name}.0"))
    if not full:
        return "-"
    per = {k: (v - empty.get(k, 0)) / rounds for k, v in full.items()}
    per = {k: v for k, v in per.items() if v >= 0.05}
    parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(per.items(), key=lambda kv: -kv[1]))
    return f"{sum(per.values()):.1f} ({parts})"


class Report:
    def __init__(self, args):
        self.a = args
        w = lambda n: os.path.join(args.work, n)
        self.w = w
        self.lat_h, self.lat = read_tsv(w("latency.tsv"))
        self.rel_h, self.rel = read_tsv(w("relay.tsv"))
        self.ru_h, self.ru = read_tsv(w("relay_user.tsv"))
        self.rp_h, self.rp = (read_tsv(w("relay_pinned.tsv"))
                              if os.path.exists(w("relay_pinned.tsv")) else (None, None))
        self.rtt = {}
        for t in ("unix", "tcp"):
            for m in ("alone", "together"):
                self.rtt[t, m] = read_tsv(w(f"rtt_{t}_{m}.tsv"))
        self.pinned = read_tsv(w("rtt_unix_pinned.tsv"))
        self.cost_h, self.cost = read_tsv(w("cost.tsv"))
        self.bin_h, self.bins = read_tsv(w("binaries.tsv"))
        _, st = read_tsv(w("storm.tsv"))
        self.storm = st[0]
        self.gen_h, self.gen = read_tsv(w("generator.tsv"))
        self.tw_h, self.tw = read_tsv(w("two_writes.tsv"))
        self.before = {r["figure"]: r for r in read_tsv(args.before)[1]}
        self.targets = []

    # -- figures ---------------------------------------------------------
    def handover(self):
        by = by_program(self.lat)
        ours, floor = by[OURS], by["floor"]
        return float(ours["median_us"]) / float(floor["median_us"]), float(ours["ratio_to_floor"])

    def rtt_us(self, transport, mode, program):
        return float(by_program(self.rtt[transport, mode][1])[program]["median_us"])

    def target(self, ok, text):
        self.targets.append(("met: " if ok else "**missed**: ") + text)
        return ok

    def throughput(self, key):
        """KEY (up_vs_direct or down_vs_direct) of ours as the targets take
        it: on one CPU when that run exists (unpinned, direct's placement
        alone moves it 3x: bench/why.md), with the unpinned figure beside."""
        unpinned = float(by_program(self.rel)[OURS][key])
        if self.rp is None:
            return unpinned, f"{unpinned:.2f} of direct"
        pinned = float(by_program(self.rp)[OURS][key])
        return pinned, f"{pinned:.2f} of direct on one CPU ({unpinned:.2f} unpinned)"

    def decide(self):
        ratio, pair = self.handover()
        rby = by_program(self.rel)
        me, so = rby[OURS], rby["socat"]
        (up, up_text), (down, down_text) = (self.throughput("up_vs_direct"),
                                            self.throughput("down_vs_direct"))
        vs_socat = min(float(me["up_gbps"]) / float(so["up_gbps"]),
                       float(me["down_gbps"]) / float(so["down_gbps"]))
        user = next(r for r in self.ru if r["program"].endswith("as " + self.a.user))
        user_min = min(float(user["up_vs_direct"]), float(user["down_vs_direct"]))
        self.target(pair <= 1.1, f"hand-over latency {pair:.2f}x the floor (per-pair median "
                    f"ratio; ratio of medians {ratio:.2f}x); target 1.1x")
        self.target(up >= 0.6, f"upload {up_text}; target 0.6")
        self.target(down >= 0.9, f"download {down_text}; target 0.9")
        self.target(user_min >= 0.6, f"relay as {self.a.user} {user_min:.2f} of direct "
                    "(worse direction); target 0.6")
        self.target(vs_socat >= 3, f"relay {vs_socat:.1f}x socat's default throughput "
                    "(worse direction); target 3x")
        for t, label in (("unix", "AF_UNIX"), ("tcp", "TCP")):
            for m in ("alone", "together"):
                ours, socat = self.rtt_us(t, m, OURS), self.rtt_us(t, m, "socat")
                self.target(ours <= socat, f"{label} round trip, sessions {m}: {ours:.1f} us, "
                            f"socat {socat:.1f} us; target: no slower than socat")
        rss = max(int(by_program(self.lat)[OURS]["peak_rss_kib"]), int(me["peak_rss_kib"]))
        self.target(rss < 4096, f"peak RSS {rss} KiB in either mode; target < 4096 KiB")
        s = self.storm
        self.target(s["succeeded"] == s["sessions"], f"storm: {s['succeeded']} of "
                    f"{s['sessions']} ssh sessions succeeded in {s['wall_seconds']} s")
        tw = float(by_program(self.tw)[OURS]["median_us"])
        self.target(tw < 5000, f"two writes and one answer over a TCP relay: median {tw:.0f} "
                    "us; target: no Nagle stall (under 5 ms)")
        gen = int(self.gen[0]["median_us"])
        self.target(gen < 5000, f"guest generator median {gen / 1000:.2f} ms; target < 5 ms")

    # -- sections --------------------------------------------------------
    def headline(self):
        """The table of issue 17: this run beside the figures before it."""
        b = self.before
        rby = by_program(self.rel)
        ratio, pair = self.handover()

        def before(key):
            r = b[key]
            return f"{r['ours']} / {r['socat']} / {r['direct']}"

        rows = []
        for t, label, aim in (("unix", "AF_UNIX", "1.5x"), ("tcp", "TCP", "2x")):
            for m in ("alone", "together"):
                by = by_program(self.rtt[t, m][1])
                rows.append({
                    "figure": f"1-byte round trip, {label}, sessions {m}",
                    "ours": f"{by[OURS]['median_us']} us",
                    "socat": f"{by['socat']['median_us']} us",
                    "direct socket": f"{by['direct']['median_us']} us",
                    "target": f"no slower than socat, aim for {aim} direct",
                    "before (ours / socat / direct)": before(f"rtt_{t}_us"),
                })
        for key, label, target in (("up_vs_direct", "upload, pipe -> relay -> AF_UNIX", ">= 0.6"),
                                   ("down_vs_direct", "download, AF_UNIX -> relay -> pipe", ">= 0.9")):
            rows.append({
                "figure": label,
                "ours": self.throughput(key)[1],
                "socat": f"{float(rby['socat'][key]):.2f}" + ("" if self.rp is None else " unpinned"),
                "direct socket": "1",
                "target": f"{target} of direct",
                "before (ours / socat / direct)": before(key),
            })
        rows.append({
            "figure": "hand-over (fd passing)",
            "ours": f"{pair:.2f}x the static C floor",
            "socat": "-", "direct socket": "-", "target": "<= 1.1x",
            "before (ours / socat / direct)": before("handover_vs_floor"),
        })
        header = ["figure", "ours", "socat", "direct socket", "target",
                  "before (ours / socat / direct)"]
        return md_table(header, rows)

    def rtt_section(self):
        a = self.a
        cols = ["program", "median_us", "p10_us", "p90_us", "block_median_lo_us",
                "block_median_hi_us", "ratio_to_direct", "ratio_lo", "ratio_hi"]
        parts = []
        for t, label in (("unix", "AF_UNIX"), ("tcp", "TCP")):
            for m in ("alone", "together"):
                parts.append(f"{label}, sessions {m}:\n\n{md_table(cols, self.rtt[t, m][1])}")
        pinned = md_table(cols, self.pinned[1])
        return f"""## Interactive round trips

One byte into the relay's stdin, echoed by a server (a process of its own),
back out of its stdout; {a.rounds} rounds per program in blocks of 50, each
block with new sessions and a warm-up (where the scheduler first places a
session's processes tends to stick for the session), the order shuffled.
"sessions alone": one session at a time, programs taking turns (one
interactive ssh session). "sessions together": one session per program,
all open at once, rounds interleaved session by session. "direct" is the harness on the socket
itself (fd passing). The callers get pipes, as ssh without fd passing gives
them. TCP goes to 127.0.0.1 through `machine/NAME` for a VM that machined
knows by its `sshAddress` (`testdata/harness/fake_machined.py` answers for
machined). Spread: p10/p90 of all rounds, and the lowest and highest block
median; the ratio to direct is taken block by block.

{chr(10).join(p + chr(10) for p in parts)}
The same AF_UNIX sessions alone with every process on one CPU
(`taskset -c 0`): no hop wakes another CPU, so this is what each program's
own work costs:

{pinned}
"""

    def cost_section(self):
        strace_dir = self.w("strace")
        rows = []
        pinned = by_program(self.pinned[1])
        direct = float(pinned["direct"]["median_us"])
        for r in self.cost:
            name = r["program"]
            hop = "-"
            if name in pinned:
                hop = f"{(float(pinned[name]['median_us']) - direct) / 2:.1f}"
            wake = wakeups_per_round(self.w("wakeups"), name)
            rows.append({
                "program": name,
                "system calls per round trip": syscalls_per_round(strace_dir, name, int(r["rounds"])),
                "CPU us": r["cpu_us"],
                "voluntary switches": r["voluntary_switches"],
                "involuntary switches": r["involuntary_switches"],
                "migrations": r["migrations"],
                "wake-ups": f"{wake[0]:.2f}" if wake else "-",
                "to the other CPU": f"{wake[1]:.0%}" if wake else "-",
                "us per hop, one CPU": hop,
            })
        header = ["program", "system calls per round trip", "CPU us", "voluntary switches",
                  "involuntary switches", "migrations", "wake-ups", "to the other CPU",
                  "us per hop, one CPU"]
        return f"""## What one round trip costs

Per round trip of one session alone over AF_UNIX (`bench cost`: a session
of {self.cost[0]['rounds'] if self.cost else 0} round trips minus one of none, so start-up and exit cancel
out). System calls from `strace -c -f` (a run of its own: strace slows
every call down); CPU time and context switches from `wait4`'s rusage;
migrations to another CPU from `/proc/PID/sched`. "wake-ups": the
scheduler's wake-ups the program takes part in (as waker or wakee) per
round trip, sessions together (all programs in one recording, rounds
interleaved), from `perf record -e sched:sched_wakeup -a`,
and the share sent to the CPU other than the waker's: on an idle machine
each of those waits for a halted CPU. "us per hop" is half of
what the program adds to a direct round trip with every process on one CPU
(the table above), the relay's own time per hop.

{md_table(header, rows)}
"""

    def handover_and_throughput(self):
        a = self.a
        mib = a.bytes >> 20
        return f"""## Hand-over latency

What ssh does with `ProxyUseFdpass yes` (`bench/bench.cc`): a socketpair as
the child's stdin and stdout, spawn, `recvmsg` until the descriptor arrives,
read the first byte the server sends through it, reap. {a.runs} runs per program
after a warm-up, interleaved. The floor (`bench/floor.c`) is a static C
program that only connects and passes the descriptor. socat and `nc -U`
cannot pass a descriptor: for them the time is until the server's first byte
comes out of their stdout. Peak RSS and page faults from `wait4` (through
`bench/rss.c`; the faults include the launcher's few before exec).

{md_table(self.lat_h, self.lat)}

## Relay throughput

{mib} MiB each way, median of {a.reps}: up is a pipe into the relay's stdin
and an AF_UNIX sink behind it; down is an AF_UNIX source and the relay's
stdout into a pipe. "direct" is the harness on the socket itself, which is
what fd passing gives ssh. GB/s are 10^9 bytes per second.

{md_table(self.rel_h, self.rel)}

## Relay throughput as an unprivileged user

The same measurement ({mib} MiB each way, median of {a.reps}), the relay
started as {a.user} (`setpriv`), whose pipes count against
`/proc/sys/fs/pipe-user-pages-soft`. A direction that carries bulk grows its
pipe to 256 KiB once, and only while a quarter of that budget is free
(`net/relay.h`); `//net:relay_test` checks that 100 bulk and 100 interactive
relays of one unprivileged user leave that user's new pipes at 64 KiB.
The {a.user} row's peak RSS is `setpriv`'s (dynamically linked), which
runs first in the same process.

{md_table(self.ru_h, self.ru)}
"""

    def other_sections(self):
        gen = self.gen[0]
        s = self.storm
        linking = ""
        if os.path.exists(self.w("linking.md")):
            with open(self.w("linking.md")) as f:
                linking = f.read().strip() + "\n"
        return f"""## Binaries

{md_table(self.bin_h, self.bins)}

## Connection storm

{s['sessions']} concurrent `ssh unix/...` sessions through the proxy to one
socket-activated sshd (`sshd -i` per connection), each running `echo N` and
checked for its own N: {s['succeeded']} succeeded, wall time
{s['wall_seconds']} s. The time is mostly sshd's: key exchange,
authentication and the remote login shell's start-up (its rc files run for
every session, on {os.cpu_count()} cores), not the proxy's.

## Two writes, one answer (TCP relay)

`bench/two_writes.py`: one byte, 0.2 ms, another byte, then wait for the
answer that needs both, through the relay to a VM that machined knows by
its `sshAddress`. ssh writes packets back to back like this. With Nagle's
algorithm on, the second byte waits for the first one's acknowledgement,
which the receiver delays (up to 40 ms) hoping to send it with the answer;
the relay turns Nagle off on TCP connections (`TCP_NODELAY`), as ssh does on
sockets it holds. Before that: a median of 44 ms per round (measured on
2026-11-25); socat leaves it on.

{md_table(self.tw_h, self.tw)}

## Guest generator

`ssh-socket-proxy-generator` runs at every boot and `daemon-reload` of a
guest. `bench/generator_timer` runs it {gen["runs"]} times as systemd does
(three output directories, stderr on /dev/null), from fork to reaped exit,
on this machine's real /proc and /sys, into scratch directories; `/bin/true`
is the cost of fork and exec alone. Target: under 5 ms.

{md_table(self.gen_h, self.gen)}

{linking}"""

    def pinned_relay_section(self):
        if self.rp is None:
            return ""
        return f"""## Relay throughput on one CPU

The same measurement with every process on one CPU (`taskset -c 0`),
against `bench/minimal_relay` (non-blocking splice and poll, nothing
else). Unpinned, direct moves about 3 GB/s when its two threads land on
different CPUs and about 10 when they share one, and the relay's three
processes draw a placement of their own, so the ratios above swing from
run to run (bench/why.md gives the spread); on one CPU they compare the work each path costs, and the upload and
download targets are decided here. "Why, where a target is close or
missed" below explains the difference and what bounds each direction.

{md_table(self.rp_h, self.rp)}
"""

    def sections(self):
        return "\n".join([self.handover_and_throughput(), self.pinned_relay_section(),
                          self.rtt_section(),
                          self.cost_section(), self.other_sections()])

    def markdown(self):
        self.decide()
        cpu = "?"
        if os.path.exists("/proc/cpuinfo"):
            with open("/proc/cpuinfo") as f:
                cpu = next((l.split(":", 1)[1].strip() for l in f
                            if l.startswith("model name")), "?")
        debian = "?"
        if os.path.exists("/etc/debian_version"):
            with open("/etc/debian_version") as f:
                debian = f.read().strip()
        why = ""
        if os.path.exists(self.a.why):
            with open(self.a.why) as f:
                why = "\n" + f.read().strip() + "\n"
        now = datetime.datetime.now(datetime.timezone.utc)
        return f"""# Benchmarks

Generated by `ci/bench.sh` on {now:%Y-%m-%d %H:%M} UTC.
Machine: {os.cpu_count()} cores ({cpu}), kernel {platform.release()}, Debian {debian}.
Every program is measured the same way, interleaved run by run or block
by block, so background noise hits all of them; no CPU pinning except in
the round-trip table that says so.

Reproduce: `ci/bench.sh` (as root on Debian 12; builds with `-c opt`).
`ci/bench.sh --quick` runs every harness briefly; CI runs that, and asserts
no timing.

![latency and throughput](benchmarks.png)

## Issue 17's figures

{self.headline()}

## Targets

""" + "\n".join(f"- {t}" for t in self.targets) + "\n\n" + self.sections() + why

    def plot(self, out):
        """Latency medians with p10-p90 bars; throughput bars (gnuplot)."""
        with open(self.w("lat.dat"), "w") as f:
            for i, r in enumerate(self.lat):
                f.write(f'{i} "{r["program"]}" {r["median_us"]} {r["p10_us"]} {r["p90_us"]}\n')
        with open(self.w("rel.dat"), "w") as f:
            for r in self.rel:
                f.write(f'"{r["program"]}" {r["up_gbps"]} {r["down_gbps"]}\n')
        work = self.a.work
        gp = f"""
set terminal pngcairo size 1200,480 font ",10"
set output "{os.path.join(out, 'benchmarks.png')}"
set multiplot layout 1,2
set title "Hand-over latency (median, p10-p90), microseconds"
set style fill solid 0.6
set boxwidth 0.6
set yrange [0:*]
set xtics rotate by -20
unset key
plot "{work}/lat.dat" using 1:3:xtic(2) with boxes lc rgb "#4477aa", \\
     "" using 1:3:4:5 with yerrorbars lc rgb "black" pt -1
set title "Relay throughput, GB/s"
set style data histograms
set style histogram clustered gap 1
set key top right
set xtics rotate by -20
plot "{work}/rel.dat" using 2:xtic(1) title "up (stdin to socket)" lc rgb "#4477aa", \\
     "" using 3 title "down (socket to stdout)" lc rgb "#ee6677"
unset multiplot
"""
        with open(self.w("plot.gp"), "w") as f:
            f.write(gp)
        subprocess.run(["gnuplot", self.w("plot.gp")], check=True)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--bytes", type=int, default=1 << 30)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2000)
    p.add_argument("--user", default="nobody")
    p.add_argument("--before", default=os.path.join(here, "before.tsv"))
    p.add_argument("--why", default=os.path.join(here, "why.md"))
    a = p.parse_args(argv)
    r = Report(a)
    md = r.markdown()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "benchmarks.md"), "w") as f:
        f.write(md)
    for t in r.targets:
        print(t, file=sys.stderr)
    print("wrote", os.path.join(a.out, "benchmarks.md"), file=sys.stderr)
    if not a.no_plot:
        r.plot(a.out)
        print("wrote", os.path.join(a.out, "benchmarks.png"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
