#!/usr/bin/env bash
# qemu/NAME against a REAL libvirtd (issue 15 item 5), in a booted Debian 12
# VM (testdata/harness/vm_lib.sh: qemu, TCG, no vsock device, no network) with
# libvirt-daemon-system and qemu-system-x86 preinstalled and our .debs
# (VM_TEST_DEBS) installed with apt (vm_installed). Inside it, libvirt
# starts nested domains paused (TCG, type='qemu', no disk, 64 MiB, a CPU
# model without svm/vmx) with <vsock model='virtio'><cid auto='yes'/></vsock>:
#   - --dry-run of qemu/NAME, qemu:system/NAME, qemu%NAME, by UUID and by ID
#     prints the CID libvirt assigned (read back with virsh dumpxml);
#   - a real connect to that CID (the nested domain runs no OS, so nothing
#     answers) ends with one line that says so, after --connect-timeout and
#     not at the kernel's own 2 s AF_VSOCK connect timer;
#   - a shut-off domain and a domain without vsock give their documented
#     one-line errors from the real daemon;
#   - an unprivileged user gets the same answers over libvirt's read-only
#     socket.
# Run by ci/vm_test.sh. The AF_VSOCK connects happen inside the VM only.
source "${TEST_SRCDIR:-$(dirname "$0")/../..}/${TEST_WORKSPACE:-.}/testdata/harness/e2e_lib.sh"
source "$(e2e_runfile testdata/harness/vm_lib.sh)"
e2e_guard "$@"
vm_test_begin libvirt

URI=qemu:///system

