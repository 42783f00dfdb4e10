# Real booted Debian guests for end-to-end tests: systemd-nspawn -b on a
# rootfs built by mmdebstrap from Debian's archive, cached between runs.
# Needs root, mmdebstrap, systemd-container (nspawn) and util-linux (nsenter).
#
#   source testdata/harness/guest_lib.sh
#   guest_init                      # finds no_vsock; sets the EXIT trap
#   tar=$(guest_rootfs bookworm)    # cached tarball (built on first use)
#   guest_unpack "$tar"             # a private copy in $GUEST_DIR, to edit and boot
#   guest_boot g1 "$GUEST_DIR" --bind=/tmp/x:/run/host/unix-export -- systemd.ssh_auto=no
#   guest_run g1 systemctl --failed --plain --no-legend
#   guest_poweroff g1               # also done for every guest at exit
#
# guest_init
#   Locates testdata/harness/no_vsock (runfiles or source tree) and installs
#   an EXIT trap that powers off every guest and removes every unpacked root.
#   A caller with its own EXIT trap calls guest_cleanup_all from it instead.
# guest_rootfs [--merged-usr] SUITE [PACKAGE...]
#   Prints the path of a tarball of SUITE with systemd, systemd-sysv,
#   openssh-server, dbus and PACKAGE... (mmdebstrap --variant=apt, the host's
#   apt sources). Cached in $GUEST_CACHE (/var/cache/ssh-socket-proxy/rootfs)
#   under a name keyed by suite, architecture and the sorted package list;
#   built under a lock into a temporary file and renamed, so concurrent tests
#   build it once and never see half a tarball. A build takes 15-60 s.
#   mmdebstrap merges /usr only where the suite's packages do (Debian 12
#   and later); --merged-usr makes /bin, /sbin and /lib links into /usr
#   before anything is installed, as debootstrap and the installer set up a
#   new Debian 11 (mmdebstrap's merged-usr setup hook; its placeholder
#   usr-is-merged package, which such an install does not have, is purged).
#   The variant is part of the cache key and the name.
# guest_unpack TARBALL
#   Sets GUEST_DIR to a fresh directory (under $GUEST_TMP, /var/tmp) holding
#   TARBALL (2-3 s). Not in $(...): the directory is registered for removal
#   in this shell, by guest_cleanup_all or by guest_poweroff of the guest
#   booted on it.
# guest_boot NAME ROOT [NSPAWN-ARG...] [-- INIT-ARG...]
#   Boots ROOT with systemd-nspawn -b --register=no --keep-unit
#   --private-network under no_vsock (socket(AF_VSOCK) fails with EACCES in
#   the whole guest), plus NSPAWN-ARGs (--bind=, --set-credential=, ...);
#   INIT-ARGs go to the guest's systemd, which reads them as its kernel
#   command line. Waits (GUEST_BOOT_TIMEOUT, 90 s) for the boot to finish.
#   GUEST_CONSOLE_MODE (pipe) is nspawn's --console=; "read-only" gives the
#   guest a /dev/console, where its generators' log lines then show up.
#   Returns 0 when the guest came up "running" or "degraded" (the state is in
#   GUEST_STATE[NAME]; tests assert on `systemctl --failed` themselves), 1 on
#   timeout or death, with the console in "$(guest_console NAME)".
# guest_run NAME CMD [ARG...]
#   Runs CMD as root inside the guest (nsenter into every namespace of its
#   PID 1), with a clean environment; stdin, stdout, exit code are CMD's.
#   Bounded by GUEST_RUN_TIMEOUT (60 s).
# guest_listening NAME
#   Prints the guest's listening stream sockets, sorted, one a line, read
#   from its /proc/net/unix and /proc/net/tcp{,6}: "unix /run/x.sock",
#   "unix @abstract", "tcp 127.0.0.1:2222", "tcp [::]:22". Compare these,
#   not unit names: they are what a client can reach.
# guest_leader NAME, guest_console NAME
#   The host PID of the guest's PID 1; the file with nspawn's output.
# guest_poweroff NAME
#   SIGTERM to nspawn (an orderly poweroff), up to GUEST_STOP_TIMEOUT (20 s),
#   then SIGKILL to the guest's PID 1 and to nspawn. Removes ROOT if it came
#   from guest_unpack. Safe to call twice.
# guest_reboot NAME [NSPAWN-ARG...] [-- INIT-ARG...]
#   `systemctl poweroff` inside (an orderly shutdown, as `reboot` would), up
#   to GUEST_STOP_TIMEOUT, then guest_boot of the same root (kept) with the
#   arguments given (pass the first boot's again). 1 if the guest did not
#   stop (it is left to guest_poweroff) or did not come up again.
# guest_cleanup_all
#   guest_poweroff for every guest, then removes every unpacked root.
#
# Every function is safe under set -e and in the subshells of e2e_case
# (state lives in this shell; a subshell's guest_poweroff stops the guest,
# the EXIT trap removes its root). INT, TERM, HUP and PIPE (Bazel's timeout)
# also run the cleanup.
#
# Sanitizer stages skip guest tests: Bazel targets that boot guests carry
# tags = ["guest", "local", "exclusive"] and ci/test.sh filters
# -guest outside the default stage.

