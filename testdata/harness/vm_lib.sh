# Real Debian VMs for end-to-end tests: qemu with TCG (no KVM needed),
# direct kernel boot from an mmdebstrap tree with linux-image-amd64, root on
# a virtio disk made with mkfs.ext4 -d, cached between runs. The sibling of
# guest_lib.sh (containers), with the same conventions; it sources it for the
# shared helpers. Needs root, mmdebstrap, qemu-system-x86, qemu-utils and
# e2fsprogs (ci/setup.sh).
#
# SAFETY. The host's AF_VSOCK peer is infrastructure: qemu runs under
# testdata/harness/no_vsock and gets NO vsock device (no vhost-vsock-pci, no
# guest-cid) and no network (-nic none). Inside such a VM AF_VSOCK reaches
# only that VM's own kernel (vsock_loopback, CID 1; and CID 2 once the VM
# loads vhost_vsock) or nested VMs it starts itself, so tests run REAL
# AF_VSOCK connects there, and only there. Never copy a command from a
# vm_run into a host-side test.
#
#   source testdata/harness/vm_lib.sh
#   vm_init                              # finds no_vsock; sets the EXIT trap
#   img=$(vm_image bookworm rsync)       # cached image prefix (built on first use)
#   disk=$(vm_installed "$img" debs/)    # a copy with debs/*.deb installed (cached)
#   vm_boot v1 "$img" --disk "$disk" -- systemd.ssh_listen=vsock::22
#   vm_sh v1 'ssh vsock/1 true'
#   vm_poweroff v1
#
# vm_init
#   Locates no_vsock, checks it works and that the tools are there; an EXIT
#   trap (and INT, TERM, HUP, PIPE) powers off every VM and removes its files.
# vm_image SUITE [PACKAGE...] [--download PACKAGE...]
#   Prints a prefix P: P.img (raw ext4 root), P.vmlinuz, P.initrd. SUITE
#   (the tests boot bullseye, bookworm and trixie: Debian 11, 12 and 13;
#   bullseye's tree, like a Debian 11 system upgraded from 10, keeps /lib
#   apart from /usr/lib, so a package's /lib paths are its own) with
#   VM_BASE_PACKAGES and PACKAGE... installed; --download PACKAGEs are only
#   downloaded into /var/cache/apt/archives (with the apt lists kept), so that
#   `apt-get install ./x.deb` in the VM resolves the declared dependencies
#   offline as it would online, and a dependency a package forgot to declare
#   stays missing. Cached in VM_CACHE (/var/cache/ssh-socket-proxy/vm) under
#   a key of suite, architecture, both package lists and how it is built;
#   built under a lock into temporary files and renamed. A build takes 2-5
#   minutes.
# vm_overlay P
#   Sets VM_DISK to a fresh qcow2 file backed by P.img, removed at exit. Not
#   in $(...): the file is registered for removal in this shell.
# vm_boot NAME P [--disk FILE] [--persist] [-- KERNEL-ARG...]
#   Boots qemu-system-x86_64 -accel tcg,thread=multi -smp VM_SMP -m VM_MEMORY
#   (2048) -nic none under no_vsock, with the 9p control share, the serial
#   console in a file, and KERNEL-ARGs appended to the kernel command line.
#   The disk is P.img or FILE (raw if it ends in .img, else qcow2), with
#   snapshot=on (writes vanish at power-off) unless --persist (only for a
#   vm_overlay file). Waits (VM_BOOT_TIMEOUT,
#   240 s) for the agent, checks the isolation (vm_isolation_check; a VM
#   that fails it is stopped), then waits for `systemctl is-system-running
#   --wait`.
#   Returns 0 when the VM came up "running" or "degraded" (state in
#   VM_STATE[NAME]; in VM_BOOT_SECONDS[NAME] the seconds the guest took to
#   get there, from its kernel's start by its own clock);
#   1 on timeout or death, with the console's tail on stderr, the logs kept
#   and the VM powered off. A kernel that panics while booting (qemu's
#   multi-threaded TCG sometimes traps it) is booted once more.
# vm_start NAME P [--disk FILE] [--persist] [-- KERNEL-ARG...]
# vm_wait NAME
#   vm_boot in two halves, so that a test can boot its next VM while it
#   works in the one before: vm_start starts qemu and returns at once;
#   vm_wait does the rest of vm_boot (VM_BOOT_TIMEOUT counts from vm_start;
#   a VM waited for late gets 90 s more: it booted while the test before
#   it worked). Both at the top level. Measured on two cores: four one-vCPU
#   VMs at once (the VM stage's most) took it 308-352 s; seven (three
#   tests, each starting all its VMs) took it from 460 to 804 s and a boot
#   past its timeout. Keep to about two VMs per core.
# vm_run NAME CMD [ARG...]   vm_sh NAME SCRIPT
#   Runs CMD (or bash -c SCRIPT) as root in the VM, from the agent: stdout,
#   stderr and the exit code are CMD's; stdin is VM_STDIN (a host file) or
#   empty. Bounded by VM_RUN_TIMEOUT (60 s) on both sides; 124 on timeout.
# vm_share NAME
#   The host directory the VM sees as /run/vmctl (put files for it there).
# vm_journal NAME [JOURNALCTL-ARG...], vm_modprobe NAME MODULE...
# vm_listening NAME
#   The VM's listening stream sockets, sorted, one a line, as guest_listening
#   prints them ("unix /run/x.sock", "tcp [::]:22") plus "vsock *:22" from
#   `ss --vsock`: what a client can reach, not unit names.
# vm_installed P DIR
#   Prints the path D of a raw disk, a copy of P.img with every DIR/*.deb
#   installed by `apt-get install ./*.deb`, offline, in a chroot of it (on a
#   loop mount, under no_vsock, with a policy-rc.d that starts nothing), the
#   way an image builder installs packages; D.apt.log keeps apt's output.
#   Built once per image and set of .debs (the VM tests share it), under a
#   lock, in VM_INSTALLED_DIR (VM_CACHE/installed), which keeps the newest
#   VM_INSTALLED_KEEP (6: the VM stage uses four, so two spare). Boot it
#   with `vm_boot NAME P --disk D` (snapshot: D never changes).
#   Returns 1, with apt's output on stderr, if apt failed. Installing in a
#   booted system is the package stage's (ci/package_test.sh).
# vm_baseline P
#   Prints the path of a file with what P.img listens on when booted with
#   systemd.ssh_auto=no (vm_listening): the system's own sockets, before any
#   package of ours. One boot per image and machine, then cached.
# vm_suite_debs SUITE DIR OUT
#   Copies into OUT (made if need be) the DIR/*.deb that SUITE can install
#   and prints OUT: on Debian 11 (bullseye) all but ssh-socket-proxy-libvirt,
#   which needs the newer glibc it was built against (README, "Packages";
#   the package stage asserts that refusal), elsewhere all of them.
# vm_deb_names DIR             the package names of DIR/*.deb, sorted
# vm_debs_installed NAME DIR   those of them dpkg in VM NAME has installed
# vm_apt_summary D             what apt said when vm_installed made D
#   (its Unpacking, Setting up, E: and W: lines), indented
# vm_test_begin NAME
#   The start of the VM test vm_NAME_test, after e2e_guard (it needs
#   e2e_lib.sh): $E2E, vm_init, an EXIT trap that powers every VM off and
#   removes $E2E, VM_RUN_TIMEOUT 120 s (an ssh login, virsh or a nested qemu
#   in a TCG VM takes seconds; on a loaded machine, many), and VM_TEST_DEBS
#   checked: without .debs the test fails the case packages_given and exits.
# vm_isolation_check NAME   the SAFETY properties above, for a running VM
# vm_console NAME       the file with the serial console (kernel, generators)
# vm_keep_logs NAME     copies console and journal to VM_LOG_DIR, says where
# vm_poweroff NAME
#   With --persist: sync and `systemctl poweroff` in the VM; otherwise (the
#   disk's writes are thrown away) SIGTERM to qemu. Either up to
#   VM_STOP_TIMEOUT (60 s), then SIGTERM, then SIGKILL. Removes the VM's
#   files. Safe to call twice.
# vm_cleanup_all
#   vm_poweroff for every VM, then removes every overlay and loop mount.
#
# Boots happen at the top level of a test script, never inside e2e_case (a
# subshell): VM state lives in this shell. vm_run works anywhere.

