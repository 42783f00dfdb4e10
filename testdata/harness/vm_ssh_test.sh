#!/usr/bin/env bash
# The packages in real booted Debian 11, 12 and 13 VMs (bullseye, bookworm,
# trixie; testdata/harness/vm_lib.sh: qemu, TCG, no vsock device, no
# network), over REAL AF_VSOCK inside the VM:
#   - every .deb of ci/package.sh (VM_TEST_DEBS) the suite can install
#     (vm_suite_debs: Debian 11 refuses the libvirt helper's glibc) installed
#     with `apt-get install ./*.deb` offline, as a user would, and every
#     binary they install finds its libraries (issue 15 items 1 and 6);
#   - one boot per suite, each suite's VM booting while the one before is
#     tested (vm_start, vm_wait), on the disk shared with
#     vm_generator_test (vm_installed), whose kernel command line says
#     systemd.ssh_auto='no' (quoted, item 4) systemd.ssh_listen=vsock::22
#     systemd.ssh_listen=vsock::2222 systemd.ssh_listen=/run/x.sock
#     systemd.ssh_listen=not:an:address;
#   - Debian 11 (systemd 247, split /usr): our generator runs through the
#     /lib link the postinst made (issue 16 item 11), reading /proc/cmdline;
#   - an sshd socket-activated on vsock::22 (our generator on Debian 11 and
#     12, systemd's own on Debian 13); real OpenSSH through the installed
#     ssh_config fragment (ours ahead of systemd's on Debian 13): ssh
#     vsock/1, vsock%1, vsock/2 once vhost_vsock is loaded, fd passing and
#     relay, scp and rsync with checksums, --dry-run, a port nobody listens
#     on, and ssh unix/run/x.sock;
#   - exactly the three addresses listen, no automatic socket, and Debian 11
#     and 12 with ours listen where Debian 13 with systemd's own does,
#     compared beyond a baseline of the same suite (its image booted with
#     systemd.ssh_auto=no, without our packages: vm_baseline;
#     /proc/net/unix, /proc/net/tcp*, ss --vsock);
#   - what each generator logs with no guest-to-host vsock transport (noted,
#     not asserted: branch gen changes ours).
# Run by ci/vm_test.sh. Real AF_VSOCK only ever inside the VM: never copy a
# vm_run/vm_sh command into a host-side test.
source "${TEST_SRCDIR:-$(dirname "$0")/../..}/${TEST_WORKSPACE:-.}/testdata/harness/e2e_lib.sh"
source "$(e2e_runfile testdata/harness/vm_lib.sh)"
e2e_guard "$@"
vm_test_begin ssh

# ssh as root, keys made in each boot; the VM's host key pinned for
# every vsock name. BatchMode: a prompt would hang the test, not fail it.
# UserKnownHostsFile: Debian 13's own fragment (read after ours) sets
# /dev/null and StrictHostKeyChecking no for vsock/*; ~/.ssh/config comes
# before both.
SSH_SETUP='set -e
mkdir -p -m 0700 /root/.ssh
ssh-keygen -q -t ed25519 -N "" -C vm-test -f /root/.ssh/id_ed25519
cat /root/.ssh/id_ed25519.pub >>/root/.ssh/authorized_keys
echo "vsock*,unix* $(cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" >/root/.ssh/known_hosts
printf "Host *\n  BatchMode yes\n  StrictHostKeyChecking yes\n  UserKnownHostsFile ~/.ssh/known_hosts\n  ConnectTimeout 30\n" >/root/.ssh/config'

declare -A TIMES=()
FAILS_AT_BOOT=0

# Powers $VM off, keeping its console and journal when a case failed in it.
finish_vm() {
  [ "$E2E_FAILED" -eq "$FAILS_AT_BOOT" ] || vm_keep_logs "$VM"
  vm_poweroff "$VM"
}

# The shared installed disk (vm_installed): apt installed the packages
# there offline, resolving their dependencies from the image alone; this
# checks the result in the booted VM, with what apt said in the test log.
case_apt_installed() {
  echo "apt, installing on ${DISK[$SUITE]##*/}:"
  vm_apt_summary "${DISK[$SUITE]}"
  expect_eq "installed packages" "$(vm_deb_names "${DEBS[$SUITE]}")" "$(vm_debs_installed "$VM" "${DEBS[$SUITE]}")"
}

