#!/usr/bin/env bash
# The generator's automatic vsock decision in real booted Debian 11, 12 and
# 13 VMs (bullseye, bookworm, trixie; testdata/harness/vm_lib.sh: qemu, TCG,
# no vsock device, no network), with no systemd.ssh_listen: the case every
# VM without a guest-to-host vsock transport is in (issue 15 items 2, 3 and
# 7; ssh-socket-proxy-generator(8), "A vsock transport that comes late",
# "The console hint"):
#   - item 2: no vsock listener, no failed unit, no error of ours in the
#     journal, and exactly the one quiet line the man page names. Debian 11
#     (systemd 247, our generator through the postinst's /lib link) and 12:
#     ours decides; Debian 13: systemd's own generator beside ours, which
#     covers vsock alone (systemd's own line is noted, not asserted);
#   - item 3: a vsock module loaded after boot (vsock_loopback, then
#     vhost_vsock) makes the udev rule start the re-check (on Debian 11,
#     udev 247's reading of it), which concludes "still no transport" once,
#     binds nothing and fails nothing;
#   - item 7: no console hint where vsock::22 is not bound.
# One test boot per suite, one after the other, on the install shared with
# vm_ssh_test (vm_installed; on Debian 11 without the libvirt helper:
# vm_suite_debs). Run by ci/vm_test.sh. Real AF_VSOCK only ever inside the
# VM: never copy a vm_run/vm_sh command into a host-side test.
source "${TEST_SRCDIR:-$(dirname "$0")/../..}/${TEST_WORKSPACE:-.}/testdata/harness/e2e_lib.sh"
source "$(e2e_runfile testdata/harness/vm_lib.sh)"
e2e_guard "$@"
vm_test_begin generator

# The man page's lines (LOG; "A vsock transport that comes late").
NO_TRANSPORT='not listening on vsock::22: no guest-to-host vsock transport (virtio-vsock, hv_sock, VMCI); looking again when one appears'
STANDING_DOWN="systemd's own systemd-ssh-generator is installed: standing down but for vsock::22 where it leaves that unbound"
RECHECK_NONE='vsock re-check: still no guest-to-host vsock transport; not listening on vsock::22'
RECHECK_STATE=/run/ssh-socket-proxy/vsock-recheck
ISSUE=/run/ssh-socket-proxy/vsock.issue
ISSUE_LINK=/etc/issue.d/50-ssh-socket-proxy-vsock.issue
GEN=/run/systemd/generator

declare -A TIMES=()
FAILS_AT_BOOT=0

finish_vm() {
  [ "$E2E_FAILED" -eq "$FAILS_AT_BOOT" ] || vm_keep_logs "$VM"
  vm_poweroff "$VM"
}

note() { echo "note: $*"; }

# The shared installed disk (vm_installed): apt installed the packages
# there offline; this checks the result in the boot under test.
case_apt_installed() {
  echo "apt, installing on ${VM_DISK##*/}:"
  vm_apt_summary "$VM_DISK"
  expect_eq "installed packages" "$(vm_deb_names "${DEBS[$SUITE]}")" "$(vm_debs_installed "$VM" "${DEBS[$SUITE]}")"
}

# Our lines in this boot's journal (the generator through the kernel log,
# the re-check through its service's stderr), one a line, the text after
# "ssh-socket-proxy-generator: " (journald may take that for the identifier).
ours() {
  vm_journal "$VM" -o short | grep -E 'ssh-socket-proxy-generator(\[[0-9]+\])?: ' |
    sed -E 's/.*ssh-socket-proxy-generator(\[[0-9]+\])?: //; s/^ssh-socket-proxy-generator: //' || true
}

# --- Right after boot, before anything loads a vsock module -------------------
# (`ss --vsock` in vm_listening loads vsock_diag, and with it vsock: the
# re-check's own trigger.) Kept in $E2E for the cases.
snapshot_at_boot() {
  vm_sh "$VM" "awk '\$1 ~ /vsock/ { print \$1 }' /proc/modules | sort" >"$E2E/modules.boot"
  vm_sh "$VM" "ls $GEN | grep ssh-socket-proxy" >"$E2E/units.boot"
  vm_sh "$VM" "test -e $RECHECK_STATE && cat $RECHECK_STATE; true" >"$E2E/recheck.boot"
  ours >"$E2E/ours.boot"
  vm_run "$VM" systemctl --failed --plain --no-legend >"$E2E/failed.boot" 2>&1
  vm_run "$VM" systemctl list-sockets --all --plain --no-legend >"$E2E/sockets.boot" 2>&1
  vm_journal "$VM" -o cat 2>/dev/null |
    grep -iE 'ssh-generator|AF_VSOCK' >"$E2E/systemd.boot" || true
}

