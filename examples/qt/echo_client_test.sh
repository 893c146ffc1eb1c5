#!/usr/bin/env bash
# echo_client: two requests answered over a real loopback TCP connection, the
# third timed out by txaio, on Qt's own app.exec().
set -uo pipefail
client=examples/qt/echo_client
fail() { echo "FAIL: $*"; exit 1; }

out=$("$client" --timeout=0.5)
status=$?
[ "$status" -eq 0 ] || fail "exited $status: $out"
for want in "connected to port" "request 'hello' -> 'HELLO'" \
            "request 'txaio on qt' -> 'TXAIO ON QT'" \
            "request 'silent' -> timeout: no reply within 0.5" "session ok"; do
  grep -qF "$want" <<<"$out" || fail "no '$want' in: $out"
done
echo "PASS session"

"$client" --timeout=nope >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad timeout was accepted"
echo "PASS bad input"
