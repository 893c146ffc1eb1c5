#!/bin/bash
# merge_archives.sh OUT.a LIB...: one static archive holding the members of
# every LIB given as a .a (a .pic.a is preferred over the plain .a of the same
# library; other files, such as .so, are ignored).
set -euo pipefail
out=$1
shift
script="CREATE $out"
for lib in "$@"; do
  case "$lib" in
    *.pic.a | *.pic.lo) script+=$'\n'"ADDLIB $lib" ;;
    *.a | *.lo)
      pic="${lib%.*}.pic.${lib##*.}"
      if [[ " $* " != *" $pic "* ]]; then script+=$'\n'"ADDLIB $lib"; fi
      ;;
  esac
done
script+=$'\nSAVE\nEND'
ar -M <<<"$script"
ranlib "$out"