source "$(dirname "${BASH_SOURCE[0]}")/guest_lib.sh"

VM_CACHE=${VM_CACHE:-/var/cache/ssh-socket-proxy/vm}
VM_TMP=${VM_TMP:-/var/tmp}
VM_LOG_DIR=${VM_LOG_DIR:-${TEST_UNDECLARED_OUTPUTS_DIR:-/var/tmp}}
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-240}
VM_RUN_TIMEOUT=${VM_RUN_TIMEOUT:-60}
VM_STOP_TIMEOUT=${VM_STOP_TIMEOUT:-60}
VM_MEMORY=${VM_MEMORY:-2048}
# One vCPU: measured on two cores, one Debian 12 boot took 27 s with two
# vCPUs and 33 s with one, but two boots side by side 44 s with two vCPUs
# each and 34 s with one, so the VM tests run side by side with one.
VM_SMP=${VM_SMP:-1}
# What our .debs may depend on beyond VM_BASE_PACKAGES (qemu/'s helper links
# libvirt and libxml2): images fetch these with --download, so that apt in a
# VM without network resolves what the packages declare, and only that.
VM_PACKAGE_DEPENDS=(libvirt0 libxml2 libatomic1)
# What the test images install beyond VM_BASE_PACKAGES: rsync for the copy
# tests, and libvirt's client library as on a host with libvirt (apt in a
# TCG VM spends minutes on libvirt0's dependency chain and its triggers).
# libatomic1 stays out: a package that needs it must say so.
VM_TEST_PACKAGES=(rsync libvirt0 libxml2)
VM_BASE_PACKAGES=(systemd systemd-sysv dbus udev kmod linux-image-amd64 initramfs-tools
  openssh-server openssh-client iproute2 procps)

