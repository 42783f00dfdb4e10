#!/usr/bin/env bash
# The Debian package, built and checked the way a user gets it:
#
#   ci/package_test.sh        (as root; ci/test.sh runs it as its "package" stage)
#
# Builds it with ci/package.sh, checks it with lintian and dpkg-deb, then, in
# booted Debian 12 and 13 guests (testdata/guest: systemd-nspawn under the
# vsock guard, no network): dpkg -i, reboot, ssh from this host into the
# guest through /run/host/unix-export/ssh with the packaged proxy, `ssh .host`
# inside the guest with nothing but the packaged fragment, no failed units,
# and dpkg --purge leaving none of the package's files. The last line is
# "package: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

if [ -z "${PKG_TEST_DEB:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "ci/package_test.sh: run it as root (it boots guests)" >&2; exit 1; }
  out=$(mktemp -d /tmp/ssp-package-test.XXXXXX)
  start=$SECONDS
  deb=$(timeout 1200 ci/package.sh "$out/deb-out" 2>"$out/build.log")
  build_rc=$?
  echo "ci/package.sh took $((SECONDS - start)) s" >&2
  [ $build_rc -eq 0 ] || tail -40 "$out/build.log" >&2
  # The guard for this script and the guests (bazel-bin is -c opt now, as
  # ci/package.sh left it).
  bazel build -c opt --noshow_progress //cli/testing:no_vsock 2>"$out/guard.log" ||
    { cat "$out/guard.log" >&2; echo "package: 0 passed, 1 failed"; exit 1; }
  guard="$(bazel info -c opt bazel-bin 2>/dev/null)/cli/testing/no_vsock"
  "$guard" --self-test || { echo "the vsock guard does not work here" >&2; echo "package: 0 passed, 1 failed"; exit 1; }
  PKG_TEST_DEB=${deb:-none} PKG_TEST_OUT=$out PKG_TEST_BUILD_RC=$build_rc \
    "$guard" "$BASH" "$0"
  rc=$?
  rm -rf "$out"
  exit $rc
fi

source cli/testing/e2e_lib.sh
source testdata/guest/guest_lib.sh
E2E_PASSED=0 E2E_FAILED=0 E2E_XML="" E2E=$PKG_TEST_OUT
DEB=$PKG_TEST_DEB
guest_init || { echo "package: 0 passed, 1 failed"; exit 1; }
GUEST_TIMES=""

# --- The .deb itself -------------------------------------------------------

case_builds_one_deb() {
  expect_eq "ci/package.sh exit code" 0 "$PKG_TEST_BUILD_RC"
  local files version arch
  files=$(ls -A "$E2E/deb-out")
  version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
  arch=$(dpkg --print-architecture)
  expect_eq "OUTDIR holds" "ssh-socket-proxy_${version}_${arch}.deb" "$files"
  expect_eq "printed path" "$E2E/deb-out/ssh-socket-proxy_${version}_${arch}.deb" "$DEB"
}

case_lintian_clean() {
  # Overrides are allowed (each says why in debian/*.lintian-overrides);
  # every error and warning that is not overridden fails.
  timeout 300 lintian --fail-on error,warning "$DEB" 2>"$E2E/lintian.err"
}

# Unpacks the .deb once for the checks below (and the host side of the ssh
# test, which runs the packaged binary).
unpack_deb() {
  rm -rf "$E2E/deb"
  dpkg-deb -R "$DEB" "$E2E/deb"
}
unpack_deb >/dev/null 2>&1

# Exactly what //:install stages, plus the docs Debian requires; man pages
# gzipped.
case_file_list() {
  local stage="$E2E/stage" want got
  RUNFILES_DIR="$(bazel info -c opt bazel-bin 2>/dev/null)/cli/install.runfiles" \
    "$(bazel info -c opt bazel-bin 2>/dev/null)/cli/install" --prefix=/usr --destdir="$stage" 2>/dev/null
  want=$( (cd "$stage" && find . ! -type d | sed -e 's|^\.||' -e 's|^\(/usr/share/man/.*\)$|\1.gz|'
    echo /usr/share/doc/ssh-socket-proxy/copyright
    echo /usr/share/doc/ssh-socket-proxy/changelog.gz
    echo /usr/share/lintian/overrides/ssh-socket-proxy) | sort)
  got=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | sort)
  expect_eq "files in the .deb" "$want" "$got"
  # What the issue names, whatever //:install does.
  local f
  for f in /usr/bin/ssh-socket-proxy /usr/share/man/man1/ssh-socket-proxy.1.gz \
    /usr/lib/systemd/system-generators/ssh-socket-proxy-generator \
    /usr/share/man/man8/ssh-socket-proxy-generator.8.gz \
    /etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf /usr/share/doc/ssh-socket-proxy/copyright \
    /usr/share/doc/ssh-socket-proxy/changelog.gz; do
    expect_contains "files in the .deb" "$f" "$got"
  done
  [[ "$got" != *"/usr/local"* ]] || { echo "  /usr/local in the package"; return 1; }
  # Man pages are gzipped and still readable.
  for f in $(grep '^/usr/share/man/' <<<"$got"); do
    gzip -t "$E2E/deb$f" || { echo "  $f is not gzip"; return 1; }
  done
  expect_contains "DEP-5 copyright" "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
    "$(head -1 "$E2E/deb/usr/share/doc/ssh-socket-proxy/copyright")"
}

