// Conformance: a failure's traceback starts where the exception was thrown,
// however it reaches an errback, and a wrapped failure keeps its cause.
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "core/coroutine.h"
#include "gmock/gmock.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

using ::testing::HasSubstr;

ABSL_ATTRIBUTE_NOINLINE void ThrowsFromHere() {
  throw std::runtime_error("deep");
}
ABSL_ATTRIBUTE_NOINLINE void CallsTheThrower() {
  ThrowsFromHere();
  ABSL_BLOCK_TAIL_CALL_OPTIMIZATION();
}

// The frames' symbols, innermost first.
std::vector<std::string> Symbols(const Failure& failure) {
  std::vector<std::string> symbols;
  for (const StackFrame& frame : failure_traceback(failure)) {
    symbols.push_back(frame.symbol);
  }
  return symbols;
}

void ExpectStartsAtTheThrow(const Failure& failure) {
  std::vector<std::string> symbols = Symbols(failure);
  std::string text = failure_format_traceback(failure);
  ASSERT_GE(symbols.size(), 2u) << text;
  EXPECT_THAT(symbols[0], HasSubstr("ThrowsFromHere")) << text;
  EXPECT_THAT(symbols[1], HasSubstr("CallsTheThrower")) << text;
  for (const std::string& symbol : symbols) {
    EXPECT_THAT(symbol, ::testing::Not(HasSubstr("txaio::internal::")))
        << "library plumbing is trimmed:\n"
        << text;
    EXPECT_THAT(symbol, ::testing::Not(HasSubstr("std::__invoke"))) << text;
    EXPECT_THAT(symbol, ::testing::Not(::testing::ContainsRegex(
                            "txaio::[A-Za-z]*Loop[A-Za-z]*::")))
        << "nor the loop's own frames:\n"
        << text;
  }
}

TEST_F(ConformanceTest, TracebackStartsWhereACallbackThrew) {
  Future<int> f = create_future<int>();
  std::optional<Failure> seen;
  add_callbacks(
      f, [](const int&) { CallsTheThrower(); },
      [&](const Failure& failure) { seen = failure; });
  resolve(f, 1);
  run_until_idle();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(failure_message(*seen), "std::runtime_error: deep");
  ExpectStartsAtTheThrow(*seen);
}

TEST_F(ConformanceTest, TracebackStartsWhereACoroutineThrew) {
  Future<void> gate = create_future<void>();
  Future<int> result = [](Future<void> gate) -> Future<int> {
    co_await gate;
    CallsTheThrower();
    co_return 0;
  }(gate);
  resolve(gate);
  run_until_idle();
  ASSERT_NE(result.failure(), nullptr);
  ExpectStartsAtTheThrow(*result.failure());
}

TEST_F(ConformanceTest, TracebackOfAsFutureStartsAtTheThrow) {
  Future<void> f = as_future(&CallsTheThrower);
  ASSERT_NE(f.failure(), nullptr);
  ExpectStartsAtTheThrow(*f.failure());
}

ABSL_ATTRIBUTE_NOINLINE void LogIn() {
  try {
    CallsTheThrower();
  } catch (...) {
    std::throw_with_nested(std::runtime_error("login failed"));
  }
}

TEST_F(ConformanceTest, AWrappedFailureKeepsItsCause) {
  Future<void> f = as_future(&LogIn);
  const Failure* failure = f.failure();
  ASSERT_NE(failure, nullptr);
  EXPECT_EQ(failure_message(*failure), "std::runtime_error: login failed")
      << "named as thrown, not std::_Nested_exception<...>";
  EXPECT_THAT(Symbols(*failure)[0], HasSubstr("LogIn"));
  ASSERT_NE(failure->cause(), nullptr);
  EXPECT_EQ(failure_message(*failure->cause()), "std::runtime_error: deep");
  ExpectStartsAtTheThrow(*failure->cause());
  EXPECT_EQ(failure->cause()->cause(), nullptr);
  std::string text = failure_format_traceback(*failure);
  size_t cause = text.find("std::runtime_error: deep\n");
  size_t link = text.find(
      "The above exception was the direct cause of the following exception:");
  size_t outer = text.find("std::runtime_error: login failed\n");
  ASSERT_NE(cause, std::string::npos) << text;
  ASSERT_NE(link, std::string::npos) << text;
  ASSERT_NE(outer, std::string::npos) << text;
  EXPECT_LT(cause, link) << "the cause first, as Python prints it";
  EXPECT_LT(link, outer) << text;
}

}  // namespace
}  // namespace txaio::conformance
