#!/usr/bin/env bash
# End to end for qemu/NAME: the real proxy and its real helper
# (ssh-socket-proxy-libvirt) against libvirt's test driver, which is the real
# libvirt library with a fake hypervisor and no daemon
# (testdata/libvirt/node.xml: web with vsock CID 4711, novsock, off).
# Everything runs under no_vsock, so the connect to CID 4711 fails at
# socket(AF_VSOCK) and its error names the address; //cli:run_test covers the
# connect and the hand-over on the fake syscalls.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/testdata/harness/e2e_lib.sh"
e2e_guard "$@"
e2e_init

HELPER_BIN=$(e2e_runfile cli/ssh-socket-proxy-libvirt)
cp "$HELPER_BIN" "$E2E/ssh-socket-proxy-libvirt"
cp "$(e2e_runfile testdata/libvirt/node.xml)" "$E2E/node.xml"
URI="test://$E2E/node.xml"
export SSH_SOCKET_PROXY_LIBVIRT_URI="$URI"

# dry_run HOST...: the proxy's --dry-run for port 2222; stderr in $ERR.
dry_run() {
  RC=0
  timeout 20 "$@" 2222 >"$E2E/out" 2>"$E2E/err" || RC=$?
  ERR=$(cat "$E2E/err")
  expect_eq "stdout" "" "$(cat "$E2E/out")"
}

# expect_dry_runs EXIT < TABLE: each line "HOST|STDERR" gives that one line
# on stderr and exit code EXIT under --dry-run.
expect_dry_runs() {
  local host want
  while IFS='|' read -r host want; do
    dry_run "$PROXY" --dry-run "$host"
    expect_eq "$host exit" "$1" "$RC"
    expect_eq "$host" "$want" "$ERR"
  done
}

case_resolves_by_name_uuid_and_id() {
  expect_dry_runs 0 <<TABLE
qemu/web|qemu web ($URI, domain 1): vsock cid=4711 port=2222
qemu%web|qemu web ($URI, domain 1): vsock cid=4711 port=2222
qemu:system/web|qemu web ($URI, domain 1): vsock cid=4711 port=2222
qemu:session%web|qemu web ($URI, domain 1): vsock cid=4711 port=2222
qemu/6695eb01-f6a4-8304-79aa-97f2502e193f|qemu 6695eb01-f6a4-8304-79aa-97f2502e193f ($URI, domain 1 web): vsock cid=4711 port=2222
qemu/1|qemu 1 ($URI, domain 1 web): vsock cid=4711 port=2222
TABLE
}

case_errors_are_one_line() {
  expect_dry_runs 1 <<TABLE
qemu/nosuch|ssh-socket-proxy: qemu domain 'nosuch' not found at $URI
qemu/2|ssh-socket-proxy: qemu domain 'novsock' at $URI has no vsock device: add <vsock model='virtio'><cid auto='yes'/></vsock> to its <devices> (virsh edit novsock) and restart it
qemu/off|ssh-socket-proxy: qemu domain 'off' at $URI is shut off; start it (virsh -c $URI start off)
TABLE
}

case_bad_host_strings_are_usage_errors() {
  dry_run "$PROXY" --dry-run "qemu:user/web"
  expect_eq "exit" 2 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: host \"qemu:user/web\": unknown libvirt connection \"user\": write qemu:system/NAME, qemu:session/NAME or qemu/NAME (both)" "$ERR"
}

case_unreachable_libvirt() {
  SSH_SOCKET_PROXY_LIBVIRT_URI="qemu+unix:///system?socket=$E2E/no-such-sock" \
    dry_run "$PROXY" --dry-run qemu/web
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: cannot reach libvirt at qemu+unix:///system?socket=$E2E/no-such-sock: Failed to connect socket to '$E2E/no-such-sock': No such file or directory" "$ERR"
}