declare -A VM_QEMU_PID=() VM_DIR=() VM_STATE=() VM_BOOT_SECONDS=() VM_PERSIST=()
declare -A VM_START_ARGS=() VM_START_SECONDS=()
VM_OVERLAYS=()
VM_MOUNTS=()
VM_DISK=""
VM_NO_VSOCK=""

vm_init() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "vm_lib: building images and booting VMs needs root" >&2
    return 1
  fi
  VM_NO_VSOCK=$(guest_runfile testdata/harness/no_vsock) || return 1
  "$VM_NO_VSOCK" --self-test 2>/dev/null ||
    { echo "vm_lib: the vsock guard does not work here" >&2; return 1; }
  # Bazel's test PATH leaves out sbin (mkfs.ext4, chroot).
  export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
  local tool
  for tool in mmdebstrap qemu-system-x86_64 qemu-img mkfs.ext4; do
    command -v "$tool" >/dev/null || { echo "vm_lib: $tool is missing (ci/setup.sh)" >&2; return 1; }
  done
  trap vm_cleanup_all EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 141' PIPE
  trap 'exit 143' TERM
}

# The agent: mounts the 9p share and runs each request the host drops into
# req/ (a bash script), in the background so a slow one blocks no other.
vm_agent_script() {
  cat <<'AGENT'
#!/bin/bash
# Test-only: runs the host's requests from the 9p share (testdata/harness/vm_lib.sh).
ctl=/run/vmctl
mkdir -p "$ctl"
modprobe -q 9pnet_virtio 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 vmctl "$ctl" || exit 1
cut -d' ' -f1 /proc/uptime >"$ctl/ready"
while :; do
  for req in "$ctl"/req/*.sh; do
    [ -e "$req" ] || continue
    id=${req##*/}; id=${id%.sh}
    mv "$req" "$ctl/run/$id.sh" || continue
    (
      in=/dev/null
      [ -e "$ctl/run/$id.in" ] && in="$ctl/run/$id.in"
      bash "$ctl/run/$id.sh" <"$in" >"$ctl/out/$id.out" 2>"$ctl/out/$id.err"
      echo $? >"$ctl/out/$id.rc.tmp"
      mv "$ctl/out/$id.rc.tmp" "$ctl/out/$id.rc"
    ) &
  done
  sleep 0.05
done
AGENT
}

vm_agent_unit() {
  cat <<'UNIT'
[Unit]
Description=Test harness agent (9p share from the host)
DefaultDependencies=no
After=local-fs.target
Before=sysinit.target

[Service]
ExecStart=/usr/local/sbin/vm-agent
Environment=HOME=/root
KillMode=mixed

[Install]
WantedBy=sysinit.target
UNIT
}

