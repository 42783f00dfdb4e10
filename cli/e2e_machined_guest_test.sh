#!/usr/bin/env bash
# machine/NAME against the real systemd-machined: a booted Debian 13 guest
# (systemd 257, machined from systemd-container) registers machines through
# io.systemd.Machine.Register, and the real ssh inside the guest reaches the
# guest's own sshd through the built proxy and the shipped config fragment,
# with the guest's host key pinned. The stand-in machined of
# //cli:e2e_machine_test answers from fixtures; this one answers as systemd
# does, so the reply shapes here are the real ones.
#
# One boot. The guest has its own loopback (--private-network), so a "vm"
# registered with sshAddress 127.0.0.1 is the guest itself over TCP, and a
# container is a real systemd-nspawn container inside the guest, which nspawn
# registers itself and whose sshd it exports. Register() wants a leader
# process that lives in a unit: each registration starts
# `systemd-run --unit=ssp-leader-NAME sleep 900`, and stopping that unit
# unregisters the machine. Everything, guest included,
# runs under the vsock guard; no machine is ever registered with a vSockCid.
source "${TEST_SRCDIR:-$(dirname "$0")/..}/${TEST_WORKSPACE:-.}/testdata/harness/e2e_lib.sh"
source "$(e2e_runfile testdata/harness/guest_lib.sh)"
e2e_guard "$@"
e2e_begin ssp-machined-guest
guest_init || exit 1
trap 'guest_cleanup_all; rm -rf "$E2E"' EXIT

MACHINED=/run/systemd/machine/io.systemd.Machine
GPROXY=/usr/local/bin/ssh-socket-proxy
GDIR=/root/ssp  # the test's files inside the guest

# The guest's files, written into its root before it boots: the static
# proxy, the shipped fragment as installed, a client key the guest's root
# accepts, an ssh config with strict checking against a pinned key (filled in
# after boot), and the root of a container.
prepare_root() {
  local root=$1
  install -m 0755 "$(e2e_runfile cli/ssh-socket-proxy)" "$root$GPROXY"
  mkdir -p "$root$GDIR" "$root/root/.ssh"
  chmod 0700 "$root$GDIR" "$root/root/.ssh"
  # The fragment already names /usr/local/bin/ssh-socket-proxy.
  cp "$(e2e_runfile cli/ssh_config/20-ssh-socket-proxy.conf)" "$root$GDIR/fragment.conf"
  ssh-keygen -q -t ed25519 -N '' -C ssp-client -f "$root$GDIR/client_key"
  install -m 0600 "$root$GDIR/client_key.pub" "$root/root/.ssh/authorized_keys"
  e2e_ssh_config "$GDIR" root "$GDIR/client_key" ssp-guest "ConnectTimeout 20" \
    >"$root$GDIR/ssh_config"
  # The root of a container that shares the guest's /usr, /etc and /root
  # (read-only): its sshd has the guest's host key and accepts our client.
  mkdir -p "$root/srv/box/usr" "$root/srv/box/etc" "$root/srv/box/root" "$root/srv/box/var"
  local link
  for link in bin sbin lib lib64; do ln -s "usr/$link" "$root/srv/box/$link"; done
}

# g CMD...: CMD in the guest; output in $OUT and $ERR, exit code in $RC.
g() { e2e_capture guest_run m "$@"; }

# gssh ARGS...: the guest's ssh with the test config, bounded.
gssh() { g timeout 40 ssh -F "$GDIR/ssh_config" "$@"; }

# The proxy with --verbose, for cases that check what it did.
VERBOSE="ProxyCommand=$GPROXY -v %h %p %n"

# register NAME CLASS [JSON-FIELDS]: a leader unit, then Register.
register() {
  local name=$1 class=$2 extra=${3:+,$3} pid
  guest_run m systemd-run --quiet --unit="ssp-leader-$name" sleep 900 || return 1
  pid=$(guest_run m systemctl show -P MainPID "ssp-leader-$name.service")
  [ "${pid:-0}" -gt 0 ] || { echo "no leader for $name: '$pid'"; return 1; }
  guest_run m varlinkctl call "$MACHINED" io.systemd.Machine.Register \
    "{\"name\":\"$name\",\"class\":\"$class\",\"leader\":$pid$extra}" >/dev/null
}

# machine_list NAME: machined's own record (varlinkctl prints the parameters).
machine_list() {
  guest_run m varlinkctl call "$MACHINED" io.systemd.Machine.List "{\"name\":\"$1\"}" 2>&1
}

TAR=$(guest_rootfs trixie systemd-container) || exit 1
guest_unpack "$TAR" || exit 1
prepare_root "$GUEST_DIR"
BOOTED=0
guest_boot m "$GUEST_DIR" && BOOTED=1
if [ "$BOOTED" = 1 ]; then
  # machined is bus-activated; the Varlink socket exists while it runs.
  guest_run m systemctl start systemd-machined.service
  # The key sshd really serves, pinned under the alias.
  echo "ssp-guest $(guest_run m cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" \
    >"$GUEST_DIR$GDIR/known_hosts"
