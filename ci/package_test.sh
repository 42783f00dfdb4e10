#!/usr/bin/env bash
# The Debian packages, built and checked the way a user gets them:
#
#   ci/package_test.sh        (as root; ci/test.sh runs it as its "package" stage)
#
# Builds them with ci/package.sh as a build daemon would (HOME does not
# exist), checks them with lintian and dpkg-deb, then, in booted Debian 11
# (split /usr as mmdebstrap makes it, and merged as a new install is), 12 and
# 13 guests (testdata/harness: systemd-nspawn under the vsock guard, no
# network): dpkg -i, `apt-get install ./ssh-socket-proxy-libvirt_*.deb`
# (offline: the rootfs has its libraries, as a host with libvirt would),
# reboot, ssh from this host into the guest through
# /run/host/unix-export/ssh with the packaged proxy and with a key given
# only as a credential, `ssh .host` inside the guest with nothing but the
# packaged fragment, qemu/ against libvirt's test driver, no failed units,
# the same ssh sockets as Debian 13's own generator, and apt-get purge
# closing our sockets and leaving none of the packages' files. The last line
# is "package: N passed, N failed". PKG_TEST_SUITES="bullseye" boots only
# the suites named (for work on one; the Debian 13 comparison then fails);
# the names are bullseye, bullseye_merged_usr, bookworm and trixie.
# PACKAGE_TEST_KEEP_DEBS=DIR copies the .debs it built into DIR.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
source testdata/harness/e2e_lib.sh
source testdata/harness/guest_lib.sh

# The guard for this script and the guests, and //:install for the file
# lists: this checkout's own build (the file lists do not depend on -c opt).
case_guard_builds_and_works() {
  bazel build --noshow_progress //:install //testdata/harness:no_vsock
  "$(bazel info bazel-bin 2>/dev/null)/testdata/harness/no_vsock" --self-test
}

if [ -z "${PKG_TEST_DEB:-}" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "ci/package_test.sh: run it as root (it boots guests)" >&2; exit 1; }
  e2e_begin ssp-package-test
  out=$E2E
  start=$SECONDS
  # sbuild's HOME does not exist; this one must not exist afterwards either.
  debs=$(HOME="$out/no-home" timeout 1500 ci/package.sh "$out/deb-out" 2>"$out/build.log")
  build_rc=$?
  echo "ci/package.sh took $((SECONDS - start)) s" >&2
  [ $build_rc -eq 0 ] || tail -40 "$out/build.log" >&2
  # For ci/test.sh's VM stage, so that it tests these very files.
  if [ $build_rc -eq 0 ] && [ -n "${PACKAGE_TEST_KEEP_DEBS:-}" ]; then
    cp $debs "$PACKAGE_TEST_KEEP_DEBS"/
  fi
  # The run under the guard goes on counting from here.
  e2e_case guard_builds_and_works case_guard_builds_and_works
  [ "$E2E_FAILED" -eq 0 ] || { rm -rf "$out"; e2e_finish package; exit 1; }
  bin=$(bazel info bazel-bin 2>/dev/null)
  PKG_TEST_DEB=$(sed -n 1p <<<"$debs") PKG_TEST_LIBVIRT_DEB=$(sed -n 2p <<<"$debs") \
    PKG_TEST_DEBS=$debs PKG_TEST_OUT=$out PKG_TEST_BUILD_RC=$build_rc PKG_TEST_BIN=$bin \
    PKG_TEST_PASSED=$E2E_PASSED \
    "$bin/testdata/harness/no_vsock" "$BASH" "$0"
  rc=$?
  rm -rf "$out"
  exit $rc
fi

E2E=$PKG_TEST_OUT
E2E_PASSED=${PKG_TEST_PASSED:-0}
DEB=${PKG_TEST_DEB:-none}
LIBVIRT_DEB=${PKG_TEST_LIBVIRT_DEB:-none}
guest_init 2>"$E2E/guest_init.log" ||
  { e2e_record guests_can_boot 1 "$E2E/guest_init.log"; e2e_finish package; exit 1; }