# --- Item 2 --------------------------------------------------------------------

# Debian 11 and 12: nothing loads a vsock module at boot, so the late module
# below is the re-check's first trigger. Debian 13: systemd-ssh-generator's
# AF_VSOCK CID query loads vsock and its transports (vsock_loopback among
# them) after ours ran, which triggers the re-check already at boot.
case_vsock_modules_at_boot() {
  echo "vsock modules at boot: $(paste -sd' ' "$E2E/modules.boot")"
  echo "re-check at boot: $(cat "$E2E/recheck.boot")"
  if [ "$SUITE" != trixie ]; then
    expect_eq "vsock modules loaded at boot" "" "$(cat "$E2E/modules.boot")"
    expect_eq "re-check conclusion at boot" "" "$(cat "$E2E/recheck.boot")"
  else
    expect_contains "re-check conclusion at boot" "still no guest-to-host vsock transport" "$(cat "$E2E/recheck.boot")"
  fi
}

# The decision's lines (the re-check's are item 3's): exactly the one quiet
# line, and on Debian 13 the stand-down line before it. Other lines of ours
# (the unix sockets) are no business of this case but are shown.
case_one_quiet_line() {
  cat "$E2E/ours.boot"
  local want=$NO_TRANSPORT got
  [ "$SUITE" != trixie ] || want=$(printf '%s\n' "$STANDING_DOWN" "$NO_TRANSPORT")
  got=$(grep -v '^vsock re-check' "$E2E/ours.boot" | grep vsock || true)
  expect_eq "our vsock lines at boot" "$want" "$got"
}

case_recheck_armed() {
  cat "$E2E/units.boot"
  expect_contains "units written" "ssh-socket-proxy-vsock-recheck.service" "$(cat "$E2E/units.boot")"
  if grep -q 'ssh-socket-proxy-vsock\.socket\|ssh-socket-proxy-vsock-issue' "$E2E/units.boot"; then
    echo "  vsock socket or console hint unit written with no transport"; return 1
  fi
}

# Without ss --vsock (it would load vsock): what systemd listens on.
case_no_vsock_socket_at_boot() {
  cat "$E2E/sockets.boot"
  [ -s "$E2E/sockets.boot" ] || { echo "  systemctl list-sockets said nothing"; return 1; }
  if grep -i vsock "$E2E/sockets.boot"; then echo "  a vsock socket unit listens"; return 1; fi
}

case_no_failed_unit() {
  expect_eq "systemctl --failed at boot" "" "$(cat "$E2E/failed.boot")"
  expect_eq "systemctl --failed now" "" "$(vm_run "$VM" systemctl --failed --plain --no-legend)"
}

case_no_error_of_ours() {
  local err
  err=$(vm_journal "$VM" -p err | grep -F 'ssh-socket-proxy' || true)
  expect_eq "error-level lines of ours" "" "$err"
}

case_no_vsock_listener() {
  local l
  l=$(vm_listening "$VM")
  echo "$l"
  [[ "$l" != *vsock* ]] || { echo "  a vsock listener with no transport"; return 1; }
}

# --- Item 3 --------------------------------------------------------------------

# wait_recheck: until the re-check has recorded a conclusion (a deadline:
# udev, systemd and a TCG VM on a busy machine).
wait_recheck() {
  local deadline=$((SECONDS + 90))
  until vm_run "$VM" test -s "$RECHECK_STATE"; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "  no re-check conclusion in $RECHECK_STATE after 90 s"; return 1; }
    sleep 2
  done
  # The service: started, its ExecCondition said "nothing to do".
  deadline=$((SECONDS + 30))
  while [ "$(vm_run "$VM" systemctl show -P ActiveState ssh-socket-proxy-vsock-recheck.service)" = activating ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "  the re-check still activating after 30 s"; return 1; }
    sleep 1
  done
}

# How often systemd started the re-check (its ExecCondition ran) this boot.
recheck_starts() {
  vm_journal "$VM" -u ssh-socket-proxy-vsock-recheck.service -o cat | grep -c '^Starting' || true
}

