#!/usr/bin/env bash
# Builds the Debian packages with Debian's tooling (debian/, debhelper 13):
#
#   ci/package.sh OUTDIR    writes OUTDIR/ssh-socket-proxy_VERSION_ARCH.deb and
#                           OUTDIR/ssh-socket-proxy-libvirt_VERSION_ARCH.deb
#
# and nothing else into OUTDIR; prints their paths, one a line. The
# .buildinfo and .changes files, which only an upload needs, stay in a
# temporary directory. As root it first installs the build dependencies
# (ci/setup.sh).
#
# Bazel writes only into the build tree (debian/rules), as under sbuild;
# HOME=/nonexistent ci/package.sh OUTDIR builds the same. Compiled objects
# are kept between builds in a disk cache, SSHPROXY_BAZEL_DISK_CACHE:
# /var/cache/ssh-socket-proxy/bazel-disk as root, none otherwise; set it
# empty for a build from nothing.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: ci/package.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] && ci/setup.sh

if [ "$(id -u)" -eq 0 ]; then
  export SSHPROXY_BAZEL_DISK_CACHE=${SSHPROXY_BAZEL_DISK_CACHE-/var/cache/ssh-socket-proxy/bazel-disk}
else
  export SSHPROXY_BAZEL_DISK_CACHE=${SSHPROXY_BAZEL_DISK_CACHE-}
fi

work=$(mktemp -d /tmp/ssh-socket-proxy-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
debs=("ssh-socket-proxy_${version}_${arch}.deb" "ssh-socket-proxy-libvirt_${version}_${arch}.deb")

SSHPROXY_DEB_DIR="$work" dpkg-buildpackage -b -us -uc --post-clean \
  --buildinfo-option=-u"$work" --buildinfo-file="$work/build.buildinfo" \
  --changes-option=-u"$work" --changes-file="$work/build.changes" >&2
for deb in "${debs[@]}"; do
  [ -f "$work/$deb" ] || { echo "ci/package.sh: $deb was not built" >&2; exit 1; }
done
for deb in "${debs[@]}"; do
  mv "$work/$deb" "$out/$deb"
  echo "$out/$deb"
done
