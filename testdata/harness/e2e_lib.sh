# Shared by every shell test (the end-to-end tests, the guest tests,
# ci/package_test.sh) and ci/demo.sh: a case runner that writes JUnit XML
# for Bazel (the one writer), and throwaway sshd instances behind AF_UNIX
# sockets. testdata/harness/ is the shell harness's one home: this file, the
# vsock guard (no_vsock), the stand-ins the proxy talks to (fake_*.py,
# fdpass_harness.py), guest_lib.sh (booted containers) and the qemu VM
# harness (vm_lib.sh) beside it.
#
#   source testdata/harness/e2e_lib.sh
#   e2e_guard "$@"               # re-execs the script under no_vsock, once
#   e2e_init                     # e2e_begin, then keys, configs, the proxy
#   start_sshd "$E2E/vm.sock"    # socket-activated sshd -i, one per connection
#   e2e_case NAME FUNCTION       # runs FUNCTION, records pass/fail
#   e2e_finish                   # writes the XML, exits non-zero on failure
#
# Tests that need no sshd of their own (the guest tests, ci/package_test.sh)
# call e2e_begin instead of e2e_init, and e2e_record for a step that must run
# in the test's own shell (booting a guest) but still counts as a case.
#
# Everything runs under no_vsock (socket(AF_VSOCK) fails with EACCES), so no
# end-to-end test can reach a real vsock peer. Commands are bounded by
# `timeout`, so a hang fails the case instead of the whole test.

set -uo pipefail

# No case counted yet (e2e_record), nothing started yet (start_*).
E2E_PASSED=0
E2E_FAILED=0
E2E_XML=""
E2E_PIDS=()

e2e_runfile() {
  local f="${TEST_SRCDIR:-$PWD/..}/${TEST_WORKSPACE:-ssh_socket_proxy}/$1"
  [ -e "$f" ] || f="$1"
  echo "$f"
}

# Re-executes the calling script under the vsock guard, once.
e2e_guard() {
  if [ -z "${E2E_UNDER_NO_VSOCK:-}" ]; then
    local guard
    guard=$(e2e_runfile testdata/harness/no_vsock)
    "$guard" --self-test || { echo "the vsock guard does not work here" >&2; exit 1; }
    E2E_UNDER_NO_VSOCK=1 exec "$guard" "$BASH" "$0" "$@"
  fi
}

# e2e_begin [NAME]: $E2E, a fresh directory /tmp/NAME.XXXXXX (ssp-e2e) for
# the test's files, that e2e_cleanup removes (a caller with its own EXIT
# trap removes it there).
e2e_begin() {
  # Socket paths must fit in sun_path (108 bytes); Bazel's TEST_TMPDIR may not.
  E2E=$(mktemp -d "/tmp/${1:-ssp-e2e}.XXXXXX") || return 1
  chmod 0755 "$E2E"
}

e2e_init() {
  PROXY_BIN=$(e2e_runfile cli/ssh-socket-proxy)
  HARNESS=$(e2e_runfile testdata/harness/fdpass_harness.py)
  FRAGMENT_SRC=$(e2e_runfile cli/ssh_config/20-ssh-socket-proxy.conf)
  e2e_begin
  trap e2e_cleanup EXIT

  # A copy of the binary everybody may run (for the permission test's
  # unprivileged user; Bazel's output tree may sit under /root).
  cp "$PROXY_BIN" "$E2E/ssh-socket-proxy"
  chmod 0755 "$E2E/ssh-socket-proxy"
  PROXY="$E2E/ssh-socket-proxy"

  sshd_setup "$E2E" e2e-guest
  # The shipped fragment, pointing at the binary under test.
  sed "s|/usr/local/bin/ssh-socket-proxy|$PROXY|g" "$FRAGMENT_SRC" >"$E2E/fragment.conf"
  e2e_ssh_config "$E2E" "$(id -un)" "$E2E/client_key" e2e-guest >"$E2E/ssh_config"
}