GUEST_TIMES=""
version=$(dpkg-parsechangelog -l "$repo/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)

# --- The .debs themselves --------------------------------------------------

case_builds_two_debs() {
  expect_eq "ci/package.sh exit code" 0 "$PKG_TEST_BUILD_RC"
  expect_eq "OUTDIR holds" "ssh-socket-proxy-libvirt_${version}_${arch}.deb
ssh-socket-proxy_${version}_${arch}.deb" "$(ls -A "$E2E/deb-out" | sort)"
  expect_eq "printed paths" "$E2E/deb-out/ssh-socket-proxy_${version}_${arch}.deb
$E2E/deb-out/ssh-socket-proxy-libvirt_${version}_${arch}.deb" "$PKG_TEST_DEBS"
}

# As under sbuild: HOME did not exist and still does not (Bazel wrote
# nothing there), and --post-clean left nothing in the tree: not Bazel's
# output root (debian/.bazel), not a bazel-* link into it, not a staging
# directory.
case_builds_without_home() {
  [ ! -e "$E2E/no-home" ] || { echo "  the build created HOME: $(find "$E2E/no-home" | head)"; return 1; }
  expect_eq "left in debian/" "" "$(cd "$repo" && git status --porcelain --ignored -- debian)"
  local l
  for l in "$repo"/bazel-*; do
    [ -L "$l" ] || continue
    [[ "$(readlink "$l")" != "$repo/debian/"* ]] || { echo "  $l points into debian/"; return 1; }
  done
  # The build's own Bazel server is gone with its output root.
  expect_eq "servers of debian/.bazel" "" "$(pgrep -af -- "--output_user_root=$repo/debian/.bazel" || true)"
}

case_lintian_clean() {
  # Overrides are allowed (each says why in debian/*.lintian-overrides);
  # every error and warning that is not overridden fails.
  timeout 300 lintian --fail-on error,warning "$DEB" "$LIBVIRT_DEB" 2>"$E2E/lintian.err"
}

# Unpacks the .debs once for the checks below (and the host side of the ssh
# test, which runs the packaged binary).
rm -rf "$E2E/deb" "$E2E/deb-libvirt"
dpkg-deb -R "$DEB" "$E2E/deb" >/dev/null 2>&1
dpkg-deb -R "$LIBVIRT_DEB" "$E2E/deb-libvirt" >/dev/null 2>&1

# deb_files DEB: the paths of its files (no directories), sorted.
deb_files() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\.||' | sort; }

# staged COMPONENT PACKAGE: what //:install --component=COMPONENT stages,
# plus the docs Debian requires; man pages gzipped.
staged() {
  local stage="$E2E/stage-$1"
  rm -rf "$stage"
  RUNFILES_DIR="$PKG_TEST_BIN/cli/install.runfiles" "$PKG_TEST_BIN/cli/install" \
    --prefix=/usr --destdir="$stage" --component="$1" 2>/dev/null
  (cd "$stage" && find . ! -type d | sed -e 's|^\.||' -e 's|^\(/usr/share/man/.*\)$|\1.gz|'
    echo "/usr/share/doc/$2/copyright"
    echo "/usr/share/doc/$2/changelog.gz"
    [ "$2" != ssh-socket-proxy ] || echo /usr/share/lintian/overrides/ssh-socket-proxy) | sort
}

# Exactly what //:install stages, each component in its package, no file in
# both.
case_file_list() {
  local got got_libvirt f
  got=$(deb_files "$DEB")
  got_libvirt=$(deb_files "$LIBVIRT_DEB")
  expect_eq "files in ssh-socket-proxy" "$(staged proxy ssh-socket-proxy)" "$got"
  expect_eq "files in ssh-socket-proxy-libvirt" "$(staged libvirt ssh-socket-proxy-libvirt)" "$got_libvirt"
  expect_eq "files in both" "" "$(comm -12 <(echo "$got") <(echo "$got_libvirt"))"
  # What the issues name, whatever //:install does.
  for f in /usr/bin/ssh-socket-proxy /usr/share/man/man1/ssh-socket-proxy.1.gz \
    /usr/lib/systemd/system-generators/ssh-socket-proxy-generator \
    /usr/share/man/man8/ssh-socket-proxy-generator.8.gz \
    /etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf /usr/share/doc/ssh-socket-proxy/copyright \
    /usr/share/doc/ssh-socket-proxy/changelog.gz; do
    expect_contains "files in ssh-socket-proxy" "$f" "$got"
  done
  expect_contains "files in ssh-socket-proxy-libvirt" \
    /usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt "$got_libvirt"
  # Debian 13 wants every file under /usr (or /etc): nothing in /lib, /bin.
  expect_eq "outside /usr and /etc" "" "$(printf '%s\n' "$got" "$got_libvirt" | grep -Ev '^/(usr|etc)/' || true)"
  [[ "$got$got_libvirt" != *"/usr/local"* ]] || { echo "  /usr/local in a package"; return 1; }
  # Man pages are gzipped and still readable.
  for f in $(grep '^/usr/share/man/' <<<"$got"); do
    gzip -t "$E2E/deb$f" || { echo "  $f is not gzip"; return 1; }
  done
  expect_contains "DEP-5 copyright" "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
    "$(head -1 "$E2E/deb/usr/share/doc/ssh-socket-proxy/copyright")"
}

case_conffiles() {
  # Every regular file under /etc is a conffile, and nothing else is (dpkg
  # keeps no symbolic link as a conffile).
  local etc
  etc=$(dpkg-deb -c "$DEB" | awk '$1 ~ /^-/ { print $6 }' | sed 's|^\.||' | grep '^/etc/' | sort)
  expect_eq "conffiles" "$etc" "$(dpkg-deb -I "$DEB" conffiles | sort)"
  expect_contains "conffiles" /etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf "$etc"
  expect_eq "ssh-socket-proxy-libvirt's /etc" "" "$(deb_files "$LIBVIRT_DEB" | grep '^/etc/' || true)"
  # The fragment names the packaged binary, and ssh accepts it.
  local conf="$E2E/deb/etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf" g
  g=$(ssh -G -F "$conf" vsock/3 2>&1)
  expect_contains "ssh -G vsock/3" "proxycommand /usr/bin/ssh-socket-proxy %h %p %n" "$g"
  g=$(ssh -G -F "$conf" .host 2>&1)
  expect_contains "ssh -G .host" "proxycommand /usr/bin/ssh-socket-proxy %h %p %n" "$g"
  expect_contains "ssh -G .host" "proxyusefdpass yes" "$g"
}

case_control_fields() {
  local field v
  field() { dpkg-deb -f "$DEB" "$1"; }
  expect_eq Package ssh-socket-proxy "$(field Package)"
  expect_eq Architecture "$arch" "$(field Architecture)"
  # Static binaries: no library, no dependency; libvirt is the other
  # package's business.
  expect_eq Depends "" "$(field Depends)"
  expect_eq Recommends openssh-client "$(field Recommends)"
  expect_eq Suggests "ssh-socket-proxy-libvirt, openssh-server" "$(field Suggests)"
  [[ "$(dpkg-deb -f "$DEB")" != *libvirt0* ]] || { echo "  ssh-socket-proxy names libvirt0"; return 1; }
  # The static binaries carry glibc: its exact source is recorded.
  expect_eq Built-Using "$(dpkg-query -W -f '${source:Package} (= ${source:Version})' libc6-dev)" \
    "$(field Built-Using)"
  # The package's version is the one the binary reports.
  v=$("$E2E/deb/usr/bin/ssh-socket-proxy" --version 2>&1)
  expect_eq "--version" "ssh-socket-proxy $(field Version)" "$v"
}

# Every library the helper loads comes from a package it depends on
# (libatomic1 was only suggested once, and qemu/ failed on hosts with
# libvirt0), and it goes with the proxy of its own version.
case_libvirt_depends() {
  local depends helper lib path pkg
  depends=$(dpkg-deb -f "$LIBVIRT_DEB" Depends)
  expect_eq Package ssh-socket-proxy-libvirt "$(dpkg-deb -f "$LIBVIRT_DEB" Package)"
  expect_contains Depends "ssh-socket-proxy (= $version)" "$depends"
  helper="$E2E/deb-libvirt/usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"
  for lib in $(objdump -p "$helper" | awk '$1 == "NEEDED" { print $2 }'); do
    # (awk reads to the end: an early exit would fail ldconfig with SIGPIPE.)
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64|AArch64/ && !p { print $NF; p = 1 }')
    [ -n "$path" ] || { echo "  $lib: not on this host"; return 1; }
    pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null)
    pkg=${pkg%%:*}
    [ -n "$pkg" ] || { echo "  $lib ($path): no package owns it"; return 1; }
    [[ ", $depends," == *", $pkg "* || ", $depends," == *", $pkg,"* ]] || { echo "  $lib comes from $pkg, which Depends does not name: $depends"; return 1; }
  done
  for pkg in libvirt0 libxml2 libatomic1; do expect_contains Depends "$pkg" "$depends"; done
}

