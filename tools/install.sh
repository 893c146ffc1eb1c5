#!/usr/bin/env bash
# Installs txaio-cpp for projects that do not build with Bazel (CMake, Make,
# anything reading pkg-config):
#
#   tools/install.sh --prefix /usr/local
#
# PREFIX/include/txaio/    headers, in the repository layout ("core/txaio.h")
# PREFIX/lib/libtxaio_cpp.a  the C++ core and the Asio and manual backends
# PREFIX/lib/pkgconfig/txaio.pc   `pkg-config --cflags --libs txaio`
# and, once the C ABI (//bindings/c) exists in this checkout:
# PREFIX/lib/libtxaio.so.N with libtxaio.so, PREFIX/lib/libtxaio.a,
# PREFIX/include/txaio.h and PREFIX/lib/pkgconfig/txaio-c.pc.
#
# Options:
#   --prefix DIR        where to install (required)
#   --output_base DIR   Bazel output base to build in (default: Bazel's own)
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
die() {
  echo "install.sh: $*" >&2
  exit 2
}

prefix=""
startup=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --output_base) startup+=("--output_base=${2:?--output_base needs a directory}"); shift 2 ;;
    --output_base=*) startup+=("$1"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n "$prefix" ]] || die "--prefix DIR is required (see --help)"
[[ ! "$prefix" =~ [[:space:]] ]] ||
  die "the prefix must not contain white space (pkg-config cannot express it): '$prefix'"
prefix="$(realpath -m "$prefix")"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bazel() { command bazel "${startup[@]}" "$@"; }
# Optimised, and no bazel-* symlinks left in the checkout.
build_flags=(-c opt --symlink_prefix=/)

# Prints the install tree a txaio_dist target built, as an absolute path.
tree_of() {
  local execroot tree
  execroot="$(bazel info "${build_flags[@]}" execution_root 2>/dev/null)"
  tree="$(bazel cquery "${build_flags[@]}" "$1" --output=starlark \
    --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null)"
  [[ -n "$tree" && -d "$execroot/$tree" ]] || die "no install tree built for $1"
  echo "$execroot/$tree"
}

# The C ABI is built only where //bindings/c exists.
have_c_abi=false
if bazel query //bindings/c:txaio_shared >/dev/null 2>&1; then
  have_c_abi=true
fi

targets=(//:dist_cpp)
$have_c_abi && targets+=(//:dist_c)
bazel build "${build_flags[@]}" "${targets[@]}"

# Writes $2 from the pkg-config template $1 with the real prefix.
install_pc() {
  sed "s|@PREFIX@|$prefix|" "$1" >"$2"
  chmod 0644 "$2"
}

dist="$(tree_of //:dist_cpp)"
install -d "$prefix/include" "$prefix/lib/pkgconfig"
# Replace, not merge: a header removed from txaio must not linger.
rm -rf "$prefix/include/txaio"
cp -R "$dist/include/txaio" "$prefix/include/txaio"
chmod -R u+w,go-w,a+rX "$prefix/include/txaio"
install -m 0644 "$dist/lib/libtxaio_cpp.a" "$prefix/lib/libtxaio_cpp.a"
install_pc "$dist/lib/pkgconfig/txaio.pc.in" "$prefix/lib/pkgconfig/txaio.pc"
echo "installed the C++ API: $prefix/lib/libtxaio_cpp.a, $prefix/include/txaio/, $prefix/lib/pkgconfig/txaio.pc"

if ! $have_c_abi; then
  echo "not installed: the C ABI (//bindings/c is not in this checkout)"
  exit 0
fi

dist_c="$(tree_of //:dist_c)"
install -m 0644 "$dist_c/include/txaio.h" "$prefix/include/txaio.h"
install -m 0644 "$dist_c/lib/libtxaio.a" "$prefix/lib/libtxaio.a"
shared="$(cd "$dist_c/lib" && ls libtxaio.so*)"
install -m 0755 "$dist_c/lib/$shared" "$prefix/lib/$shared"
# The run-time name (SONAME) and the link-time name (libtxaio.so) point at
# the real file, as ldconfig and distributions do.
soname="$(objdump -p "$prefix/lib/$shared" | awk '$1 == "SONAME" { print $2 }')"
if [[ -z "$soname" ]]; then
  echo "install.sh: $shared has no SONAME" >&2
  exit 1
fi
[[ "$soname" == "$shared" ]] || ln -sfn "$shared" "$prefix/lib/$soname"
ln -sfn "$soname" "$prefix/lib/libtxaio.so"
install_pc "$dist_c/lib/pkgconfig/txaio-c.pc.in" "$prefix/lib/pkgconfig/txaio-c.pc"
echo "installed the C ABI: $prefix/lib/{libtxaio.so,$soname,libtxaio.a}, $prefix/include/txaio.h, $prefix/lib/pkgconfig/txaio-c.pc"
