#!/usr/bin/env bash
# Checks that other projects can use txaio-cpp, as issue 6 asks: installs into
# a temporary prefix and builds and runs the CMake and Make consumers against
# it (examples/cmake_consumer), then builds and runs the Bazel consumers
# (examples/bazel_consumer, examples/bazel_consumer_own_deps) against this
# checkout. Prints one line per check, "PASS name" or "FAIL name" (then the
# end of that check's log), "SKIP name (why)" for the C ABI checks while
# //bindings/c is absent; exits 1 if any check failed.
#
# Each Bazel workspace builds in its own output base under
# $TXAIO_CONSUMERS_CACHE (default ~/.cache/txaio_consumers), sharing the disk
# cache configured in ~/.bazelrc; their servers exit after 5 idle minutes.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One set of output bases per checkout: a Bazel server serves one workspace.
cache="${TXAIO_CONSUMERS_CACHE:-$HOME/.cache/txaio_consumers}/$(printf %s "$repo" | md5sum | cut -c1-8)"
work="$(mktemp -d "${TMPDIR:-/tmp}/txaio_consumers.XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
failed=0

# check NAME COMMAND...: runs COMMAND with its output in a log, reports it.
check() {
  local name="$1" log="$work/$1.log"
  shift
  if "$@" >"$log" 2>&1; then
    echo "PASS $name"
  else
    echo "FAIL $name"
    tail -n 30 "$log" | sed 's/^/    /'
    failed=1
  fi
}

bazel_in() {
  local workspace="$1"
  shift
  (cd "$repo/$workspace" &&
    bazel --output_base="$cache/$(basename "$workspace")" --max_idle_secs=300 "$@")
}

have_c_abi=false
[[ -f "$repo/bindings/c/BUILD" ]] && have_c_abi=true
skip_c() { echo "SKIP $1 (no C ABI: bindings/c/BUILD is not in this checkout)"; }

# --- install, then CMake and Make against the installed files --------------

check install "$repo/tools/install.sh" --prefix "$prefix" --output_base "$cache/install"

cmake_consumer() {
  cmake -S "$repo/examples/cmake_consumer" -B "$work/cmake" \
    -DCMAKE_PREFIX_PATH="$prefix" &&
    cmake --build "$work/cmake" &&
    "$work/cmake/timeouts"
}
check cmake-consumer cmake_consumer

# The C program must come from the installed shared library, via its SONAME.
cmake_consumer_c() {
  # grep without -q reads all of ldd's output: with -q it exits at the first
  # match, ldd's next write gets SIGPIPE and, under pipefail, the check
  # failed (30 of 300 runs once libtxaio.so pulled in Qt's and GLib's longer
  # dependency list; 0 of 300 without -q).
  "$work/cmake/deadline" &&
    ldd "$work/cmake/deadline" | grep "libtxaio.so.[0-9]* => $prefix/lib/" >/dev/null
}
if $have_c_abi; then check cmake-consumer-c cmake_consumer_c; else skip_c cmake-consumer-c; fi

make_consumer() {
  local targets=(timeouts)
  $have_c_abi && targets+=(deadline deadline_static)
  # A consumer's strict warnings stay quiet: txaio.pc gives its headers as
  # -isystem.
  mkdir -p "$work/make" &&
    PKG_CONFIG_PATH="$prefix/lib/pkgconfig" make -C "$work/make" \
      -f "$repo/examples/cmake_consumer/Makefile" \
      VPATH="$repo/examples/cmake_consumer" \
      CXXFLAGS="-O2 -Wall -Wextra -Wshadow -Werror" "${targets[@]}" &&
    "$work/make/timeouts" || return 1
  if $have_c_abi; then
    "$work/make/deadline" && "$work/make/deadline_static" &&
      ! readelf -d "$work/make/deadline_static" | grep -q 'NEEDED.*libtxaio'
  fi
}
check make-consumer make_consumer

# --- Bazel consumers, depending on this checkout ---------------------------

bazel_consumer() {
  bazel_in examples/bazel_consumer test --symlink_prefix=/ //:squares_test &&
    bazel_in examples/bazel_consumer run --symlink_prefix=/ //:squares
}
check bazel-consumer bazel_consumer

if $have_c_abi; then
  check bazel-consumer-c bazel_in examples/bazel_consumer run --symlink_prefix=/ //:nap_c
else
  skip_c bazel-consumer-c
fi

check bazel-consumer-python \
  bazel_in examples/bazel_consumer run --symlink_prefix=/ //:hello_py

check bazel-consumer-own-deps \
  bazel_in examples/bazel_consumer_own_deps test --symlink_prefix=/ //...

exit "$failed"
