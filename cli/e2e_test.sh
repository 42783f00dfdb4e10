#!/usr/bin/env bash
# End to end with the real OpenSSH client and server: ssh runs the built proxy
# through the shipped config fragment, the proxy hands the connection over,
# and a throwaway socket-activated sshd answers. Also the failure paths, each
# with its message and exit code, and a check that nothing leaks.
source "$(dirname "$0")/../testdata/harness/e2e_lib.sh" 2>/dev/null ||
  source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/e2e_lib.sh"
e2e_guard "$@"
e2e_init

start_sshd "$E2E/vm.sock"

case_unix() {
  e2e_ssh "unix$E2E/vm.sock" echo ok
  expect_eq "ssh exit" 0 "$RC" || { echo "$ERR"; return 1; }
  expect_eq "remote output" ok "$OUT"
}

case_double_slash() {
  e2e_ssh "unix/$E2E/vm.sock" echo ok
  expect_eq "remote output" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_long_path() {
  local dir="$E2E/$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))"
  start_sshd "$dir/ssh.sock"
  [ ${#dir} -gt 108 ] || { echo "path only ${#dir} bytes"; return 1; }
  e2e_ssh "unix$dir/ssh.sock" echo ok
  expect_eq "remote output" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_percent_keeps_case() {
  start_sshd "$E2E/Mixed/VM.sock"
  e2e_ssh "unix%$E2E/Mixed/VM.sock" echo ok
  expect_eq "remote output" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_slash_case_restored_from_n() {
  start_sshd "$E2E/Upper/VM.sock"
  # ssh passes %h lowercased; the fragment's %n brings the case back.
  e2e_ssh "unix$E2E/Upper/VM.sock" echo ok
  expect_eq "remote output" ok "$OUT" || { echo "$ERR"; return 1; }
  # Without %n the lowered path does not exist: proof that %n did the work.
  timeout 10 "$PROXY" "unix$E2E/upper/vm.sock" 22 </dev/null >/dev/null 2>"$E2E/err" || true
  expect_contains "without %n" "No such file or directory" "$(cat "$E2E/err")" ||
    expect_contains "without %n" "not a socket" "$(cat "$E2E/err")"
}

case_local_host() {
  SSH_SOCKET_PROXY_LOCAL_SOCKET="$E2E/vm.sock" e2e_ssh .host echo ok
  expect_eq ".host" ok "$OUT" || { echo "$ERR"; return 1; }
  SSH_SOCKET_PROXY_LOCAL_SOCKET="$E2E/vm.sock" e2e_ssh machine/.host echo ok
  expect_eq "machine/.host" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_scp_to_local_host() {
  # scp takes an argument with "/" before ":" for a local path, so scp needs
  # host strings without "/": .host, vsock%CID, machine%NAME.
  echo "payload $RANDOM" >"$E2E/src.txt"
  SSH_SOCKET_PROXY_LOCAL_SOCKET="$E2E/vm.sock" timeout 30 scp -q -F "$E2E/ssh_config" \
    "$E2E/src.txt" ".host:$E2E/dst.txt" 2>"$E2E/err" || { cat "$E2E/err"; return 1; }
  cmp "$E2E/src.txt" "$E2E/dst.txt"
}

case_scp_through_host_alias() {
  # The README's recipe, as written: an alias of its own, with the socket
  # path in the % form, % doubled, in mixed case. ssh would lower a HostName
  # with "/" in it, and %n is the alias, so only this form keeps the case.
  start_sshd "$E2E/Alias/VM.sock"
  cat >"$E2E/alias_config" <<CONF
Host myvm
    HostName unix%%${E2E#/}/Alias/VM.sock
    ProxyCommand $PROXY %h %p %n
    ProxyUseFdpass yes
    CheckHostIP no

Include $E2E/ssh_config
CONF
  head -c 100000 /dev/urandom >"$E2E/alias_src.bin"
  timeout 30 scp -q -F "$E2E/alias_config" \
    "$E2E/alias_src.bin" "myvm:$E2E/alias_dst.bin" 2>"$E2E/err" || { cat "$E2E/err"; return 1; }
  cmp "$E2E/alias_src.bin" "$E2E/alias_dst.bin" || return 1
  # Without the alias's own ProxyCommand, the fragment does not apply (its
  # patterns see "myvm"): the recipe's ProxyCommand is what made it work.
  sed -i '/ProxyCommand/d; /ProxyUseFdpass/d' "$E2E/alias_config"
  RC=0
  timeout 30 scp -q -F "$E2E/alias_config" "$E2E/alias_src.bin" "myvm:$E2E/again.bin" \
    2>"$E2E/err" || RC=$?
  expect_eq "without ProxyCommand" 255 "$RC"
}

case_rsync_through_proxy() {
  # rsync runs ssh as its remote shell: with fd passing (the fragment), and
  # with ProxyUseFdpass no, where the proxy relays ssh's pipes.
  local mode
  head -c 3000000 /dev/urandom >"$E2E/rsync_src.bin"
  local want
  want=$(sha256sum <"$E2E/rsync_src.bin")
  for mode in yes no; do
    rm -f "$E2E/rsync_dst_$mode.bin"
    SSH_SOCKET_PROXY_LOCAL_SOCKET="$E2E/vm.sock" timeout 60 rsync \
      -e "ssh -F $E2E/ssh_config -o ProxyUseFdpass=$mode -o ProxyCommand='$PROXY -v %h %p %n'" \
      "$E2E/rsync_src.bin" ".host:$E2E/rsync_dst_$mode.bin" 2>"$E2E/err" ||
      { cat "$E2E/err"; return 1; }
    expect_eq "sha256 with ProxyUseFdpass=$mode" "$want" "$(sha256sum <"$E2E/rsync_dst_$mode.bin")" ||
      return 1
    if [ $mode = yes ]; then
      expect_contains "fd passing" "debug: mode fdpass" "$(cat "$E2E/err")" || return 1
    else
      expect_contains "relay" "debug: mode relay" "$(cat "$E2E/err")" || return 1
    fi
  done
}

case_missing_socket_ssh_reports() {
  e2e_ssh "unix$E2E/nothing-here.sock" echo ok
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "ssh-socket-proxy: connect unix:$E2E/nothing-here.sock: No such file or directory; is the VM or container running" "$ERR"
}


case_hands_over_one_socket() {
  proxy_direct "$PROXY" --mode=fdpass "unix$E2E/vm.sock" 22
  expect_eq "harness" "exit=0 bytes=1 fds=1 kind=unix-stream" "$OUT"
  expect_eq "stderr" "" "$ERR"
}

case_missing_socket() {
  proxy_direct "$PROXY" --mode=fdpass "unix$E2E/missing.sock"
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_eq "stderr" "ssh-socket-proxy: connect unix:$E2E/missing.sock: No such file or directory; is the VM or container running, and is its sshd socket-activated (e.g. by systemd-ssh-generator)?" "$ERR"
}

case_regular_file() {
  touch "$E2E/plain-file"
  proxy_direct "$PROXY" --mode=fdpass "unix$E2E/plain-file"
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_eq "stderr" "ssh-socket-proxy: connect unix:$E2E/plain-file: a regular file is there, not a socket; is the path right? it must name the socket file itself" "$ERR"
}

case_nobody_listening() {
  python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$E2E/stale.sock"
  proxy_direct "$PROXY" --mode=fdpass "unix$E2E/stale.sock"
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_contains "stderr" "Connection refused; the socket file exists but nothing accepts on it" "$ERR"
}

case_permission_denied() {
  mkdir -m 0755 "$E2E/private"
  start_sshd "$E2E/private/only-owner.sock"
  chmod 0600 "$E2E/private/only-owner.sock"
  if [ "$(id -u)" -eq 0 ]; then
    # Root may connect anywhere: drop to nobody for the proxy.
    proxy_direct setpriv --reuid=nobody --regid=nogroup --clear-groups \
      "$PROXY" --mode=fdpass "unix$E2E/private/only-owner.sock"
  else
    chmod 0000 "$E2E/private/only-owner.sock"
    proxy_direct "$PROXY" --mode=fdpass "unix$E2E/private/only-owner.sock"
  fi
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_contains "stderr" "Permission denied; the socket's owner, group and mode decide who may connect" "$ERR"
}

case_stdout_not_a_socket() {
  RC=0
  timeout 10 "$PROXY" --mode=fdpass "unix$E2E/vm.sock" 22 </dev/null >"$E2E/stdout" 2>"$E2E/err" || RC=$?
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" 0 "$(stat -c %s "$E2E/stdout")"
  expect_eq "stderr" "ssh-socket-proxy: stdout is not a socket, so the connection cannot be handed over: run this from ssh with 'ProxyUseFdpass yes', or use --mode=relay" "$(cat "$E2E/err")"
}

case_bad_host_via_ssh() {
  e2e_ssh vsock/010 echo ok
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" 'ssh-socket-proxy: vsock CID "010": leading zeros are ambiguous (octal?); write 8 or 0x8' "$ERR"
  RC=0
  timeout 10 "$PROXY" vsock/010 22 </dev/null 2>/dev/null || RC=$?
  expect_eq "proxy exit" 2 "$RC"
}

case_usage_errors() {
  local rc=0
  timeout 10 "$PROXY" 2>"$E2E/err" || rc=$?
  expect_eq "no HOST exit" 2 "$rc"
  expect_eq "no HOST" "ssh-socket-proxy: missing HOST (see ssh-socket-proxy --help)" "$(cat "$E2E/err")"
  rc=0
  timeout 10 "$PROXY" --help >"$E2E/out" 2>"$E2E/err" || rc=$?
  expect_eq "--help exit" 0 "$rc"
  expect_eq "--help stdout" "" "$(cat "$E2E/out")"
  expect_contains "--help" "Exit status: 0 connection handed over" "$(cat "$E2E/err")"
}

case_vsock_is_guarded() {
  # The guard in action: the real binary cannot even create an AF_VSOCK socket.
  proxy_direct "${VSOCK_SAFE[@]}" "$PROXY" --mode=fdpass vsock/4711 22
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_eq "stderr" "ssh-socket-proxy: socket(AF_VSOCK) for connect vsock:4711:22: Permission denied; this system forbids AF_VSOCK sockets here (a seccomp filter or security module, as in containers and sandboxes): run it where vsock is allowed" "$ERR"
}

case_directory() {
  proxy_direct "$PROXY" --mode=fdpass "unix$E2E"
  expect_eq "stderr" "ssh-socket-proxy: connect unix:$E2E: a directory is there, not a socket; is the path right? it must name the socket file itself" "$ERR"
}

case_auto_mode_relays_for_socat_exec() {
  # socat's EXEC gives the proxy a socketpair, as ssh does, but reads no
  # descriptor from it: auto mode must relay (it used to send the fd, and
  # socat got one NUL byte).
  RC=0
  printf 'SSH-2.0-probe\r\n' | timeout 20 socat -t 5 - EXEC:"$PROXY unix$E2E/vm.sock" \
    >"$E2E/out" 2>"$E2E/err" || RC=$?
  expect_eq "socat exit" 0 "$RC"
  expect_contains "sshd's banner through the relay" "SSH-2.0-OpenSSH" "$(head -c 64 "$E2E/out")"
  expect_eq "stderr" "" "$(cat "$E2E/err")"
}

case_auto_mode_hands_over_to_ssh() {
  # The same auto mode under real ssh with ProxyUseFdpass: a hand-over
  # (verbose says so), and the session works.
  e2e_ssh -o "ProxyCommand=$PROXY -v %h %p %n" "unix$E2E/vm.sock" echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "debug: mode fdpass" "$ERR"
  expect_contains "proxy" "handed fd" "$ERR"
}

# listen_full PATH: a listener that never accepts, its backlog full
# (listen(0) and one connection pending); its pid in FULL_PID.
listen_full() {
  python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)
c = socket.socket(socket.AF_UNIX); c.setblocking(False); c.connect(sys.argv[1])
time.sleep(120)' "$1" &
  FULL_PID=$!
  E2E_PIDS+=($FULL_PID)
  e2e_wait_socket "$1"
  sleep 0.2
}

case_full_backlog_default_deadline() {
  listen_full "$E2E/full.sock"
  local start=$SECONDS
  RC=0
  timeout 30 "$PROXY" --mode=relay "unix$E2E/full.sock" </dev/null >/dev/null 2>"$E2E/err" || RC=$?
  kill "$FULL_PID"
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: connect unix:$E2E/full.sock: timed out; nothing answered within 10s (--connect-timeout): is the listener hung, or its backlog full? --connect-timeout=DURATION waits longer" "$(cat "$E2E/err")"
  [ $((SECONDS - start)) -le 15 ] || { echo "took $((SECONDS - start))s"; return 1; }
}

case_full_backlog_under_ssh() {
  # With ProxyUseFdpass ssh's ConnectTimeout does not cover the proxy: only
  # the proxy's own deadline ends this.
  listen_full "$E2E/full2.sock"
  e2e_ssh -o "ProxyCommand=$PROXY --connect-timeout=1s %h %p %n" "unix$E2E/full2.sock" true
  kill "$FULL_PID"
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "ssh-socket-proxy: connect unix:$E2E/full2.sock: timed out; nothing answered within 1s (--connect-timeout)" "$ERR"
}

case_full_backlog_with_wait() {
  listen_full "$E2E/full3.sock"
  RC=0
  timeout 20 "$PROXY" --mode=relay --wait=2s "unix$E2E/full3.sock" </dev/null >/dev/null 2>"$E2E/err" || RC=$?
  kill "$FULL_PID"
  expect_eq "exit" 1 "$RC"
  local err
  err=$(cat "$E2E/err")
  expect_contains "stderr" "ssh-socket-proxy: connect unix:$E2E/full3.sock: timed out (still, after " "$err"
  expect_contains "stderr" " of --wait); is the listener hung, or its backlog full? a longer --wait waits longer" "$err"
  if [[ "$err" == *"1ms"* || "$err" == *"--connect-timeout"* ]]; then
    echo "misleading: $err"; return 1
  fi
}

case_closed_stdin_relay() {
  RC=0
  timeout 10 "$PROXY" --mode=relay "unix$E2E/vm.sock" <&- >"$E2E/out" 2>"$E2E/err" || RC=$?
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: stdin is closed, so there is nothing to relay: run this as ssh's ProxyCommand, or with stdin open (</dev/null sends nothing)" "$(cat "$E2E/err")"
}

case_closed_stdout() {
  local mode
  for mode in relay auto fdpass; do
    RC=0
    timeout 10 "$PROXY" --mode=$mode "unix$E2E/vm.sock" </dev/null >&- 2>"$E2E/err" || RC=$?
    expect_eq "$mode exit" 1 "$RC"
    expect_eq "$mode stderr" "ssh-socket-proxy: stdout is closed, so the connection has nowhere to go: run this as ssh's ProxyCommand, or with stdout open" "$(cat "$E2E/err")"
  done
}

case_no_socket_on_fd_0_1_2() {
  # Every standard descriptor closed: /dev/null fills them, and the socket
  # gets fd 3 or above (it used to become stdin, or stdout, and relay to
  # itself).
  ASAN_OPTIONS=detect_leaks=0 timeout 20 strace -qq -e trace=socket,openat -o "$E2E/strace" \
    "$PROXY" --mode=fdpass "unix$E2E/missing.sock" <&- >&- 2>&- || true
  grep -qE 'openat\(AT_FDCWD, "/dev/null", O_RDWR\) += 0$' "$E2E/strace" || { cat "$E2E/strace"; return 1; }
  grep -qE 'openat\(AT_FDCWD, "/dev/null", O_RDWR\) += 2$' "$E2E/strace" || { cat "$E2E/strace"; return 1; }
  # fdpass with a closed stdout stops before any socket.
  ! grep -q '^socket(' "$E2E/strace" || { cat "$E2E/strace"; return 1; }
  # Only stderr closed: the relay connects, and its socket is not fd 2.
  ASAN_OPTIONS=detect_leaks=0 timeout 20 strace -qq -e trace=socket -o "$E2E/strace" \
    "$PROXY" --mode=relay "unix$E2E/missing.sock" </dev/null >/dev/null 2>&- || true
  grep -qE '^socket\(AF_UNIX, .*\) += ([3-9]|[1-9][0-9]+)$' "$E2E/strace" || { cat "$E2E/strace"; return 1; }
}

case_dry_run_every_form() {
  local host want
  while IFS='|' read -r host want; do
    timeout 10 "$PROXY" --dry-run "$host" 2222 >"$E2E/out" 2>"$E2E/err" ||
      { echo "exit $? for $host"; return 1; }
    expect_eq "stdout for $host" "" "$(cat "$E2E/out")"
    expect_eq "$host" "$want" "$(cat "$E2E/err")"
  done <<'TABLE'
unix/run/vm.sock|unix /run/vm.sock
unix%run/VM.sock|unix /run/VM.sock
unix/./rel.sock|unix ./rel.sock
vsock/4711|vsock cid=4711 port=2222
vsock%0x1267|vsock cid=4711 port=2222
vsock/host|vsock cid=2 port=2222
vsock-mux/run/fc.sock|vsock-mux /run/fc.sock port=2222
machine/.host|local host /run/ssh-unix-local/socket
.host|local host /run/ssh-unix-local/socket
TABLE
}

case_no_descriptor_leaks() {
  # Every descriptor the proxy opens (after its own start-up) is closed
  # before it exits; only the copy handed to ssh lives on, in ssh.
  # LeakSanitizer (the asan build) cannot run under ptrace; this case is
  # about descriptors, and the asan unit tests cover memory.
  ASAN_OPTIONS=detect_leaks=0 timeout 20 strace -f -qq -e trace=socket,openat,open,close,exit_group \
    -o "$E2E/strace" python3 "$HARNESS" "$PROXY" --mode=fdpass "unix$E2E/vm.sock" >"$E2E/out" 2>&1
  expect_eq "harness" "exit=0 bytes=1 fds=1 kind=unix-stream" "$(cat "$E2E/out")"
  # Only the proxy's process: the pid that ran execve of the proxy binary.
  python3 - "$E2E/strace" "$PROXY" <<'PY'
import re, sys
log, proxy = sys.argv[1], sys.argv[2]
lines = open(log).read().splitlines()
pids = {l.split()[0] for l in lines}
# The harness (python) opens many files; the proxy is the pid whose first
# traced call happens after fork and whose exit_group comes last for it.
by_pid = {}
for l in lines:
    pid, rest = l.split(None, 1)
    by_pid.setdefault(pid, []).append(rest)
leaks = None
for pid, calls in by_pid.items():
    if not any(c.startswith("socket(AF_UNIX") for c in calls):
        continue
    if not any("exit_group(0)" in c for c in calls):
        continue
    open_fds = set()
    for c in calls:
        m = re.match(r"(socket|openat|open)\(.*\) = (\d+)$", c)
        if m:
            open_fds.add(int(m.group(2)))
        m = re.match(r"close\((\d+)\)\s+= 0", c)
        if m:
            open_fds.discard(int(m.group(1)))
    if any(c.startswith("socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC") for c in calls):
        leaks = open_fds
if leaks is None:
    print("proxy process not found in strace log"); sys.exit(1)
if leaks:
    print("descriptors still open at exit:", sorted(leaks)); sys.exit(1)
PY
}

e2e_case unix_path case_unix
e2e_case unix_double_slash case_double_slash
e2e_case unix_path_longer_than_sun_path case_long_path
e2e_case percent_form_keeps_case case_percent_keeps_case
e2e_case slash_form_case_restored_by_percent_n case_slash_case_restored_from_n
e2e_case local_host_overridden_socket case_local_host
e2e_case scp_to_local_host case_scp_to_local_host
e2e_case scp_through_host_alias case_scp_through_host_alias
e2e_case rsync_through_proxy_fdpass_and_relay case_rsync_through_proxy
e2e_case hands_over_exactly_one_socket case_hands_over_one_socket
e2e_case missing_socket_reported_by_ssh case_missing_socket_ssh_reports
e2e_case missing_socket case_missing_socket
e2e_case regular_file case_regular_file
e2e_case socket_nobody_listens_on case_nobody_listening
e2e_case permission_denied case_permission_denied
e2e_case stdout_not_a_socket case_stdout_not_a_socket
e2e_case bad_host_string_via_ssh case_bad_host_via_ssh
e2e_case usage_errors case_usage_errors
e2e_case vsock_guard_blocks_real_vsock case_vsock_is_guarded
e2e_case dry_run_every_form case_dry_run_every_form
e2e_case no_descriptor_leaks case_no_descriptor_leaks
e2e_case directory_is_not_a_socket case_directory
e2e_case auto_mode_relays_for_socat_exec case_auto_mode_relays_for_socat_exec
e2e_case auto_mode_hands_over_to_ssh case_auto_mode_hands_over_to_ssh
e2e_case full_backlog_default_deadline case_full_backlog_default_deadline
e2e_case full_backlog_under_ssh case_full_backlog_under_ssh
e2e_case full_backlog_with_wait case_full_backlog_with_wait
e2e_case closed_stdin_relay case_closed_stdin_relay
e2e_case closed_stdout case_closed_stdout
e2e_case no_socket_on_fd_0_1_2 case_no_socket_on_fd_0_1_2
e2e_finish e2e
