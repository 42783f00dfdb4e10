#!/usr/bin/env bash
# Builds the Debian package with Debian's tooling (debian/, debhelper 13):
#
#   ci/package.sh OUTDIR    writes OUTDIR/ssh-socket-proxy_VERSION_ARCH.deb
#
# and nothing else into OUTDIR; the .buildinfo and .changes files, which only
# an upload needs, stay in a temporary directory. As root it first installs
# the build dependencies (ci/setup.sh). Bazel reuses this checkout's output
# base, so after ci/test.sh or ci/bench.sh the build compiles nothing
# (see debian/rules).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: ci/package.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] && ci/setup.sh

work=$(mktemp -d /tmp/ssh-socket-proxy-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
deb=ssh-socket-proxy_${version}_${arch}.deb

SSHPROXY_DEB_DIR="$work" dpkg-buildpackage -b -us -uc --post-clean \
  --buildinfo-option=-u"$work" --buildinfo-file="$work/build.buildinfo" \
  --changes-option=-u"$work" --changes-file="$work/build.changes" >&2
[ -f "$work/$deb" ] || { echo "ci/package.sh: $deb was not built" >&2; exit 1; }
mv "$work/$deb" "$out/$deb"
echo "$out/$deb"
