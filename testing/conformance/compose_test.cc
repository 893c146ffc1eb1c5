// Conformance: then(), with_timeout() and when_any(), from callbacks and
// from coroutines.
#include "core/compose.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "core/coroutine.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

// failure_message() of a failed future, "" if it has none.
template <typename T>
std::string FailureOf(const Future<T>& f) {
  return f.failure() != nullptr ? failure_message(*f.failure()) : "";
}

TEST_F(ConformanceTest, ThenMapsTheValue) {
  Future<int> input = create_future<int>();
  Future<std::string> text =
      then(input, [](const int& v) { return std::to_string(v * 2); });
  resolve(input, 21);
  EXPECT_FALSE(text.is_called()) << "derived from the loop, not in resolve";
  run_until_idle();
  ASSERT_TRUE(text.succeeded());
  EXPECT_EQ(text.value(), "42");
}

TEST_F(ConformanceTest, ThenFollowsAReturnedFuture) {
  Future<void> input = create_future<void>();
  Future<int> inner = create_future<int>();
  Future<int> out = then(input, [inner] { return inner; });
  resolve(input);
  run_until_idle();
  EXPECT_FALSE(out.is_called()) << "waits for the returned future";
  resolve(inner, 7);
  run_until_idle();
  ASSERT_TRUE(out.succeeded());
  EXPECT_EQ(out.value(), 7);
}

TEST_F(ConformanceTest, ThenPassesAFailureOnWithoutCallingTheFunction) {
  Future<int> input = create_future<int>();
  bool called = false;
  Future<void> out = then(input, [&](const int&) { called = true; });
  reject(input, std::runtime_error("down"));
  run_until_idle();
  EXPECT_FALSE(called);
  EXPECT_EQ(FailureOf(out), "std::runtime_error: down");
  EXPECT_TRUE(unhandled().empty()) << "the input's failure was handled";
}

TEST_F(ConformanceTest, ThenRejectsWhatTheFunctionThrows) {
  Future<int> input = create_future_success(1);
  Future<int> out =
      then(input, [](const int&) -> int { throw std::logic_error("bad"); });
  run_until_idle();
  EXPECT_EQ(FailureOf(out), "std::logic_error: bad");
}

TEST_F(ConformanceTest, ThenWithAnErrbackMayRecover) {
  Future<int> input = create_future<int>();
  Future<int> out = then(
      input, [](const int& v) { return v; },
      [](const Failure& f) { return f.is<std::runtime_error>() ? -1 : -2; });
  reject(input, std::runtime_error("down"));
  run_until_idle();
  ASSERT_TRUE(out.succeeded());
  EXPECT_EQ(out.value(), -1);
}

TEST_F(ConformanceTest, CancellingAThenFutureCancelsWhatItWaitsOn) {
  bool input_canceller = false;
  Future<int> input =
      create_future<int>([&](Future<int>&) { input_canceller = true; });
  Future<int> out = then(input, [](const int& v) { return v; });
  EXPECT_TRUE(cancel(out));
  EXPECT_TRUE(input_canceller);
  EXPECT_TRUE(input.is_cancelled());

  Future<int> second = create_future<int>();
  Future<int> inner = create_future<int>();
  Future<int> chained = then(second, [inner](const int&) { return inner; });
  resolve(second, 1);
  run_until_idle();
  EXPECT_TRUE(cancel(chained));
  EXPECT_TRUE(inner.is_cancelled()) << "the function's future, once returned";
  run_until_idle();
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, WithTimeoutPassesAnOutcomeThatComesInTime) {
  Future<int> input = create_future<int>();
  Future<int> out = with_timeout(input, absl::Milliseconds(20));
  resolve(input, 3);
  run_until_idle();
  ASSERT_TRUE(out.succeeded());
  EXPECT_EQ(out.value(), 3);
  advance(absl::Milliseconds(30));  // the deadline passes: nothing happens
  EXPECT_TRUE(out.succeeded());
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, WithTimeoutFailsWithTimeoutErrorAndCancelsTheInput) {
  bool canceller_ran = false;
  Future<int> input =
      create_future<int>([&](Future<int>&) { canceller_ran = true; });
  Future<int> out = with_timeout(input, 0.005);
  std::vector<std::string> seen;
  add_callbacks(out, nullptr, [&](const Failure& failure) {
    seen.push_back(failure.is<TimeoutError>() ? "timeout" : "other");
    seen.push_back(failure.is<CancelledError>() ? "cancelled" : "not cancel");
  });
  run_until_idle();
  EXPECT_FALSE(out.is_called());
  advance(absl::Milliseconds(10));
  EXPECT_TRUE(canceller_ran);
  EXPECT_TRUE(input.is_cancelled());
  EXPECT_EQ(seen, (std::vector<std::string>{"timeout", "not cancel"}));
  EXPECT_EQ(FailureOf(out), "txaio::TimeoutError: timed out after 5ms");
}

