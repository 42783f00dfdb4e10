#!/usr/bin/env bash
# Installs (or removes) ssh-socket-proxy, its man page and its ssh config,
# and the guest-side systemd generator with its man page.
#
#   bazel run //:install -- [--prefix=/usr/local] [--sysconfdir=/etc]
#                           [--destdir=DIR] [--uninstall]
#
# Files: PREFIX/bin/ssh-socket-proxy, PREFIX/share/man/man1/ssh-socket-proxy.1,
# SYSCONFDIR/ssh/ssh_config.d/20-ssh-socket-proxy.conf (whose ProxyCommand
# names PREFIX/bin/ssh-socket-proxy),
# PREFIX/lib/systemd/system-generators/ssh-socket-proxy-generator and
# PREFIX/share/man/man8/ssh-socket-proxy-generator.8 (systemd runs generators
# from /usr/lib and /usr/local/lib). --destdir stages everything under DIR,
# for packagers; the paths inside the files stay PREFIX's.
set -euo pipefail

prefix=/usr/local
sysconfdir=/etc
destdir=
uninstall=0
for arg in "$@"; do
  case "$arg" in
    --prefix=*) prefix=${arg#*=} ;;
    --sysconfdir=*) sysconfdir=${arg#*=} ;;
    --destdir=*) destdir=${arg#*=} ;;
    --uninstall) uninstall=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

bin="$destdir$prefix/bin/ssh-socket-proxy"
man="$destdir$prefix/share/man/man1/ssh-socket-proxy.1"
conf="$destdir$sysconfdir/ssh/ssh_config.d/20-ssh-socket-proxy.conf"
generator="$destdir$prefix/lib/systemd/system-generators/ssh-socket-proxy-generator"
generator_man="$destdir$prefix/share/man/man8/ssh-socket-proxy-generator.8"

if [ "$uninstall" -eq 1 ]; then
  rm -f -- "$bin" "$man" "$conf" "$generator" "$generator_man"
  echo "removed $bin $man $conf $generator $generator_man" >&2
  exit 0
fi

install -D -m 0755 "$(runfile cli/ssh-socket-proxy)" "$bin"
install -D -m 0644 "$(runfile cli/ssh-socket-proxy.1)" "$man"
install -D -m 0755 "$(runfile generator/ssh-socket-proxy-generator)" "$generator"
install -D -m 0644 "$(runfile generator/ssh-socket-proxy-generator.8)" "$generator_man"
mkdir -p "$(dirname "$conf")"
sed "s|/usr/local/bin/ssh-socket-proxy|$prefix/bin/ssh-socket-proxy|g" \
  "$(runfile cli/ssh_config/20-ssh-socket-proxy.conf)" >"$conf.tmp"
chmod 0644 "$conf.tmp"
mv "$conf.tmp" "$conf"
echo "installed $bin $man $conf $generator $generator_man" >&2
