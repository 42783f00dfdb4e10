#!/usr/bin/env bash
# End to end for machine/NAME: a test machined (testdata/harness/fake_machined.py)
# per scope, answering from fixtures; a systemd-nspawn-style container whose
# exported sshd socket is a throwaway sshd; a VM known only by its SSH
# address, reached over TCP on 127.0.0.1; a VM with a vsock CID, checked with
# --dry-run only. The real binary never gets to connect to a vsock CID here:
# strace's connect injection (the way to run it safely) would also block the
# Varlink connect, so the CID and port it would use are checked through the
# fake syscalls (//cli:run_test, MachineVmConnectsOverVsock).
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/e2e_lib.sh"
e2e_guard "$@"
e2e_init

machined=$(e2e_runfile testdata/harness/fake_machined.py)
start_machined() {  # start_machined RUNTIME_DIR FIXTURE_JSON
  local sock="$1/systemd/machine/io.systemd.Machine"
  echo "$2" >"$1.fixture.json"
  python3 "$machined" --listen "$sock" --fixture "$1.fixture.json" 2>>"$E2E/machined.log" &
  E2E_PIDS+=($!)
  e2e_wait_socket "$sock"
}

tcp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
systemd-socket-activate --accept --inetd -l "127.0.0.1:$tcp_port" \
  /usr/sbin/sshd -i -f "$E2E/sshd_config" 2>>"$E2E/socket-activate.log" &
E2E_PIDS+=($!)

mkdir -p "$E2E/run" "$E2E/user"
start_sshd "$E2E/run/systemd/nspawn/unix-export/debian/ssh"
start_machined "$E2E/user" '{
  "uservm": {"parameters": {"name": "uservm", "class": "vm", "service": "systemd-vmspawn", "vSockCid": 4711}}
}'
start_machined "$E2E/run" '{
  "debian": {"parameters": {"name": "debian", "class": "container", "service": "systemd-nspawn", "leader": 1}},
  "nosshd": {"parameters": {"name": "nosshd", "class": "container", "service": "systemd-nspawn"}},
  "tcpvm": {"parameters": {"name": "tcpvm", "class": "vm", "service": "qemu", "sshAddress": "127.0.0.1"}},
  "nocid": {"parameters": {"name": "nocid", "class": "vm"}},
  "badjson": {"raw": "{\"parameters\": {"},
  "nonul": {"raw": "{\"parameters\":{}}", "nul": false},
  "wrongtype": {"parameters": {"class": "vm", "vSockCid": "4711"}},
  "errorreply": {"error": "io.systemd.Machine.Whatever", "parameters": {}},
  "huge": {"size": 1100000}
}'
export XDG_RUNTIME_DIR="$E2E/user" SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/run"


case_container_found_in_system_scope() {
  # The user machined says NoSuchMachine; the system one knows it.
  e2e_ssh -o "ProxyCommand=$PROXY -v %h %p %n" machine/debian echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "machine debian (system scope, class container, service systemd-nspawn): unix $E2E/run/systemd/nspawn/unix-export/debian/ssh" "$ERR"
}

