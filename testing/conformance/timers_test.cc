// Conformance: call_later, DelayedCall and sleep (not the batched timers).
//
// The manual loop's clock is fake and the Asio one is real, so these cases
// rely only on ordering and on whether a call has run yet: a call meant to
// run has a delay of a few milliseconds and is given more than that with
// advance(); a call meant not to run yet is a minute away. Two cases count
// scheduled timers with Loop::pending_timers().
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

constexpr double kSoon = 0.002;    // seconds
constexpr double kFarAway = 60.0;  // seconds; never reached by a test
constexpr absl::Duration kPastSoon = absl::Milliseconds(10);

TEST_F(ConformanceTest, CallLaterPassesItsArguments) {
  std::string seen;
  call_later(
      kSoon, [&](const std::string& s, int n) { seen = s + std::to_string(n); },
      std::string("n="), 5);
  advance(kPastSoon);
  EXPECT_EQ(seen, "n=5");
}

TEST_F(ConformanceTest, CallLaterTakesAnAbslDuration) {
  int seen = 0;
  call_later(
      absl::Milliseconds(2), [&](int v) { seen = v; }, 8);
  advance(kPastSoon);
  EXPECT_EQ(seen, 8);
}

TEST_F(ConformanceTest, CallLaterArgumentsAreCopiedAtSchedulingTime) {
  std::string arg = "before";
  std::string seen;
  call_later(
      kSoon, [&](const std::string& s) { seen = s; }, arg);
  arg = "after";
  advance(kPastSoon);
  EXPECT_EQ(seen, "before");
}

TEST_F(ConformanceTest, CallLaterNeverRunsInlineOrBeforeItsDeadline) {
  bool soon = false;
  bool far = false;
  DelayedCall far_call = call_later(kFarAway, [&] { far = true; });
  DelayedCall soon_call = call_later(kSoon, [&] { soon = true; });
  EXPECT_FALSE(soon);
  run_until_idle();
  EXPECT_FALSE(far);
  advance(kPastSoon);
  EXPECT_TRUE(soon);
  EXPECT_FALSE(far) << "a call a minute away ran after milliseconds";
  EXPECT_TRUE(far_call.active());
  EXPECT_FALSE(soon_call.active());
}

TEST_F(ConformanceTest, ZeroDelayRunsOnALaterTurnNotInline) {
  bool ran = false;
  call_later(0.0, [&] { ran = true; });
  EXPECT_FALSE(ran);
  advance(absl::ZeroDuration());
  EXPECT_TRUE(ran);
}

