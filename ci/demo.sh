#!/usr/bin/env bash
# The main job, on an embedded default: set up, build, start a throwaway
# socket-activated sshd on an AF_UNIX socket (as systemd-ssh-generator does in
# a guest), and ssh to it through the freshly built proxy. Cleans up after
# itself; touches nothing outside a temporary directory.
#
#   ci/demo.sh            (as root on Debian 12, from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."

ci/setup.sh
bazel build //cli:ssh-socket-proxy 2>/dev/null
proxy="$(bazel info bazel-bin 2>/dev/null)/cli/ssh-socket-proxy"

demo=$(mktemp -d /tmp/ssh-socket-proxy-demo.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$demo"
}
trap cleanup EXIT

if [ -t 2 ]; then
  say() { printf '\n\033[1m%s\033[0m\n' "$*" >&2; }
else
  say() { printf '\n== %s\n' "$*" >&2; }
fi

say "1. A guest's sshd, socket-activated on $demo/guest/ssh.sock"
ssh-keygen -q -t ed25519 -N '' -C demo-guest -f "$demo/host_key"
ssh-keygen -q -t ed25519 -N '' -C demo-user -f "$demo/id"
cp "$demo/id.pub" "$demo/authorized_keys"
cat >"$demo/sshd_config" <<CONF
HostKey $demo/host_key
AuthorizedKeysFile $demo/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
LogLevel ERROR
CONF
mkdir -p "$demo/guest"
systemd-socket-activate --accept --inetd -l "$demo/guest/ssh.sock" \
  /usr/sbin/sshd -i -f "$demo/sshd_config" 2>/dev/null &
pid=$!
for _ in $(seq 100); do [ -S "$demo/guest/ssh.sock" ] && break; sleep 0.05; done

say "2. An ssh config: the guest's host key pinned, the proxy for unix/*"
echo "demo-guest $(cut -d' ' -f1,2 "$demo/host_key.pub")" >"$demo/known_hosts"
cat >"$demo/ssh_config" <<CONF
Host unix/* unix%*
    ProxyCommand $proxy %h %p %n
    ProxyUseFdpass yes
    CheckHostIP no
    HostKeyAlias demo-guest
    UserKnownHostsFile $demo/known_hosts
    StrictHostKeyChecking yes
    IdentityFile $demo/id
    IdentitiesOnly yes
    BatchMode yes
    User $(id -un)
CONF
sed 's/^/    /' "$demo/ssh_config" >&2

say "3. What the host string resolves to"
echo "\$ ssh-socket-proxy --dry-run unix$demo/guest/ssh.sock" >&2
"$proxy" --dry-run "unix$demo/guest/ssh.sock"

say "4. ssh unix$demo/guest/ssh.sock"
ssh -F "$demo/ssh_config" "unix$demo/guest/ssh.sock" \
  'echo "hello from $(hostname), user $(id -un), answered by sshd -i pid $PPID"'

say "5. A socket that is not there: one line, exit code 255 from ssh"
ssh -F "$demo/ssh_config" "unix$demo/guest/gone.sock" true || echo "(ssh exited $?)" >&2
