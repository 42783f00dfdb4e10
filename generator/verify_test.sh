#!/usr/bin/env bash
# systemd-analyze verify accepts every unit set the generator writes: the
# kinds write_unit_sets makes (container with every kind of extra address
# and the root key import, VM with vsock::22 and its console hint, VM
# without a transport and its re-check, systemd 257's vsock cover), a table
# of hostile inputs, one set per input of the generator fuzz corpus, 150
# random hostile systems (addresses, sshd path and credential directory
# from \ % " ' $ ; space é tab; seed 1 unless VERIFY_SEED says N or
# "random", so CI's verdict depends on the tree alone), and what the real
# binary writes on this machine. Any warning fails, not only errors. Then the values systemd reads back are the ones planned:
# the hostile paths as given, nothing joined onto the next line.
set -euo pipefail
here="$TEST_SRCDIR/$TEST_WORKSPACE/generator"
corpus="$TEST_SRCDIR/$TEST_WORKSPACE/testdata/generator_input"
out=$(mktemp -d "${TEST_TMPDIR:-/tmp}/units.XXXXXX")
seed=${VERIFY_SEED:-1}
[ "$seed" != random ] || seed=$(( $(date +%s%N) % 4294967296 ))
echo "random unit sets from seed $seed (VERIFY_SEED=$seed repeats them)"
fail() { echo "FAIL: $* (random sets: VERIFY_SEED=$seed)" >&2; exit 1; }

gen="$here/ssh-socket-proxy-generator"
"$here/write_unit_sets" "$out" "$gen" --random "$seed" 150 \
  "$corpus"/corpus/* "$corpus"/regressions/*
mkdir "$out/real"
# systemd runs generators with its default PATH, which has sshd's sbin.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  "$gen" "$out/real" "$out/real.early" "$out/real.late" 2>"$out/real.log" ||
  fail "the generator exited $?: $(cat "$out/real.log")"

[ -e "$out/container/ssh-socket-proxy-unix-export.socket" ] || fail "container set lacks unix-export"
[ -e "$out/container/ssh-socket-proxy-extra-6.socket" ] || fail "container set lacks an extra socket"
[ -e "$out/container/ssh-socket-proxy-root-key.service" ] || fail "container set lacks the key import"
grep -qx 'ListenStream=vsock::22' "$out/vm/ssh-socket-proxy-vsock.socket" || fail "vm set lacks vsock::22"
[ -e "$out/vm/ssh-socket-proxy-vsock-issue.service" ] || fail "vm set lacks the console hint"
[ -e "$out/vm-recheck/ssh-socket-proxy-vsock-recheck.service" ] || fail "no re-check without a transport"
grep -qx 'ConditionPathExists=!/run/systemd/generator/sshd-vsock.socket' \
  "$out/vm-257-cover/ssh-socket-proxy-vsock.socket" || fail "the vsock cover may double systemd's socket"

sets=0
for dir in "$out"/*/; do
  dir=${dir%/}
  set=${dir##*/}
  case "$set" in *.early|*.late) continue ;; esac
  units=()
  for f in "$dir"/*.socket "$dir"/*.service; do
    [ -e "$f" ] || continue
    name=${f##*/}
    # A template is verified through an instance, as a connection makes one.
    case "$name" in *@.service) name=${name/@./@0.} ;; esac
    units+=("$name")
  done
  [ "${#units[@]}" -gt 0 ] || { echo "$set: nothing written"; continue; }
  # Every socket is pulled in by sockets.target and has its template.
  for f in "$dir"/*.socket; do
    [ -e "$f" ] || continue
    s=${f##*/}
    [ "$(readlink "$dir/sockets.target.wants/$s")" = "../$s" ] || fail "$set: $s not wanted"
    [ -e "$dir/${s%.socket}@.service" ] || fail "$set: $s has no template"
  done
  log=$(cd "$dir" && SYSTEMD_UNIT_PATH="$dir:" systemd-analyze verify --man=no "${units[@]}" 2>&1) ||
    fail "$set: systemd-analyze verify failed: $log"
  [ -z "$log" ] || fail "$set: systemd-analyze verify warned: $log"
  echo "$set: ${units[*]} verified"
  sets=$((sets + 1))
done
[ "$sets" -ge 14 ] || fail "only $sets unit sets verified"

# KEY's values in FILE as systemd's config parser reads them (a line ending
# in an odd number of backslashes continues on the next, the backslash
# becoming a space; the value stripped; "%%" is "%").
cat >"$out/read_back.py" <<'PY'
import sys
def read_back(path, key):
    text = open(path, encoding="utf-8").read().split("\n")
    lines, cont = [], None
    for l in text:
        p = l if cont is None else cont + l
        esc = False
        for c in p:
            esc = (not esc) and c == "\\"
        if esc:
            cont = p[:-1] + " "
            continue
        cont = None
        lines.append(p)
    return [v.strip(" \t\n\r").replace("%%", "%")
            for k, _, v in (l.partition("=") for l in lines) if k.strip() == key]
if sys.argv[1] == "--expected":
    # --expected LIST DIR: each "FILE<TAB>ADDRESS" of LIST reads back as one
    # ListenStream= and Accept=yes.
    bad = 0
    for line in open(sys.argv[2], encoding="utf-8"):
        name, address = line.rstrip("\n").split("\t")
        path = sys.argv[3] + "/" + name
        got = (read_back(path, "ListenStream"), read_back(path, "Accept"))
        if got != ([address], ["yes"]):
            print(f"{name}: planned {address!r}, reads back as {got!r}")
            bad += 1
    sys.exit(1 if bad else 0)
print("\n".join(read_back(sys.argv[1], sys.argv[2])))
PY
read_back() { python3 "$out/read_back.py" "$1" "$2"; }

# The random sets' sockets listen where they were planned.
planned=$(wc -l <"$out/random.expected")
[ "$planned" -ge 200 ] || fail "only $planned random sockets planned"
log=$(python3 "$out/read_back.py" --expected "$out/random.expected" "$out") ||
  fail "random sets read back wrong: $log"
echo "random sets: $planned sockets read back as planned"
want=$'/run/100%.sock\n/run/a b.sock\n/run/it\'s.sock\n/run/say "hi".sock\n/run/x\\\n/run/y\\\\\\\n@abs\\\n/run/%n%i%%\n/run/$USER;x\n/run/[x]*?{}\n/run/z/s\n/run/\xc3\xa9.sock'
got=$(for f in "$out"/hostile/*.socket; do read_back "$f" ListenStream; done | sort)
[ "$got" = "$(sort <<<"$want")" ] || fail "hostile addresses read back as: $got"
for f in "$out"/hostile/*.socket; do
  [ "$(read_back "$f" Accept)" = yes ] || fail "$f: Accept= swallowed: $(cat "$f")"
done

# The sshd each template runs exists here (verify does not check "-" commands).
for f in "$out"/{container,vm,real}/*@.service; do
  [ -f "$f" ] || continue
  bin=$(sed -n 's/^ExecStart=-\([^ ]*\) .*/\1/p' "$f")
  [ -x "$bin" ] || fail "$f runs $bin, which is not executable"
done
echo "verify: ok ($sets sets)"
