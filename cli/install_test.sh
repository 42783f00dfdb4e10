#!/usr/bin/env bash
# //:install stages the binary, man pages, ssh config and the guest generator;
# --uninstall removes them.
set -euo pipefail
install_sh="$TEST_SRCDIR/$TEST_WORKSPACE/cli/install.sh"
dest=$(mktemp -d "${TEST_TMPDIR:-/tmp}/install.XXXXXX")
fail() { echo "FAIL: $*" >&2; exit 1; }

RUNFILES_DIR="$TEST_SRCDIR" "$install_sh" --prefix=/opt/ssp --destdir="$dest"
[ -x "$dest/opt/ssp/bin/ssh-socket-proxy" ] || fail "binary not installed"
helper="$dest/opt/ssp/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt"
[ -x "$helper" ] || fail "qemu/ helper not installed"
[ -f "$dest/opt/ssp/share/man/man1/ssh-socket-proxy.1" ] || fail "man page not installed"
conf="$dest/etc/ssh/ssh_config.d/20-ssh-socket-proxy.conf"
[ -f "$conf" ] || fail "ssh config not installed"
grep -q 'ProxyCommand /opt/ssp/bin/ssh-socket-proxy %h %p %n' "$conf" || fail "ProxyCommand not rewritten"
grep -q '/usr/local/bin' "$conf" && fail "stale path left in config"
gen="$dest/opt/ssp/lib/systemd/system-generators/ssh-socket-proxy-generator"
[ -x "$gen" ] || fail "generator not installed"
[ -f "$dest/opt/ssp/share/man/man8/ssh-socket-proxy-generator.8" ] || fail "generator man page not installed"
rules="$dest/opt/ssp/lib/udev/rules.d/60-ssh-socket-proxy-vsock.rules"
[ -f "$rules" ] || fail "generator udev rule not installed"
issue="$dest/etc/issue.d/50-ssh-socket-proxy-vsock.issue"
[ "$(readlink "$issue")" = /run/ssh-socket-proxy/vsock.issue ] || fail "console hint link not installed"
# The installed generator runs as systemd runs it, into a scratch directory
# (never into this machine's /run/systemd/generator).
mkdir "$dest/gen-out"
PATH=/usr/sbin:/usr/bin:/sbin:/bin "$gen" "$dest/gen-out" "$dest/gen-out" "$dest/gen-out" 2>/dev/null ||
  fail "installed generator exited $?"
[ -s "$dest/gen-out/ssh-socket-proxy-unix-local.socket" ] || fail "installed generator wrote no local socket"
# The installed binary runs.
"$dest/opt/ssp/bin/ssh-socket-proxy" --version 2>&1 | grep -q '^ssh-socket-proxy ' || fail "binary does not run"
# ssh accepts the installed fragment.
ssh -G -F "$conf" vsock/3 >"$dest/ssh-G" 2>&1 || { cat "$dest/ssh-G"; fail "ssh -G rejects the fragment"; }
grep -qi '^proxyusefdpass yes' "$dest/ssh-G" || fail "ProxyUseFdpass not applied"
grep -qi '^proxycommand /opt/ssp/bin/ssh-socket-proxy %h %p %n' "$dest/ssh-G" || fail "ProxyCommand not applied"

RUNFILES_DIR="$TEST_SRCDIR" "$install_sh" --prefix=/opt/ssp --destdir="$dest" --uninstall
[ -e "$dest/opt/ssp/bin/ssh-socket-proxy" ] && fail "binary left after uninstall"
[ -e "$conf" ] && fail "config left after uninstall"
[ -e "$helper" ] && fail "qemu/ helper left after uninstall"
[ -e "$gen" ] && fail "generator left after uninstall"
[ -e "$rules" ] && fail "udev rule left after uninstall"
[ -L "$issue" ] && fail "console hint link left after uninstall"
if "$install_sh" --prefix=relative 2>/dev/null; then fail "relative prefix accepted"; fi

# Components, for packagers: libvirt is the qemu/ helper alone, proxy is the
# rest; together they are exactly what the default installs.
files_in() { (cd "$1" && find . ! -type d | sort); }
for c in all proxy libvirt; do
  RUNFILES_DIR="$TEST_SRCDIR" "$install_sh" --prefix=/usr --destdir="$dest/c-$c" --component="$c" 2>/dev/null
done
[ "$(files_in "$dest/c-libvirt")" = "./usr/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt" ] ||
  fail "--component=libvirt staged: $(files_in "$dest/c-libvirt")"
[ -e "$dest/c-proxy/usr/libexec" ] && fail "--component=proxy staged the helper"
[ "$(files_in "$dest/c-all")" = "$( (files_in "$dest/c-proxy"; files_in "$dest/c-libvirt") | sort)" ] ||
  fail "proxy + libvirt differ from all"
RUNFILES_DIR="$TEST_SRCDIR" "$install_sh" --prefix=/usr --destdir="$dest/c-all" --component=libvirt --uninstall 2>/dev/null
[ -e "$dest/c-all/usr/libexec/ssh-socket-proxy" ] && fail "--component=libvirt --uninstall left the helper"
[ -x "$dest/c-all/usr/bin/ssh-socket-proxy" ] || fail "--component=libvirt --uninstall removed the proxy"
if "$install_sh" --component=docs 2>/dev/null; then fail "unknown component accepted"; fi
echo "install: ok"