# What issue 15 item 6 found: a library the package forgot to depend on.
case_libraries() {
  local pkgs out
  pkgs=$(for d in "${DEBS[$SUITE]}"/*.deb; do dpkg-deb -f "$d" Package; done | paste -sd' ')
  vm_run "$VM" dpkg -L $pkgs >/dev/null || return 1
  out=$(vm_sh "$VM" "for f in \$(dpkg -L $pkgs); do
      [ -f \"\$f\" ] && [ \"\$(head -c4 \"\$f\" | od -An -c | tr -d ' ')\" = '177ELF' ] || continue
      echo \"elf \$f\"; ldd \"\$f\" 2>&1 | grep 'not found' | sed \"s|^|missing in \$f: |\"
    done")
  echo "$out"
  expect_contains "ELF files checked" "elf /usr/bin/ssh-socket-proxy" "$out"
  [[ "$out" != *"missing in"* ]] || { echo "  a library is missing (see above): declare it in debian/control"; return 1; }
}

# --- The cases, in the boot -------------------------------------------------

case_listens_on_vsock22() {
  expect_contains "listening" "vsock *:22" "$(vm_listening "$VM")"
}

case_fragment_is_ours() {
  local g
  g=$(vm_run "$VM" ssh -G vsock/1)
  expect_contains "ssh -G vsock/1" "proxycommand /usr/bin/ssh-socket-proxy %h %p %n" "$g"
  expect_contains "ssh -G vsock/1" "proxyusefdpass yes" "$g"
  if [ "$SUITE" = trixie ]; then
    # Ours is read first (20-ssh-... sorts before 20-systemd-...): first value wins.
    vm_run "$VM" test -e /etc/ssh/ssh_config.d/20-systemd-ssh-proxy.conf
  fi
}

# ssh [OPTION...] HOST into the VM's own sshd: the remote boot_id is this
# VM's. ssh's stderr is left in $E2E/ssh.err.
expect_ssh_reaches_itself() {
  local want got
  want=$(vm_run "$VM" cat /proc/sys/kernel/random/boot_id)
  got=$(vm_run "$VM" ssh "$@" cat /proc/sys/kernel/random/boot_id 2>"$E2E/ssh.err") ||
    { cat "$E2E/ssh.err"; return 1; }
  expect_eq "boot_id over ssh $*" "$want" "$got"
}

# Through the fragment alone. It says ProxyUseFdpass yes, so ssh fails
# unless the proxy handed it the socket: this is fd passing.
case_ssh_vsock_1() {
  vm_modprobe "$VM" vsock_loopback
  expect_ssh_reaches_itself vsock/1
}

case_relay_vsock_percent_1() {
  expect_ssh_reaches_itself -o ProxyUseFdpass=no \
    -o 'ProxyCommand=/usr/bin/ssh-socket-proxy -v %h %p %n' vsock%1
  expect_contains "relay" "debug: mode relay" "$(cat "$E2E/ssh.err")"
}

case_scp_and_rsync() {
  vm_sh "$VM" 'set -e
    head -c 1048576 /dev/urandom >/root/src.bin
    rm -f /tmp/scp.bin /tmp/rsync.bin
    scp -q /root/src.bin vsock%1:/tmp/scp.bin
    rsync /root/src.bin vsock%1:/tmp/rsync.bin'
  local sums
  sums=$(vm_run "$VM" sha256sum /root/src.bin /tmp/scp.bin /tmp/rsync.bin | awk '{ print $1 }')
  expect_eq "files checked" 3 "$(wc -l <<<"$sums")"
  expect_eq "distinct checksums" 1 "$(sort -u <<<"$sums" | wc -l)"
}

case_dry_run() {
  local host port want
  while read -r host port want; do
    RC=0
    OUT=$(vm_run "$VM" ssh-socket-proxy --dry-run "$host" "$port" 2>"$E2E/err") || RC=$?
    expect_eq "$host exit" 0 "$RC"
    expect_eq "$host stdout" "" "$OUT"
    expect_eq "$host" "$want" "$(cat "$E2E/err")"
  done <<'TABLE'
vsock/1 22 vsock cid=1 port=22
vsock%1 2222 vsock cid=1 port=2222
vsock/2 22 vsock cid=2 port=22
TABLE
}

case_port_nobody_listens() {
  RC=0
  vm_run "$VM" ssh -p 2999 vsock/1 true 2>"$E2E/err" || RC=$?
  expect_eq "ssh exit" 255 "$RC"
  local ours
  ours=$(grep '^ssh-socket-proxy:' "$E2E/err")
  cat "$E2E/err"
  expect_eq "lines from the proxy" 1 "$(grep -c . <<<"$ours")"
  expect_contains "the proxy's line" "connect vsock:1:2999:" "$ours"
}

case_ssh_vsock_2_after_vhost_vsock() {
  vm_modprobe "$VM" vhost_vsock
  expect_ssh_reaches_itself vsock/2
}

case_ssh_unix_x() {
  expect_ssh_reaches_itself unix/run/x.sock
}

# --- The boot ----------------------------------------------------------------

# Journal lines of the ssh generators (ours and systemd's), for the notes.
generator_lines() {
  vm_journal "$1" -o cat 2>/dev/null | grep -iE 'ssh-socket-proxy-generator|ssh-generator|ssh_listen|ssh_auto|AF_VSOCK' |
    head -20
}

note() { echo "note: $*"; }

# start_kind SUITE KIND KERNEL-ARG...: starts the installed disk with the
# args (vm_start); wait_kind SUITE KIND waits for it (vm_wait), keeps what
# it listens on in $E2E/SUITE.KIND and the generators' lines, and sets up
# ssh.
start_kind() {
  local suite=$1 kind=$2
  shift 2
  vm_start "$suite-$kind" "${IMG[$suite]}" --disk "${DISK[$suite]}" -- "$@"
}

wait_kind() {
  local suite=$1 kind=$2 vm="$1-$2"
  vm_wait "$vm" || return 1
  TIMES[$suite-boot-$kind]=${VM_BOOT_SECONDS[$vm]}
  FAILS_AT_BOOT=$E2E_FAILED
  vm_listening "$vm" >"$E2E/$suite.$kind"
  generator_lines "$vm" >"$E2E/$suite.$kind.log"
  vm_run "$vm" systemctl --failed --plain --no-legend >"$E2E/$suite.$kind.failed" 2>&1
  vm_sh "$vm" "$SSH_SETUP" || echo "ssh setup failed in $vm" >&2
  echo "$suite $kind: state ${VM_STATE[$vm]}, boot ${VM_BOOT_SECONDS[$vm]} s"
  VM=$vm
}

# Debian 11 is not merged-/usr: its systemd 247 runs generators from /lib
# only, where the postinst linked ours when vm_installed installed the
# package into the image; the generator ran from there at this boot.
case_generator_link_on_split_usr() {
  local link=/lib/systemd/system-generators/ssh-socket-proxy-generator
  expect_eq "/lib is its own directory" "" "$(vm_sh "$VM" '[ /lib -ef /usr/lib ] && echo merged')"
  expect_eq "$link" /usr/lib/systemd/system-generators/ssh-socket-proxy-generator "$(vm_run "$VM" readlink "$link")"
  expect_contains "units our generator wrote" ssh-socket-proxy-extra.socket \
    "$(vm_run "$VM" ls /run/systemd/generator)"
}

declare -A IMG=() DISK=() DEBS=()
DL=("${VM_PACKAGE_DEPENDS[@]}")
# VM_SSH_SUITES: a developer may boot fewer (the 11/12-vs-13 cases then fail).
SUITES=()
for SUITE in ${VM_SSH_SUITES:-bullseye bookworm trixie}; do
  start=$SECONDS
  IMG[$SUITE]=$(vm_image "$SUITE" "${VM_TEST_PACKAGES[@]}" --download "${DL[@]}") || { e2e_case "${SUITE}_image" false; continue; }
  TIMES[$SUITE-image]=$((SECONDS - start))
  start=$SECONDS
  DEBS[$SUITE]=$(vm_suite_debs "$SUITE" "$VM_TEST_DEBS" "$E2E/debs-$SUITE") &&
    DISK[$SUITE]=$(vm_installed "${IMG[$SUITE]}" "${DEBS[$SUITE]}") || { e2e_case "${SUITE}_install_boot" false; continue; }
  TIMES[$SUITE-installed]=$((SECONDS - start))
  baseline=$(vm_baseline "${IMG[$SUITE]}") || { e2e_case "${SUITE}_baseline_boot" false; continue; }
  cp "$baseline" "$E2E/$SUITE.baseline"
  SUITES+=("$SUITE")
done

# One boot per suite. The quoted 'no' (as a qemu -append or a libvirt
# <cmdline> may write it) must switch the automatic sockets off beside the
# addresses given: if it did not, they would show beyond the baseline.
start_suite() {
  start_kind "$1" cmdline "systemd.ssh_auto='no'" systemd.ssh_listen=vsock::22 \
    systemd.ssh_listen=vsock::2222 systemd.ssh_listen=/run/x.sock systemd.ssh_listen=not:an:address
}

# The next suite's VM boots while this one's cases run: two VMs of this
# test at a time, so that the stage's longest test gets more of the CPU.
[ "${#SUITES[@]}" -eq 0 ] || start_suite "${SUITES[0]}"
for i in "${!SUITES[@]}"; do
  SUITE=${SUITES[$i]}
  if wait_kind "$SUITE" cmdline; then
    [ -z "${SUITES[$((i + 1))]:-}" ] || start_suite "${SUITES[$((i + 1))]}"
    e2e_case "${SUITE}_apt_installed_every_package_offline" case_apt_installed
    e2e_case "${SUITE}_installed_binaries_find_their_libraries" case_libraries
    [ "$SUITE" != bullseye ] || e2e_case "${SUITE}_generator_runs_through_the_lib_link" case_generator_link_on_split_usr
    e2e_case "${SUITE}_sshd_listens_on_vsock22" case_listens_on_vsock22
    e2e_case "${SUITE}_ssh_config_fragment_is_ours" case_fragment_is_ours
    e2e_case "${SUITE}_ssh_vsock_1_fd_passing" case_ssh_vsock_1
    e2e_case "${SUITE}_ssh_vsock%1_relay" case_relay_vsock_percent_1
    e2e_case "${SUITE}_scp_and_rsync_to_vsock%1" case_scp_and_rsync
    e2e_case "${SUITE}_dry_run" case_dry_run
    e2e_case "${SUITE}_port_nobody_listens_is_one_line" case_port_nobody_listens
    e2e_case "${SUITE}_ssh_unix_run_x_sock" case_ssh_unix_x
    e2e_case "${SUITE}_ssh_vsock_2_after_vhost_vsock" case_ssh_vsock_2_after_vhost_vsock
    # No guest-to-host transport here (no vsock device): what each generator said.
    note "$SUITE, no vsock transport; generator lines:"
    sed 's/^/note:   /' "$E2E/$SUITE.cmdline.log"
    note "$SUITE failed units: $(tr '\n' ' ' <"$E2E/$SUITE.cmdline.failed")"
    finish_vm
  else
    e2e_case "${SUITE}_boot" false
    [ -z "${SUITES[$((i + 1))]:-}" ] || start_suite "${SUITES[$((i + 1))]}"
  fi
done

# --- Debian 11 and 12 with ours listen where Debian 13 with systemd's does ---

# beyond SUITE: what the boot listens on beyond the suite's baseline.
beyond() { comm -13 "$E2E/$1.baseline" "$E2E/$1.cmdline"; }

# systemd.ssh_auto='no' with addresses: exactly those, and neither automatic
# socket (systemd's reference, and what our man page says); the malformed
# one is skipped.
case_auto_no_with_addresses() {
  local suite
  for suite in bullseye bookworm trixie; do
    [ -s "$E2E/$suite.cmdline" ] || { echo "  $suite: no boot"; return 1; }
    expect_eq "$suite: beyond the baseline" \
      "$(printf '%s\n' 'unix /run/x.sock' 'vsock *:22' 'vsock *:2222')" "$(beyond "$suite")"
  done
}

# same_sockets SUITE NUMBER: SUITE (ours) beyond its baseline is Debian 13
# (systemd's) beyond its own.
same_sockets() {
  local suite
  for suite in "$1" trixie; do
    [ -s "$E2E/$suite.baseline" ] && [ -s "$E2E/$suite.cmdline" ] || { echo "  $suite: a boot is missing"; return 1; }
  done
  echo "Debian $2 (ours) beyond the baseline:"; beyond "$1" | sed 's/^/  /'
  echo "Debian 13 (systemd's) beyond the baseline:"; beyond trixie | sed 's/^/  /'
  expect_eq "sockets beyond the baseline, $2 vs 13" "$(beyond trixie)" "$(beyond "$1")"
}

case_same_sockets_11() { same_sockets bullseye 11; }
case_same_sockets_12() { same_sockets bookworm 12; }

e2e_case cmdline_ssh_auto_quoted_no_with_addresses_binds_exactly_those case_auto_no_with_addresses
e2e_case cmdline_11_and_13_same_sockets case_same_sockets_11
e2e_case cmdline_12_and_13_same_sockets case_same_sockets_12

for k in $(printf '%s\n' "${!TIMES[@]}" | sort); do echo "time: $k ${TIMES[$k]} s"; done
e2e_finish vm_ssh
