#!/bin/bash
# Checks that literal log formats are verified at compile time: each bad
# snippet must fail to compile, naming the problem, and the good one must
# compile (so a failure is not just a broken include path).
set -u
CXX="${CXX:-g++}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
status=0

try() {  # try NAME EXPECT(ok|error-regex) CODE
  local name="$1" expect="$2" code="$3"
  printf '#include "core/logging.h"\nusing namespace txaio::literals;\nvoid f(const txaio::Logger& log, int x) { (void)x; %s }\n' \
    "$code" >"$dir/$name.cc"
  if "$CXX" -std=c++20 -fsyntax-only -I. "$dir/$name.cc" 2>"$dir/$name.err"; then
    if [[ "$expect" != ok ]]; then
      echo "FAIL $name: compiled, expected an error matching '$expect'"
      status=1
    else
      echo "ok   $name"
    fi
  elif [[ "$expect" == ok ]]; then
    echo "FAIL $name: did not compile:"; head -20 "$dir/$name.err"; status=1
  elif grep -Eq "$expect" "$dir/$name.err"; then
    echo "ok   $name"
  else
    echo "FAIL $name: error does not match '$expect':"; head -20 "$dir/$name.err"
    status=1
  fi
}

try good ok 'log.info("Got {result:>5} from {peer!r} {{x}} {log_level}", "result"_f = x, "peer"_f = "p"); TXAIO_LOG_DEBUG(log, "v={v}", "v"_f = x);'
try misspelled 'log_format_names_a_field_that_is_not_given' 'log.info("Got {reslt}", "result"_f = x);'
try missing_arg 'log_format_names_a_field_that_is_not_given' 'log.warn("Got {result}");'
try positional 'log_format_is_malformed' 'log.info("Got {}", "result"_f = x);'
try unclosed 'log_format_is_malformed' 'log.info("Got {result", "result"_f = x);'
try bad_spec 'log_format_is_malformed' 'log.info("Got {result:q}", "result"_f = x);'
try unnamed 'log arguments must be named' 'log.info("Got {result}", x);'
try macro_misspelled 'log_format_names_a_field_that_is_not_given' 'TXAIO_LOG_INFO(log, "Got {reslt}", "result"_f = x);'
exit $status
