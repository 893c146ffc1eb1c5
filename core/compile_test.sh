#!/bin/bash
# Compile-failure tests: misuse of the API must be a compile error that says,
# in words, what was wrong. Each bad snippet must fail to compile with an
# error matching its regex, and the good one must compile (so a failure is
# not just a broken include path).
#
#   compile_test.sh api         the future API (callbacks of the wrong type)
#   compile_test.sh log_format  literal log formats, checked at compile time
set -u
CXX="${CXX:-g++}"
suite="${1:?usage: compile_test.sh api|log_format}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
status=0

case "$suite" in
  api)
    prelude='#include <string>\n#include "core/txaio.h"\nvoid f(txaio::Future<int>& fut, txaio::Future<void>& done) { (void)fut; (void)done; %s }\n'
    ;;
  log_format)
    prelude='#include "core/logging.h"\nusing namespace txaio::literals;\nvoid f(const txaio::Logger& log, int x) { (void)x; %s }\n'
    ;;
  *)
    echo "unknown suite '$suite'"
    exit 2
    ;;
esac

try() {  # try NAME EXPECT(ok|error-regex) CODE
  local name="$1" expect="$2" code="$3"
  # shellcheck disable=SC2059  # the prelude is the format
  printf "$prelude" "$code" >"$dir/$name.cc"
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

# The error about a field that is not given spells the field's name, one
# character at a time (GCC prints the failing check's value; see
# log_format_names_a_field_that_is_not_given in core/logging.h). Not just
# anywhere: GCC also echoes the offending source line.
names_field() {  # names_field NAME: the regex of that error for NAME
  local chars
  chars=$(echo -n "$1" | sed -E "s/(.)/'\\1', /g; s/, \$//")
  echo "log_format_names_a_field_that_is_not_given\{char \[[0-9]+\]\{$chars\}"
}

if [[ "$suite" == api ]]; then
  try good ok 'txaio::add_callbacks(fut, [](int) {}, [](const txaio::Failure&) {}); fut.add_callbacks(nullptr, [](const txaio::Failure&) {}); txaio::add_callbacks(done, [] {}, nullptr); auto g = txaio::then(fut, [](const int& v) { return v; }, [](const txaio::Failure&) { return 0; }); (void)g;'
  try callback_type 'add_callbacks: the callback must be callable as void\(const T&\)' 'txaio::add_callbacks(fut, [](const std::string&) {}, nullptr);'
  try callback_arity 'add_callbacks: the callback must be callable as' 'txaio::add_callbacks(done, [](int) {}, nullptr);'
  try errback_type 'add_callbacks: the errback must be callable as void\(const txaio::Failure&\)' 'fut.add_callbacks(nullptr, [](const std::exception&) {});'
  try then_mismatch 'on_failure\(const txaio::Failure&\) must return the same type as on_value' 'auto g = txaio::then(fut, [](const int& v) { return v; }, [](const txaio::Failure&) { return std::string(); }); (void)g;'
else
  try good ok 'log.info("Got {result:>5} from {peer!r} {{x}} {log_level}", "result"_f = x, "peer"_f = "p"); TXAIO_LOG_DEBUG(log, "v={v}", "v"_f = x);'
  try misspelled "$(names_field reslt)" 'log.info("Got {reslt}", "result"_f = x);'
  try misspelled_second "$(names_field peeer)" 'log.info("Got {result} from {peeer!r:>9}", "result"_f = x, "peer"_f = 1);'
  try missing_arg "$(names_field result)" 'log.warn("Got {result}");'
  try positional 'log_format_is_malformed' 'log.info("Got {}", "result"_f = x);'
  try unclosed 'log_format_is_malformed' 'log.info("Got {result", "result"_f = x);'
  try bad_spec 'log_format_is_malformed' 'log.info("Got {result:q}", "result"_f = x);'
  try unnamed 'log arguments must be named' 'log.info("Got {result}", x);'
  try macro_misspelled "$(names_field reslt)" 'TXAIO_LOG_INFO(log, "Got {reslt}", "result"_f = x);'
fi
exit $status