case_conffiles() {
  # Every file under /etc is a conffile, and nothing else is.
  local etc
  etc=$(dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | grep '^/etc/' | sort)
  expect_eq "conffiles" "$etc" "$(dpkg-deb -I "$DEB" conffiles | sort)"
  expect_contains "conffiles" /etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf "$etc"
  # The fragment names the packaged binary, and ssh accepts it.
  local conf="$E2E/deb/etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf" g
  g=$(ssh -G -F "$conf" vsock/3 2>&1)
  expect_contains "ssh -G vsock/3" "proxycommand /usr/bin/ssh-socket-proxy %h %p %n" "$g"
  g=$(ssh -G -F "$conf" .host 2>&1)
  expect_contains "ssh -G .host" "proxycommand /usr/bin/ssh-socket-proxy %h %p %n" "$g"
  expect_contains "ssh -G .host" "proxyusefdpass yes" "$g"
}

case_control_fields() {
  local field version
  field() { dpkg-deb -f "$DEB" "$1"; }
  expect_eq Package ssh-socket-proxy "$(field Package)"
  expect_eq Architecture "$(dpkg --print-architecture)" "$(field Architecture)"
  # The static binary needs no library; misc:Depends adds nothing here.
  expect_eq Depends "" "$(field Depends)"
  expect_eq Recommends openssh-client "$(field Recommends)"
  # qemu/'s helper, when built, adds its shared libraries here.
  expect_contains Suggests libvirt0 "$(field Suggests)"
  expect_contains Suggests openssh-server "$(field Suggests)"
  # The static binaries carry glibc: its exact source is recorded.
  expect_eq Built-Using "$(dpkg-query -W -f '${source:Package} (= ${source:Version})' libc6-dev)" \
    "$(field Built-Using)"
  # The package's version is the one the binary reports.
  version=$("$E2E/deb/usr/bin/ssh-socket-proxy" --version 2>&1)
  expect_eq "--version" "ssh-socket-proxy $(field Version)" "$version"
}

e2e_case builds_one_deb case_builds_one_deb
e2e_case lintian_clean case_lintian_clean
e2e_case file_list case_file_list
e2e_case conffiles case_conffiles
e2e_case control_fields case_control_fields

# --- Booted guests ---------------------------------------------------------

# The host side of ssh: the packaged binary and fragment, a client key, and
# strict checking of the guest's host key under an alias.
ssh-keygen -q -t ed25519 -N '' -C package-test -f "$E2E/id"
sed "s|/usr/bin/ssh-socket-proxy|$E2E/deb/usr/bin/ssh-socket-proxy|g" \
  "$E2E/deb/etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf" >"$E2E/fragment.conf"
cat >"$E2E/ssh_config" <<CONF
Host *
  User root
  IdentityFile $E2E/id
  IdentitiesOnly yes
  UserKnownHostsFile $E2E/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  HostKeyAlias package-guest
  BatchMode yes
  LogLevel ERROR

Include $E2E/fragment.conf
CONF