GUEST_CACHE=${GUEST_CACHE:-/var/cache/ssh-socket-proxy/rootfs}
GUEST_TMP=${GUEST_TMP:-/var/tmp}
GUEST_BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-90}
GUEST_RUN_TIMEOUT=${GUEST_RUN_TIMEOUT:-60}
GUEST_STOP_TIMEOUT=${GUEST_STOP_TIMEOUT:-20}
GUEST_BASE_PACKAGES=(systemd systemd-sysv openssh-server dbus)

declare -A GUEST_NSPAWN_PID=() GUEST_LEADER=() GUEST_ROOT=() GUEST_STATE=() GUEST_CONSOLE=()
GUEST_UNPACKED=()
GUEST_DIR=""
GUEST_NO_VSOCK=""

guest_runfile() {
  local f
  for f in "${TEST_SRCDIR:-/nonexistent}/${TEST_WORKSPACE:-ssh_socket_proxy}/$1" \
    "$(dirname "${BASH_SOURCE[0]}")/../../bazel-bin/$1" "$1"; do
    [ -e "$f" ] && { echo "$f"; return 0; }
  done
  echo "guest_lib: $1 not found (build it, or run under bazel test)" >&2
  return 1
}

guest_init() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "guest_lib: booting guests needs root" >&2
    return 1
  fi
  GUEST_NO_VSOCK=$(guest_runfile testdata/harness/no_vsock) || return 1
  "$GUEST_NO_VSOCK" --self-test 2>/dev/null ||
    { echo "guest_lib: the vsock guard does not work here" >&2; return 1; }
  local tool
  for tool in mmdebstrap systemd-nspawn nsenter; do
    command -v "$tool" >/dev/null || { echo "guest_lib: $tool is missing (ci/setup.sh)" >&2; return 1; }
  done
  trap guest_cleanup_all EXIT
  # A signal (Bazel's timeout sends TERM) must still power the guests off.
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 141' PIPE
  trap 'exit 143' TERM
}

guest_rootfs() {
  local variant="" hooks=()
  if [ "${1:-}" = --merged-usr ]; then
    variant=" merged-usr"; shift
    hooks=(--setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh
      --customize-hook='chroot "$1" dpkg --purge usr-is-merged')
  fi
  local suite=$1; shift
  local arch pkgs key tar
  arch=$(dpkg --print-architecture)
  pkgs=$(printf '%s\n' "${GUEST_BASE_PACKAGES[@]}" "$@" | sort -u | paste -sd, -)
  # The name shows what is inside; the hash keeps it short and exact.
  key=$(printf '%s %s %s%s\n' "$suite" "$arch" "$pkgs" "$variant" | sha256sum | cut -c1-12)
  tar="$GUEST_CACHE/$suite${variant:+-merged-usr}-$arch-$key.tar"
  if [ -s "$tar" ]; then echo "$tar"; return 0; fi
  mkdir -p "$GUEST_CACHE"
  (
    # One builder per tarball; the others wait for it (bounded).
    flock -w 600 9 || { echo "guest_lib: lock on $tar timed out" >&2; exit 1; }
    [ -s "$tar" ] && exit 0
    echo "guest_lib: building $suite rootfs ($pkgs), once per machine" >&2
    # mmdebstrap picks its output format from the name: keep ".tar".
    local tmp="$GUEST_CACHE/.building-$$-${tar##*/}"
    # Under the lock, any other half-built file is left over from a killed run.
    rm -f "$GUEST_CACHE"/.building-*-"${tar##*/}"
    if ! timeout 600 mmdebstrap --quiet --format=tar --variant=apt --include="$pkgs" \
      "${hooks[@]}" "$suite" "$tmp" >"$tar.log" 2>&1; then
      tail -20 "$tar.log" >&2
      rm -f "$tmp"
      exit 1
    fi
    printf '%s\n' "$suite $arch $pkgs$variant" >"$tar.txt"
    mv "$tmp" "$tar"
  ) 9>"$tar.lock" || return 1
  echo "$tar"
}