fi

case_real_machined() {
  expect_eq "booted" 1 "$BOOTED"
  expect_eq "failed units" "" "$(guest_run m systemctl --failed --plain --no-legend)"
  expect_contains "systemd" "systemd 257" "$(guest_run m systemctl --version)"
  expect_eq "machined" active "$(guest_run m systemctl is-active systemd-machined.service)"
  # The Varlink API this proxy speaks, as machined itself describes it.
  local api
  api=$(guest_run m varlinkctl introspect "$MACHINED" io.systemd.Machine)
  expect_contains "List" "method List(" "$api"
  expect_contains "sshAddress" "sshAddress: ?string" "$api"
  expect_contains "NoSuchMachine" "error NoSuchMachine()" "$api"
  # sshd listens on the guest's own loopback, which nothing outside shares.
  expect_contains "sshd" "tcp 0.0.0.0:22" "$(guest_listening m)"
}

case_vm_fdpass() {
  register tcpvm vm '"sshAddress":"127.0.0.1"'
  expect_contains "machined's record" '"sshAddress":"127.0.0.1"' "$(machine_list tcpvm)"
  # As a desktop session would run it: the user scope has no machined.
  g env XDG_RUNTIME_DIR=/run/user/4242 timeout 40 ssh -F "$GDIR/ssh_config" -o "$VERBOSE" \
    machine/tcpvm 'echo "$SSH_CONNECTION"'
  expect_eq "ssh exit" 0 "$RC" || { echo "$ERR"; return 1; }
  # sshd saw a TCP client on 127.0.0.1 talking to port 22.
  [[ "$OUT" =~ ^127\.0\.0\.1\ [0-9]+\ 127\.0\.0\.1\ 22$ ]] ||
    { echo "SSH_CONNECTION: '$OUT'"; return 1; }
  expect_contains "lookup" "machine tcpvm (system scope, class vm): tcp 127.0.0.1 port=22" "$ERR"
  expect_contains "mode" "mode fdpass" "$ERR"
  expect_contains "hand-over" "handed fd" "$ERR"
}