# guest_poweroff also deletes the root; a reboot must keep it. Powers the
# guest off from inside (an orderly shutdown, as `reboot` would) and boots
# the same root again with the same arguments.
pkg_reboot() {
  local name=$1; shift
  local pid=${GUEST_NSPAWN_PID[$name]} root=${GUEST_ROOT[$name]}
  guest_run "$name" systemctl poweroff >/dev/null 2>&1 || true
  local deadline=$((SECONDS + GUEST_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "package test: $name did not power off" >&2
    return 1
  fi
  wait "$pid" 2>/dev/null
  rm -f "${GUEST_CONSOLE[$name]}"
  guest_boot "$name" "$root" "$@"
}

# What ssh-socket-proxy-generator wrote (it names every unit ssh-socket-proxy-*).
generated_units() {
  guest_run g sh -c 'cd /run/systemd && ls -d generator*/ssh-socket-proxy-* generator*/*/ssh-socket-proxy-* 2>/dev/null' | sort
}

# Boots, installs and reboots a guest of SUITE at the top level (guests must
# not be started from a case's subshell); the cases then inspect it. Sets
# INSTALL_LOG, INSTALL_RC, BOOTED, REBOOTED, EXPORT.
setup_guest() {
  local suite=$1 tar t0=$SECONDS
  INSTALL_RC=none BOOTED=0 REBOOTED=0
  tar=$(guest_rootfs "$suite") || return 1
  guest_unpack "$tar" || return 1
  local root=$GUEST_DIR
  EXPORT=$(mktemp -d "$E2E/export-$suite.XXXXXX")
  chmod 0755 "$EXPORT"
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$E2E/id.pub" "$root/root/.ssh/authorized_keys"
  cp "$DEB" "$root/root/"
  echo "package-guest $(cut -d' ' -f1,2 "$root/etc/ssh/ssh_host_ed25519_key.pub")" >"$E2E/known_hosts"
  BOOT_ARGS=(--bind="$EXPORT:/run/host/unix-export")
  guest_boot g "$root" "${BOOT_ARGS[@]}" && BOOTED=1
  INSTALL_LOG=$(guest_run g dpkg -i "/root/${DEB##*/}" 2>&1)
  INSTALL_RC=$?
  # The postinst's daemon-reload has run the generator already.
  UNITS_AFTER_INSTALL=$(generated_units)
  pkg_reboot g "${BOOT_ARGS[@]}" && REBOOTED=1
  GUEST_TIMES+="$suite: $((SECONDS - t0)) s to unpack the root, boot, install and reboot; "
}

case_installs() {
  expect_eq "booted" 1 "$BOOTED"
  expect_eq "dpkg -i exit code ($INSTALL_LOG)" 0 "$INSTALL_RC"
  expect_eq "status" "install ok installed" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy)"
}

case_boots_again_cleanly() {
  expect_eq "rebooted" 1 "$REBOOTED"
  expect_eq "failed units" "" "$(guest_run g systemctl --failed --plain --no-legend)"
}

case_host_to_guest() {
  local want
  want=$(guest_run g sh -c '. /etc/os-release; echo "$VERSION_CODENAME $(cat /etc/machine-id)"')
  e2e_ssh "unix$EXPORT/ssh" '. /etc/os-release; echo "$VERSION_CODENAME $(cat /etc/machine-id)"'
  expect_eq "ssh exit code ($ERR)" 0 "$RC"
  expect_eq "the guest answered" "$want" "$OUT"
}

# Inside the guest: nothing but the packaged fragment (via Debian's
# /etc/ssh/ssh_config) routes .host; only host key options are given.
case_dot_host_in_guest() {
  local out
  guest_run g sh -c 'rm -f /root/.ssh/id_ed25519* && ssh-keygen -q -t ed25519 -N "" -f /root/.ssh/id_ed25519 &&
    cat /root/.ssh/id_ed25519.pub >>/root/.ssh/authorized_keys &&
    echo ".host $(cut -d" " -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" >/root/dot_host_known_hosts'
  expect_contains "ssh -G .host" "proxycommand /usr/bin/ssh-socket-proxy %h %p %n" \
    "$(guest_run g ssh -G .host 2>/dev/null)"
  out=$(guest_run g timeout 30 ssh -v -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile=/root/dot_host_known_hosts .host 'echo via-$(cat /etc/hostname)' 2>&1) || true
  expect_contains "ssh .host" "via-$(guest_run g cat /etc/hostname)" "$out"
  # "Executing proxy dialer command: exec ..." (OpenSSH 9.2 and 10.0).
  expect_contains "ssh .host ran" "command: exec /usr/bin/ssh-socket-proxy .host 22 .host" "$out"
  # Relay mode: ssh keeps the pipes, the proxy splices.
  out=$(guest_run g timeout 30 ssh -o ProxyUseFdpass=no -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile=/root/dot_host_known_hosts .host 'head -c 1000000 /dev/zero | sha256sum' 2>&1) || true
  expect_eq "relayed 1 MB" "$(head -c 1000000 /dev/zero | sha256sum)" "$out"
}

# Debian 12 (systemd 252): the generator makes both sockets; its units are
# there from the install on (the postinst's daemon-reload).
case_generator_serves() {
  local units l
  units=$(generated_units)
  expect_contains "after install" "generator/ssh-socket-proxy-" "$UNITS_AFTER_INSTALL"
  expect_contains "after reboot" "generator/ssh-socket-proxy-" "$units"
  l=$(guest_listening g)
  expect_contains "listening" "unix /run/ssh-unix-local/socket" "$l"
  expect_contains "listening" "unix /run/host/unix-export/ssh" "$l"
}

# Debian 13 (systemd 257): systemd-ssh-generator serves, ours writes nothing,
# and the same sockets listen.
case_generator_stands_down() {
  local l
  expect_eq "units after install" "" "$UNITS_AFTER_INSTALL"
  expect_eq "units after reboot" "" "$(generated_units)"
  expect_contains "systemd's own" "sshd-unix-local.socket" \
    "$(guest_run g ls /run/systemd/generator /run/systemd/generator.early /run/systemd/generator.late 2>/dev/null)"
  l=$(guest_listening g)
  expect_contains "listening" "unix /run/ssh-unix-local/socket" "$l"
  expect_contains "listening" "unix /run/host/unix-export/ssh" "$l"
}

case_purge_leaves_nothing() {
  local files left="" f
  files=$(guest_run g dpkg -L ssh-socket-proxy)
  expect_contains "dpkg -L" /usr/bin/ssh-socket-proxy "$files"
  guest_run g dpkg --purge ssh-socket-proxy >/dev/null 2>&1
  expect_eq "status after purge" "" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy 2>/dev/null)"
  # Whatever of it still exists is a directory that another package owns
  # (/etc/ssh/ssh_config.d) or that holds other packages' files (dpkg -S
  # cannot tell on Debian 12: systemd registers its generators under /lib,
  # the same directory with merged /usr).
  for f in $files; do
    [ "$f" != /. ] || continue
    guest_run g test -e "$f" -o -L "$f" || continue
    guest_run g test -d "$f" -a ! -L "$f" || { left+=" $f"; continue; }
    guest_run g dpkg -S "$f" >/dev/null 2>&1 && continue
    [ -n "$(guest_run g ls -A "$f")" ] || left+=" $f"
  done
  expect_eq "left behind" "" "$left"
  expect_eq "dpkg's records" "" "$(guest_run g sh -c 'ls /var/lib/dpkg/info/ssh-socket-proxy.* 2>/dev/null')"
  # The postrm's daemon-reload took the generator's units away, and the
  # prerm closed its sockets.
  expect_eq "generated units" "" "$(generated_units)"
  expect_eq "units still loaded" "" \
    "$(guest_run g systemctl list-units --all --plain --no-legend 'ssh-socket-proxy-*.socket')"
  local l
  l=$(guest_listening g)
  if [ "$SUITE" = bookworm ]; then
    [[ "$l" != *"unix /run/ssh-unix-local/socket"* ]] || { echo "  still listening: $l"; return 1; }
    expect_eq "socket files" "" "$(guest_run g find /run/ssh-unix-local /run/host/unix-export -mindepth 1)"
  else
    # systemd's own sockets are not the package's: they stay.
    expect_contains "listening" "unix /run/ssh-unix-local/socket" "$l"
    expect_contains "listening" "unix /run/host/unix-export/ssh" "$l"
  fi
}

for SUITE in bookworm trixie; do
  suite=$SUITE
  setup_guest "$suite"
  e2e_case "${suite}_installs" case_installs
  e2e_case "${suite}_boots_again_cleanly" case_boots_again_cleanly
  e2e_case "${suite}_host_to_guest_through_unix_export" case_host_to_guest
  e2e_case "${suite}_dot_host_in_guest" case_dot_host_in_guest
  if [ "$suite" = bookworm ]; then
    e2e_case "${suite}_generator_serves" case_generator_serves
  else
    e2e_case "${suite}_generator_stands_down" case_generator_stands_down
  fi
  e2e_case "${suite}_purge_leaves_nothing" case_purge_leaves_nothing
  guest_poweroff g
done
echo "guests: $GUEST_TIMES" >&2
e2e_finish package
