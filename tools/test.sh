#!/usr/bin/env bash
# The whole test suite: every test, then the tests tagged "asan"/"tsan" (the
# conformance suite, the core's unit tests, the C ABI) under ASan+UBSan and
# under TSan, the C/C++ format check, the Python suites against an ASan
# build of the extension and across Twisted/autobahn versions, the fuzzers
# for a few seconds each (tools/fuzz.sh), then the consumer examples.
# Installs what is missing first. Ends with `N passed, M failed`.
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
# step NAME COMMAND...: runs a check outside Bazel and adds its cases to the
# totals. A command that prints `PASS x`/`FAIL x` lines has one case per
# line; one that prints none is one case, passed by its exit status. A
# non-zero exit with no FAIL line (a crash, a timeout) counts one failure.
step() {
  local name=$1
  shift
  echo "=== $name ==="
  local log
  log=$(mktemp)
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local p f
  p=$(grep -c '^PASS ' "$log")
  f=$(grep -c '^FAIL ' "$log")
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$rc" -eq 0 ]; then
    echo "PASS $name"
    p=1
  fi
  if [ "$rc" -ne 0 ]; then
    status=1
    if [ "$f" -eq 0 ]; then
      echo "FAIL $name (exit status $rc)"
      f=1
    fi
  fi
  extra_passed=$((extra_passed + p))
  extra_failed=$((extra_failed + f))
}

# Every C and C++ file formatted as .clang-format says (Google style).
step format tools/check_format.sh

# The Python suites against an ASan+UBSan build of the native extension.
step python-asan tools/python_asan.sh

# The Python package on Debian's Twisted 22.4 and on Twisted 24.11 and 26.10
# from PyPI (venvs cached under ~/.cache/txaio-cpp): our suite and upstream
# txaio's own, then autobahn's suites on ours and on upstream txaio in all
# six environments (each Twisted with each autobahn), each check one
# PASS/FAIL line. The six comparisons took 3-5.5 minutes each, 25.5 minutes
# in all, on 2 cores at a load average of 12-16 (docs/python.md), so .ci/run
# stays under an hour; each is limited to 10 minutes, the autobahn run as a
# whole to 45 and the suites' run to 20. A run cut short counts as failed.
if bazel build -c opt //bindings/python:wheel; then
  wheel=$(ls "$(bazel info -c opt bazel-bin)"/bindings/python/txaio-*.whl)
  step python-matrix timeout 1200 /usr/bin/python3 tools/python_matrix.py \
    --wheel "$wheel"
  step python-matrix-autobahn timeout 2700 /usr/bin/python3 \
    tools/python_matrix.py --wheel "$wheel" --autobahn --autobahn-timeout 600
else
  echo "FAIL python-wheel"
  extra_failed=$((extra_failed + 1))
  status=1
fi

# The libFuzzer targets (testing/fuzz), a few seconds each from their
# checked-in corpora, built with clang++ by tools/fuzz.sh (issue 10).
step fuzz tools/fuzz.sh

# Consumers of an installed or depended-on txaio (issue 6).
step consumers tools/check_consumers.sh

summary=$(/usr/bin/python3 tools/summarize_tests.py "$events_dir"/*.json)
echo "$summary" | grep -v ' passed, ' || true
read -r passed failed < <(echo "$summary" | tail -1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
passed=$((passed + extra_passed))
failed=$((failed + extra_failed))
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