case_helper_missing() {
  # Names the helper and every place looked, in both layouts.
  mkdir -p "$E2E/alone" "$E2E/lone/bin"
  cp "$PROXY" "$E2E/alone/ssh-socket-proxy"
  dry_run "$E2E/alone/ssh-socket-proxy" --dry-run qemu/web
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: qemu/ needs its lookup helper ssh-socket-proxy-libvirt, which is not at $E2E/alone/ssh-socket-proxy-libvirt; install the package ssh-socket-proxy-libvirt (built from source: put it next to ssh-socket-proxy, or in PREFIX/libexec/ssh-socket-proxy/ for PREFIX/bin/)" "$ERR"
  cp "$PROXY" "$E2E/lone/bin/ssh-socket-proxy"
  dry_run "$E2E/lone/bin/ssh-socket-proxy" --dry-run qemu/web
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: qemu/ needs its lookup helper ssh-socket-proxy-libvirt, which is not at $E2E/lone/bin/ssh-socket-proxy-libvirt nor at $E2E/lone/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt; install the package ssh-socket-proxy-libvirt (built from source: put it next to ssh-socket-proxy, or in PREFIX/libexec/ssh-socket-proxy/ for PREFIX/bin/)" "$ERR"
}

case_helper_not_executable() {
  # A helper next to the proxy that may not run does not hide the one in
  # libexec; alone, it is named with what to do.
  mkdir -p "$E2E/nx/bin" "$E2E/nx/libexec/ssh-socket-proxy"
  cp "$PROXY" "$E2E/nx/bin/ssh-socket-proxy"
  cp "$HELPER_BIN" "$E2E/nx/bin/ssh-socket-proxy-libvirt"
  chmod 644 "$E2E/nx/bin/ssh-socket-proxy-libvirt"
  cp "$HELPER_BIN" "$E2E/nx/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"
  dry_run "$E2E/nx/bin/ssh-socket-proxy" --dry-run qemu/web
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "qemu web ($URI, domain 1): vsock cid=4711 port=2222" "$ERR"
  rm "$E2E/nx/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"
  dry_run "$E2E/nx/bin/ssh-socket-proxy" --dry-run qemu/web
  expect_eq "exit" 1 "$RC"
  # execve(2) needs an x bit even for root: EACCES for everybody.
  expect_eq "stderr" "ssh-socket-proxy: the qemu/ lookup helper $E2E/nx/bin/ssh-socket-proxy-libvirt may not be run (Permission denied); make it executable (chmod 755 $E2E/nx/bin/ssh-socket-proxy-libvirt), or reinstall ssh-socket-proxy-libvirt" "$ERR"
}

case_sigchld_ignored() {
  # SIG_IGN for SIGCHLD survives exec; the kernel would reap the helper
  # before the proxy could (ECHILD). The proxy must answer all the same.
  dry_run python3 -c 'import signal, os, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$PROXY" --dry-run qemu/web
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "qemu web ($URI, domain 1): vsock cid=4711 port=2222" "$ERR"
}

case_root_has_no_session_libvirt() {
  if [[ $EUID -ne 0 ]]; then
    echo "  (not root: skipped)"
    return 0
  fi
  # No URI: the scopes of a real machine. root's qemu:session/ is refused
  # before libvirt is asked.
  SSH_SOCKET_PROXY_LIBVIRT_URI= dry_run "$PROXY" --dry-run qemu:session/web
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "ssh-socket-proxy: qemu:session/ asks the user's own libvirt (qemu:///session), and root has none: its VMs are at qemu:///system; write qemu:system/NAME or qemu/NAME" "$ERR"
}

case_installed_layout_finds_libexec() {
  mkdir -p "$E2E/prefix/bin" "$E2E/prefix/libexec/ssh-socket-proxy"
  cp "$PROXY" "$E2E/prefix/bin/ssh-socket-proxy"
  cp "$HELPER_BIN" "$E2E/prefix/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"
  dry_run "$E2E/prefix/bin/ssh-socket-proxy" --dry-run qemu/web
  expect_eq "exit" 0 "$RC"
  expect_eq "stderr" "qemu web ($URI, domain 1): vsock cid=4711 port=2222" "$ERR"
}

case_library_not_loadable() {
  # The dynamic loader finds a library it cannot load first, as on a machine
  # without it it finds none: it exits 127 before main(). The message names
  # the library the loader named, never "libvirt" because the helper's own
  # path says so (a missing libatomic.so.1 was taken for a missing libvirt0).
  local lib
  for lib in libvirt.so.0 libxml2.so.2; do
    mkdir -p "$E2E/badlib-$lib"
    : >"$E2E/badlib-$lib/$lib"
    LD_LIBRARY_PATH="$E2E/badlib-$lib" dry_run "$PROXY" --dry-run qemu/web
    expect_eq "exit" 1 "$RC"
    expect_eq "stderr" "ssh-socket-proxy: the qemu/ lookup helper cannot start: shared library $E2E/badlib-$lib/$lib: file too short; install the package that provides $lib (on Debian, installing ssh-socket-proxy-libvirt brings every library the helper needs)" "$ERR"
  done
}

