#!/bin/bash
# Runs the txaio Python suite, under asyncio and under Twisted, against the
# native extension built with AddressSanitizer + UBSan (--config=asan).
#
# Debian's /usr/bin/python3 is not instrumented, so gcc's ASan runtime is
# preloaded to come first, and libstdc++ right after it: python3 does not
# link libstdc++, and without it ASan cannot resolve the real __cxa_throw
# and aborts on the extension's first C++ throw. Leak detection is off
# because CPython keeps interned strings, type objects and arenas alive
# until exit by design. Reports go to files (pytest captures stderr, which
# would swallow a report written just before the abort) and are printed.
#
#   tools/python_asan.sh [bazel startup options, e.g. --output_base=DIR]
#
# Exits non-zero if either suite fails or a sanitizer reports an error
# (halt_on_error makes any report fatal).
set -euo pipefail
cd "$(dirname "$0")/.."

startup=("$@")
so_label=//bindings/python:txaio/_txaio_core.so
bazel "${startup[@]}" build --config=asan \
  --experimental_convenience_symlinks=ignore "$so_label"
bin=$(bazel "${startup[@]}" info --config=asan bazel-bin)

pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
mkdir "$pkg/txaio"
cp bindings/python/txaio/*.py "$bin/bindings/python/txaio/_txaio_core.so" \
  "$pkg/txaio/"

libasan=$(gcc -print-file-name=libasan.so)
libstdcxx=$(g++ -print-file-name=libstdc++.so.6)
for lib in "$libasan" "$libstdcxx"; do
  if [[ ! -e "$lib" ]]; then
    echo "python_asan.sh: gcc has no $(basename "$lib") ($lib)" >&2
    exit 1
  fi
done
mkdir "$pkg/reports"

# Runs a Python command with the instrumented package first on sys.path.
# PYTHONMALLOC=malloc sends Python objects through malloc too, so that ASan
# sees them (pymalloc's arenas would hide overruns and stale pointers).
sanitized() {
  env LD_PRELOAD="$libasan $libstdcxx" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:log_path=$pkg/reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$pkg/reports/ubsan" \
    PYTHONPATH="$pkg" PYTHONMALLOC=malloc /usr/bin/python3 "$@"
}

status=0
for framework in asyncio twisted; do
  echo "== txaio Python suite under $framework (ASan+UBSan extension)"
  sanitized testing/python/run_pytest.py --framework="$framework" || status=1
  # The benchmark workload (quick mode; its timings mean nothing here) runs
  # gather, batched timers, logging and with_config at volume, which the
  # suite does not.
  echo "== benchmark workload under $framework"
  sanitized testing/benchmarks/python/bench_txaio.py --child "$framework" \
    --quick >/dev/null || status=1
done
# The public-API fallbacks (no private internals) and upstream txaio's own
# suite, which drive the extension through other paths.
for framework in asyncio twisted; do
  echo "== txaio Python suite under $framework, public API forced"
  sanitized testing/python/run_pytest.py --framework="$framework" \
    --public-api || status=1
done
echo "== upstream txaio's own suite"
sanitized testing/python/upstream_suite.py --expect-ours || status=1
for report in "$pkg"/reports/*; do
  [[ -e "$report" ]] || continue
  echo "== sanitizer report $(basename "$report")"
  cat "$report"
  status=1
done
exit $status