TEST_F(ConformanceTest, CancellingWithTimeoutCancelsTheInputAndTheTimer) {
  Future<int> input = create_future<int>();
  Future<int> out = with_timeout(input, absl::Milliseconds(5));
  EXPECT_TRUE(cancel(out, "caller"));
  EXPECT_TRUE(input.is_cancelled());
  advance(absl::Milliseconds(10));
  EXPECT_EQ(FailureOf(out), "txaio::CancelledError: caller")
      << "no TimeoutError after the caller's cancel";
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, WithTimeoutRejectsABadTimeout) {
  Future<int> input = create_future<int>();
  EXPECT_THROW(with_timeout(input, -1.0), std::invalid_argument);
  EXPECT_THROW(with_timeout(input, absl::Seconds(-1)), std::invalid_argument);
}

TEST_F(ConformanceTest, WhenAnyTakesTheFirstAndCancelsTheRest) {
  std::vector<Future<std::string>> racers = {create_future<std::string>(),
                                             create_future<std::string>(),
                                             create_future<std::string>()};
  Future<Winner<std::string>> first = when_any(racers);
  resolve(racers[1], std::string("b"));
  run_until_idle();
  ASSERT_TRUE(first.succeeded());
  EXPECT_EQ(first.value().index, 1u);
  EXPECT_EQ(first.value().value, "b");
  EXPECT_TRUE(racers[0].is_cancelled());
  EXPECT_TRUE(racers[2].is_cancelled());
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, WhenAnyFailsWithTheFirstFailure) {
  std::vector<Future<void>> racers = {create_future<void>(),
                                      create_future<void>()};
  Future<Winner<void>> first = when_any(racers);
  reject(racers[0], std::runtime_error("lost"));
  run_until_idle();
  EXPECT_EQ(FailureOf(first), "std::runtime_error: lost");
  EXPECT_TRUE(racers[1].is_cancelled());
}

TEST_F(ConformanceTest, WhenAnyOfCalledFuturesTakesTheFirstInInputOrder) {
  Future<Winner<int>> first = when_any(
      std::vector<Future<int>>{create_future<int>(), create_future_success(2),
                               create_future_success(3)});
  run_until_idle();
  ASSERT_TRUE(first.succeeded());
  EXPECT_EQ(first.value().index, 1u);
}

TEST_F(ConformanceTest, CancellingWhenAnyCancelsEveryInput) {
  std::vector<Future<int>> racers = {create_future<int>(),
                                     create_future<int>()};
  Future<Winner<int>> first = when_any(racers);
  EXPECT_TRUE(cancel(first));
  EXPECT_TRUE(racers[0].is_cancelled());
  EXPECT_TRUE(racers[1].is_cancelled());
  run_until_idle();
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, WhenAnyOfNothingIsAnError) {
  EXPECT_THROW(when_any(std::vector<Future<int>>{}), std::invalid_argument);
}

Future<std::string> FetchWithDeadline(Api txa, Future<std::string> reply) {
  bool timed_out = false;
  try {
    co_return co_await with_timeout(reply, absl::Milliseconds(5));
  } catch (const TimeoutError&) {
    timed_out = true;  // (no co_await inside a handler)
  }
  std::vector<Future<void>> racers;  // (g++ 12 rejects a braced list here)
  racers.push_back(txa.sleep(absl::Milliseconds(1)));
  Winner<void> w = co_await when_any(racers);
  std::string what = timed_out ? "fallback" : "no timeout";
  co_return what + " " + std::to_string(w.index);
}

TEST_F(ConformanceTest, CompositionIsUsableFromCoroutines) {
  Future<std::string> reply = create_future<std::string>();
  Future<std::string> result = FetchWithDeadline(api(), reply);
  advance(absl::Milliseconds(10));
  advance(absl::Milliseconds(10));
  EXPECT_TRUE(reply.is_cancelled());
  ASSERT_TRUE(result.succeeded());
  EXPECT_EQ(result.value(), "fallback 0");
}

TEST_F(ConformanceTest, CancellingACoroutineReachesThroughWithTimeout) {
  Future<std::string> reply = create_future<std::string>();
  Future<std::string> result = FetchWithDeadline(api(), reply);
  cancel(result);
  EXPECT_TRUE(reply.is_cancelled())
      << "coroutine -> with_timeout's future -> its input";
  advance(absl::Milliseconds(10));
  EXPECT_TRUE(result.is_cancelled());
  EXPECT_TRUE(unhandled().empty());
}

}  // namespace
}  // namespace txaio::conformance