e2e_case builds_two_debs case_builds_two_debs
e2e_case builds_without_home case_builds_without_home
e2e_case lintian_clean case_lintian_clean
e2e_case file_list case_file_list
e2e_case conffiles case_conffiles
e2e_case control_fields case_control_fields
e2e_case libvirt_depends case_libvirt_depends

# --- Booted guests ---------------------------------------------------------

# The host side of ssh: the packaged binary and fragment, a client key, and
# strict checking of the guest's host key under an alias. The key reaches
# the guest only as the ssh.authorized_keys.root credential.
ssh-keygen -q -t ed25519 -N '' -C package-test -f "$E2E/id"
sed "s|/usr/bin/ssh-socket-proxy|$E2E/deb/usr/bin/ssh-socket-proxy|g" \
  "$E2E/deb/etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf" >"$E2E/fragment.conf"
e2e_ssh_config "$E2E" root "$E2E/id" package-guest >"$E2E/ssh_config"

# A host with libvirt already has the helper's libraries (the guests have no
# network, so apt must find every dependency installed).
GUEST_DEPS=(libvirt0 libxml2 libatomic1)
# Two extra sockets by the kernel command line: a plain path, and one with
# "%", which only systemd can resolve (unit files give "%" a meaning).
LISTEN_PLAIN=/run/ssp-listen.sock
LISTEN_PERCENT='/run/ssp-100%%-listen.sock'
declare -A LISTENING_SSH=()

