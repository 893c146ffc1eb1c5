#!/usr/bin/env bash
# The whole test suite: every test, then the tests tagged "asan"/"tsan" (the
# conformance suite, the core's unit tests, the C ABI) under ASan+UBSan and
# under TSan, the Python suites against an ASan build of the extension, then
# the fuzzers for a few seconds each (tools/fuzz.sh), then the consumer
# examples. Installs what is missing first. Ends with
# `N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

tools/install_deps.sh || exit 1

events_dir=$(mktemp -d)
status=0
run() {  # run NAME BAZEL-ARGS...: one `bazel test`, its events kept for the summary.
  local name=$1
  shift
  echo "=== bazel test $* ==="
  bazel test --build_event_json_file="$events_dir/$name.json" "$@" || status=1
}

run all //...

for config in asan tsan; do
  targets=$(bazel query "attr(tags, '\\b$config\\b', tests(//...))" 2>/dev/null)
  if [ -n "$targets" ]; then
    run "$config" --config="$config" $targets
  fi
done

extra_passed=0
extra_failed=0

# The Python suites against an ASan+UBSan build of the native extension.
echo "=== tools/python_asan.sh ==="
if tools/python_asan.sh; then
  echo "PASS python-asan"
  extra_passed=$((extra_passed + 1))
else
  echo "FAIL python-asan"
  extra_failed=$((extra_failed + 1))
  status=1
fi

# The Python package on Debian's Twisted 22.4 and on Twisted 24.11 and 26.10
# from PyPI (venvs cached under ~/.cache/txaio-cpp): our suite and upstream
# txaio's own, then autobahn's suites on ours and on upstream txaio in all
# six environments (each Twisted with each autobahn), each check one
# PASS/FAIL line. The six comparisons took 3-5.5 minutes each, 25.5 minutes
# in all, on 2 cores at a load average of 12-16 (docs/python.md), so .ci/run
# stays under an hour; each is limited to 10 minutes, the autobahn run as a
# whole to 45 and the suites' run to 20. A run cut short counts as failed.
python_matrix() {  # python_matrix TIMEOUT ARGS...: one run, its lines counted.
  local log limit=$1
  shift
  log=$(mktemp)
  timeout "$limit" /usr/bin/python3 tools/python_matrix.py --wheel "$wheel" "$@" \
    2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -c '^PASS ' "$log")
  f=$(grep -c '^FAIL ' "$log")
  if [ "$rc" -ne 0 ]; then
    status=1
    [ "$f" -gt 0 ] || f=1
  fi
  extra_passed=$((extra_passed + p))
  extra_failed=$((extra_failed + f))
}
echo "=== tools/python_matrix.py ==="
if bazel build -c opt //bindings/python:wheel; then
  wheel=$(ls "$(bazel info -c opt bazel-bin)"/bindings/python/txaio-*.whl)
  python_matrix 1200
  python_matrix 2700 --autobahn --autobahn-timeout 600
else
  echo "FAIL python-wheel"
  extra_failed=$((extra_failed + 1))
  status=1
fi

# The libFuzzer targets (testing/fuzz), a few seconds each from their
# checked-in corpora, built with clang++ by tools/fuzz.sh (issue 10).
echo "=== tools/fuzz.sh ==="
fuzz_log=$(mktemp)
tools/fuzz.sh 2>&1 | tee "$fuzz_log"
fuzz_status=${PIPESTATUS[0]}
fuzz_passed=$(grep -c '^PASS ' "$fuzz_log")
fuzz_failed=$(grep -c '^FAIL ' "$fuzz_log")
if [ "$fuzz_status" -ne 0 ]; then
  status=1
  [ "$fuzz_failed" -gt 0 ] || fuzz_failed=1
fi
extra_passed=$((extra_passed + fuzz_passed))
extra_failed=$((extra_failed + fuzz_failed))

# Consumers of an installed or depended-on txaio (issue 6).
if [ -x tools/check_consumers.sh ]; then
  echo "=== tools/check_consumers.sh ==="
  consumers_log=$(mktemp)
  tools/check_consumers.sh 2>&1 | tee "$consumers_log"
  consumers_status=${PIPESTATUS[0]}
  consumers_passed=$(grep -c '^PASS ' "$consumers_log")
  consumers_failed=$(grep -c '^FAIL ' "$consumers_log")
  if [ "$consumers_status" -ne 0 ]; then
    status=1
    [ "$consumers_failed" -gt 0 ] || consumers_failed=1
  fi
  extra_passed=$((extra_passed + consumers_passed))
  extra_failed=$((extra_failed + consumers_failed))
fi

summary=$(/usr/bin/python3 tools/summarize_tests.py "$events_dir"/*.json)
echo "$summary" | grep -v ' passed, ' || true
read -r passed failed < <(echo "$summary" | tail -1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
passed=$((passed + extra_passed))
failed=$((failed + extra_failed))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