TEST_F(ConformanceTest, CallsRunInDeadlineOrder) {
  std::vector<int> order;
  // Deadlines fixed against one reading of the clock, so that on a real
  // clock a stall between the calls cannot reorder them.
  absl::Duration base = loop().now();
  auto at = [&](absl::Duration offset) {
    return std::max(absl::ZeroDuration(), base + offset - loop().now());
  };
  call_later(at(absl::Milliseconds(30)), [&] { order.push_back(3); });
  call_later(at(absl::Milliseconds(10)), [&] { order.push_back(1); });
  call_later(at(absl::Milliseconds(20)), [&] { order.push_back(2); });
  advance(absl::Milliseconds(40));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST_F(ConformanceTest, CallsWithEqualDelaysRunInSchedulingOrder) {
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    call_later(kSoon, [&order, i] { order.push_back(i); });
  }
  advance(kPastSoon);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(ConformanceTest, CallRunsNoEarlierThanWhen) {
  absl::Duration before = loop().now();
  absl::Duration ran_at = absl::ZeroDuration();
  DelayedCall call =
      call_later(absl::Milliseconds(3), [&] { ran_at = loop().now(); });
  absl::Duration after = loop().now();
  EXPECT_GE(call.when(), before + absl::Milliseconds(3));
  EXPECT_LE(call.when(), after + absl::Milliseconds(3));
  absl::Duration due = call.when();
  advance(kPastSoon);
  EXPECT_GE(ran_at, due);
  EXPECT_EQ(call.when(), due) << "when() stays put after running";
}

TEST_F(ConformanceTest, CancelledCallNeverRuns) {
  bool ran = false;
  DelayedCall call = call_later(kSoon, [&] { ran = true; });
  EXPECT_TRUE(call.active());
  EXPECT_TRUE(call.cancel());
  EXPECT_FALSE(call.active());
  advance(kPastSoon);
  EXPECT_FALSE(ran);
}

TEST_F(ConformanceTest, CancelTwiceOrAfterRunningIsANoOp) {
  int runs = 0;
  DelayedCall cancelled = call_later(kSoon, [&] { ++runs; });
  DelayedCall fired = call_later(kSoon, [&] { ++runs; });
  EXPECT_TRUE(cancelled.cancel());
  EXPECT_FALSE(cancelled.cancel());
  advance(kPastSoon);
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(fired.active());
  EXPECT_FALSE(fired.cancel());
}

TEST_F(ConformanceTest, CopiesOfADelayedCallShareOneCall) {
  bool ran = false;
  DelayedCall call = call_later(kSoon, [&] { ran = true; });
  DelayedCall copy = call;
  EXPECT_TRUE(copy.cancel());
  EXPECT_FALSE(call.active());
  EXPECT_FALSE(call.cancel());
  advance(kPastSoon);
  EXPECT_FALSE(ran);
}

TEST_F(ConformanceTest, DefaultDelayedCallIsInactive) {
  DelayedCall none;
  EXPECT_FALSE(none.active());
  EXPECT_FALSE(none.cancel());
}

TEST_F(ConformanceTest, CallCancelledByAnEarlierDueCallDoesNotRun) {
  std::vector<std::string> events;
  DelayedCall victim;
  call_later(kSoon, [&] {
    events.push_back("first");
    events.push_back(victim.cancel() ? "cancelled" : "too late");
  });
  victim = call_later(kSoon, [&] { events.push_back("victim ran"); });
  advance(kPastSoon);
  EXPECT_EQ(events, (std::vector<std::string>{"first", "cancelled"}));
}

TEST_F(ConformanceTest, CallScheduledFromACallRuns) {
  std::vector<int> order;
  call_later(kSoon, [&] {
    order.push_back(1);
    call_later(kSoon, [&] { order.push_back(2); });
  });
  advance(kPastSoon);
  advance(kPastSoon);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST_F(ConformanceTest, CancellingReleasesWhatTheCallCaptured) {
  auto token = std::make_shared<int>(1);
  DelayedCall call = call_later(kFarAway, [token] {});
  EXPECT_EQ(token.use_count(), 2);
  call.cancel();
  EXPECT_EQ(token.use_count(), 1);
}

TEST_F(ConformanceTest, BadDelaysThrowInvalidArgument) {
  auto noop = [] {};
  EXPECT_THROW(call_later(-0.001, noop), std::invalid_argument);
  EXPECT_THROW(call_later(std::nan(""), noop), std::invalid_argument);
  EXPECT_THROW(call_later(std::numeric_limits<double>::infinity(), noop),
               std::invalid_argument);
  EXPECT_THROW(call_later(-absl::Milliseconds(1), noop), std::invalid_argument);
  EXPECT_THROW(call_later(absl::InfiniteDuration(), noop),
               std::invalid_argument);
  EXPECT_THROW(loop().call_later(-absl::Nanoseconds(1), [] {}),
               std::invalid_argument);
  EXPECT_THROW(sleep(-1.0), std::invalid_argument);
  EXPECT_THROW(sleep(std::nan("")), std::invalid_argument);
  EXPECT_THROW(sleep(absl::InfiniteDuration()), std::invalid_argument);
  // Nothing was scheduled by the rejected calls.
  EXPECT_EQ(loop().pending_timers(), 0u);
}

TEST_F(ConformanceTest, BadDelayMessageSaysWhatWasWrong) {
  try {
    call_later(-2.0, [] {});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("call_later"), std::string::npos)
        << e.what();
  }
}

TEST_F(ConformanceTest, TimerThatThrowsIsReportedAndOthersStillRun) {
  bool later_ran = false;
  call_later(kSoon, [] { throw std::runtime_error("timer broke"); });
  call_later(kSoon, [&] { later_ran = true; });
  EXPECT_NO_THROW(advance(kPastSoon));
  EXPECT_TRUE(later_ran);
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: timer broke"}));
}

TEST_F(ConformanceTest, SleepResolvesAfterItsDelay) {
  Future<void> nap = sleep(kSoon);
  Future<void> long_nap = sleep(kFarAway);
  bool woke = false;
  add_callbacks(
      nap, [&] { woke = true; }, nullptr);
  EXPECT_FALSE(is_called(nap));
  advance(kPastSoon);
  EXPECT_TRUE(woke);
  EXPECT_FALSE(is_called(long_nap));
  cancel(long_nap);
}

TEST_F(ConformanceTest, SleepTakesAnAbslDuration) {
  Future<void> nap = sleep(absl::Milliseconds(2));
  advance(kPastSoon);
  EXPECT_TRUE(nap.succeeded());
}

TEST_F(ConformanceTest, CancellingASleepCancelsItsTimer) {
  Future<void> nap = sleep(kFarAway);
  EXPECT_EQ(loop().pending_timers(), 1u);
  std::string seen;
  add_callbacks(
      nap, [&] { seen = "woke"; },
      [&](const Failure& e) { seen = failure_message(e); });
  EXPECT_TRUE(cancel(nap, "wake up"));
  EXPECT_EQ(loop().pending_timers(), 0u);
  advance(kPastSoon);
  EXPECT_EQ(seen, "txaio::CancelledError: wake up");
}

TEST_F(ConformanceTest, SleepThroughWithConfigUsesThatLoop) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Future<void> nap = with_config(other->loop()).sleep(kSoon);
  EXPECT_EQ(&nap.loop(), &other->loop());
  advance(kPastSoon);
  EXPECT_FALSE(is_called(nap)) << "only its own loop may wake it";
  other->advance(kPastSoon);
  EXPECT_TRUE(nap.succeeded());
}

}  // namespace
}  // namespace txaio::conformance