case_late_module_rechecks_once() {
  local before deadline
  before=$(recheck_starts)
  echo "re-check starts before the modprobes: $before"
  # Debian 13 has vsock_loopback loaded already (see above); vhost_vsock is
  # new on both.
  vm_modprobe "$VM" vsock_loopback
  vm_modprobe "$VM" vhost_vsock
  deadline=$((SECONDS + 90))
  until [ "$(recheck_starts)" -gt "$before" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "  the modprobes started no re-check in 90 s"; return 1; }
    sleep 2
  done
  wait_recheck
  echo "modules now: $(vm_sh "$VM" "awk '\$1 ~ /vsock/ { print \$1 }' /proc/modules | sort | paste -sd' '")"
  echo "re-check unit:"; vm_journal "$VM" -u ssh-socket-proxy-vsock-recheck.service -o cat | sed 's/^/  /'
  local lines
  lines=$(ours | grep -F 'vsock re-check' || true)
  echo "re-check lines: $lines"
  expect_eq "re-check lines" 1 "$(grep -c . <<<"$lines")"
  expect_contains "re-check line" "$RECHECK_NONE" "$lines"
  expect_contains "$RECHECK_STATE" "still no guest-to-host vsock transport" "$(vm_run "$VM" cat "$RECHECK_STATE")"
  vm_run "$VM" test ! -e "$GEN/ssh-socket-proxy-vsock.socket" ||
    { echo "  the re-check wrote the vsock socket"; return 1; }
}

case_after_late_module_nothing_bound() {
  local l
  l=$(vm_listening "$VM")
  echo "$l"
  [[ "$l" != *vsock* ]] || { echo "  a vsock listener after the re-check"; return 1; }
  expect_eq "systemctl --failed" "" "$(vm_run "$VM" systemctl --failed --plain --no-legend)"
  expect_eq "error-level lines of ours" "" "$(vm_journal "$VM" -p err | grep -F 'ssh-socket-proxy' || true)"
}

# --- Item 7 --------------------------------------------------------------------

case_no_console_hint() {
  vm_run "$VM" test ! -e "$ISSUE" || { echo "  $ISSUE: $(vm_run "$VM" cat "$ISSUE")"; return 1; }
  # The package's link is there and dangles (agetty skips it silently).
  expect_eq "$ISSUE_LINK" "$ISSUE" "$(vm_run "$VM" readlink "$ISSUE_LINK")"
  if ours | grep -F 'console hint'; then echo "  a console hint line"; return 1; fi
}

declare -A IMG=() DEBS=()
for SUITE in ${VM_GEN_SUITES:-bullseye bookworm trixie}; do
  start=$SECONDS
  IMG[$SUITE]=$(vm_image "$SUITE" "${VM_TEST_PACKAGES[@]}" --download "${VM_PACKAGE_DEPENDS[@]}") ||
    { e2e_case "${SUITE}_image" false; continue; }
  TIMES[$SUITE-image]=$((SECONDS - start))
  start=$SECONDS
  DEBS[$SUITE]=$(vm_suite_debs "$SUITE" "$VM_TEST_DEBS" "$E2E/debs-$SUITE") &&
    VM_DISK=$(vm_installed "${IMG[$SUITE]}" "${DEBS[$SUITE]}") || { e2e_case "${SUITE}_install_boot" false; continue; }
  TIMES[$SUITE-installed]=$((SECONDS - start))

  VM="$SUITE-auto"
  vm_boot "$VM" "${IMG[$SUITE]}" --disk "$VM_DISK" || { e2e_case "${SUITE}_boot" false; continue; }
  TIMES[$SUITE-boot]=${VM_BOOT_SECONDS[$VM]}
  FAILS_AT_BOOT=$E2E_FAILED
  echo "$SUITE: state ${VM_STATE[$VM]}, boot ${VM_BOOT_SECONDS[$VM]} s"
  snapshot_at_boot
  note "$SUITE, no transport: systemd's own generator said:"
  sed 's/^/note:   /' "$E2E/systemd.boot"
  e2e_case "${SUITE}_apt_installed_every_package_offline" case_apt_installed
  e2e_case "${SUITE}_vsock_modules_and_recheck_at_boot" case_vsock_modules_at_boot
  e2e_case "${SUITE}_no_transport_one_quiet_line" case_one_quiet_line
  e2e_case "${SUITE}_no_transport_recheck_armed_nothing_bound" case_recheck_armed
  e2e_case "${SUITE}_no_transport_no_vsock_socket_unit" case_no_vsock_socket_at_boot
  e2e_case "${SUITE}_no_transport_no_failed_unit" case_no_failed_unit
  e2e_case "${SUITE}_no_transport_no_error_of_ours" case_no_error_of_ours
  e2e_case "${SUITE}_no_console_hint" case_no_console_hint
  e2e_case "${SUITE}_late_module_rechecks_once" case_late_module_rechecks_once
  e2e_case "${SUITE}_late_module_binds_nothing_fails_nothing" case_after_late_module_nothing_bound
  e2e_case "${SUITE}_no_console_hint_after_recheck" case_no_console_hint
  # vsock listeners checked last: vm_listening's ss --vsock loads vsock.
  e2e_case "${SUITE}_no_transport_no_vsock_listener" case_no_vsock_listener
  finish_vm
done

for k in $(printf '%s\n' "${!TIMES[@]}" | sort); do echo "time: $k ${TIMES[$k]} s"; done
e2e_finish vm_generator
