#!/usr/bin/env bash
# Builds the libFuzzer targets in testing/fuzz/ with clang++ straight from
# the sources (Bazel's toolchain is GCC, which has no libFuzzer), then runs
# each one: by default for a few seconds from its checked-in corpus
# (testing/fuzz/corpus/NAME), as CI does; with --runs=N for N executions.
#
#   tools/fuzz.sh                      # every target, 5 s each (CI)
#   tools/fuzz.sh --seconds=60         # longer
#   tools/fuzz.sh --runs=10000000 c_api_fuzzer   # a long run, one target
#
# Prints "PASS fuzz-NAME" or "FAIL fuzz-NAME" per target; exits non-zero if
# any failed. Builds into ${FUZZ_OUT:-/tmp/txaio-fuzz} (ASan+UBSan, -O1).
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=5
runs=""
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds=${arg#--seconds=} ;;
    --runs=*) runs=${arg#--runs=} ;;
    *) targets+=("$arg") ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(log_format_fuzzer c_api_fuzzer)

CXX=${CXX:-clang++}
if ! command -v "$CXX" >/dev/null; then
  echo "FAIL fuzz: $CXX not found (tools/install_deps.sh installs clang)"
  exit 1
fi
out=${FUZZ_OUT:-/tmp/txaio-fuzz}
mkdir -p "$out/obj"

flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I.
       -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
# The system libraries the core links, as their Bazel wrappers list them.
system_libs=$(sed -n 's/^ *"\(-l[a-z_]*\)",.*$/\1/p' third_party/absl/BUILD \
  third_party/libdw/BUILD)

# The library: the core, the manual backend and the C ABI.
sources=$(ls core/*.cc core/internal/*.cc | grep -v '_test\.cc$' | grep -v testutil)
# (Every .cc of bindings/c but its tests: the C ABI may be split in files.)
sources="$sources backends/manual/manual_loop.cc $(ls bindings/c/*.cc | grep -v '_test\.c')"
objects=()
status=0
for src in $sources; do
  obj="$out/obj/$(echo "$src" | tr / _).o"
  objects+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
     [ -n "$(find core bindings/c backends/manual -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
    "$CXX" "${flags[@]}" -c "$src" -o "$obj" || status=1
  fi
done
if [ "$status" -ne 0 ]; then
  for t in "${targets[@]}"; do echo "FAIL fuzz-$t (build)"; done
  exit 1
fi

for t in "${targets[@]}"; do
  bin="$out/$t"
  if ! "$CXX" "${flags[@]}" -fsanitize=fuzzer "testing/fuzz/$t.cc" \
       "${objects[@]}" $system_libs -lpthread -o "$bin"; then
    echo "FAIL fuzz-$t (build)"
    status=1
    continue
  fi
  corpus="testing/fuzz/corpus/$t"
  work="$out/corpus-$t"
  mkdir -p "$work"
  limit=(-max_total_time="$seconds")
  [ -n "$runs" ] && limit=(-runs="$runs")
  # New inputs go to a scratch directory; the checked-in corpus is read only.
  if ASAN_OPTIONS=detect_leaks=1 "$bin" "${limit[@]}" -max_len=4096 \
       -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
       "$work" "$corpus" 2>"$out/$t.log"; then
    echo "PASS fuzz-$t ($(grep -E '^stat::number_of_executed_units' "$out/$t.log" | awk '{print $2}') executions)"
  else
    tail -40 "$out/$t.log"
    echo "FAIL fuzz-$t (log: $out/$t.log)"
    status=1
  fi
done
exit $status