# vm_image SUITE [PACKAGE...] [--download PACKAGE...]
vm_image() {
  local suite=$1; shift
  local install=("${VM_BASE_PACKAGES[@]}") download=() arch pkgs dl key prefix
  while [ $# -gt 0 ]; do
    if [ "$1" = "--download" ]; then shift; download=("$@"); break; fi
    install+=("$1"); shift
  done
  arch=$(dpkg --print-architecture)
  pkgs=$(printf '%s\n' "${install[@]}" | sort -u | paste -sd, -)
  dl=$(printf '%s\n' "${download[@]}" | sed '/^$/d' | sort -u | paste -sd' ' -)
  key=$( { printf '%s %s %s | %s\n' "$suite" "$arch" "$pkgs" "$dl"; declare -f vm_build_image; vm_agent_script; vm_agent_unit; } |
    sha256sum | cut -c1-12)
  prefix="$VM_CACHE/$suite-$arch-$key"
  if [ -s "$prefix.img" ]; then echo "$prefix"; return 0; fi
  mkdir -p "$VM_CACHE"
  (
    flock -w 900 9 || { echo "vm_lib: lock on $prefix timed out" >&2; exit 1; }
    [ -s "$prefix.img" ] && exit 0
    echo "vm_lib: building the $suite VM image ($pkgs; download: ${dl:-none}), once per machine" >&2
    local start=$SECONDS
    vm_build_image "$suite" "$pkgs" "$dl" "$prefix" >"$prefix.log" 2>&1 ||
      { tail -30 "$prefix.log" >&2; exit 1; }
    printf '%s %s %s | %s\nbuilt in %d s\n' "$suite" "$arch" "$pkgs" "$dl" $((SECONDS - start)) >"$prefix.txt"
    echo "vm_lib: built $prefix.img in $((SECONDS - start)) s" >&2
  ) 9>"$prefix.lock" || return 1
  echo "$prefix"
}

vm_build_image() {
  local suite=$1 pkgs=$2 dl=$3 prefix=$4 tree hooks=()
  tree=$(mktemp -d "$VM_TMP/ssp-vmbuild.XXXXXX") || return 1
  # Under the lock: whatever another killed build left is garbage.
  rm -f "$prefix".*.tmp
  if [ -n "$dl" ]; then
    # Empty the cache of what the bootstrap installed, then fetch only these,
    # with their Recommends: apt in the VM installs those by default (the
    # bootstrap itself does not).
    hooks=(--skip=cleanup/apt/lists --skip=cleanup/apt/cache
      --customize-hook='chroot "$1" apt-get clean'
      --customize-hook="chroot \"\$1\" apt-get install -y -q --download-only -o APT::Install-Recommends=true $dl")
  fi
  # A small initramfs (virtio disk and ext4 only) boots seconds faster under
  # TCG than Debian's MODULES=most: configured before the kernel is installed.
  local conf=$tree/initramfs/etc/initramfs-tools
  mkdir -p "$conf/conf.d" "$conf/hooks"
  echo MODULES=list >"$conf/conf.d/ssp-vm"
  printf '%s\n' '#!/bin/sh' '[ "$1" = prereqs ] && exit 0' '. /usr/share/initramfs-tools/hook-functions' \
    'manual_add_modules virtio_pci virtio_blk ext4 crc32c_generic' >"$conf/hooks/ssp-vm"
  chmod 0755 "$conf/hooks/ssp-vm"
  hooks+=(--essential-hook="sync-in $tree/initramfs /")
  timeout 1200 mmdebstrap --quiet --variant=apt --include="$pkgs" "${hooks[@]}" \
    "$suite" "$tree/root" || { rm -rf "$tree"; return 1; }
  local root=$tree/root
  vm_agent_script >"$root/usr/local/sbin/vm-agent"
  chmod 0755 "$root/usr/local/sbin/vm-agent"
  vm_agent_unit >"$root/etc/systemd/system/vm-agent.service"
  mkdir -p "$root/etc/systemd/system/sysinit.target.wants"
  ln -sf ../vm-agent.service "$root/etc/systemd/system/sysinit.target.wants/vm-agent.service"
  echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
  echo vm >"$root/etc/hostname"
  # The serial console stays quiet: no login prompt between log lines.
  ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
  cp "$(readlink -f "$root/vmlinuz" 2>/dev/null || ls "$root"/boot/vmlinuz-* | tail -1)" "$prefix.vmlinuz.tmp" &&
    cp "$(readlink -f "$root/initrd.img" 2>/dev/null || ls "$root"/boot/initrd.img-* | tail -1)" "$prefix.initrd.tmp" ||
    { rm -rf "$tree"; return 1; }
  local used
  used=$(du -sm --apparent-size "$root" | cut -f1)
  mkfs.ext4 -q -F -L vmroot -d "$root" "$prefix.img.tmp" "$((used * 13 / 10 + 768))M" ||
    { rm -rf "$tree"; return 1; }
  rm -rf "$tree"
  mv "$prefix.vmlinuz.tmp" "$prefix.vmlinuz"
  mv "$prefix.initrd.tmp" "$prefix.initrd"
  mv "$prefix.img.tmp" "$prefix.img"
}

vm_overlay() {
  VM_DISK=$(mktemp "$VM_TMP/ssp-vm-disk.XXXXXX") || return 1
  VM_OVERLAYS+=("$VM_DISK")
  qemu-img create -q -f qcow2 -F raw -b "$1.img" "$VM_DISK" >&2
}

vm_boot() {
  vm_start "$@" && vm_wait "$1"
}

# vm_start records how NAME was started, so that vm_wait can start it again.
vm_start() {
  local name=$1
  VM_START_ARGS[$name]=$(printf '%q ' "$@")
  vm_start_once "$@"
}

vm_wait() {
  local name=$1 attempt rc
  for attempt in 1 2; do
    vm_wait_once "$name"
    rc=$?
    [ "$rc" -eq 2 ] || return "$rc"
    # qemu 7.2's multi-threaded TCG now and then traps the guest kernel while
    # it patches its own code (an "Oops: int3" seconds into the boot): a
    # fault of the emulator, not of what is tested. Once more, and say so.
    echo "vm_lib: $name: the VM's kernel died while booting (attempt $attempt)" >&2
    [ "$attempt" = 2 ] || eval "vm_start_once ${VM_START_ARGS[$name]}" || return 1
  done
  return 1
}

# Starts qemu for NAME and returns: 0, or 1 on a bad call.
vm_start_once() {
  local name=$1 prefix=$2; shift 2
  local disk="$prefix.img" format=raw snapshot=on args=()
  while [ $# -gt 0 ]; do
    case $1 in
      --disk) disk=$2; format=qcow2; [[ "$disk" != *.img ]] || format=raw; shift 2 ;;
      --persist) snapshot=off; shift ;;
      --) shift; args=("$@"); break ;;
      *) echo "vm_lib: vm_boot: unknown option $1" >&2; return 1 ;;
    esac
  done
  [ -n "$VM_NO_VSOCK" ] || { echo "vm_lib: call vm_init first" >&2; return 1; }
  if [ "$snapshot" = off ] && [ "$disk" = "$prefix.img" ]; then
    echo "vm_lib: --persist would change the cached image: use vm_overlay" >&2
    return 1
  fi
  local dir cache=unsafe
  dir=$(mktemp -d "$VM_TMP/ssp-vm.XXXXXX") || return 1
  VM_DIR[$name]=$dir
  # Writes that are kept must survive qemu; the others need no flushing.
  [ "$snapshot" = on ] || { VM_PERSIST[$name]=1; cache=writeback; }
  mkdir -p "$dir/share/req" "$dir/share/run" "$dir/share/out"
  # No vsock device and no network, ever (see the top of this file).
  VM_START_SECONDS[$name]=$SECONDS
  setsid "$VM_NO_VSOCK" qemu-system-x86_64 -accel tcg,thread=multi -smp "$VM_SMP" -m "$VM_MEMORY" \
    -nodefaults -no-user-config -display none -nic none -no-reboot \
    -serial "file:$dir/console.log" \
    -kernel "$prefix.vmlinuz" -initrd "$prefix.initrd" \
    -append "root=/dev/vda rw console=ttyS0 quiet panic=-1 ${args[*]}" \
    -drive "file=$disk,format=$format,if=virtio,snapshot=$snapshot,cache=$cache" \
    -virtfs "local,path=$dir/share,mount_tag=vmctl,security_model=none" \
    </dev/null >"$dir/qemu.log" 2>&1 &
  VM_QEMU_PID[$name]=$!
}

