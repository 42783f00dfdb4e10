#!/usr/bin/env bash
# The main job, on an embedded default: set up, build, start a throwaway
# socket-activated sshd on an AF_UNIX socket (as systemd-ssh-generator does in
# a guest), and ssh to it through the freshly built proxy. Cleans up after
# itself (keys included) and exits 0; touches nothing outside a temporary
# directory. ci/test.sh runs it and checks both.
#
#   ci/demo.sh            (as root on Debian 12, from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
# sshd_setup, start_sshd and e2e_cleanup: the sshd the end-to-end tests use.
source testdata/harness/e2e_lib.sh

ci/setup.sh
# Bazel's progress and errors go to stderr: a first build takes minutes, and
# a failed one must say why before set -e ends the demo.
echo "== Building //cli:ssh-socket-proxy (a few minutes the first time)" >&2
bazel build --show_progress_rate_limit=15 //cli:ssh-socket-proxy ||
  { echo "ci/demo.sh: bazel build //cli:ssh-socket-proxy failed (see above)" >&2; exit 1; }
proxy="$(bazel info bazel-bin)/cli/ssh-socket-proxy"

E2E=$(mktemp -d /tmp/ssh-socket-proxy-demo.XXXXXX)
E2E_PIDS=()
trap e2e_cleanup EXIT
demo=$E2E

if [ -t 2 ]; then
  say() { printf '\n\033[1m%s\033[0m\n' "$*" >&2; }
else
  say() { printf '\n== %s\n' "$*" >&2; }
fi

say "1. A guest's sshd, socket-activated on $demo/guest/ssh.sock"
sshd_setup "$demo" demo-guest
start_sshd "$demo/guest/ssh.sock"

say "2. An ssh config: the guest's host key pinned, the proxy for unix/*"
cat >"$demo/ssh_config" <<CONF
Host unix/* unix%*
    ProxyCommand $proxy %h %p %n
    ProxyUseFdpass yes
    CheckHostIP no
    HostKeyAlias demo-guest
    UserKnownHostsFile $demo/known_hosts
    StrictHostKeyChecking yes
    IdentityFile $demo/client_key
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

# ssh adds two lines of its own after the proxy's ("mm_receive_fd: ..." and
# "proxy dialer did not pass back a connection"); LogLevel=QUIET drops them
# and leaves the proxy's stderr alone.
say "5. A socket that is not there: the proxy's one line (ssh's own two lines hidden with -o LogLevel=QUIET), exit code 255 from ssh"
rc=0
echo "\$ ssh -o LogLevel=QUIET unix$demo/guest/gone.sock true" >&2
ssh -F "$demo/ssh_config" -o LogLevel=QUIET "unix$demo/guest/gone.sock" true || rc=$?
echo "(ssh exited $rc)" >&2
[ "$rc" -eq 255 ]
