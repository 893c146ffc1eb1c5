#!/bin/bash
# Checks that misuse of the future API is a compile error that says, in
# words, what was expected: each bad snippet must fail to compile with its
# message, and the good one must compile (so a failure is not just a broken
# include path).
set -u
CXX="${CXX:-g++}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
status=0

try() {  # try NAME EXPECT(ok|error-regex) CODE
  local name="$1" expect="$2" code="$3"
  printf '#include <string>\n#include "core/txaio.h"\nvoid f(txaio::Future<int>& fut, txaio::Future<void>& done) { (void)fut; (void)done; %s }\n' \
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

try good ok 'txaio::add_callbacks(fut, [](int) {}, [](const txaio::Failure&) {}); fut.add_callbacks(nullptr, [](const txaio::Failure&) {}); txaio::add_callbacks(done, [] {}, nullptr); auto g = txaio::then(fut, [](const int& v) { return v; }, [](const txaio::Failure&) { return 0; }); (void)g;'
try callback_type 'add_callbacks: the callback must be callable as void\(const T&\)' 'txaio::add_callbacks(fut, [](const std::string&) {}, nullptr);'
try callback_arity 'add_callbacks: the callback must be callable as' 'txaio::add_callbacks(done, [](int) {}, nullptr);'
try errback_type 'add_callbacks: the errback must be callable as void\(const txaio::Failure&\)' 'fut.add_callbacks(nullptr, [](const std::exception&) {});'
try then_mismatch 'on_failure\(const txaio::Failure&\) must return the same type as on_value' 'auto g = txaio::then(fut, [](const int& v) { return v; }, [](const txaio::Failure&) { return std::string(); }); (void)g;'
exit $status
