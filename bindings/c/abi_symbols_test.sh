#!/bin/bash
# abi_symbols_test.sh LIBTXAIO_SO TXAIO_H LIBTXAIO_A
# Checks the ABI contract of the built libraries:
#  - the shared library's SONAME is libtxaio.so.0;
#  - its exported (defined, dynamic) symbols are exactly the functions that
#    txaio.h declares with TXAIO_EXPORT, all named txaio_*, besides the
#    version node TXAIO_0 of the linker script;
#  - the static archive defines every one of those functions.
set -euo pipefail
so=$1
header=$2
archive=$3
fail=0

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [[ "$soname" != "libtxaio.so.0" ]]; then
  echo "FAIL: SONAME is '$soname', expected libtxaio.so.0"
  fail=1
fi

# Function names declared after TXAIO_EXPORT (a declaration may wrap lines).
declared=$(tr '\n' ' ' <"$header" | grep -o 'TXAIO_EXPORT [^(]*(' |
  sed 's/($//; s/.*[ *]//' | grep '^txaio_' | sort -u)
exported=$(nm -D --defined-only "$so" | awk '{print $3}' | sed 's/@.*//' |
  sort -u)
others=$(grep -v -x 'TXAIO_0' <<<"$exported" | grep -v '^txaio_' || true)
if [[ -n "$others" ]]; then
  echo "FAIL: exported symbols outside txaio_*:"
  echo "$others"
  fail=1
fi
exported_functions=$(grep '^txaio_' <<<"$exported" || true)
if [[ "$declared" != "$exported_functions" ]]; then
  echo "FAIL: exported functions differ from txaio.h (< header, > library):"
  diff <(echo "$declared") <(echo "$exported_functions") || true
  fail=1
fi

in_archive=$(nm --defined-only "$archive" 2>/dev/null |
  awk '$2 == "T" && $3 ~ /^txaio_/ {print $3}' | sort -u)
if [[ "$declared" != "$in_archive" ]]; then
  echo "FAIL: libtxaio.a does not define exactly the txaio.h functions:"
  diff <(echo "$declared") <(echo "$in_archive") || true
  fail=1
fi

count=$(wc -l <<<"$declared")
if [[ $fail -eq 0 ]]; then
  echo "OK: SONAME $soname, $count txaio_* functions exported, nothing else"
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
fi
exit $fail
