#!/usr/bin/env bash
# Benchmarks: hand-over latency, relay throughput (as root, as an
# unprivileged user, and on one CPU), interactive round trips through the
# relay (AF_UNIX and TCP, sessions alone and together) and what one costs,
# memory, binary size, a connection storm, two writes over TCP, the guest
# generator, each against what a user would pick instead. Reports figures;
# asserts no timing.
#
# This script only runs the harnesses; each leaves a table in $work, and
# bench/report.py writes the report from them (tested on a fixture by
# //bench:report_test). Adding a harness: write its table here, read it
# and render it there.
#
#   ci/bench.sh           full run: writes docs/benchmarks.md and docs/benchmarks.png
#   ci/bench.sh --quick   a few runs of every harness (CI): checks they work
#
# Only AF_UNIX sockets and processes on this machine are involved, and the
# whole run happens under testdata/harness/no_vsock (no AF_VSOCK socket can exist).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

if [ -z "${BENCH_UNDER_NO_VSOCK:-}" ]; then
  ci/setup.sh
  targets=(//cli:ssh-socket-proxy //bench:all //testdata/harness:no_vsock
           //generator:ssh-socket-proxy-generator)
  bazel build -c opt "${targets[@]}" 2>/dev/null || bazel build -c opt "${targets[@]}"
  bin=$(bazel info -c opt bazel-bin 2>/dev/null)
  "$bin/testdata/harness/no_vsock" --self-test 2>/dev/null
  BENCH_BIN="$bin" BENCH_UNDER_NO_VSOCK=1 exec "$bin/testdata/harness/no_vsock" "$BASH" "$0" "$@"
fi
bin=$BENCH_BIN
proxy="$bin/cli/ssh-socket-proxy"
# sshd_setup and start_sshd: the sshd of the end-to-end tests, for the storm.
source testdata/harness/e2e_lib.sh
set -e  # e2e_lib.sh sets -uo pipefail only

if [ $quick -eq 1 ]; then
  runs=5 warmup=1 bytes=$((16 << 20)) reps=1 pinned_reps=1 storm=10 rounds=20 out=$(mktemp -d /tmp/bench-quick.XXXXXX)
else
  runs=300 warmup=20 bytes=$((1 << 30)) reps=3 pinned_reps=9 storm=200 rounds=2000 out=docs
fi
work=$(mktemp -d /tmp/bench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
  # BENCH_KEEP=1 keeps a quick run's report (the path is printed) to read it.
  [ $quick -eq 1 ] && [ -z "${BENCH_KEEP:-}" ] && rm -rf "$out"
  return 0
}
trap cleanup EXIT
mkdir -p "$out"
# The unprivileged runs need to reach the sockets and the binary.
chmod 755 "$work"
install -m 755 "$proxy" "$work/ssh-socket-proxy"
if [ "$(id -u)" = 0 ]; then
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups" user_name=nobody
else
  as_user="" user_name=$(id -un)
fi
self_name=$(id -un)

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

echo "== relay throughput as $user_name ($((bytes >> 20)) MiB each way, median of $reps)" >&2
"$bin/bench/bench" relay "$bytes" "$reps" "$work" \
  "ssh-socket-proxy as $self_name=stream:$proxy --mode=relay unix{} 22" \
  "ssh-socket-proxy as $user_name=stream:$as_user $work/ssh-socket-proxy --mode=relay unix{} 22" |
  tee "$work/relay_user.tsv" >&2

# The same with every process on one CPU: unpinned, direct moves 3 GB/s or
# 10 depending on whether its two threads share a CPU, and one run's ratio
# is a lottery of placements (bench/why.md); pinned, it compares work.
echo "== relay throughput, one CPU ($((bytes >> 20)) MiB each way, median of $pinned_reps)" >&2
taskset -c 0 "$bin/bench/bench" relay "$bytes" "$pinned_reps" "$work" \
  "ssh-socket-proxy=stream:$proxy --mode=relay unix{} 22" \
  "minimal relay=stream:$bin/bench/minimal_relay poll 262144 0 1048576 {}" |
  tee "$work/relay_pinned.tsv" >&2

relays_unix=("ssh-socket-proxy=stream:$proxy --mode=relay unix{} 22"
             "socat=stream:socat - UNIX-CONNECT:{}"
             "nc -U=stream:nc -N -U {}")
for mode in alone together; do
  echo "== interactive round trips, AF_UNIX, sessions $mode ($rounds rounds)" >&2
  "$bin/bench/bench" rtt "$rounds" "$warmup" unix "$mode" "$work" "${relays_unix[@]}" |
    tee "$work/rtt_unix_$mode.tsv" >&2
done
echo "== interactive round trips, AF_UNIX, sessions alone, one CPU" >&2
taskset -c 0 "$bin/bench/bench" rtt "$rounds" "$warmup" unix alone "$work" "${relays_unix[@]}" |
  tee "$work/rtt_unix_pinned.tsv" >&2
# TCP: a VM that machined knows by its sshAddress (testdata/harness/fake_machined.py
# stands in for machined), the case where SPLICE_F_MORE once corked every
# keystroke for 200 ms.
mkdir -p "$work/run" "$work/user"
echo '{"bench": {"parameters": {"name": "bench", "class": "vm", "service": "qemu", "sshAddress": "127.0.0.1"}}}' \
  >"$work/machines.json"
python3 testdata/harness/fake_machined.py --listen "$work/run/systemd/machine/io.systemd.Machine" \
  --fixture "$work/machines.json" 2>"$work/machined.log" &
pids+=($!)
for _ in $(seq 100); do [ -S "$work/run/systemd/machine/io.systemd.Machine" ] && break; sleep 0.05; done
for mode in alone together; do
  echo "== interactive round trips, TCP, sessions $mode ($rounds rounds)" >&2
  SSH_SOCKET_PROXY_RUNTIME_DIR="$work/run" XDG_RUNTIME_DIR="$work/user" \
    "$bin/bench/bench" rtt "$rounds" "$warmup" tcp "$mode" "$work" \
    "ssh-socket-proxy=stream:$proxy --mode=relay machine/bench {}" \
    "socat=stream:socat - TCP:127.0.0.1:{}" \
    "nc=stream:nc -N 127.0.0.1 {}" | tee "$work/rtt_tcp_$mode.tsv" >&2
done

# What one round trip costs each relay: rusage and migrations, then the
# system calls under strace -c (a run of its own: strace slows every call).
# Ten times the rounds: CPU time in rusage may come in scheduler ticks.
cost_rounds=$((rounds * 10))
echo "== cost of one round trip ($cost_rounds rounds)" >&2
"$bin/bench/bench" cost "$cost_rounds" "$work" "${relays_unix[@]}" | tee "$work/cost.tsv" >&2
mkdir "$work/strace"
traced=()
for spec in "${relays_unix[@]}"; do
  name=${spec%%=*} rest=${spec#*=}
  traced+=("$name=${rest%%:*}:strace -c -f -o $work/strace/${name// /_}.{rounds} ${rest#*:}")
done
"$bin/bench/bench" cost "$cost_rounds" "$work" "${traced[@]}" >/dev/null

# Where each hop's wake-up lands: the scheduler's sched_wakeup events
# (perf record -a) during sessions open together, rounds interleaved, the
# waker's CPU against the CPU the wakee is sent to; each program's events
# are told apart by its command name. A wake-up sent to the other CPU is
# what costs tens of microseconds when that CPU is idle.
echo "== wake-ups of one round trip ($rounds rounds)" >&2
mkdir "$work/wakeups"
echo "$rounds" >"$work/wakeups/rounds"
for spec in "${relays_unix[@]}"; do
  name=${spec%%=*} cmd=${spec#*:}
  basename "${cmd%% *}" | cut -c1-15 >"$work/wakeups/${name// /_}.comm"
done
if ! perf record -q -a -e sched:sched_wakeup -o "$work/wakeups/perf.data" -- \
    "$bin/bench/bench" rtt "$rounds" 0 unix together "$work" "${relays_unix[@]}" \
    >/dev/null 2>"$work/wakeups/err" ||
   ! perf script -i "$work/wakeups/perf.data" -F comm,cpu,trace >"$work/wakeups/perf.txt" \
    2>>"$work/wakeups/err"; then
  echo "perf could not record wake-ups: $(head -c 200 "$work/wakeups/err")" >&2
  rm -f "$work/wakeups/perf.txt"
fi
rm -f "$work/wakeups/perf.data"

echo "== binaries" >&2
{
  printf 'program\tbytes\tshared_libraries\n'
  for b in "$proxy" "$bin/bench/floor" "$(command -v socat)" "$(command -v nc.openbsd || command -v nc)"; do
    libs=$(ldd "$b" 2>/dev/null | grep -c '=>' || true)
    printf '%s\t%s\t%s\n' "$(basename "$b")" "$(stat -L -c %s "$b")" "$libs"
  done
} | tee "$work/binaries.tsv" >&2

echo "== connection storm: $storm concurrent ssh sessions" >&2
# The harness's throwaway sshd (testdata/harness/e2e_lib.sh: keys, config,
# known_hosts pinned under the alias "storm"), socket-activated, one sshd -i
# per connection.
E2E=$work
sshd_setup "$work" storm
# bash reads ~/.bashrc for a command from sshd unless it is a nested shell:
# SHLVL=1 makes it one. The storm measures the proxy and sshd, not the rc
# files of whoever runs it (a root .bashrc that runs pyenv made 5 of 200
# sessions fail on pyenv's lock).
echo "SetEnv SHLVL=1" >>"$work/sshd_config"
cat >"$work/ssh_config" <<CONF
Host *
  ProxyCommand $proxy %h %p %n
  ProxyUseFdpass yes
  HostKeyAlias storm
  UserKnownHostsFile $work/known_hosts
  StrictHostKeyChecking yes
  IdentityFile $work/client_key
  IdentitiesOnly yes
  BatchMode yes
  User $(id -un)
CONF
start_sshd "$work/storm.sock"
pids+=("${E2E_PIDS[@]}")
start=$(date +%s.%N)
storm_pids=()
for i in $(seq "$storm"); do
  # stdout only: the remote shell's start-up may talk on stderr.
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


# The guest generator's wall time: bench/generator_timer runs it as systemd
# does (fork to reaped exit, three output directories, stderr on /dev/null)
# into scratch directories, never into this machine's /run/systemd/generator;
# /bin/true is the cost of fork and exec alone.
echo "== generator: ssh-socket-proxy-generator wall time" >&2
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

# Two writes and one answer through the relay to a VM over TCP (machined's
# sshAddress, the fake machined above): what Nagle's algorithm stalls when
# the relay leaves it on.
echo "== two writes, one answer (TCP)" >&2
tw_rounds=$([ $quick -eq 1 ] && echo 5 || echo 200)
SSH_SOCKET_PROXY_RUNTIME_DIR="$work/run" XDG_RUNTIME_DIR="$work/user" \
  python3 bench/two_writes.py "$tw_rounds" \
  "ssh-socket-proxy=$proxy --mode=relay machine/bench {}" \
  "socat=socat - TCP:127.0.0.1:{}" | tee "$work/two_writes.tsv" >&2

# Why the binaries are static: a measurement of link variants that needs
# rebuilds, so it is kept as its own page and included here.
cp docs/linking.md "$work/linking.md"

echo "== report" >&2
python3 bench/report.py --work "$work" --out "$out" --runs "$runs" --bytes "$bytes" \
  --reps "$reps" --rounds "$rounds" --user "$user_name"

if [ "$ok" -ne "$storm" ]; then
  echo "bench: only $ok of $storm storm sessions succeeded" >&2
  exit 1
fi
echo "bench: every harness ran" >&2