# Returns 0 when booted; 1 on failure; 2 when the kernel died early. A VM
# that did not boot is powered off, its logs kept. The deadline counts from
# the start, so VMs started together wait out one VM_BOOT_TIMEOUT; one
# waited for late still gets 90 s to answer (it booted beside busy VMs).
vm_wait_once() {
  local name=$1 dir=${VM_DIR[$1]:-} start=${VM_START_SECONDS[$1]:-$SECONDS}
  [ -n "$dir" ] || { echo "vm_lib: no VM $name (vm_start)" >&2; return 1; }
  local deadline=$((start + VM_BOOT_TIMEOUT))
  [ "$deadline" -ge $((SECONDS + 90)) ] || deadline=$((SECONDS + 90))
  while [ ! -e "$dir/share/ready" ]; do
    if ! kill -0 "${VM_QEMU_PID[$name]}" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "vm_lib: $name: the agent never started" >&2
      vm_boot_failed "$name"
      return $?
    fi
    sleep 0.2
  done
  if ! vm_isolation_check "$name" >&2; then
    echo "vm_lib: $name is not isolated from this machine: stopped" >&2
    vm_poweroff "$name"
    return 1
  fi
  local state
  state=$(VM_RUN_TIMEOUT=$((deadline - SECONDS + 1)) vm_run "$name" systemctl is-system-running --wait 2>/dev/null)
  VM_STATE[$name]=${state:-unknown}
  # The guest's own clock: a VM waited for late was up long before.
  local finish
  finish=$(vm_run "$name" systemctl show -p FinishTimestampMonotonic --value 2>/dev/null)
  if [[ "$finish" =~ ^[1-9][0-9]*$ ]]; then
    VM_BOOT_SECONDS[$name]=$(((finish + 500000) / 1000000))
  else
    VM_BOOT_SECONDS[$name]=$((SECONDS - start))
  fi
  case "$state" in
    running|degraded) return 0 ;;
  esac
  echo "vm_lib: $name did not finish booting (state '${state:-none}')" >&2
  vm_boot_failed "$name"
  return 1
}

