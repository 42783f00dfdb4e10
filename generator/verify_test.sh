#!/usr/bin/env bash
# systemd-analyze verify accepts every unit set the generator writes: the
# sets of write_unit_sets (container with every kind of extra address and
# the root key import, VM with vsock::22), and what the real binary writes
# on this machine. Any warning fails, not only errors.
set -euo pipefail
here="$TEST_SRCDIR/$TEST_WORKSPACE/generator"
out=$(mktemp -d "${TEST_TMPDIR:-/tmp}/units.XXXXXX")
fail() { echo "FAIL: $*" >&2; exit 1; }

"$here/write_unit_sets" "$out"
mkdir "$out/real"
# systemd runs generators with its default PATH, which has sshd's sbin.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  "$here/ssh-socket-proxy-generator" "$out/real" "$out/real.early" "$out/real.late" 2>"$out/real.log" ||
  fail "the generator exited $?: $(cat "$out/real.log")"

[ -e "$out/container/ssh-socket-proxy-unix-export.socket" ] || fail "container set lacks unix-export"
[ -e "$out/container/ssh-socket-proxy-extra-6.socket" ] || fail "container set lacks an extra socket"
[ -e "$out/container/ssh-socket-proxy-root-key.service" ] || fail "container set lacks the key import"
grep -qx 'ListenStream=vsock::22' "$out/vm/ssh-socket-proxy-vsock.socket" || fail "vm set lacks vsock::22"

for set in container vm real; do
  dir="$out/$set"
  units=()
  for f in "$dir"/*.socket "$dir"/*.service; do
    [ -e "$f" ] || continue
    name=${f##*/}
    # A template is verified through an instance, as a connection makes one.
    case "$name" in *@.service) name=${name/@./@0.} ;; esac
    units+=("$name")
  done
  [ "${#units[@]}" -gt 0 ] || fail "$set: no units written"
  # Every socket is pulled in by sockets.target and has its template.
  for f in "$dir"/*.socket; do
    s=${f##*/}
    [ "$(readlink "$dir/sockets.target.wants/$s")" = "../$s" ] || fail "$set: $s not wanted"
    [ -e "$dir/${s%.socket}@.service" ] || fail "$set: $s has no template"
  done
  log=$(cd "$dir" && SYSTEMD_UNIT_PATH="$dir:" systemd-analyze verify --man=no "${units[@]}" 2>&1) ||
    fail "$set: systemd-analyze verify failed: $log"
  [ -z "$log" ] || fail "$set: systemd-analyze verify warned: $log"
  echo "$set: ${units[*]} verified"
done

# The sshd each template runs exists here (verify does not check "-" commands).
for f in "$out"/*/*@.service; do
  bin=$(sed -n 's/^ExecStart=-\([^ ]*\) .*/\1/p' "$f")
  [ -x "$bin" ] || fail "$f runs $bin, which is not executable"
done
echo "verify: ok"
