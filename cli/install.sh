#!/usr/bin/env bash
# Installs (or removes) ssh-socket-proxy, its man page and its ssh config,
# and the guest-side systemd generator with its man page.
#
#   bazel run //:install -- [--prefix=/usr/local] [--sysconfdir=/etc]
#                           [--destdir=DIR] [--component=all|proxy|libvirt]
#                           [--uninstall]
#
# Files: PREFIX/bin/ssh-socket-proxy, its qemu/ helper
# PREFIX/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt,
# PREFIX/share/man/man1/ssh-socket-proxy.1,
# SYSCONFDIR/ssh/ssh_config.d/20-ssh-socket-proxy.conf (whose ProxyCommand
# names PREFIX/bin/ssh-socket-proxy),
# PREFIX/lib/systemd/system-generators/ssh-socket-proxy-generator and
# PREFIX/share/man/man8/ssh-socket-proxy-generator.8 (systemd runs generators
# from /usr/local/lib, and from /usr/lib where /usr is merged: a split-/usr
# system such as Debian 11 looks in /lib instead), the generator's udev rule
# PREFIX/lib/udev/rules.d/60-ssh-socket-proxy-vsock.rules and its console
# hint link SYSCONFDIR/issue.d/50-ssh-socket-proxy-vsock.issue (to
# /run/ssh-socket-proxy/vsock.issue). --destdir stages everything under DIR,
# for packagers; the paths inside the files stay PREFIX's. --component=libvirt
# is the qemu/ helper alone (it links libvirt, so packagers ship it apart),
# --component=proxy everything else; the default, all, is both.
set -euo pipefail

prefix=/usr/local
sysconfdir=/etc
destdir=
uninstall=0
component=all
for arg in "$@"; do
  case "$arg" in
    --prefix=*) prefix=${arg#*=} ;;
    --sysconfdir=*) sysconfdir=${arg#*=} ;;
    --destdir=*) destdir=${arg#*=} ;;
    --component=all|--component=proxy|--component=libvirt) component=${arg#*=} ;;
    --component=*) echo "install: unknown component '${arg#*=}' (all, proxy or libvirt)" >&2; exit 2 ;;
    --uninstall) uninstall=1 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
for p in "$prefix" "$sysconfdir"; do
  case "$p" in /*) ;; *) echo "install: '$p' must be absolute" >&2; exit 2 ;; esac
done
# `bazel run` starts us in the runfiles tree; relative --destdir means the
# directory the user ran bazel from.
if [ -n "$destdir" ] && [[ "$destdir" != /* ]]; then
  destdir="${BUILD_WORKING_DIRECTORY:-$PWD}/$destdir"
fi

here=$(dirname "$0")
runfile() {
  local f
  for f in "$here/$1" "${RUNFILES_DIR:-$0.runfiles}/ssh_socket_proxy/$1" "$0.runfiles/ssh_socket_proxy/$1"; do
    [ -e "$f" ] && { echo "$f"; return; }
  done
  echo "install: $1 missing from the runfiles" >&2
  exit 1
}

# What goes where: runfile, mode, installed path (under DESTDIR).
files=()
conf=""
issue_link=""
if [ "$component" != libvirt ]; then
  files+=(
    "cli/ssh-socket-proxy 0755 $prefix/bin/ssh-socket-proxy"
    "cli/ssh-socket-proxy.1 0644 $prefix/share/man/man1/ssh-socket-proxy.1"
    "generator/ssh-socket-proxy-generator 0755 $prefix/lib/systemd/system-generators/ssh-socket-proxy-generator"
    "generator/ssh-socket-proxy-generator.8 0644 $prefix/share/man/man8/ssh-socket-proxy-generator.8"
    "generator/60-ssh-socket-proxy-vsock.rules 0644 $prefix/lib/udev/rules.d/60-ssh-socket-proxy-vsock.rules"
  )
  conf="$destdir$sysconfdir/ssh/ssh_config.d/20-ssh-socket-proxy.conf"
  # agetty reads /etc/issue.d/ (not /run/issue.d/ before util-linux 2.41): the
  # generator's console hint is a link there to what it writes at boot.
  issue_link="$destdir$sysconfdir/issue.d/50-ssh-socket-proxy-vsock.issue"
fi
if [ "$component" != proxy ]; then
  files+=("cli/ssh-socket-proxy-libvirt 0755 $prefix/libexec/ssh-socket-proxy/ssh-socket-proxy-libvirt")
fi

installed=()
for entry in "${files[@]}"; do
  read -r _ _ path <<<"$entry"
  installed+=("$destdir$path")
done
[ -z "$conf" ] || installed+=("$conf" "$issue_link")

if [ "$uninstall" -eq 1 ]; then
  rm -f -- "${installed[@]}"
  [ "$component" = proxy ] || rmdir -- "$destdir$prefix/libexec/ssh-socket-proxy" 2>/dev/null || true
  echo "removed ${installed[*]}" >&2
  exit 0
fi

for entry in "${files[@]}"; do
  read -r source mode path <<<"$entry"
  install -D -m "$mode" "$(runfile "$source")" "$destdir$path"
done
if [ -n "$conf" ]; then
  mkdir -p "$(dirname "$conf")"
  sed "s|/usr/local/bin/ssh-socket-proxy|$prefix/bin/ssh-socket-proxy|g" \
    "$(runfile cli/ssh_config/20-ssh-socket-proxy.conf)" >"$conf.tmp"
  chmod 0644 "$conf.tmp"
  mv "$conf.tmp" "$conf"
  mkdir -p "$(dirname "$issue_link")"
  ln -sfn /run/ssh-socket-proxy/vsock.issue "$issue_link"
fi
echo "installed ${installed[*]}" >&2
