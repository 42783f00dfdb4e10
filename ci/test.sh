#!/usr/bin/env bash
# All the tests: what CI runs (.ci/run) and what the README tells you to run.
#
#   ci/test.sh            set up (as root), then every stage below
#
# Stages: bazel test //... plain, under ASan and under UBSan (these two skip
# the tests tagged "guest", which boot Debian guests); ci/demo.sh (exit 0, no
# temporary directory left); the example consumer workspace; ci/bench.sh
# --quick; the Debian package (ci/package_test.sh); the VM stage
# (ci/vm_test.sh: Bazel targets tagged "vm", which //... skips); ci/fuzz.sh 30. The last
# line is "N passed, N failed"
# over every test case of every stage; the exit code is non-zero on any
# failure.
set -uo pipefail
cd "$(dirname "$0")/.."

ci/setup.sh || { echo "ci/test.sh: ci/setup.sh failed" >&2; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
logdir=$(mktemp -d /tmp/ssh-socket-proxy-ci.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# record STAGE PASSED FAILED
record() {
  echo "== $1: $2 passed, $3 failed" >&2
  passed=$((passed + $2))
  failed=$((failed + $3))
}

bazel_stage() {
  local stage=$1; shift
  local log="$logdir/$stage.log"
  echo "== $stage: bazel test $* //..." >&2
  bazel test "$@" --test_summary=short //... 2>&1 | tee "$log" >&2
  local rc=${PIPESTATUS[0]}
  local counts
  counts=$(python3 ci/count_tests.py "$log" "$(bazel info "$@" bazel-testlogs 2>/dev/null)")
  set -- $counts
  local p=$1 f=$2
  # A build failure or crash that left no summary line still fails the stage.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "== $stage: bazel exited $rc without a failing test: counted as one failure" >&2
    f=1
  fi
  record "$stage" "$p" "$f"
}

# Tests tagged "guest" boot real Debian guests (testdata/harness): once per
# run, in the default stage; a sanitizer changes nothing inside a guest.
bazel_stage default
bazel_stage asan --config=asan --test_tag_filters=-guest
bazel_stage ubsan --config=ubsan --test_tag_filters=-guest

# The README's first command: exits 0 and leaves no temporary directory
# behind (it holds private keys).
demo_dirs() { ls -d /tmp/ssh-socket-proxy-demo.* 2>/dev/null | sort; }
echo "== demo: ci/demo.sh" >&2
demo_before=$(demo_dirs)
demo_rc=0
ci/demo.sh >"$logdir/demo.log" 2>&1 || demo_rc=$?
demo_left=$(comm -13 <(echo "$demo_before") <(demo_dirs))
if [ "$demo_rc" -eq 0 ] && [ -z "$demo_left" ]; then
  record demo 1 0
else
  tail -30 "$logdir/demo.log" >&2
  echo "ci/demo.sh exited $demo_rc; left behind: ${demo_left:-nothing}" >&2
  record demo 0 1
fi

# Another Bazel project that reuses //parser through local_repository.
echo "== consumer: testdata/consumer" >&2
consumer_out=$(cd testdata/consumer && bazel run //:describe -- vsock/0x10 22 2>"$logdir/consumer.log")
(cd testdata/consumer && bazel shutdown >/dev/null 2>&1)
if [ "$consumer_out" = "vsock cid=16 port=22" ]; then
  record consumer 1 0
else
  tail -20 "$logdir/consumer.log" >&2
  echo "consumer printed '$consumer_out', want 'vsock cid=16 port=22'" >&2
  record consumer 0 1
fi

# Every benchmark harness, briefly: they work (no timing is asserted).
echo "== bench: ci/bench.sh --quick" >&2
if ci/bench.sh --quick >"$logdir/bench.log" 2>&1; then
  record bench 1 0
else
  tail -30 "$logdir/bench.log" >&2
  record bench 0 1
fi

# counted_stage NAME CMD...: runs CMD, whose last line on stdout counts its
# own cases ("NAME: N passed, N failed", or without "NAME: "); a run that
# ends without that line is one failure.
counted_stage() {
  local stage=$1; shift
  echo "== $stage: $*" >&2
  "$@" >"$logdir/$stage.out" 2>"$logdir/$stage.err"
  cat "$logdir/$stage.err" "$logdir/$stage.out" >&2
  local last
  last=$(tail -n 1 "$logdir/$stage.out")
  if [[ "$last" =~ ^($stage:\ )?([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    record "$stage" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
  else
    record "$stage" 0 1
  fi
}

# The Debian packages: ci/package.sh without HOME, lintian, their contents,
# and install, reboot, ssh in both directions, qemu/ and purge in Debian 11,
# 12 and 13 guests.
# It keeps the .debs it built for the VM stage: one build per run.
mkdir -p "$logdir/debs"
PACKAGE_TEST_KEEP_DEBS="$logdir/debs" counted_stage package ci/package_test.sh

# Real Debian 11, 12 and 13 VMs (qemu, TCG): the packages over real AF_VSOCK
# inside them and against a real libvirtd (ci/vm_test.sh, once per run). If
# the package stage built no .deb, this one tries and fails on its own.
if compgen -G "$logdir/debs/*.deb" >/dev/null; then
  VM_TEST_DEBS="$logdir/debs" counted_stage vm ci/vm_test.sh
else
  counted_stage vm ci/vm_test.sh
fi

# Every fuzz target for 30 seconds.
counted_stage fuzz ci/fuzz.sh 30

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
