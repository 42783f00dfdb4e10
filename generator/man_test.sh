#!/usr/bin/env bash
# The generator's man page renders without a single groff warning and
# documents every switch, credential and mode the binary reads, its unit
# prefix and files, its exit codes, how to turn it off (sshd_not_to_be_run,
# a masked ssh.service, provision.conf), the oldest systemd tested and where
# it differs from systemd.
set -euo pipefail
page="$TEST_SRCDIR/$TEST_WORKSPACE/generator/ssh-socket-proxy-generator.8"
bin="$TEST_SRCDIR/$TEST_WORKSPACE/generator/ssh-socket-proxy-generator"
fail() { echo "FAIL: $*" >&2; exit 1; }

warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
[ -z "$warnings" ] || fail "groff warnings: $warnings"
text=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -rLL=200n "$page" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
# One line, single spaces: justification and line breaks do not matter.
text=$(tr -s ' \n' '  ' <<<"$text")

# The modes the binary takes are documented.
for mode in $(grep -aoE -- '--vsock-[a-z]+' "$bin" | sort -u); do
  grep -qF -- "$mode" <<<"$text" || fail "man page lacks $mode"
done
# The names come from the binary, so a new switch without docs fails here.
names=$(grep -aoE 'systemd\.ssh_[a-z]+|ssh\.(listen|authorized_keys\.root)' "$bin" | sort -u)
[ "$(wc -l <<<"$names")" -ge 4 ] || fail "found only these names in the binary: $names"
for name in $names; do
  grep -qF -- "$name" <<<"$text" || fail "man page lacks $name"
done
for want in ssh-socket-proxy-'*' /run/ssh-unix-local/socket /run/host/unix-export/ssh vsock::22 \
  "Exit status: 0" "1 when a unit could not be written" "2 when" \
  /etc/systemd/system-generators/ssh-socket-proxy-generator \
  /etc/ssh/sshd_not_to_be_run "systemd 247 (Debian 11, the oldest tested)" RemoveOnStop=yes \
  ssh-socket-proxy-vsock-recheck.service 60-ssh-socket-proxy-vsock.rules \
  /run/ssh-socket-proxy/vsock.issue /etc/issue.d/50-ssh-socket-proxy-vsock.issue \
  "DIFFERENCES FROM SYSTEMD" "systemd.ssh_auto='no'" "below /run/" masked provision.conf \
  /run/dbus/ "not a regular file" "cannot be read binds nothing"; do
  grep -qF -- "$want" <<<"$text" || fail "man page lacks '$want'"
done
echo "man: ok"
