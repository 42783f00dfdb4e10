#!/usr/bin/env bash
# End to end for vsock-mux/ (a test multiplexer in front of sshd -i), relay
# mode (ssh with ProxyUseFdpass no), and --wait for a guest still booting.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/e2e_lib.sh"
e2e_guard "$@"
e2e_init

start_sshd "$E2E/vm.sock"
start_mux "$E2E/fc.sock" firecracker
start_mux "$E2E/plain.sock" no-ok

# ssh with the proxy in verbose mode, to see what it decided.
verbose=(-o "ProxyCommand=$PROXY -v %h %p %n")
relay=(-o ProxyUseFdpass=no)

case_mux_firecracker_ok_line() {
  e2e_ssh "${verbose[@]}" "vsock-mux$E2E/fc.sock" echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "multiplexer answered OK 10737418" "$ERR"
  expect_contains "proxy" "mode fdpass" "$ERR"
}

case_mux_percent_form() {
  e2e_ssh "vsock-mux%$E2E/fc.sock" echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_mux_without_ok_line() {
  e2e_ssh "${verbose[@]}" "vsock-mux$E2E/plain.sock" echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "multiplexer sent no OK line; the guest spoke first" "$ERR"
}

case_mux_closed_port() {
  e2e_ssh -p 2222 "vsock-mux$E2E/fc.sock" echo ok
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "ssh-socket-proxy: port 2222 on $E2E/fc.sock is not open: the multiplexer closed the connection without a reply; is sshd listening on vsock port 2222 in the guest" "$ERR"
}

case_mux_through_relay() {
  e2e_ssh "${relay[@]}" "${verbose[@]}" "vsock-mux$E2E/fc.sock" echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "mode relay" "$ERR"
}

case_relay_256mib_each_way() {
  head -c 256M /dev/urandom >"$E2E/blob"
  local want got
  want=$(sha256sum <"$E2E/blob" | cut -d' ' -f1)
  # Up: ssh's stdin through the relay to the remote's sha256sum.
  got=$(timeout 120 ssh -F "$E2E/ssh_config" "${relay[@]}" "unix$E2E/vm.sock" sha256sum <"$E2E/blob" | cut -d' ' -f1)
  expect_eq "upload sha256" "$want" "$got"
  # Down: the remote's cat through the relay to ours.
  got=$(timeout 120 ssh -F "$E2E/ssh_config" "${relay[@]}" "unix$E2E/vm.sock" cat "$E2E/blob" | sha256sum | cut -d' ' -f1)
  expect_eq "download sha256" "$want" "$got"
  rm -f "$E2E/blob"
}

case_relay_interactive() {
  # Lines go back and forth one at a time; nothing may wait for a full buffer.
  local out
  out=$( { echo one; sleep 0.3; echo two; sleep 0.3; echo three; } |
    timeout 30 ssh -F "$E2E/ssh_config" "${relay[@]}" "unix$E2E/vm.sock" \
      'while read -r l; do echo "got $l"; done' 2>"$E2E/err")
  expect_eq "exchange" "got one
got two
got three" "$out"
}

case_relay_remote_closes_first() {
  # stdin stays open for 20 s; the remote exits at once with status 3.
  local start rc=0
  start=$(date +%s)
  # (A process substitution, not a pipe: a pipeline would wait for sleep.)
  timeout 30 ssh -F "$E2E/ssh_config" "${relay[@]}" "unix$E2E/vm.sock" \
    'echo bye; exit 3' < <(sleep 20) >"$E2E/out" 2>"$E2E/err" || rc=$?
  expect_eq "remote exit status" 3 "$rc"
  expect_eq "output" bye "$(cat "$E2E/out")"
  [ $(( $(date +%s) - start )) -lt 10 ] || { echo "ssh did not end when the remote did"; return 1; }
}

case_wait_for_a_booting_guest() {
  # The proxy starts first; the guest's socket appears two seconds later.
  ( sleep 2; start_sshd "$E2E/late/ssh.sock" ) &
  local starter=$!
  mkdir -p "$E2E/late"
  local start=$(date +%s)
  e2e_ssh -o "ProxyCommand=$PROXY --wait=20s -v %h %p %n" "unix$E2E/late/ssh.sock" echo ok
  wait "$starter"
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "attempt 1: connect unix:$E2E/late/ssh.sock: No such file or directory; again in 100ms" "$ERR"
  [ $(( $(date +%s) - start )) -ge 2 ] || { echo "connected before the socket existed?"; return 1; }
}

case_wait_gives_up() {
  local start=$(date +%s)
  e2e_ssh -o "ProxyCommand=$PROXY --wait=1500ms %h %p %n" "unix$E2E/never.sock" true
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "No such file or directory (still, after" "$ERR"
  expect_contains "stderr" "in 1.5s of --wait)" "$ERR"
  [ $(( $(date +%s) - start )) -lt 6 ] || { echo "waited too long"; return 1; }
}

case_paramiko_through_relay() {
  # paramiko always talks through the ProxyCommand's pipes (relay mode; it
  # keeps the command's stderr in a pipe of its own and never reads it).
  head -c 3000000 /dev/urandom >"$E2E/paramiko_down.bin"
  local out rc=0
  out=$(timeout 120 /usr/bin/python3 "$(e2e_runfile testdata/harness/paramiko_client.py)" \
    "$PROXY unix$E2E/vm.sock 22" "$E2E/host_key.pub" "$E2E/client_key" "$(id -un)" \
    2000000 "$E2E/paramiko_down.bin" 2>"$E2E/err") || rc=$?
  expect_eq "paramiko exit" 0 "$rc" || { cat "$E2E/err"; return 1; }
  expect_eq "paramiko checks" "command ok
upload ok
download ok
interactive ok" "$out"
}

case_git_through_relay() {
  # git runs ssh for clone and push; with ProxyUseFdpass no the proxy
  # relays git's pack protocol through ssh's pipes.
  local ssh_cmd="ssh -F $E2E/ssh_config -o ProxyUseFdpass=no -o ProxyCommand='$PROXY -v %h %p %n'"
  git init -q --bare "$E2E/repo.git"
  git init -q "$E2E/src"
  head -c 1000000 /dev/urandom >"$E2E/src/blob"
  git -C "$E2E/src" add blob
  git -C "$E2E/src" -c user.name=e2e -c user.email=e2e@example.invalid commit -q -m blob
  SSH_SOCKET_PROXY_LOCAL_SOCKET="$E2E/vm.sock" GIT_SSH_COMMAND="$ssh_cmd" timeout 60 \
    git -C "$E2E/src" push -q ".host:$E2E/repo.git" HEAD:refs/heads/main 2>"$E2E/err" ||
    { cat "$E2E/err"; return 1; }
  expect_contains "relay" "debug: mode relay" "$(cat "$E2E/err")" || return 1
  SSH_SOCKET_PROXY_LOCAL_SOCKET="$E2E/vm.sock" GIT_SSH_COMMAND="$ssh_cmd" timeout 60 \
    git clone -q -b main ".host:$E2E/repo.git" "$E2E/clone" 2>"$E2E/err" ||
    { cat "$E2E/err"; return 1; }
  expect_eq "cloned blob" "$(sha256sum <"$E2E/src/blob")" "$(sha256sum <"$E2E/clone/blob")"
}

case_relay_stdout_file() {
  # A caller that is not ssh at all: stdin from /dev/null, stdout a file.
  # The relay delivers the guest's banner and ends when sshd gives up on us.
  local rc=0
  timeout 30 "$PROXY" "unix$E2E/vm.sock" 22 </dev/null >"$E2E/banner" 2>"$E2E/err" || rc=$?
  expect_eq "exit" 0 "$rc" || { cat "$E2E/err"; return 1; }
  expect_contains "banner" "SSH-2.0-OpenSSH" "$(head -c 64 "$E2E/banner")"
}

e2e_case mux_firecracker_ok_line case_mux_firecracker_ok_line
e2e_case mux_percent_form case_mux_percent_form
e2e_case mux_without_ok_line case_mux_without_ok_line
e2e_case mux_closed_port case_mux_closed_port
e2e_case mux_through_relay case_mux_through_relay
e2e_case relay_256mib_each_way case_relay_256mib_each_way
e2e_case relay_interactive case_relay_interactive
e2e_case relay_remote_closes_first case_relay_remote_closes_first
e2e_case relay_with_stdout_a_file case_relay_stdout_file
e2e_case paramiko_through_relay case_paramiko_through_relay
e2e_case git_push_and_clone_through_relay case_git_through_relay
e2e_case wait_for_a_booting_guest case_wait_for_a_booting_guest
e2e_case wait_gives_up case_wait_gives_up
e2e_finish e2e_mux_relay
