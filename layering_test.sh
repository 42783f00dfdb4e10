#!/usr/bin/env bash
# The include direction, enforced: every quoted #include of our C++ and every
# label in a BUILD file's deps must point along an allowed arrow.
#
#   cli    -> lookup, net, parser, libvirt
#   lookup -> net, parser, libvirt/protocol.h (//libvirt:protocol)
#   net, parser, libvirt, generator -> only their own files
#
# fuzz/, bench/ and testdata/ drive everything and are not checked; BUILD
# data = [...] (a test that runs a binary of another package) is not a code
# dependency and is not checked either.
#
#   bash layering_test.sh [SOURCE_ROOT]   (bazel test //:layering_test)
#
# Under Bazel the script finds the source tree through its own runfiles
# symlink; the test is tagged "external" so that it reads the tree as it is
# now on every run instead of a cached verdict.
set -euo pipefail
root=${1:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")}
cd "$root"
ours="cli|lookup|net|parser|libvirt|generator"

# allowed FROM TO_PATH: whether package FROM may include or depend on
# TO_PATH ("net/io.h" or "net/testing:fake_syscalls").
allowed() {
  local from=$1 to=$2 top=${2%%[/:]*}
  [ "$top" = "$from" ] && return 0
  case "$from:$top" in
    cli:lookup | cli:net | cli:parser | cli:libvirt) return 0 ;;
    lookup:net | lookup:parser) return 0 ;;
    lookup:libvirt) [ "$to" = libvirt/protocol.h ] || [ "$to" = libvirt:protocol ] ;;
    *) return 1 ;;
  esac
}

bad=0
checked=0
for pkg in cli lookup net parser libvirt generator; do
  [ -d "$pkg" ] || { echo "layering_test: no $pkg/ under $root" >&2; exit 2; }
  # #include "pkg/..." lines.
  while IFS=: read -r file line text; do
    [[ "$text" =~ \"([^\"]+)\" ]] || continue
    to=${BASH_REMATCH[1]}
    [[ "$to" =~ ^($ours)/ ]] || continue
    checked=$((checked + 1))
    if ! allowed "$pkg" "$to"; then
      echo "layering_test: $file:$line: $pkg may not include \"$to\"" >&2
      bad=$((bad + 1))
    fi
  done < <(find "$pkg" \( -name '*.cc' -o -name '*.h' \) -print0 |
             xargs -0 grep -nH -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' || true)
  # Labels inside deps = [ ... ] of every BUILD file of the package.
  while IFS=$'\t' read -r file line label; do
    checked=$((checked + 1))
    if ! allowed "$pkg" "$label"; then
      echo "layering_test: $file:$line: $pkg may not depend on //$label" >&2
      bad=$((bad + 1))
    fi
  done < <(find "$pkg" -name BUILD.bazel -print0 | xargs -0 awk -v ours="^($ours)([/:]|\$)" '
      FNR == 1 { in_deps = 0 }
      /^[[:space:]]*deps[[:space:]]*=/ { in_deps = 1 }
      in_deps {
        s = $0
        while (match(s, /"\/\/[^"]*"/)) {
          label = substr(s, RSTART + 3, RLENGTH - 4)
          if (label ~ ours) print FILENAME "\t" FNR "\t" label
          s = substr(s, RSTART + RLENGTH)
        }
        if ($0 ~ /\]/) in_deps = 0
      }')
done

if [ "$checked" -lt 50 ]; then
  echo "layering_test: only $checked includes and deps found under $root: wrong tree?" >&2
  exit 2
fi
if [ "$bad" -gt 0 ]; then
  echo "layering_test: $bad arrow(s) back, of $checked checked" >&2
  exit 1
fi
echo "layering_test: $checked includes and deps, all along the allowed arrows"
