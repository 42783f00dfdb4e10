#!/usr/bin/env bash
# The VM harness itself: a Debian 12 VM boots under the vsock guard with no
# vsock device and no network, runs commands (stdout, stderr, exit code,
# stdin, timeouts), reports its listening sockets, sees its kernel command
# line, and is gone after poweroff; vm_installed puts a package on its disk,
# and a package apt cannot install leaves no disk and no mount behind;
# vm_suite_debs leaves the libvirt helper out on Debian 11. The
# first run on a machine builds the image (mmdebstrap + mkfs.ext4 -d, a few
# minutes).
source "${TEST_SRCDIR:-$(dirname "$0")/../..}/${TEST_WORKSPACE:-.}/testdata/harness/e2e_lib.sh"
source "$(e2e_runfile testdata/harness/vm_lib.sh)"
e2e_guard "$@"
e2e_begin ssp-vm-lib-test
vm_init || exit 1
trap 'vm_cleanup_all; rm -rf "$E2E"' EXIT

IMG=$(vm_image bookworm "${VM_TEST_PACKAGES[@]}" --download "${VM_PACKAGE_DEPENDS[@]}") || exit 1

# fake_deb DIR NAME [DEPENDS]: a package with one file, /usr/share/NAME.
fake_deb() {
  local tree="$E2E/tree-$2"
  mkdir -p "$tree/DEBIAN" "$tree/usr/share" "$1"
  echo "$2" >"$tree/usr/share/$2"
  printf 'Package: %s\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: t\n' "$2" >"$tree/DEBIAN/control"
  [ -z "${3:-}" ] || echo "Depends: $3" >>"$tree/DEBIAN/control"
  dpkg-deb --build "$tree" "$1/$2.deb" >/dev/null
}
# Installed disks of this test's own, away from the shared ones.
VM_INSTALLED_DIR=$(mktemp -d "$VM_TMP/ssp-vm-lib-test.XXXXXX") || exit 1
trap 'vm_cleanup_all; rm -rf "$E2E" "$VM_INSTALLED_DIR"' EXIT
fake_deb "$E2E/ok" ssp-vmlib-ok
fake_deb "$E2E/bad" ssp-vmlib-bad no-such-package-anywhere
DISK=$(vm_installed "$IMG" "$E2E/ok")
INSTALL_RC=$?
BAD_RC=0
vm_installed "$IMG" "$E2E/bad" >"$E2E/bad.out" 2>"$E2E/bad.err" || BAD_RC=$?

