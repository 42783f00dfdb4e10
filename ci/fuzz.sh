#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each and fails on any crash,
# printing the input that crashed (and how to keep it as a regression).
#
#   ci/fuzz.sh SECONDS [NAME...]     NAME as in fuzz/NAME_fuzz_test.cc
#
# Convention: fuzz/NAME_fuzz_test.cc fuzzes with seeds and regressions from
# testdata/NAME/{corpus,regressions}. New inputs found during the run go to a
# temporary corpus, not into the repository. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: ci/fuzz.sh SECONDS [NAME...]}
shift
if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in fuzz/*_fuzz_test.cc; do
    n=${f#fuzz/}
    names+=("${n%_fuzz_test.cc}")
  done
fi

targets=()
for n in "${names[@]}"; do targets+=("//fuzz:${n}_fuzz_test_libfuzzer"); done
if ! bazel build --config=fuzz "${targets[@]}" >&2; then
  echo "ci/fuzz.sh: building the fuzzers failed" >&2
  echo "0 passed, ${#names[@]} failed"
  exit 1
fi
bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)

passed=0
failed=0
for n in "${names[@]}"; do
  work=$(mktemp -d "/tmp/fuzz-$n.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  seeds=()
  for d in "testdata/$n/corpus" "testdata/$n/regressions"; do
    [ -d "$d" ] && seeds+=("$d")
  done
  "$bin/fuzz/${n}_fuzz_test_libfuzzer" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "${seeds[@]}" >"$work/log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $n: ok, ${runs:-?} runs in ${seconds}s, ${cov:-cov: ?}" >&2
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "fuzz $n: FAILED (exit $rc) after ${runs:-?} runs" >&2
    grep -E 'ERROR|FUZZ_CHECK|SUMMARY' "$work/log" | head -n 20 >&2
    for a in "$work"/artifacts/*; do
      [ -f "$a" ] || continue
      echo "input $a ($(wc -c <"$a") bytes):" >&2
      od -A d -c "$a" | head -n 20 >&2
      echo "base64: $(base64 -w0 "$a")" >&2
      echo "keep it: cp $a testdata/$n/regressions/" >&2
    done
  fi
  rm -rf "$work"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
