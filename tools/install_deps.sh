#!/usr/bin/env bash
# Installs the Debian packages txaio-cpp builds and tests with, if missing.
# Safe to run again: it only calls apt when something is absent.
set -euo pipefail

packages=(
  bazel-bootstrap
  g++
  libabsl-dev
  libboost1.81-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libuv1-dev
  libglib2.0-dev
  qt6-base-dev
  libevent-dev
  clang
  clang-format
  python3-venv
  libdw-dev
  pybind11-dev
  python3-dev
  python3-pip
  python3-pytest
  python3-hypothesis
  python3-twisted
  python3-txaio
  python3-autobahn
  python3-matplotlib
  libperl-dev
  swig
  pkg-config
  cmake
  make
  binutils
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install_deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi
