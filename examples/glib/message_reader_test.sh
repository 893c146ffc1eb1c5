#!/usr/bin/env bash
# message_reader: messages in time are printed, a gap longer than the timeout
# ends the run with a timeout (exit 3) before the late message, EOF ends it
# cleanly. Margins are wide (0.1 s gaps against a 2 s timeout, a 3 s gap
# against 0.5 s) so a loaded machine cannot flip the outcome.
set -uo pipefail
reader=examples/glib/message_reader
fail() { echo "FAIL: $*"; exit 1; }

out=$({ echo one; sleep 0.1; echo two; sleep 0.1; printf 'three'; } | "$reader" --timeout=2)
status=$?
[ "$status" -eq 0 ] || fail "in-time run exited $status: $out"
grep -q '^message 1: one ' <<<"$out" || fail "no message 1 in: $out"
grep -q '^message 2: two ' <<<"$out" || fail "no message 2 in: $out"
grep -q '^message 3: three ' <<<"$out" || fail "no unterminated last message in: $out"
grep -q '^end of input after 3 messages$' <<<"$out" || fail "no end of input in: $out"
echo "PASS in-time messages"

out=$({ echo one; sleep 3; echo late; } | "$reader" --timeout=0.5)
status=$?
[ "$status" -eq 3 ] || fail "timeout run exited $status: $out"
grep -q '^message 1: one ' <<<"$out" || fail "no message 1 in: $out"
grep -q '^timeout waiting for message 2: no message within 0.5' <<<"$out" || fail "no timeout in: $out"
grep -q 'late' <<<"$out" && fail "the late message was read after the timeout: $out"
echo "PASS timeout"

"$reader" --timeout=-1 </dev/null 2>/dev/null
[ $? -eq 2 ] || fail "a negative timeout was accepted"
echo "PASS bad input"
