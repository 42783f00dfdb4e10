#!/usr/bin/env bash
# //:install stages the binary, man page and ssh config; --uninstall removes them.
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
if "$install_sh" --prefix=relative 2>/dev/null; then fail "relative prefix accepted"; fi
echo "install: ok"