# What ssh-socket-proxy-generator wrote (it names every unit ssh-socket-proxy-*).
generated_units() {
  guest_run g sh -c 'cd /run/systemd && ls -d generator*/ssh-socket-proxy-* generator*/*/ssh-socket-proxy-* 2>/dev/null' | sort
}

# Where our loaded socket units listen, as systemd resolved them (every
# specifier and escape applied): one address a line.
our_listen_addresses() {
  local u
  for u in $(guest_run g systemctl list-units --all --plain --no-legend 'ssh-socket-proxy-*.socket' | awk '{ print $1 }'); do
    guest_run g systemctl show -P Listen "$u" | sed 's/ ([A-Za-z]*)$//'
  done | sort
}

# Runs qemu/web through the installed proxy against libvirt's test driver
# (testdata/libvirt/node.xml: web has vsock CID 4711); stderr and "rc=N".
guest_qemu_dry_run() {
  guest_run g env SSH_SOCKET_PROXY_LIBVIRT_URI=test:///root/node.xml \
    ssh-socket-proxy --dry-run qemu/web 22 2>&1 >/dev/null
  echo "rc=$?"
}

# guest_rootfs for a name of PKG_TEST_SUITES: SUITE_merged_usr is SUITE
# with /usr merged from the start.
suite_rootfs() {
  case $1 in
    *_merged_usr) guest_rootfs --merged-usr "${1%_merged_usr}" "${@:2}" ;;
    *) guest_rootfs "$@" ;;
  esac
}