case_install_fails_cleanly() {
  expect_eq "vm_installed exit" 1 "$BAD_RC"
  expect_eq "stdout" "" "$(cat "$E2E/bad.out")"
  expect_contains "apt's error on stderr" "no-such-package-anywhere" "$(cat "$E2E/bad.err")"
  # Only the good disk and its log (and the locks).
  expect_eq "files left" "$(printf '%s\n' "${DISK##*/}" "${DISK##*/}.apt.log")" \
    "$(ls "$VM_INSTALLED_DIR" | grep -v '\.lock$')"
  expect_eq "loop mounts left" "" "$(grep ssp-vm-mnt /proc/mounts)"
}

BOOTED=0
[ "$INSTALL_RC" -eq 0 ] && vm_boot v "$IMG" --disk "$DISK" -- systemd.log_level=info ssp.marker=yes && BOOTED=1
echo "boot: ${VM_BOOT_SECONDS[v]:-?} s"
QEMU=${VM_QEMU_PID[v]:-0}

case_boots() {
  expect_eq "booted" 1 "$BOOTED"
  expect_eq "state" running "${VM_STATE[v]}"
  expect_eq "failed units" "" "$(vm_run v systemctl --failed --plain --no-legend)"
  expect_eq "os" bookworm "$(vm_sh v '. /etc/os-release; echo $VERSION_CODENAME')"
  expect_contains "kernel command line" "systemd.log_level=info ssp.marker=yes" "$(vm_run v cat /proc/cmdline)"
}

case_runs_commands_inside() {
  expect_eq "stdout" "a b" "$(vm_run v echo a b)"
  expect_eq "quoted argument" "it's one" "$(vm_run v printf '%s' "it's one")"
  expect_eq "stderr" "oops" "$(vm_sh v 'echo oops >&2' 2>&1 >/dev/null)"
  expect_eq "exit code" 3 "$(vm_sh v 'exit 3'; echo $?)"
  echo piped >"$E2E/in"
  expect_eq "stdin" piped "$(VM_STDIN=$E2E/in vm_run v cat)"
  expect_eq "no stdin" "" "$(vm_run v cat)"
  # Both sides bound a command; the agent goes on serving.
  local rc=0
  VM_RUN_TIMEOUT=2 vm_run v sleep 30 || rc=$?
  expect_eq "timeout exit code" 124 "$rc"
  expect_eq "after a timeout" ok "$(vm_run v echo ok)"
  # Requests run side by side: a slow one holds up no other.
  vm_sh v 'sleep 5' &
  local slow=$!
  expect_eq "beside a slow one" ok "$(vm_run v echo ok)"
  kill -0 "$slow" 2>/dev/null || { echo "  the slow request had already ended"; return 1; }
  wait "$slow"
  expect_eq "files from the share" hello "$(echo hello >"$(vm_share v)/f"; vm_run v cat /run/vmctl/f)"
}

# SAFETY: what makes real AF_VSOCK inside the VM harmless for this machine.
case_no_vsock_device_no_network_guarded_qemu() {
  vm_isolation_check v
  # And the check does fail: a process without the guard (this test's own
  # shell runs under it, so ask about PID 1 of this machine).
  local real=${VM_QEMU_PID[v]} out rc=0
  VM_QEMU_PID[v]=1
  out=$(vm_isolation_check v) || rc=$?
  VM_QEMU_PID[v]=$real
  expect_eq "isolation check on PID 1" 1 "$rc"
  expect_contains "isolation check on PID 1" "without the vsock guard" "$out"
}

case_modules_and_listeners() {
  vm_modprobe v vsock_loopback
  expect_contains "modules" vsock_loopback "$(vm_run v cat /proc/modules)"
  local l
  l=$(vm_listening v)
  expect_contains "listening" "tcp 0.0.0.0:22" "$l"
  expect_contains "listening" "unix /run/systemd/private" "$l"
  # A vsock listener made for the purpose shows up as ss prints it.
  vm_run v systemd-socket-activate -l vsock::2345 true >/dev/null 2>&1 &
  local act=$! i
  for i in $(seq 50); do
    l=$(vm_listening v)
    [[ "$l" == *"vsock *:2345"* ]] && break
    sleep 0.2
  done
  kill "$act" 2>/dev/null
  vm_run v pkill -f 'systemd-socket-activate -l vsock::2345' || true
  expect_contains "listening" "vsock *:2345" "$l"
  expect_contains "journal" "Linux version" "$(vm_journal v -k -n 2000 -o cat)"
}

case_installed_package_in_the_vm() {
  expect_eq "vm_installed exit" 0 "$INSTALL_RC"
  expect_eq "installed" ssp-vmlib-ok "$(vm_debs_installed v "$E2E/ok")"
  expect_eq "its file" ssp-vmlib-ok "$(vm_run v cat /usr/share/ssp-vmlib-ok)"
  expect_eq "policy-rc.d left behind" "" "$(vm_run v ls /usr/sbin/policy-rc.d 2>/dev/null)"
}

# Debian 11 gets every package but the libvirt helper (its glibc).
case_suite_debs() {
  fake_deb "$E2E/pkgs" ssh-socket-proxy
  fake_deb "$E2E/pkgs" ssh-socket-proxy-libvirt
  expect_eq "bullseye" ssh-socket-proxy "$(vm_deb_names "$(vm_suite_debs bullseye "$E2E/pkgs" "$E2E/11")")"
  expect_eq "bookworm" "$(printf '%s\n' ssh-socket-proxy ssh-socket-proxy-libvirt)" \
    "$(vm_deb_names "$(vm_suite_debs bookworm "$E2E/pkgs" "$E2E/12")")"
}

e2e_case boots case_boots
e2e_case suite_debs case_suite_debs
e2e_case installed_package_in_the_vm case_installed_package_in_the_vm
e2e_case install_fails_cleanly case_install_fails_cleanly
e2e_case runs_commands_inside case_runs_commands_inside
e2e_case no_vsock_device_no_network_guarded_qemu case_no_vsock_device_no_network_guarded_qemu
e2e_case modules_and_listeners case_modules_and_listeners
# Not in a case: the poweroff must change this shell's state.
start=$SECONDS DIR=${VM_DIR[v]:-}
vm_poweroff v
POWEROFF_SECONDS=$((SECONDS - start))
case_powered_off() {
  echo "poweroff: $POWEROFF_SECONDS s"
  ! kill -0 "$QEMU" 2>/dev/null || { echo "  qemu $QEMU still runs"; return 1; }
  expect_eq "VMs left" "" "${!VM_QEMU_PID[*]}"
  [ -n "$DIR" ] && [ ! -e "$DIR" ] || { echo "  the VM's directory '$DIR' is still there"; return 1; }
  [ "$POWEROFF_SECONDS" -lt "$VM_STOP_TIMEOUT" ] || { echo "  it had to be killed"; return 1; }
}
e2e_case powered_off case_powered_off
e2e_finish vm_lib