# Shows and keeps the logs, powers off; 2 if the kernel had died (panic=-1
# and -no-reboot: qemu exits), else 1.
vm_boot_failed() {
  local name=$1 console=${VM_DIR[$1]}/console.log died=1
  tail -n 30 "$console" "${VM_DIR[$name]}/qemu.log" >&2
  vm_keep_logs "$name"
  if ! kill -0 "${VM_QEMU_PID[$name]}" 2>/dev/null && grep -q 'Kernel panic' "$console"; then
    died=2
  fi
  vm_poweroff "$name"
  return "$died"
}

# SAFETY, checked at every boot: qemu runs under the guard's seccomp filter
# with no_new_privs, has no vsock and no network device, and the VM sees no
# virtio-vsock device (virtio type 19) and no interface but lo. Prints what
# is wrong; returns non-zero then.
vm_isolation_check() {
  local name=$1 pid=${VM_QEMU_PID[$1]:-0} cmdline bad=0 arg skip=0
  # qemu's arguments, but not the kernel command line (it may name vsock).
  cmdline=$(while IFS= read -r -d '' arg; do
      [ "$skip" = 1 ] && { skip=0; continue; }
      [ "$arg" = -append ] && skip=1
      printf '%s ' "$arg"
    done <"/proc/$pid/cmdline" 2>/dev/null)
  [[ "$cmdline" == *qemu-system-x86_64*" -nic none "* ]] || { echo "qemu: no -nic none: $cmdline"; bad=1; }
  [[ "$cmdline" != *vsock* && "$cmdline" != *guest-cid* && "$cmdline" != *-netdev* && "$cmdline" != *-device* ]] ||
    { echo "qemu has a vsock, network or other device: $cmdline"; bad=1; }
  [ "$(awk '/^Seccomp:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = 2 ] &&
    [ "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" = 1 ] ||
    { echo "qemu $pid runs without the vsock guard"; bad=1; }
  local inside
  inside=$(vm_sh "$name" 'grep -l 0x0013 /sys/bus/virtio/devices/*/device; ls /sys/class/net' 2>&1)
  [ "$inside" = lo ] || { echo "in the VM, a vsock device or an interface but lo: $inside"; bad=1; }
  return "$bad"
}

vm_share() { echo "${VM_DIR[$1]}/share"; }
vm_console() { echo "${VM_DIR[$1]}/console.log"; }

vm_run() {
  local name=$1; shift
  local dir=${VM_DIR[$name]:-}
  [ -n "$dir" ] || { echo "vm_lib: no VM $name" >&2; return 1; }
  local share=$dir/share id="$BASHPID.$RANDOM.$RANDOM"
  [ -z "${VM_STDIN:-}" ] || cp "$VM_STDIN" "$share/run/$id.in"
  # The VM bounds it too, so a hung command does not outlive the wait.
  { printf 'exec timeout -k 5 %d' "$VM_RUN_TIMEOUT"; printf ' %q' "$@"; echo; } >"$share/req/.$id"
  mv "$share/req/.$id" "$share/req/$id.sh"
  local deadline=$((SECONDS + VM_RUN_TIMEOUT + 10)) rc
  while [ ! -e "$share/out/$id.rc" ]; do
    if [ "$SECONDS" -ge "$deadline" ] || ! kill -0 "${VM_QEMU_PID[$name]:-0}" 2>/dev/null; then
      echo "vm_lib: $name: no answer to: $*" >&2
      return 124
    fi
    sleep 0.05
  done
  cat "$share/out/$id.out"
  cat "$share/out/$id.err" >&2
  rc=$(cat "$share/out/$id.rc")
  rm -f "$share/out/$id".* "$share/run/$id".*
  return "${rc:-1}"
}

vm_sh() { local name=$1; shift; vm_run "$name" bash -c "$1"; }

# vm_once FILE CMD...: runs CMD under FILE.lock unless FILE is there, looked
# at again once the lock is held (a test beside this one may have made it).
# A descriptor rather than a subshell: a VM that CMD boots stays in this
# shell's arrays, so the EXIT trap powers it off on every path.
vm_once() {
  local file=$1 lock rc=0
  shift
  [ -s "$file" ] && return 0
  exec {lock}>"$file.lock" || return 1
  if ! flock -w 900 "$lock"; then
    echo "vm_lib: lock on $file timed out" >&2
    rc=1
  elif [ ! -s "$file" ]; then
    "$@" || rc=1
  fi
  exec {lock}>&-
  return "$rc"
}

vm_installed() {
  local prefix=$1 debs=$2 dir=${VM_INSTALLED_DIR:-$VM_CACHE/installed} key disk
  key=$( { basename "$prefix"; cat "$debs"/*.deb; declare -f vm_build_installed vm_chroot_apt; } |
    sha256sum | cut -c1-12)
  disk="$dir/$(basename "$prefix")-$key.img"
  mkdir -p "$dir" && vm_once "$disk" vm_build_installed "$prefix" "$debs" "$disk" || return 1
  echo "$disk"
}

vm_build_installed() {
  local prefix=$1 debs=$2 disk=$3 mnt rc=0 start=$SECONDS
  rm -f "$disk.tmp" "$disk".*.tmp
  cp --sparse=always "$prefix.img" "$disk.tmp" || return 1
  mnt=$(mktemp -d "$VM_TMP/ssp-vm-mnt.XXXXXX") || return 1
  VM_MOUNTS+=("$mnt")
  if mount -o loop "$disk.tmp" "$mnt"; then
    vm_chroot_apt "$mnt" "$debs" >"$disk.apt.log.tmp" 2>&1 || rc=1
    umount "$mnt" || rc=1
  else
    rc=1
  fi
  # Still mounted: vm_cleanup_all tries again at exit.
  mountpoint -q "$mnt" || { rmdir "$mnt"; VM_MOUNTS=("${VM_MOUNTS[@]/#$mnt/}"); }
  if [ "$rc" -ne 0 ]; then
    tail -30 "$disk.apt.log.tmp" >&2
    rm -f "$disk.tmp" "$disk".*.tmp
    return 1
  fi
  mv "$disk.apt.log.tmp" "$disk.apt.log" && mv "$disk.tmp" "$disk" || return 1
  echo "vm_lib: installed $(cd "$debs" && echo *.deb) on $(basename "$prefix") in $((SECONDS - start)) s" >&2
  ls -t "$(dirname "$disk")"/*.img | tail -n +"$((${VM_INSTALLED_KEEP:-6} + 1))" |
    while read -r old; do rm -f -- "$old" "$old".*; done
}

# vm_chroot_apt ROOT DIR: apt-get install ./*.deb of DIR inside ROOT, under
# the vsock guard (maintainer scripts run on this machine's kernel).
vm_chroot_apt() {
  local root=$1 debs=$2 rc=0
  mkdir -p "$root/tmp/debs" && cp "$debs"/*.deb "$root/tmp/debs/" || return 1
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d" || return 1
  timeout 300 "$VM_NO_VSOCK" chroot "$root" sh -c 'cd /tmp/debs &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 ./*.deb' || rc=1
  rm -rf "$root/tmp/debs" "$root/usr/sbin/policy-rc.d"
  return "$rc"
}

vm_baseline() {
  vm_once "$1.baseline" vm_take_baseline "$1" || return 1
  echo "$1.baseline"
}

vm_take_baseline() {
  local prefix=$1 name rc=0
  name="baseline-$(basename "$prefix")"
  vm_boot "$name" "$prefix" -- systemd.ssh_auto=no || return 1
  vm_listening "$name" >"$prefix.baseline.tmp" && [ -s "$prefix.baseline.tmp" ] &&
    mv "$prefix.baseline.tmp" "$prefix.baseline" || rc=1
  vm_poweroff "$name"
  return "$rc"
}

vm_test_begin() {
  local name=$1
  e2e_begin "ssp-vm-$name"
  vm_init || exit 1
  trap 'vm_cleanup_all; rm -rf "$E2E"' EXIT
  VM_RUN_TIMEOUT=120
  compgen -G "${VM_TEST_DEBS:-/nonexistent}/*.deb" >/dev/null && return 0
  echo "vm_${name}_test: VM_TEST_DEBS must name a directory with ci/package.sh's .deb files (ci/vm_test.sh sets it)" >&2
  e2e_case packages_given false
  e2e_finish "vm_$name"
  exit 1
}

vm_suite_debs() {
  local suite=$1 debs=$2 out=$3 deb
  mkdir -p "$out" || return 1
  for deb in "$debs"/*.deb; do
    if [ "$suite" = bullseye ] && [ "$(dpkg-deb -f "$deb" Package)" = ssh-socket-proxy-libvirt ]; then
      continue
    fi
    cp "$deb" "$out/" || return 1
  done
  compgen -G "$out/*.deb" >/dev/null || { echo "vm_lib: no .deb for $suite in $debs" >&2; return 1; }
  echo "$out"
}

vm_deb_names() { local d; for d in "$1"/*.deb; do dpkg-deb -f "$d" Package; done | sort; }
vm_debs_installed() {
  # shellcheck disable=SC2046  # one word a package
  vm_run "$1" dpkg-query -W -f '${Package} ${Status}\n' $(vm_deb_names "$2") |
    awk '$4 == "installed" { print $1 }' | sort
}
vm_apt_summary() { grep -E '^(Unpacking|Setting up|E:|W:)' "$1.apt.log" | sed 's/^/  /'; }

vm_journal() { local name=$1; shift; vm_run "$name" journalctl -b --no-pager -q "$@"; }
vm_modprobe() { local name=$1; shift; vm_run "$name" modprobe -a "$@"; }

vm_listening() {
  local name=$1
  {
    listening_sockets vm_run "$name"
    # The local address is the last but one column: "*:22" or "1:2222".
    vm_run "$name" ss --vsock -lnH 2>/dev/null | awk 'NF >= 2 { print "vsock " $(NF - 1) }'
  } | sort -u
}

vm_keep_logs() {
  local name=$1 dir=${VM_DIR[$1]:-} to
  [ -n "$dir" ] || return 0
  mkdir -p "$VM_LOG_DIR"
  to="$VM_LOG_DIR/vm-$name-$(date +%H%M%S)"
  cp "$dir/console.log" "$to.console.log" 2>/dev/null
  cp "$dir/qemu.log" "$to.qemu.log" 2>/dev/null
  VM_RUN_TIMEOUT=20 vm_journal "$name" >"$to.journal.txt" 2>/dev/null || rm -f "$to.journal.txt"
  echo "vm_lib: $name: logs kept in $to.*" >&2
}

vm_poweroff() {
  local name=$1 pid=${VM_QEMU_PID[$1]:-} dir=${VM_DIR[$1]:-}
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    local deadline=$((SECONDS + VM_STOP_TIMEOUT))
    # A snapshot disk loses every write anyway: pull the plug. A persistent
    # one gets an orderly poweroff (asking is enough: no answer comes back).
    if [ "${VM_PERSIST[$name]:-0}" = 1 ] && [ -n "$dir" ]; then
      { echo 'sync; systemctl poweroff --no-block' >"$dir/share/req/.off" &&
        mv "$dir/share/req/.off" "$dir/share/req/poweroff.sh"; } 2>/dev/null
    else
      kill -TERM "$pid" 2>/dev/null
    fi
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "vm_lib: $name did not stop in ${VM_STOP_TIMEOUT}s: killed" >&2
      # TERM first: qemu then still writes out what it holds of a qcow2 disk.
      kill -TERM "$pid" 2>/dev/null
      deadline=$((SECONDS + 10))
      while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  [ -z "$pid" ] || wait "$pid" 2>/dev/null
  unset "VM_QEMU_PID[$name]" "VM_PERSIST[$name]"
  [ -z "$dir" ] || rm -rf --one-file-system -- "$dir"
  unset "VM_DIR[$name]"
  return 0
}

vm_cleanup_all() {
  local name f
  for name in "${!VM_QEMU_PID[@]}"; do vm_poweroff "$name"; done
  for f in "${VM_OVERLAYS[@]}"; do rm -f -- "$f"; done
  VM_OVERLAYS=()
  for f in "${VM_MOUNTS[@]}"; do [ -z "$f" ] || { umount -l "$f" 2>/dev/null; rmdir "$f" 2>/dev/null; }; done
  VM_MOUNTS=()
}