# Boots, installs and reboots a guest of SUITE at the top level (guests must
# not be started from a case's subshell); the cases then inspect it. Sets
# INSTALL_LOG, INSTALL_RC, LIBVIRT_LOG, LIBVIRT_RC, QEMU_BEFORE, BOOTED,
# REBOOTED, EXPORT.
setup_guest() {
  local suite=$1 tar t0=$SECONDS
  INSTALL_RC=none LIBVIRT_RC=none LIBVIRT_LOG="" QEMU_BEFORE="" BOOTED=0 REBOOTED=0
  tar=$(suite_rootfs "$suite" "${GUEST_DEPS[@]}") || return 1
  guest_unpack "$tar" || return 1
  local root=$GUEST_DIR
  EXPORT=$(mktemp -d "$E2E/export-$suite.XXXXXX")
  chmod 0755 "$EXPORT"
  # Root's key comes only from the credential (a file there would win).
  rm -rf "$root/root/.ssh"
  cp "$DEB" "$LIBVIRT_DEB" "$repo/testdata/libvirt/node.xml" "$root/root/"
  echo "package-guest $(cut -d' ' -f1,2 "$root/etc/ssh/ssh_host_ed25519_key.pub")" >"$E2E/known_hosts"
  BOOT_ARGS=(--bind="$EXPORT:/run/host/unix-export"
    --set-credential="ssh.authorized_keys.root:$(cat "$E2E/id.pub")"$'\n'
    -- "systemd.ssh_listen=$LISTEN_PLAIN" "systemd.ssh_listen=$LISTEN_PERCENT")
  guest_boot g "$root" "${BOOT_ARGS[@]}" && BOOTED=1
  INSTALL_LOG=$(guest_run g dpkg -i "/root/${DEB##*/}" 2>&1)
  INSTALL_RC=$?
  # The postinst's daemon-reload has run the generator already.
  UNITS_AFTER_INSTALL=$(generated_units)
  QEMU_BEFORE=$(guest_qemu_dry_run)
  # As a user would: apt resolves the dependencies (here from what is
  # installed; the guest has no network).
  LIBVIRT_LOG=$(guest_run g env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "/root/${LIBVIRT_DEB##*/}" 2>&1)
  LIBVIRT_RC=$?
  guest_reboot g "${BOOT_ARGS[@]}" && REBOOTED=1
  GUEST_TIMES+="$suite: $((SECONDS - t0)) s to unpack the root, boot, install and reboot; "
}

case_installs() {
  expect_eq "booted" 1 "$BOOTED"
  expect_eq "dpkg -i exit code ($INSTALL_LOG)" 0 "$INSTALL_RC"
  expect_eq "status" "install ok installed" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy)"
}

# Without the helper's package, qemu/ fails in one line that says where the
# proxy looked (the package's path among them) and which package to install
# (lookup/libvirt.cc).
case_qemu_needs_the_libvirt_package() {
  expect_contains "qemu/ without the helper" "rc=1" "$QEMU_BEFORE"
  expect_eq "lines" 2 "$(wc -l <<<"$QEMU_BEFORE")"
  expect_contains "where it looked" "ssh-socket-proxy: qemu/ needs its lookup helper ssh-socket-proxy-libvirt, which is not at /usr/bin/ssh-socket-proxy-libvirt nor at /usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt; " "$QEMU_BEFORE"
  expect_contains "what to do" "; install the package ssh-socket-proxy-libvirt (" "$QEMU_BEFORE"
}

# Debian 12 and 13: apt installs it offline, and qemu/ works through it.
case_libvirt_installs_and_serves() {
  expect_eq "apt-get install exit code ($LIBVIRT_LOG)" 0 "$LIBVIRT_RC"
  expect_eq "status" "install ok installed" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy-libvirt)"
  expect_eq "qemu/web" "qemu web (test:///root/node.xml, domain 1): vsock cid=4711 port=22
rc=0" "$(guest_qemu_dry_run)"
}

# Debian 11: the helper is built against Debian 12's glibc (dynamically, for
# libvirt), so its package needs that glibc and apt says so; the proxy's
# package is unaffected.
case_libvirt_refused_for_old_glibc() {
  local libc
  libc=$(dpkg-deb -f "$LIBVIRT_DEB" Depends | grep -o 'libc6 ([^)]*)')
  [ "$LIBVIRT_RC" != 0 ] || { echo "  apt-get installed it: $LIBVIRT_LOG"; return 1; }
  expect_contains "apt-get install" "Depends: $libc" "$LIBVIRT_LOG"
  [ "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy-libvirt 2>/dev/null)" != "install ok installed" ] ||
    { echo "  ssh-socket-proxy-libvirt is installed"; return 1; }
  expect_eq "ssh-socket-proxy" "install ok installed" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy)"
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

