#!/usr/bin/env bash
# Installs everything that building, testing, fuzzing and the demo need, on
# Debian 12, as root, from Debian's archive only. Idempotent: when every
# package is already there it changes nothing and takes a second.
set -euo pipefail

packages=(
  # Build: Debian's Bazel and the rule repositories it would otherwise fetch.
  bazel-bootstrap bazel-rules-java bazel-platforms
  # Compiler with sanitizers and libFuzzer (-fsanitize=fuzzer needs the rt).
  clang-14 libclang-rt-14-dev pkg-config
  # lld: the release binary's start-up functions are linked in one place
  # (cli/startup_order.txt).
  lld-14
  # Libraries, static archives included.
  libabsl-dev libre2-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  # qemu/NAME's helper links libvirt and libxml2 dynamically (libvirt-dev
  # brings libvirt0, whose test driver the end-to-end test uses).
  libvirt-dev libxml2-dev
  # Real peers for the end-to-end tests and the demo.
  openssh-client openssh-server systemd socat netcat-openbsd strace
  # rsync on both ends: the end-to-end test copies through the proxy with it.
  rsync
  # paramiko: a client that only ever relays (cli/e2e_mux_relay_test.sh).
  python3-paramiko
  # Test helpers (fake multiplexer and machined), the man page check, and
  # CI bookkeeping.
  python3 groff-base ca-certificates git
  # Booted Debian guests for the guest end-to-end tests (testdata/harness):
  # rootfs from Debian's archive, systemd-nspawn, nsenter (util-linux).
  # Every guest boots under testdata/harness/no_vsock (socket(AF_VSOCK) fails in
  # the whole guest) and with --private-network.
  mmdebstrap debian-archive-keyring systemd-container
  # Booted Debian VMs for the VM stage (testdata/harness/vm_lib.sh, ci/vm_test.sh):
  # qemu with TCG, qcow2 overlays, root filesystems from mkfs.ext4 -d. qemu
  # runs under testdata/harness/no_vsock with no vsock device and no network.
  qemu-system-x86 qemu-utils e2fsprogs
  # Benchmarks (ci/bench.sh): the plot, setpriv/taskset from util-linux, and
  # perf for the scheduler's wake-ups of a round trip.
  gnuplot-nox util-linux bc linux-perf
  # The Debian packages (ci/package.sh) and their checks (objdump reads the
  # libvirt helper's libraries).
  debhelper dpkg-dev lintian binutils
)

if [ "$(id -u)" -ne 0 ]; then
  echo "ci/setup.sh: must run as root (it installs packages with apt-get)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ci/setup.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# sshd -i (one sshd per connection, as the tests run it) refuses to start
# without its privilege-separation directory, which only the sshd service
# unit would create.
mkdir -p /run/sshd
chmod 0755 /run/sshd
