#!/usr/bin/env bash
# Runs the demo on every backend it links (demo --list), checking each run
# reaches its end with the same callbacks.
set -euo pipefail
demo=examples/demo/demo
names=$("$demo" --list)
[ -n "$names" ] || { echo "FAIL: demo --list printed nothing"; exit 1; }
for name in $names; do
  out=$("$demo" --loop="$name") || { echo "FAIL: demo --loop=$name exited $?"; exit 1; }
  for want in "framework in use: $name" "callback got: hello, world" \
              "errback got: std::invalid_argument: not a port number: 'eighty'" \
              "gather finished with 2 results" "slept 0.1 s" "] done"; do
    grep -qF "$want" <<<"$out" || { echo "FAIL: --loop=$name: no '$want' in:"; echo "$out"; exit 1; }
  done
  echo "PASS demo --loop=$name"
done
if "$demo" --loop=no-such-loop 2>/dev/null; then
  echo "FAIL: an unknown loop name was accepted"; exit 1
fi
