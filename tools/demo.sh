#!/usr/bin/env bash
# Builds and runs the demo on the default Asio backend, installing what is
# missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
bazel run //examples/demo