case_vm_relay() {
  # 1 MiB each way through splice, checked end to end: the first line is
  # what sshd received, the rest what came back.
  g sh -c "head -c 1048576 /dev/urandom >$GDIR/blob && sha256sum <$GDIR/blob | cut -c1-64"
  local want=$OUT
  g bash -c "timeout 60 ssh -F $GDIR/ssh_config -o 'ProxyUseFdpass no' -o '$VERBOSE' \
    machine/tcpvm 'sha256sum | cut -c1-64; cat $GDIR/blob' <$GDIR/blob |
    { read -r line; echo \"\$line\"; sha256sum | cut -c1-64; }"
  expect_eq "ssh exit" 0 "$RC" || { echo "$ERR"; return 1; }
  expect_eq "what sshd got, and what came back" "$want
$want" "$OUT"
  # (Not the "relayed N bytes" line: ssh sends the proxy SIGHUP as it exits,
  # which may come before that line.)
  expect_contains "mode" "mode relay" "$ERR"
}

case_case_kept_from_percent_n() {
  # machined's names are case-sensitive and ssh lowercases %h when the host
  # has a "/": the lookup works only with the case the proxy takes from %n.
  register MixedCase vm '"sshAddress":"127.0.0.1"'
  gssh -o "$VERBOSE" machine/MixedCase echo ok
  expect_eq "ssh exit" 0 "$RC" || { echo "$ERR"; return 1; }
  expect_eq "remote" ok "$OUT"
  expect_contains "lookup" "machine MixedCase (system scope, class vm)" "$ERR"
  # Given %h alone, the proxy asks for the lowercased name, which machined
  # does not know: this case would pass without %n only if that changed.
  gssh -o "ProxyCommand=$GPROXY %h %p" machine/MixedCase echo ok
  expect_eq "ssh exit without %n" 255 "$RC"
  expect_contains "without %n" "machine mixedcase is not known to systemd-machined" "$ERR"
}

case_container() {
  # nspawn registers the container with machined itself, and binds the
  # container's /run/host/unix-export/ at /run/systemd/nspawn/unix-export/box/,
  # where the container's socket-activated sshd listens, as
  # systemd-ssh-generator sets it up.
  guest_run m systemd-run --quiet --unit=ssp-nspawn-box systemd-nspawn --quiet \
    -D /srv/box --bind-ro=/usr --bind-ro=/etc --bind-ro=/root --machine=box \
    --private-network --register=yes --keep-unit sh -c 'mkdir -p /run/sshd &&
      exec systemd-socket-activate --accept --inetd -l /run/host/unix-export/ssh /usr/sbin/sshd -i'
  local i
  for i in $(seq 100); do
    guest_run m test -S /run/systemd/nspawn/unix-export/box/ssh && break
    sleep 0.1
  done
  local record
  record=$(machine_list box)
  expect_contains "machined's record" '"class":"container"' "$record"
  expect_contains "machined's record" '"service":"systemd-nspawn"' "$record"
  local mode
  for mode in yes no; do
    gssh -o "ProxyUseFdpass $mode" -o "$VERBOSE" machine/box hostname
    expect_eq "ssh exit (ProxyUseFdpass $mode)" 0 "$RC" || { echo "$ERR"; return 1; }
    # nspawn names the container's host after the machine.
    expect_eq "remote hostname" box "$OUT"
    expect_contains "lookup" "machine box (system scope, class container, service systemd-nspawn): unix /run/systemd/nspawn/unix-export/box/ssh" "$ERR"
  done
  expect_contains "mode" "mode relay" "$ERR"
}

case_late_registration_waits() {
  # ssh starts before the machine exists, as right after systemd-vmspawn
  # starts; --wait must cover the lookup, not only the connect.
  local start=$SECONDS rc=0 bg
  guest_run m timeout 60 ssh -F "$GDIR/ssh_config" \
    -o "ProxyCommand=$GPROXY -v --wait=30s %h %p %n" machine/late echo ok \
    >"$E2E/late.out" 2>"$E2E/late.err" &
  bg=$!
  sleep 3
  if ! kill -0 "$bg" 2>/dev/null; then
    wait "$bg" || rc=$?
    echo "ssh ended (exit $rc) before the machine registered: $(cat "$E2E/late.err")"
    return 1
  fi
  register late vm '"sshAddress":"127.0.0.1"'
  wait "$bg" || rc=$?
  expect_eq "ssh exit" 0 "$rc" || { cat "$E2E/late.err"; return 1; }
  expect_eq "remote" ok "$(cat "$E2E/late.out")"
  [ $((SECONDS - start)) -lt 30 ] || { echo "took $((SECONDS - start)) s"; return 1; }
}

case_unknown_machine() {
  local msg="ssh-socket-proxy: machine ghost is not known to systemd-machined (asked the system scope; machinectl list shows what is registered)"
  expect_contains "machined" "io.systemd.Machine.NoSuchMachine" "$(machine_list ghost)"
  gssh machine/ghost true
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "ssh stderr" "$msg" "$ERR"
  # The proxy alone: exactly that line, and exit 1.
  g "$GPROXY" machine/ghost 22
  expect_eq "exit" 1 "$RC"
  expect_eq "stderr" "$msg" "$ERR"
  expect_eq "stdout" "" "$OUT"
  # systemd 257 has no per-user machined: a user's XDG_RUNTIME_DIR holds no
  # socket, and the proxy asks the system one alone.
  g env XDG_RUNTIME_DIR=/run/user/4242 "$GPROXY" machine/ghost 22
  expect_eq "exit with XDG_RUNTIME_DIR" 1 "$RC"
  expect_eq "stderr with XDG_RUNTIME_DIR" "$msg" "$ERR"
}

case_unknown_machine_under_wait() {
  # --wait covers the lookup: a machine that never registers is asked for
  # until the deadline, and then reported in one line that says so.
  local start end
  start=$(date +%s%N)
  g "$GPROXY" --wait=2s machine/ghost 22
  end=$(date +%s%N)
  expect_eq "exit" 1 "$RC"
  expect_contains "stderr" "ssh-socket-proxy: machine ghost is not known to systemd-machined (asked the system scope" "$ERR"
  expect_contains "stderr" "--wait" "$ERR"
  expect_eq "lines" 1 "$(printf '%s\n' "$ERR" | wc -l)"
  local ms=$(((end - start) / 1000000))
  [ "$ms" -ge 2000 ] && [ "$ms" -lt 10000 ] || { echo "ended after $ms ms, want 2-10 s"; return 1; }
}

case_unregistered_machine_is_gone() {
  # Stopping the leader's unit ends the machine; the proxy must not act on a
  # record machined no longer has.
  register gone vm '"sshAddress":"127.0.0.1"'
  guest_run m systemctl stop ssp-leader-gone.service
  local i
  for i in $(seq 50); do
    [[ "$(machine_list gone)" == *NoSuchMachine* ]] && break
    sleep 0.1
  done
  expect_contains "machined" NoSuchMachine "$(machine_list gone)"
  gssh machine/gone true
  expect_eq "ssh exit" 255 "$RC"
  expect_contains "stderr" "machine gone is not known to systemd-machined" "$ERR"
}

e2e_case real_machined case_real_machined
e2e_case vm_over_tcp_fdpass case_vm_fdpass
e2e_case vm_over_tcp_relay case_vm_relay
e2e_case name_case_kept_from_percent_n case_case_kept_from_percent_n
e2e_case nspawn_container case_container
e2e_case late_registration_waits case_late_registration_waits
e2e_case unknown_machine case_unknown_machine
e2e_case unknown_machine_under_wait case_unknown_machine_under_wait
e2e_case unregistered_machine_is_gone case_unregistered_machine_is_gone
guest_poweroff m
e2e_finish e2e_machined_guest