case_percent_form() {
  e2e_ssh machine%debian echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_vm_over_tcp() {
  e2e_ssh -p "$tcp_port" machine/tcpvm echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_vm_with_cid_dry_run() {
  local rc=0
  timeout 10 "$PROXY" --dry-run machine/uservm 2222 2>"$E2E/err" || rc=$?
  expect_eq "exit" 0 "$rc"
  expect_eq "dry run" "machine uservm (user scope, class vm, service systemd-vmspawn): vsock cid=4711 port=2222" "$(cat "$E2E/err")"
}

case_user_socket_missing_falls_back() {
  XDG_RUNTIME_DIR="$E2E/nobody-here" e2e_ssh machine/debian echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_unknown_machine() {
  e2e_ssh machine/ghost true
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "ssh-socket-proxy: machine ghost is not known to systemd-machined (asked the user and system scopes; machinectl list shows what is registered)" "$ERR"
}

case_no_machined() {
  local rc=0
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/empty" timeout 10 "$PROXY" -n machine/x 2>"$E2E/err" || rc=$?
  expect_eq "exit" 1 "$rc"
  expect_contains "stderr" "ssh-socket-proxy: no systemd-machined to ask about machine x: $E2E/empty/systemd/machine/io.systemd.Machine is not there" "$(cat "$E2E/err")"
}

case_container_without_sshd() {
  e2e_ssh machine/nosshd true
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "connect unix:$E2E/run/systemd/nspawn/unix-export/nosshd/ssh: No such file or directory; the container exports its sshd there only when sshd and systemd-ssh-generator (systemd 256+) are enabled in it" "$ERR"
}

case_vm_without_address() {
  proxy_direct "$PROXY" machine/nocid
  expect_eq "stderr" "ssh-socket-proxy: machine nocid has no AF_VSOCK CID and no SSH address; give the VM a vsock device (systemd-vmspawn does), or ssh to its address" "$ERR"
}

case_malformed_replies() {
  local name want
  while IFS='|' read -r name want; do
    local rc=0
    timeout 10 "$PROXY" -n "machine/$name" 2>"$E2E/err" || rc=$?
    expect_eq "$name exit" 1 "$rc"
    expect_contains "$name" "$want" "$(cat "$E2E/err")"
  done <<TABLE
badjson|machined (system) $E2E/run/systemd/machine/io.systemd.Machine: machined reply: not a JSON object
nonul|machined (system) $E2E/run/systemd/machine/io.systemd.Machine: reply ended without its NUL terminator
wrongtype|machined reply: "vSockCid" is not a CID
errorreply|machined answered io.systemd.Machine.Whatever
huge|reply larger than 1048576 bytes
TABLE
}

case_wait_covers_late_registration() {
  # A machined that does not know "late" yet; it registers 2 s later, as a
  # VM does right after systemd-vmspawn starts.
  mkdir -p "$E2E/late"
  start_machined "$E2E/late" '{}'
  ( sleep 2
    echo '{"late": {"parameters": {"name": "late", "class": "vm", "sshAddress": "127.0.0.1"}}}' \
      >"$E2E/late.fixture.json.new"
    mv "$E2E/late.fixture.json.new" "$E2E/late.fixture.json" ) &
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/late" e2e_ssh -p "$tcp_port" \
    -o "ProxyCommand=$PROXY --wait=20s %h %p %n" machine/late echo ok
  wait $!
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
}

case_wait_zero_asks_once() {
  mkdir -p "$E2E/never"
  start_machined "$E2E/never" '{}'
  local rc=0 start=$SECONDS
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/never" timeout 10 \
    "$PROXY" --wait=0 --mode=relay machine/never </dev/null 2>"$E2E/err" || rc=$?
  expect_eq "exit" 1 "$rc"
  expect_eq "stderr" "ssh-socket-proxy: machine never is not known to systemd-machined (asked the system scope; machinectl list shows what is registered)" "$(cat "$E2E/err")"
  [ $((SECONDS - start)) -le 2 ]
}

case_wait_gives_up_on_a_machine_that_never_comes() {
  local rc=0
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/never" timeout 10 \
    "$PROXY" --wait=1s --mode=relay machine/never </dev/null 2>"$E2E/err" || rc=$?
  expect_eq "exit" 1 "$rc"
  expect_contains "stderr" "machine never is not known to systemd-machined (asked the system scope; machinectl list shows what is registered) (still, after " "$(cat "$E2E/err")"
}

case_scp_example_from_the_fragment() {
  # The shipped fragment's scp example: a host without "/" before ":".
  echo "payload $RANDOM" >"$E2E/scp-src.txt"
  timeout 30 scp -q -F "$E2E/ssh_config" "$E2E/scp-src.txt" "machine%debian:$E2E/scp-dst.txt" \
    2>"$E2E/err" || { cat "$E2E/err"; return 1; }
  cmp "$E2E/scp-src.txt" "$E2E/scp-dst.txt"
  grep -q '^#   scp file machine%debian:/tmp/' "$FRAGMENT_SRC"
}

case_machined_socket_refuses() {
  # A socket file with nothing behind it: a machined that stopped. It used to
  # be reported as "not there".
  mkdir -p "$E2E/stale/systemd/machine"
  python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$E2E/stale/systemd/machine/io.systemd.Machine"
  local rc=0
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/stale" timeout 10 "$PROXY" -n machine/x \
    2>"$E2E/err" || rc=$?
  expect_eq "exit" 1 "$rc"
  expect_eq "stderr" "ssh-socket-proxy: no systemd-machined to ask about machine x: $E2E/stale/systemd/machine/io.systemd.Machine refuses connections (connect unix:$E2E/stale/systemd/machine/io.systemd.Machine: Connection refused); systemd-machined is not running (its socket file is left): start it (systemctl start systemd-machined; systemctl status systemd-machined says why it stopped)" "$(cat "$E2E/err")"
}

case_vm_over_ipv6_with_a_zone() {
  # A VM known by a scoped IPv6 sshAddress. The zone is parsed by the real
  # (static) binary and put into sin6_scope_id; ::1 ignores it, so an sshd on
  # [::1] shows that the whole path works. (A link-local fe80:: address would
  # need one configured on an interface.)
  mkdir -p "$E2E/v6"
  start_machined "$E2E/v6" '{
    "v6vm": {"parameters": {"name": "v6vm", "class": "vm", "sshAddress": "::1%1"}},
    "zonevm": {"parameters": {"name": "zonevm", "class": "vm", "sshAddress": "fe80::1%nosuch0"}}
  }'
  local rc=0
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/v6" timeout 10 "$PROXY" --mode=relay \
    machine/zonevm </dev/null 2>"$E2E/err" || rc=$?
  expect_eq "unknown zone exit" 1 "$rc"
  expect_eq "unknown zone" "ssh-socket-proxy: IPv6 address \"fe80::1%nosuch0\": its zone \"nosuch0\" is no network interface here (ip link lists them; a name is taken for link-local fe80:: addresses only, a number for any)" "$(cat "$E2E/err")" || return 1
  local port6
  if ! port6=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0)); print(s.getsockname()[1])' 2>/dev/null); then
    echo "  no ::1 on this machine: the connect is covered by //net:connect_test only"
    return 0
  fi
  systemd-socket-activate --accept --inetd -l "[::1]:$port6" \
    /usr/sbin/sshd -i -f "$E2E/sshd_config" 2>>"$E2E/socket-activate.log" &
  E2E_PIDS+=($!)
  python3 -c '
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("::1", int(sys.argv[1])), 1).close(); break
    except OSError:
        time.sleep(0.05)' "$port6"
  XDG_RUNTIME_DIR= SSH_SOCKET_PROXY_RUNTIME_DIR="$E2E/v6" \
    e2e_ssh -p "$port6" -o "ProxyCommand=$PROXY -v %h %p %n" machine/v6vm echo ok
  expect_eq "remote" ok "$OUT" || { echo "$ERR"; return 1; }
  expect_contains "proxy" "tcp ::1%1 port=$port6" "$ERR"
}

e2e_case machined_socket_refuses case_machined_socket_refuses
e2e_case vm_over_ipv6_with_a_zone case_vm_over_ipv6_with_a_zone
e2e_case container_found_in_system_scope case_container_found_in_system_scope
e2e_case scp_example_from_the_fragment case_scp_example_from_the_fragment
e2e_case machine_percent_form case_percent_form
e2e_case vm_over_tcp case_vm_over_tcp
e2e_case vm_with_cid_dry_run case_vm_with_cid_dry_run
e2e_case user_socket_missing_falls_back case_user_socket_missing_falls_back
e2e_case unknown_machine case_unknown_machine
e2e_case no_machined case_no_machined
e2e_case container_without_sshd case_container_without_sshd
e2e_case vm_without_address case_vm_without_address
e2e_case malformed_replies case_malformed_replies
e2e_case wait_covers_late_registration case_wait_covers_late_registration
e2e_case wait_zero_asks_once case_wait_zero_asks_once
e2e_case wait_gives_up_on_a_machine_that_never_comes case_wait_gives_up_on_a_machine_that_never_comes
e2e_finish e2e_machine
