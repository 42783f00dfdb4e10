#!/usr/bin/env bash
# The guest harness itself: a Debian 12 guest boots, runs commands, cannot
# open AF_VSOCK, reports its listening sockets, reboots on the same root,
# and is gone after poweroff.
# The first run on a machine builds the rootfs (mmdebstrap, ~30 s).
source "${TEST_SRCDIR:-$(dirname "$0")/../..}/${TEST_WORKSPACE:-.}/testdata/harness/e2e_lib.sh"
source "$(e2e_runfile testdata/harness/guest_lib.sh)"
e2e_guard "$@"
e2e_begin ssp-guest-test
guest_init || exit 1
trap 'guest_cleanup_all; rm -rf "$E2E"' EXIT

TAR=$(guest_rootfs bookworm) || exit 1
guest_unpack "$TAR" || exit 1
ROOT=$GUEST_DIR
BOOTED=0
guest_boot g "$ROOT" --set-credential=greeting:hello -- systemd.log_level=info && BOOTED=1

case_boots() {
  expect_eq "booted" 1 "$BOOTED"
  expect_eq "state" running "${GUEST_STATE[g]}"
  expect_eq "failed units" "" "$(guest_run g systemctl --failed --plain --no-legend)"
}

case_runs_commands_inside() {
  expect_eq "os" bookworm "$(guest_run g sh -c '. /etc/os-release; echo $VERSION_CODENAME')"
  expect_eq "pid 1" systemd "$(guest_run g cat /proc/1/comm)"
  # Init arguments reach the guest's PID 1 as its command line.
  expect_contains "cmdline" "systemd.log_level=info" "$(guest_run g cat /proc/1/cmdline | tr '\0' ' ')"
  expect_eq "exit code" 3 "$(guest_run g sh -c 'exit 3'; echo $?)"
  expect_eq "stdin" piped "$(echo piped | guest_run g cat)"
}

case_credentials_reach_the_guest() {
  expect_eq "credential" hello "$(guest_run g cat /run/credentials/@system/greeting)"
}

case_vsock_refused_in_guest() {
  # The seccomp guard is inherited by the whole guest: socket(AF_VSOCK=40)
  # fails with EACCES (perl-base is in every Debian root).
  expect_eq "socket(AF_VSOCK)" "Permission denied" \
    "$(guest_run g perl -e 'socket(my $s, 40, 1, 0) ? print "created" : print "$!"')"
}

case_listening() {
  local l
  l=$(guest_listening g)
  # Debian's ssh.service, in the guest's own network namespace.
  expect_contains "listening" "tcp 0.0.0.0:22" "$l"
  expect_contains "listening" "tcp [::]:22" "$l"
  expect_contains "listening" "unix /run/dbus/system_bus_socket" "$l"
}

# Run between the cases (a guest must be started from this shell): a file
# on the root and one in /run, then a reboot with the first boot's arguments.
reboot_guest() {
  LEADER_BEFORE=${GUEST_LEADER[g]:-}
  guest_run g sh -c 'echo kept >/var/tmp/ssp-reboot && echo gone >/run/ssp-reboot'
  REBOOTED=0
  guest_reboot g --set-credential=greeting:hello -- systemd.log_level=info && REBOOTED=1
}

case_reboot_keeps_the_root() {
  expect_eq "rebooted" 1 "$REBOOTED"
  expect_eq "state" running "${GUEST_STATE[g]}"
  [ "${GUEST_LEADER[g]}" != "$LEADER_BEFORE" ] || { echo "PID 1 is still $LEADER_BEFORE"; return 1; }
  expect_eq "file on the root" kept "$(guest_run g cat /var/tmp/ssp-reboot)"
  expect_eq "file in /run" "" "$(guest_run g cat /run/ssp-reboot 2>/dev/null)"
  expect_eq "credential" hello "$(guest_run g cat /run/credentials/@system/greeting)"
  [ -d "$ROOT" ] || { echo "$ROOT is gone"; return 1; }
}

case_poweroff_removes_everything() {
  local pid=${GUEST_NSPAWN_PID[g]} leader=${GUEST_LEADER[g]}
  guest_poweroff g
  if kill -0 "$pid" 2>/dev/null || kill -0 "$leader" 2>/dev/null; then
    echo "nspawn $pid or PID 1 $leader still running"; return 1
  fi
  [ ! -e "$ROOT" ] || { echo "$ROOT left behind"; return 1; }
  guest_poweroff g   # twice is harmless
}

e2e_case boots case_boots
e2e_case runs_commands_inside case_runs_commands_inside
e2e_case credentials_reach_the_guest case_credentials_reach_the_guest
e2e_case vsock_refused_in_guest case_vsock_refused_in_guest
e2e_case listening case_listening
reboot_guest
e2e_case reboot_keeps_the_root case_reboot_keeps_the_root
e2e_case poweroff_removes_everything case_poweroff_removes_everything
e2e_finish guest_lib
