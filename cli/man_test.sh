#!/usr/bin/env bash
# The man page renders without a single groff warning, and documents every
# option that --help lists, every exit code, and that the libvirt helper
# needs the glibc it was built against.
set -euo pipefail
page="$TEST_SRCDIR/$TEST_WORKSPACE/cli/ssh-socket-proxy.1"
proxy="$TEST_SRCDIR/$TEST_WORKSPACE/cli/ssh-socket-proxy"
fail() { echo "FAIL: $*" >&2; exit 1; }

warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
[ -z "$warnings" ] || fail "groff warnings: $warnings"

text=$(LC_ALL=C.UTF-8 MANWIDTH=200 groff -man -Tutf8 -rLL=200n "$page" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
help=$("$proxy" --help 2>&1)
for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u); do
  grep -qF -- "$opt" <<<"$text" || fail "man page lacks $opt from --help"
done
for code in 0 1 2; do
  grep -qE "^ +$code +[A-Z]" <<<"$text" || fail "man page lacks exit status $code"
done
# The libvirt helper's package cannot cross glibc releases (issue 16, item 8).
tr -s ' \n' '  ' <<<"$text" | grep -qF "needs the glibc it was built against" ||
  fail "man page does not say the libvirt helper needs its build's glibc"
echo "man: ok"