# e2e_ssh_config DIR USER KEY ALIAS [OPTION...]: prints an ssh config for
# the tests: log in as USER with KEY alone, never interactively, the host
# key checked strictly against DIR/known_hosts under ALIAS (ssh's
# HostKeyAlias), the OPTIONs ("ConnectTimeout 20"), then DIR/fragment.conf,
# the fragment under test. DIR is a path as ssh will see it (in a guest, the
# guest's). Test settings come first: for each option ssh takes the first
# value it sees.
e2e_ssh_config() {
  local dir=$1 user=$2 key=$3 alias=$4; shift 4
  printf '%s\n' "Host *" "  User $user" "  IdentityFile $key" "  IdentitiesOnly yes" \
    "  UserKnownHostsFile $dir/known_hosts" "  GlobalKnownHostsFile /dev/null" \
    "  StrictHostKeyChecking yes" "  HostKeyAlias $alias" "  BatchMode yes" "  LogLevel ERROR"
  [ $# -eq 0 ] || printf '  %s\n' "$@"
  printf '\nInclude %s\n' "$dir/fragment.conf"
}

# sshd_setup DIR ALIAS: what throwaway sshd instances need, in DIR: a host
# key, a client key (DIR/client_key) allowed to log in, DIR/sshd_config, and
# DIR/known_hosts pinning the host key under ALIAS (ssh's HostKeyAlias).
# Shared with ci/demo.sh.
sshd_setup() {
  local dir=$1 alias=$2
  ssh-keygen -q -t ed25519 -N '' -C "$alias-host" -f "$dir/host_key"
  ssh-keygen -q -t ed25519 -N '' -C "$alias-client" -f "$dir/client_key"
  cp "$dir/client_key.pub" "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<CONF
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp internal-sftp
LogLevel ERROR
CONF
  echo "$alias $(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
}

# The EXIT trap: stops what start_* started and removes $E2E (private keys
# included). Every step may fail (a process already gone; wait reports a
# child killed by SIGTERM as 143) without stopping the rest, also under
# set -e, and the script keeps its own exit status.
e2e_cleanup() {
  local rc=$? pid
  for pid in "${E2E_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$E2E"
  return "$rc"
}

# e2e_wait_socket PATH: returns once PATH is a socket (5 s at most).
e2e_wait_socket() {
  local i
  for i in $(seq 100); do
    [ -S "$1" ] && return 0
    sleep 0.05
  done
  echo "socket $1 did not appear" >&2
  return 1
}

# start_sshd SOCKET: one `sshd -i` per connection, as systemd-ssh-generator
# sets it up in guests. Returns once the socket exists. Sockets are bound at a
# short path and renamed into place, so SOCKET may be longer than sun_path.
start_sshd() {
  local short
  short=$(mktemp -u "$E2E/l.XXXXXX")
  mkdir -p "$(dirname "$1")"
  systemd-socket-activate --accept --inetd -l "$short" \
    /usr/sbin/sshd -i -f "$E2E/sshd_config" 2>>"$E2E/socket-activate.log" &
  E2E_PIDS+=($!)
  e2e_wait_socket "$short" && mv "$short" "$1"
}

# start_mux PATH STYLE: the test multiplexer (testdata/harness/fake_mux.py) in
# front of sshd -i for guest port 22.
start_mux() {
  python3 "$(e2e_runfile testdata/harness/fake_mux.py)" --listen "$1" --style "$2" \
    --guest-port 22 -- /usr/sbin/sshd -i -f "$E2E/sshd_config" 2>>"$E2E/mux.log" &
  E2E_PIDS+=($!)
  e2e_wait_socket "$1"
}

# Prefix for the runs that give the real binary a vsock target, as a second
# layer under the seccomp guard: strace makes every connect fail without
# executing it (strace -e inject=connect:error=ECONNREFUSED), so even a broken
# guard could not reach the vsock peer. LeakSanitizer cannot run under ptrace.
VSOCK_SAFE=(env ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null
  -e trace=connect -e inject=connect:error=ECONNREFUSED)

# e2e_capture CMD...: runs CMD; its stdout in $OUT, stderr in $ERR, exit
# code in $RC.
e2e_capture() {
  RC=0
  "$@" >"$E2E/out" 2>"$E2E/err" || RC=$?
  OUT=$(cat "$E2E/out")
  ERR=$(cat "$E2E/err")
}

# proxy_direct ARGS...: the proxy alone, with stdout a socketpair as ssh
# makes it (fdpass_harness.py); its report in $OUT, stderr in $ERR.
proxy_direct() { e2e_capture timeout 20 python3 "$HARNESS" "$@"; }

# e2e_ssh ARGS...: ssh with the test config, bounded; output in $OUT, $ERR.
e2e_ssh() { e2e_capture timeout 30 ssh -F "$E2E/ssh_config" "$@"; }

# expect_eq WHAT WANT GOT
expect_eq() {
  if [ "$2" != "$3" ]; then
    echo "  $1: want '$2', got '$3'" >&2
    return 1
  fi
}

# expect_contains WHAT NEEDLE HAYSTACK
expect_contains() {
  if [[ "$3" != *"$2"* ]]; then
    echo "  $1: '$2' not in: $3" >&2
    return 1
  fi
}

xml_escape() {
  sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

# e2e_case NAME FUNCTION: runs FUNCTION in a subshell under set -e and
# records it.
e2e_case() {
  local name=$1 fn=$2 log="$E2E/case.log" start=$EPOCHREALTIME rc
  # Not in an `if`: bash ignores set -e in a tested command, even in a subshell.
  ( set -e; "$fn" ) >"$log" 2>&1
  rc=$?
  E2E_CASE_SECONDS=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  e2e_record "$name" "$rc" "$log"
}

# e2e_record NAME STATUS LOG [MESSAGE]: counts case NAME as passed (STATUS
# 0) or failed, says so on stdout (with LOG, indented, on failure) and adds
# it to the JUnit XML, LOG as the failure's text, with the case's duration
# when e2e_case timed it. The one place a case is counted and written.
e2e_record() {
  local name=$1 status=$2 log=$3 message=${4:-failed} time=""
  [ -z "${E2E_CASE_SECONDS:-}" ] || time=" time=\"$E2E_CASE_SECONDS\""
  E2E_CASE_SECONDS=""
  if [ "$status" -eq 0 ]; then
    E2E_PASSED=$((E2E_PASSED + 1))
    echo "PASS $name"
    E2E_XML+="<testcase name=\"$name\"$time/>"
  else
    E2E_FAILED=$((E2E_FAILED + 1))
    echo "FAIL $name"
    sed 's/^/    /' "$log"
    E2E_XML+="<testcase name=\"$name\"$time><failure message=\"$message\">$(xml_escape <"$log")</failure></testcase>"
  fi
}

e2e_finish() {
  local suite=${1:-e2e}
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="%s" tests="%d" failures="%d">%s</testsuite></testsuites>\n' \
      "$suite" $((E2E_PASSED + E2E_FAILED)) "$E2E_FAILED" "$E2E_XML" >"$XML_OUTPUT_FILE"
  fi
  echo "$suite: $E2E_PASSED passed, $E2E_FAILED failed"
  [ "$E2E_FAILED" -eq 0 ]
}