case_remote_uri_is_refused() {
  # Another host's CIDs would be dialled here. Refused before the helper
  # runs: with no helper next to it, the proxy still says only this.
  mkdir -p "$E2E/remote"
  cp "$PROXY" "$E2E/remote/ssh-socket-proxy"
  local uri
  for uri in "qemu+ssh://other/system" "qemu://other/system"; do
    SSH_SOCKET_PROXY_LIBVIRT_URI="$uri" dry_run "$E2E/remote/ssh-socket-proxy" --dry-run qemu/web
    expect_eq "exit" 2 "$RC"
    expect_eq "stderr" "ssh-socket-proxy: SSH_SOCKET_PROXY_LIBVIRT_URI=$uri is not a libvirt on this machine, and a VM's vsock CID means nothing on another: use qemu:///system, qemu:///session or unset it" "$ERR"
  done
}

case_connects_to_the_domains_cid() {
  # Not a dry run: the lookup, then the vsock connect, which the guard (and
  # strace's injection under it) stops; the error names the address.
  proxy_direct "${VSOCK_SAFE[@]}" "$PROXY" qemu/web 2222
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_contains "stderr" "ssh-socket-proxy: socket(AF_VSOCK) for connect vsock:4711:2222: Permission denied" "$ERR"
}

case_wait_keeps_asking_libvirt() {
  # A shut-off domain may be starting: --wait asks again until it runs out,
  # then reports libvirt's last answer, not a timeout of the last attempt.
  proxy_direct "${VSOCK_SAFE[@]}" "$PROXY" --wait=1s qemu/off 22
  expect_eq "harness" "exit=1 bytes=0 fds=0 kind=none" "$OUT"
  expect_contains "stderr" "ssh-socket-proxy: qemu domain 'off' at $URI is shut off (still, after " "$ERR"
  # How long it took depends on the machine (strace, sanitizers): not asserted.
  expect_contains "stderr" " attempts in " "$ERR"
  expect_contains "stderr" "s of --wait); start it (virsh -c $URI start off)" "$ERR"
}

case_through_ssh_and_the_shipped_config() {
  local host
  for host in qemu/nosuch qemu%nosuch qemu:system/nosuch; do
    e2e_ssh "$host" true
    expect_eq "$host ssh exit" 255 "$RC"
    expect_contains "$host" "ssh-socket-proxy: qemu domain 'nosuch' not found at $URI" "$ERR"
  done
}

case_proxy_does_not_link_libvirt() {
  local dynamic
  dynamic=$(readelf -d "$PROXY_BIN")
  if grep -Eq 'NEEDED.*(libvirt|libxml2)' <<<"$dynamic"; then
    echo "  the proxy links libvirt: $dynamic"
    return 1
  fi
  expect_contains "helper" "libvirt.so.0" "$(readelf -d "$HELPER_BIN")"
}

e2e_case qemu_resolves_by_name_uuid_and_id case_resolves_by_name_uuid_and_id
e2e_case qemu_errors_are_one_line case_errors_are_one_line
e2e_case qemu_bad_host_strings_are_usage_errors case_bad_host_strings_are_usage_errors
e2e_case qemu_unreachable_libvirt case_unreachable_libvirt
e2e_case qemu_helper_missing case_helper_missing
e2e_case qemu_helper_not_executable case_helper_not_executable
e2e_case qemu_sigchld_ignored case_sigchld_ignored
e2e_case qemu_root_has_no_session_libvirt case_root_has_no_session_libvirt
e2e_case qemu_installed_layout_finds_libexec case_installed_layout_finds_libexec
e2e_case qemu_library_not_loadable case_library_not_loadable
e2e_case qemu_remote_uri_is_refused case_remote_uri_is_refused
e2e_case qemu_connects_to_the_domains_cid case_connects_to_the_domains_cid
e2e_case qemu_wait_keeps_asking_libvirt case_wait_keeps_asking_libvirt
e2e_case qemu_through_ssh_and_the_shipped_config case_through_ssh_and_the_shipped_config
e2e_case qemu_proxy_does_not_link_libvirt case_proxy_does_not_link_libvirt
e2e_finish e2e_qemu