# Root's authorized_keys is the ssh.authorized_keys.root credential, put
# there at boot (by systemd 252 and later, by the generator's unit before):
# the only way the host's key got in.
case_credential_key() {
  expect_eq "authorized_keys" "$(cat "$E2E/id.pub")" "$(guest_run g cat /root/.ssh/authorized_keys)"
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
  expect_contains "ssh .host" "via-$(guest_run g cat /etc/hostname)" "$out" ||
    { guest_run g journalctl -b --no-pager | tail -30; return 1; }
  # "Executing proxy dialer command: exec ..." (OpenSSH 8.4, 9.2 and 10.0).
  expect_contains "ssh .host ran" "command: exec /usr/bin/ssh-socket-proxy .host 22 .host" "$out"
  # Relay mode: ssh keeps the pipes, the proxy splices.
  out=$(guest_run g timeout 30 ssh -o ProxyUseFdpass=no -o BatchMode=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile=/root/dot_host_known_hosts .host 'head -c 1000000 /dev/zero | sha256sum' 2>&1) || true
  expect_eq "relayed 1 MB" "$(head -c 1000000 /dev/zero | sha256sum)" "$out"
}

# The ssh sockets a client can reach (the "%" one is compared by the
# generator's own tests): recorded for the comparison with Debian 13.
ssh_listening() {
  guest_listening g | grep -E '^unix .*(ssh|ssp)|^tcp .*:22$' | grep -v '%' || true
}

# The automatic sockets and the extra one from the kernel command line
# listen (whichever generator made them).
ssh_sockets_listen() {
  local l
  l=$(guest_listening g)
  expect_contains "listening" "unix /run/ssh-unix-local/socket" "$l"
  expect_contains "listening" "unix /run/host/unix-export/ssh" "$l"
  expect_contains "listening" "unix $LISTEN_PLAIN" "$l"
}

# Debian 11 (systemd 247) and 12 (252): the generator makes the sockets; its
# units are there from the install on (the postinst's daemon-reload).
case_generator_serves() {
  local units
  units=$(generated_units)
  expect_contains "after install" "generator/ssh-socket-proxy-" "$UNITS_AFTER_INSTALL"
  expect_contains "after reboot" "generator/ssh-socket-proxy-" "$units"
  ssh_sockets_listen
}

# Debian 11 as mmdebstrap makes it is not merged-/usr: systemd 247 runs
# generators from /lib, and the postinst linked ours there. Debian 11 as
# installed new, 12 and 13 are merged: no link (the path is the packaged
# file itself, which a link made there would replace with a link to itself).
case_generator_link() {
  local link=/lib/systemd/system-generators/ssh-socket-proxy-generator
  if [ "$SUITE" = bullseye ]; then
    expect_eq "/lib is its own directory" "" "$(guest_run g sh -c '[ /lib -ef /usr/lib ] && echo merged')"
    expect_eq "link" /usr/lib/systemd/system-generators/ssh-socket-proxy-generator \
      "$(guest_run g readlink "$link")"
  else
    [ "$SUITE" != bullseye_merged_usr ] ||
      expect_eq "/lib is /usr/lib" merged "$(guest_run g sh -c '[ /lib -ef /usr/lib ] && echo merged')" || return 1
    guest_run g test -f "$link" -a ! -L "$link" || { echo "  $link is not the packaged file"; return 1; }
  fi
  # Every packaged file is as shipped (the generator above all).
  [[ "$SUITE" != bullseye* ]] ||
    expect_eq "dpkg --verify" "" "$(guest_run g dpkg --verify ssh-socket-proxy 2>&1)"
}

# Debian 13 (systemd 257): systemd-ssh-generator serves, ours writes nothing,
# and the same sockets listen.
case_generator_stands_down() {
  expect_eq "units after install" "" "$UNITS_AFTER_INSTALL"
  expect_eq "units after reboot" "" "$(generated_units)"
  expect_contains "systemd's own" "sshd-unix-local.socket" \
    "$(guest_run g ls /run/systemd/generator /run/systemd/generator.early /run/systemd/generator.late 2>/dev/null)"
  ssh_sockets_listen
}