guest_unpack() {
  GUEST_DIR=$(mktemp -d "$GUEST_TMP/ssp-guest.XXXXXX") || return 1
  GUEST_UNPACKED+=("$GUEST_DIR")
  chmod 0755 "$GUEST_DIR"
  # Numeric owners: the host's /etc/passwd is not the guest's.
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$GUEST_DIR" -xpf "$1"
}

# The guest's PID 1: the child of nspawn whose comm is systemd.
guest_find_leader() {
  local nspawn=$1 stat pid rest ppid
  for stat in /proc/[0-9]*/stat; do
    { read -r pid rest <"$stat"; } 2>/dev/null || continue
    [[ "$rest" == "(systemd) "* ]] || continue
    ppid=${rest#*) }; ppid=${ppid#* }; ppid=${ppid%% *}
    [ "$ppid" = "$nspawn" ] && { echo "$pid"; return 0; }
  done
  return 1
}

guest_boot() {
  local name=$1 root=$2; shift 2
  local nspawn_args=() init_args=()
  while [ $# -gt 0 ]; do
    if [ "$1" = "--" ]; then shift; init_args=("$@"); break; fi
    nspawn_args+=("$1"); shift
  done
  [ -n "$GUEST_NO_VSOCK" ] || { echo "guest_lib: call guest_init first" >&2; return 1; }
  GUEST_ROOT[$name]=$root
  GUEST_CONSOLE[$name]=$(mktemp "$GUEST_TMP/ssp-console.XXXXXX")
  # setsid: nspawn must not take our terminal; --console=${GUEST_CONSOLE_MODE:-pipe} gives a log.
  setsid "$GUEST_NO_VSOCK" systemd-nspawn --quiet -D "$root" --register=no \
    --keep-unit --private-network --console=${GUEST_CONSOLE_MODE:-pipe} \
    --machine="ssp-${name//[^a-zA-Z0-9-]/-}-$$" "${nspawn_args[@]}" -b -- "${init_args[@]}" \
    </dev/null >"${GUEST_CONSOLE[$name]}" 2>&1 &
  GUEST_NSPAWN_PID[$name]=$!
  local deadline=$((SECONDS + GUEST_BOOT_TIMEOUT)) leader=""
  while [ -z "$leader" ]; do
    if ! kill -0 "${GUEST_NSPAWN_PID[$name]}" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "guest_lib: $name: systemd never started in the guest" >&2
      tail -30 "${GUEST_CONSOLE[$name]}" >&2
      return 1
    fi
    leader=$(guest_find_leader "${GUEST_NSPAWN_PID[$name]}") || { leader=""; sleep 0.05; }
  done
  GUEST_LEADER[$name]=$leader
  guest_wait_booted "$name" "$deadline"
}

# Polls until the guest's manager has finished starting up (bounded).
guest_wait_booted() {
  local name=$1 deadline=$2 state=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "${GUEST_NSPAWN_PID[$name]}" 2>/dev/null || break
    # --wait needs the bus; before dbus is up it fails at once: poll.
    state=$(GUEST_RUN_TIMEOUT=$((deadline - SECONDS + 1)) guest_run "$name" \
      systemctl is-system-running --wait 2>/dev/null)
    case "$state" in
      running|degraded) GUEST_STATE[$name]=$state; return 0 ;;
    esac
    sleep 0.2
  done
  GUEST_STATE[$name]=${state:-unknown}
  echo "guest_lib: $name did not finish booting (state '${state:-none}')" >&2
  tail -30 "${GUEST_CONSOLE[$name]}" >&2
  return 1
}

guest_leader() { echo "${GUEST_LEADER[$1]}"; }
guest_console() { echo "${GUEST_CONSOLE[$1]}"; }

guest_run() {
  local name=$1; shift
  local leader=${GUEST_LEADER[$name]:-}
  [ -n "$leader" ] || { echo "guest_lib: no guest $name" >&2; return 1; }
  timeout -k 5 "$GUEST_RUN_TIMEOUT" "$GUEST_NO_VSOCK" nsenter -t "$leader" -a -- \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

guest_listening() {
  listening_sockets guest_run "$1" | sort -u
}

# listening_sockets RUNNER NAME: the unix and tcp listeners RUNNER NAME CMD
# sees in /proc/net, unsorted; guest_listening and vm_listening share it.
listening_sockets() {
  local run=$1 name=$2
  # Flags 00010000 is __SO_ACCEPTCON (listening), type 0001 SOCK_STREAM.
  "$run" "$name" cat /proc/net/unix |
    awk 'NR > 1 && $4 == "00010000" && $5 == "0001" && NF >= 8 { print "unix " $8 }'
  # State 0A is TCP_LISTEN; addresses are hex words in host byte order.
  "$run" "$name" cat /proc/net/tcp /proc/net/tcp6 |
    awk '$4 == "0A" { print $2 }' | while IFS=: read -r addr port; do
      echo "tcp $(guest_hex_addr "$addr"):$((16#$port))"
    done
}

# Host-byte-order hex from /proc/net/tcp* -> 127.0.0.1 or [::1] (x86 and
# arm64 are little-endian; compressed like inet_ntop for the usual cases).
guest_hex_addr() {
  local h=$1 out="" i w
  if [ ${#h} -eq 8 ]; then
    echo "$((16#${h:6:2})).$((16#${h:4:2})).$((16#${h:2:2})).$((16#${h:0:2}))"
    return
  fi
  for i in 0 8 16 24; do
    w=${h:$i:8}
    out+="${w:6:2}${w:4:2}:${w:2:2}${w:0:2}:"
  done
  out=${out%:}
  python3 -c 'import ipaddress,sys; print("[%s]" % ipaddress.ip_address(sys.argv[1]))' "$out" 2>/dev/null ||
    echo "[$out]"
}

# guest_wait_gone PID: waits up to GUEST_STOP_TIMEOUT for PID to end; 1 if
# it still runs.
guest_wait_gone() {
  local deadline=$((SECONDS + GUEST_STOP_TIMEOUT))
  while kill -0 "$1" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  ! kill -0 "$1" 2>/dev/null
}

guest_poweroff() {
  local name=$1 pid=${GUEST_NSPAWN_PID[$1]:-} leader=${GUEST_LEADER[$1]:-}
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! guest_wait_gone "$pid"; then
      echo "guest_lib: $name did not power off in ${GUEST_STOP_TIMEOUT}s: killed" >&2
      # Killing a PID namespace's init kills everything in it.
      [ -z "$leader" ] || kill -KILL "$leader" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
    # Reaps it when this shell started it (not in a subshell).
    wait "$pid" 2>/dev/null || true
  fi
  unset "GUEST_NSPAWN_PID[$name]" "GUEST_LEADER[$name]"
  [ -z "${GUEST_CONSOLE[$name]:-}" ] || rm -f "${GUEST_CONSOLE[$name]}"
  unset "GUEST_CONSOLE[$name]"
  local root=${GUEST_ROOT[$name]:-}
  unset "GUEST_ROOT[$name]"
  [ -z "$root" ] || guest_remove_root "$root"
  return 0
}

guest_reboot() {
  local name=$1; shift
  local pid=${GUEST_NSPAWN_PID[$name]:-} root=${GUEST_ROOT[$name]:-}
  [ -n "$pid" ] || { echo "guest_lib: no guest $name" >&2; return 1; }
  guest_run "$name" systemctl poweroff >/dev/null 2>&1 || true
  guest_wait_gone "$pid" || { echo "guest_lib: $name did not power off" >&2; return 1; }
  wait "$pid" 2>/dev/null
  rm -f "${GUEST_CONSOLE[$name]}"
  guest_boot "$name" "$root" "$@"
}

# Removes an unpacked root, but only one guest_unpack made, and never across
# a mount point (a bind mount of a host directory would be emptied).
guest_remove_root() {
  local dir=$1 i
  for i in "${!GUEST_UNPACKED[@]}"; do
    [ "${GUEST_UNPACKED[$i]}" = "$dir" ] || continue
    rm -rf --one-file-system -- "$dir"
    unset "GUEST_UNPACKED[$i]"
  done
}

guest_cleanup_all() {
  local name dir
  for name in "${!GUEST_NSPAWN_PID[@]}"; do guest_poweroff "$name"; done
  for dir in "${GUEST_UNPACKED[@]}"; do guest_remove_root "$dir"; done
}
