#!/usr/bin/env bash
# The VM stage: the packages in real booted Debian 11, 12 and 13 VMs (qemu
# with TCG, no KVM needed), over real AF_VSOCK and a real libvirtd inside
# them (which test boots which suite: each test's header):
#
#   ci/vm_test.sh             (as root; ci/test.sh runs it as its "vm" stage)
#
# Builds every .deb with ci/package.sh (or takes them from VM_TEST_DEBS, a
# directory: ci/test.sh passes the package stage's), builds the VM images
# once per machine (testdata/harness/vm_lib.sh, cached in
# /var/cache/ssh-socket-proxy/vm; a few minutes each on a fresh machine), then
# runs //testdata/harness:vm_ssh_test, :vm_libvirt_test and :vm_generator_test
# (tagged "vm" and manual: only here) side by side, VMs of one vCPU (four
# at most: vm_ssh_test boots its next suite while it tests the one before),
# on disks with the packages installed once per run (vm_installed). The
# harness's own test, :vm_lib_test, is for changes to vm_lib.sh; every boot
# checks the isolation anyway. The last line is "vm: N passed, N failed".
#
# SAFETY: qemu runs under testdata/harness/no_vsock with no vsock device and no
# network; real AF_VSOCK happens only inside those VMs.
set -uo pipefail
cd "$(dirname "$0")/.."

fail() { echo "ci/vm_test.sh: $*" >&2; echo "vm: 0 passed, 1 failed"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run it as root (it builds images and boots VMs)"

work=$(mktemp -d /tmp/ssp-vm-stage.XXXXXX)
trap 'rm -rf "$work"' EXIT
stage_start=$SECONDS

debs=${VM_TEST_DEBS:-}
if [ -z "$debs" ]; then
  debs="$work/debs"
  start=$SECONDS
  timeout 1200 ci/package.sh "$debs" >/dev/null 2>"$work/package.log" ||
    { tail -40 "$work/package.log" >&2; fail "ci/package.sh failed"; }
  echo "ci/vm_test.sh: ci/package.sh took $((SECONDS - start)) s" >&2
fi
compgen -G "$debs/*.deb" >/dev/null || fail "no .deb in $debs"
debs=$(cd "$debs" && pwd)

# Warm the image cache outside the tests' timeouts (a no-op when warm). The
# guard is needed by vm_init; bazel-bin may be -c opt after ci/package.sh.
bazel build --noshow_progress //testdata/harness:no_vsock 2>"$work/guard.log" ||
  { cat "$work/guard.log" >&2; fail "cannot build the vsock guard"; }
start=$SECONDS
(
  source testdata/harness/vm_lib.sh
  VM_NO_VSOCK=$(bazel info bazel-bin 2>/dev/null)/testdata/harness/no_vsock
  "$VM_NO_VSOCK" --self-test || exit 1
  # Side by side: much of a build is waiting for the archive.
  pids=()
  for suite in bullseye bookworm trixie; do
    vm_image "$suite" "${VM_TEST_PACKAGES[@]}" --download "${VM_PACKAGE_DEPENDS[@]}" >/dev/null &
    pids+=($!)
  done
  vm_image bookworm libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 \
    --download "${VM_PACKAGE_DEPENDS[@]}" >/dev/null &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
  # What each image listens on by itself (vm_baseline): a boot per image and
  # machine, side by side, each in a shell whose EXIT trap powers it off. A
  # failure is only reported: vm_ssh_test tries again and fails a case.
  pids=()
  for suite in bullseye bookworm trixie; do
    (
      trap vm_cleanup_all EXIT
      trap 'exit 143' TERM
      trap 'exit 130' INT
      vm_baseline "$(vm_image "$suite" "${VM_TEST_PACKAGES[@]}" --download "${VM_PACKAGE_DEPENDS[@]}")" >/dev/null
    ) &
    pids+=($!)
  done
  rc=0
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  [ "$rc" = 0 ] || echo "ci/vm_test.sh: a baseline boot failed" >&2
) || fail "building the VM images failed"
echo "ci/vm_test.sh: images ready in $((SECONDS - start)) s" >&2

start=$SECONDS
bazel test --noshow_progress --test_output=errors --test_summary=short \
  --test_tag_filters=vm --test_env=VM_TEST_DEBS="$debs" --jobs=3 --local_test_jobs=3 \
  //testdata/harness:vm_ssh_test //testdata/harness:vm_libvirt_test \
  //testdata/harness:vm_generator_test \
  >"$work/bazel.log" 2>&1
rc=$?
cat "$work/bazel.log" >&2
echo "ci/vm_test.sh: VM tests took $((SECONDS - start)) s, the stage $((SECONDS - stage_start)) s" >&2
set -- $(python3 ci/count_tests.py "$work/bazel.log" "$(bazel info bazel-testlogs 2>/dev/null)")
p=${1:-0} f=${2:-0}
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "vm: $p passed, $f failed"
[ "$f" -eq 0 ]