# domain_xml NAME VSOCK(yes|no): a domain that starts in a TCG VM quickly.
domain_xml() {
  local vsock=""
  [ "$2" = yes ] && vsock="<vsock model='virtio'><cid auto='yes'/></vsock>"
  cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu mode='custom' match='exact' check='none'>
    <model fallback='forbid'>qemu64</model>
    <feature policy='disable' name='svm'/>
    <feature policy='disable' name='vmx'/>
  </cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    $vsock
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# vm_installed put the packages on the disk, apt resolving their
# dependencies from the image alone (libvirt0 and libxml2 are there for
# libvirt's own sake); this checks them in the booted VM.
case_apt_installed() {
  echo "apt, installing on ${DISK##*/}:"
  vm_apt_summary "$DISK"
  expect_eq "installed packages" "$(vm_deb_names "$VM_TEST_DEBS")" "$(vm_debs_installed "$VM" "$VM_TEST_DEBS")"
}

case_domains_start() {
  local d
  for d in web:yes novsock:no off:yes; do
    domain_xml "${d%:*}" "${d#*:}" >"$(vm_share "$VM")/${d%:*}.xml"
    vm_run "$VM" virsh -q -c "$URI" define "/run/vmctl/${d%:*}.xml" >/dev/null
  done
  # Paused: libvirt has started qemu and assigned the CID, and the domain
  # is active (what the proxy asks), but its vCPU never runs: a firmware
  # looking for a boot disk would take the one vCPU of this VM from the
  # other tests for nothing. Nothing answers on its CID either way.
  local start=$SECONDS
  VM_RUN_TIMEOUT=120 vm_run "$VM" virsh -q -c "$URI" start --paused web
  echo "started web in $((SECONDS - start)) s"
  VM_RUN_TIMEOUT=120 vm_run "$VM" virsh -q -c "$URI" start --paused novsock
  vm_run "$VM" virsh -c "$URI" dumpxml web | grep '<cid'
}

# What libvirt says about web, read back from its live XML.
domain_facts() {
  CID=$(vm_run "$VM" virsh -c "$URI" dumpxml web | sed -n "s/.*<cid auto='yes' address='\([0-9]*\)'.*/\1/p")
  UUID=$(vm_run "$VM" virsh -c "$URI" domuuid web | sed '/^$/d')
  ID=$(vm_run "$VM" virsh -c "$URI" domid web | sed '/^$/d')
}

# expect_dry_runs USER EXIT < TABLE: each "HOST|STDERR" line, run as USER
# inside the VM, prints that one line and exits EXIT.
expect_dry_runs() {
  local user=$1 exit=$2 host want
  while IFS='|' read -r host want; do
    RC=0
    OUT=$(vm_run "$VM" runuser -u "$user" -- ssh-socket-proxy --dry-run "$host" 22 2>"$E2E/err") || RC=$?
    expect_eq "$host exit ($user)" "$exit" "$RC"
    expect_eq "$host stdout ($user)" "" "$OUT"
    expect_eq "$host ($user)" "$want" "$(cat "$E2E/err")"
  done
}

resolving_table() {
  cat <<TABLE
qemu/web|qemu web ($URI, domain $ID): vsock cid=$CID port=22
qemu%web|qemu web ($URI, domain $ID): vsock cid=$CID port=22
qemu:system/web|qemu web ($URI, domain $ID): vsock cid=$CID port=22
qemu/$UUID|qemu $UUID ($URI, domain $ID web): vsock cid=$CID port=22
qemu/$ID|qemu $ID ($URI, domain $ID web): vsock cid=$CID port=22
TABLE
}

case_dry_run_reports_libvirts_cid() {
  domain_facts
  [[ "$CID" =~ ^[0-9]+$ ]] && [ "$CID" -ge 3 ] || { echo "  no CID in the live XML: '$CID'"; return 1; }
  echo "web: cid $CID, uuid $UUID, id $ID"
  resolving_table | expect_dry_runs root 0
}

case_unprivileged_user_reads_the_same() {
  domain_facts
  vm_run "$VM" id tester >/dev/null 2>&1 || vm_run "$VM" useradd -m tester
  resolving_table | expect_dry_runs tester 0
}

case_documented_errors() {
  expect_dry_runs root 1 <<TABLE
qemu/off|ssh-socket-proxy: qemu domain 'off' at $URI is shut off; start it (virsh -c $URI start off)
qemu/novsock|ssh-socket-proxy: qemu domain 'novsock' at $URI has no vsock device: add <vsock model='virtio'><cid auto='yes'/></vsock> to its <devices> (virsh edit novsock) and restart it
qemu/nosuch|ssh-socket-proxy: qemu domain 'nosuch' not found at $URI
TABLE
}

# The nested domain runs no OS: nothing answers on its CID. The connect must
# last --connect-timeout (not the kernel's 2 s vsock timer) and end with one
# line that says what happened.
case_connect_waits_out_connect_timeout() {
  domain_facts
  local t0 t1 ms
  t0=$(date +%s%N)
  RC=0
  vm_run "$VM" ssh-socket-proxy --connect-timeout=5 --mode=relay qemu/web 22 >"$E2E/out" 2>"$E2E/err" || RC=$?
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  echo "connect ended after $ms ms: $(cat "$E2E/err")"
  expect_eq "exit" 1 "$RC"
  expect_eq "stdout" "" "$(cat "$E2E/out")"
  expect_eq "stderr lines" 1 "$(grep -c . "$E2E/err")"
  expect_contains "stderr" "connect vsock:$CID:22: timed out; nothing answered within 5s (--connect-timeout)" \
    "$(cat "$E2E/err")"
  # Measured from the host around the agent's round trip (about 0.1-1 s).
  [ "$ms" -ge 4500 ] || { echo "  ended after $ms ms, before --connect-timeout=5s"; return 1; }
  [ "$ms" -le 15000 ] || { echo "  ended after $ms ms, long after --connect-timeout=5s"; return 1; }
}

case_ssh_through_the_fragment_says_one_line() {
  RC=0
  vm_run "$VM" ssh -o BatchMode=yes -o ConnectTimeout=30 qemu/web true 2>"$E2E/err" || RC=$?
  cat "$E2E/err"
  expect_eq "ssh exit" 255 "$RC"
  expect_eq "lines from the proxy" 1 "$(grep -c '^ssh-socket-proxy:' "$E2E/err")"
  expect_contains "the proxy's line" "nothing answered within 10s (--connect-timeout)" "$(cat "$E2E/err")"
}

start=$SECONDS
IMG=$(vm_image bookworm libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 \
  --download "${VM_PACKAGE_DEPENDS[@]}") || { e2e_case image false; e2e_finish vm_libvirt; exit 1; }
echo "time: image $((SECONDS - start)) s"
start=$SECONDS
DISK=$(vm_installed "$IMG" "$VM_TEST_DEBS") || { e2e_case install false; e2e_finish vm_libvirt; exit 1; }
echo "time: installed $((SECONDS - start)) s"
VM=libvirt
if vm_boot "$VM" "$IMG" --disk "$DISK"; then
  echo "time: boot ${VM_BOOT_SECONDS[$VM]} s (state ${VM_STATE[$VM]})"
  e2e_case apt_installed_every_package_offline case_apt_installed
  start=$SECONDS
  e2e_case nested_domains_start case_domains_start
  echo "time: nested domains $((SECONDS - start)) s"
  e2e_case dry_run_reports_libvirts_cid case_dry_run_reports_libvirts_cid
  e2e_case documented_one_line_errors case_documented_errors
  e2e_case unprivileged_user_reads_the_same case_unprivileged_user_reads_the_same
  e2e_case connect_waits_out_connect_timeout case_connect_waits_out_connect_timeout
  e2e_case ssh_through_the_fragment_says_one_line case_ssh_through_the_fragment_says_one_line
  [ "$E2E_FAILED" -eq 0 ] || vm_keep_logs "$VM"
  vm_poweroff "$VM"
else
  e2e_case boot false
fi
e2e_finish vm_libvirt