case_purge_leaves_nothing() {
  local files left="" f addresses out
  files=$(guest_run g dpkg -L ssh-socket-proxy; guest_run g dpkg -L ssh-socket-proxy-libvirt 2>/dev/null || true)
  expect_contains "dpkg -L" /usr/bin/ssh-socket-proxy "$files"
  addresses=$(our_listen_addresses)
  if [ "$SUITE" != trixie ]; then
    expect_contains "our sockets" "$LISTEN_PLAIN" "$addresses"
    expect_contains "our sockets" "%" "$addresses"
  fi
  out=$(guest_run g env DEBIAN_FRONTEND=noninteractive apt-get purge -y ssh-socket-proxy ssh-socket-proxy-libvirt 2>&1) ||
    { echo "  apt-get purge: $out"; return 1; }
  expect_eq "status after purge" "" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy 2>/dev/null)"
  expect_eq "status after purge" "" "$(guest_run g dpkg-query -W -f='${Status}' ssh-socket-proxy-libvirt 2>/dev/null)"
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
  # Debian 11: the postinst's link in /lib too.
  f=/lib/systemd/system-generators/ssh-socket-proxy-generator
  guest_run g test -e "$f" -o -L "$f" && left+=" $f"
  expect_eq "left behind" "" "$left"
  expect_eq "dpkg's records" "" "$(guest_run g sh -c 'ls /var/lib/dpkg/info/ssh-socket-proxy* 2>/dev/null')"
  # The postrm's daemon-reload took the generator's units away, and the
  # prerm closed its sockets: systemd removed each socket's file, "%" or not.
  expect_eq "generated units" "" "$(generated_units)"
  expect_eq "units still loaded" "" \
    "$(guest_run g systemctl list-units --all --plain --no-legend 'ssh-socket-proxy-*.socket')"
  local l a
  l=$(guest_listening g)
  if [ "$SUITE" != trixie ]; then
    [[ "$l" != *"unix /run/ssh-unix-local/socket"* ]] || { echo "  still listening: $l"; return 1; }
    expect_eq "socket files" "" "$(guest_run g find /run/ssh-unix-local /run/host/unix-export -mindepth 1)"
    while read -r a; do
      [[ "$a" == /* ]] || continue
      ! guest_run g test -e "$a" || { echo "  $a is still there"; return 1; }
    done <<<"$addresses"
  else
    # systemd's own sockets are not the package's: they stay.
    expect_contains "listening" "unix /run/ssh-unix-local/socket" "$l"
    expect_contains "listening" "unix /run/host/unix-export/ssh" "$l"
  fi
}

# Debian 11 and 12 with our generator listen where Debian 13's own does, for
# the same boot.
case_same_sockets_as_debian_13() {
  expect_contains "Debian 13" "unix /run/ssh-unix-local/socket" "${LISTENING_SSH[trixie]:-}"
  expect_eq "Debian 11" "${LISTENING_SSH[trixie]:-}" "${LISTENING_SSH[bullseye]:-}"
  expect_eq "Debian 11, merged /usr" "${LISTENING_SSH[trixie]:-}" "${LISTENING_SSH[bullseye_merged_usr]:-}"
  expect_eq "Debian 12" "${LISTENING_SSH[trixie]:-}" "${LISTENING_SSH[bookworm]:-}"
}

# PKG_TEST_SUITES: a subset, when working on one.
for SUITE in ${PKG_TEST_SUITES:-bullseye bullseye_merged_usr bookworm trixie}; do
  suite=$SUITE
  setup_guest "$suite"
  LISTENING_SSH[$suite]=$(ssh_listening)
  e2e_case "${suite}_installs" case_installs
  e2e_case "${suite}_qemu_needs_the_libvirt_package" case_qemu_needs_the_libvirt_package
  if [[ "$suite" == bullseye* ]]; then
    e2e_case "${suite}_libvirt_refused_for_old_glibc" case_libvirt_refused_for_old_glibc
  else
    e2e_case "${suite}_libvirt_installs_and_serves" case_libvirt_installs_and_serves
  fi
  e2e_case "${suite}_boots_again_cleanly" case_boots_again_cleanly
  e2e_case "${suite}_host_to_guest_through_unix_export" case_host_to_guest
  e2e_case "${suite}_credential_key" case_credential_key
  e2e_case "${suite}_dot_host_in_guest" case_dot_host_in_guest
  e2e_case "${suite}_generator_link" case_generator_link
  if [ "$suite" = trixie ]; then
    e2e_case "${suite}_generator_stands_down" case_generator_stands_down
  else
    e2e_case "${suite}_generator_serves" case_generator_serves
  fi
  e2e_case "${suite}_purge_leaves_nothing" case_purge_leaves_nothing
  guest_poweroff g
done
e2e_case same_sockets_as_debian_13 case_same_sockets_as_debian_13
echo "guests: $GUEST_TIMES" >&2
e2e_finish package
