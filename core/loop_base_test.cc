// Unit tests of LoopBase: what it asks of a backend (wake-ups, coalesced timer
// wake-ups) and how it splits work into rounds.
#include "core/loop_base.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/unhandled.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

absl::Duration Us(int64_t n) { return absl::Microseconds(n); }

// A backend that only records what LoopBase asks of it.
class RecordingBackend : public LoopBase {
 public:
  std::string_view framework() const override { return "recording"; }
  absl::Duration now() const override { return now_; }

  using LoopBase::has_ready_work;
  using LoopBase::kRoundsPerWakeUp;
  using LoopBase::on_wake_at_timer;
  using LoopBase::on_wake_up;
  using LoopBase::run_once;

  absl::Duration now_ = absl::ZeroDuration();
  std::atomic<int> wake_ups{0};
  std::vector<absl::Duration> wake_ats;
  int cancelled_wake_ats = 0;

 protected:
  void wake_up() override { ++wake_ups; }
  void wake_at(absl::Duration deadline) override {
    if (fail_wake_ats > 0) {
      --fail_wake_ats;
      throw std::runtime_error("wake_at failed");
    }
    wake_ats.push_back(deadline);
  }

 public:
  int fail_wake_ats = 0;  // how many wake_at() calls throw next
  void cancel_wake_at() override { ++cancelled_wake_ats; }
};

TEST(LoopBaseTest, AWakeUpRunsAChainWithoutAskingForMoreWakeUps) {
  RecordingBackend loop;
  std::vector<int> links;
  std::function<void()> link = [&] {
    links.push_back(static_cast<int>(links.size()));
    if (links.size() < 5) loop.call_soon(link);
  };
  loop.call_soon(link);
  EXPECT_EQ(loop.wake_ups, 1);
  EXPECT_TRUE(loop.on_wake_up());
  EXPECT_EQ(links, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(loop.wake_ups, 1) << "each link asked for a wake-up of its own";
}

TEST(LoopBaseTest, AWakeUpYieldsToTheBackendAfterABoundedNumberOfRounds) {
  RecordingBackend loop;
  int runs = 0;
  std::function<void()> forever = [&] {
    ++runs;
    loop.call_soon(forever);
  };
  loop.call_soon(forever);
  loop.on_wake_up();
  EXPECT_EQ(runs, RecordingBackend::kRoundsPerWakeUp);
  EXPECT_EQ(loop.wake_ups, 2) << "the work left needs the next wake-up";
  EXPECT_TRUE(loop.has_ready_work());
}

TEST(LoopBaseTest, ATimerThatFiresEarlyIsArmedAgain) {
  RecordingBackend loop;
  bool ran = false;
  loop.call_later(absl::Milliseconds(10), [&] { ran = true; });
  ASSERT_EQ(loop.wake_ats.size(), 1u);
  loop.now_ = absl::Milliseconds(9);  // the backend's timer fires 1 ms early
  loop.on_wake_at_timer();
  EXPECT_FALSE(ran);
  ASSERT_EQ(loop.wake_ats.size(), 2u) << "nothing would wake the loop again";
  EXPECT_EQ(loop.wake_ats[1], absl::Milliseconds(10));
  loop.now_ = absl::Milliseconds(10);
  loop.on_wake_at_timer();
  EXPECT_TRUE(ran);
}

// A backend whose framework orders our wake-ups among its own timed calls
// (PyLoop): timers run only up to the last wake-up its framework fired.
class FiredDeadlineBackend : public RecordingBackend {
 public:
  absl::Duration fired = -absl::InfiniteDuration();
  std::vector<absl::Duration> scheduled;
  std::vector<absl::Duration> cancelled;
  using LoopBase::wake_up_for;
  void fire(absl::Duration deadline) {
    fired = deadline;
    on_wake_at_timer();
  }

 protected:
  absl::Duration timers_due_by(absl::Duration now) override {
    return std::min(now, fired);
  }
  void timer_scheduled(absl::Duration deadline) override {
    scheduled.push_back(deadline);
  }
  void timer_cancelled(absl::Duration deadline) override {
    cancelled.push_back(deadline);
  }
};

TEST(LoopBaseTest, TheBackendHearsOfEachTimerScheduledAndCancelled) {
  FiredDeadlineBackend loop;
  DelayedCall late = loop.call_later(Us(2500), [] {});
  DelayedCall early = loop.call_later(Us(1000), [] {});
  EXPECT_EQ(loop.scheduled, (std::vector<absl::Duration>{Us(2500), Us(1000)}))
      << "every timer, not only a new earliest";
  EXPECT_EQ(FiredDeadlineBackend::wake_up_for(Us(2500)), Us(3000));
  EXPECT_EQ(FiredDeadlineBackend::wake_up_for(Us(1000)), Us(1000));
  late.cancel();
  EXPECT_EQ(loop.cancelled, (std::vector<absl::Duration>{Us(2500)}));
  EXPECT_EQ(loop.cancelled_wake_ats, 0) << "the early timer still needs one";
  early.cancel();
  EXPECT_EQ(loop.cancelled.size(), 1u) << "the last: cancel_wake_at() instead";
  EXPECT_EQ(loop.cancelled_wake_ats, 1);
}

TEST(LoopBaseTest, TimersRunOnlyUpToWhatTheBackendSaysIsDue) {
  FiredDeadlineBackend loop;
  std::vector<int> ran;
  loop.call_later(absl::Seconds(1), [&] { ran.push_back(1); });
  loop.call_later(absl::Seconds(2), [&] { ran.push_back(2); });
  ASSERT_EQ(loop.wake_ats, (std::vector<absl::Duration>{absl::Seconds(1)}));
  loop.now_ = absl::Seconds(3);  // the clock jumps past both deadlines
  EXPECT_FALSE(loop.has_ready_work()) << "no wake-up has fired yet";
  loop.call_soon([] {});
  loop.run_once();  // a wake-up round, not the timer's
  EXPECT_TRUE(ran.empty());
  EXPECT_EQ(loop.wake_ats.size(), 1u)
      << "the pending wake-up was taken as consumed and asked for again";
  loop.fire(absl::Seconds(1));
  EXPECT_EQ(ran, (std::vector<int>{1}));
  ASSERT_EQ(loop.wake_ats.size(), 2u);
  EXPECT_EQ(loop.wake_ats[1], absl::Seconds(2)) << "past, and asked for";
  loop.fire(absl::Seconds(2));
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

// A backend destroyed by its own cancel hooks, as the Python adapter can be
// (its loop lives while a framework call it filed is pending). Under ASan a
// LoopBase that touched itself after the hook would be a use after free.
class DestroyedByItsCancelHooks : public RecordingBackend {
 protected:
  void timer_cancelled(absl::Duration /*deadline*/) override { delete this; }
  void cancel_wake_at() override { delete this; }
};

TEST(LoopBaseTest, ACancelHookMayDestroyTheLoop) {
  auto* loop = new DestroyedByItsCancelHooks;
  DelayedCall first = loop->call_later(Us(1000), [] {});
  DelayedCall second = loop->call_later(Us(2000), [] {});
  second.cancel();  // not the last: timer_cancelled() destroys the loop
  EXPECT_FALSE(first.active()) << "the loop's destruction cancelled it";
  loop = new DestroyedByItsCancelHooks;
  DelayedCall only = loop->call_later(Us(1000), [] {});
  only.cancel();  // the last: cancel_wake_at() destroys the loop
  EXPECT_FALSE(only.active());
}

TEST(LoopBaseTest, CallSoonAsksForOneWakeUpPerRound) {
  RecordingBackend loop;
  int ran = 0;
  for (int i = 0; i < 3; ++i) loop.call_soon([&] { ++ran; });
  EXPECT_EQ(loop.wake_ups, 1);
  EXPECT_EQ(ran, 0);
  EXPECT_TRUE(loop.run_once());
  EXPECT_EQ(ran, 3);
  EXPECT_FALSE(loop.run_once()) << "nothing left to run";
  loop.call_soon([&] { ++ran; });
  EXPECT_EQ(loop.wake_ups, 2);
}

TEST(LoopBaseTest, WorkQueuedDuringARoundWaitsForTheNextRound) {
  RecordingBackend loop;
  std::vector<std::string> log;
  loop.call_soon([&] {
    log.push_back("a");
    loop.call_soon([&] { log.push_back("b"); });
  });
  loop.run_once();
  EXPECT_EQ(log, (std::vector<std::string>{"a"}));
  EXPECT_EQ(loop.wake_ups, 2) << "the round asked to be woken again";
  EXPECT_TRUE(loop.has_ready_work());
  loop.run_once();
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(loop.has_ready_work());
}

TEST(LoopBaseTest, CancellingTheLastTimerDropsTheWakeUp) {
  RecordingBackend loop;
  DelayedCall first = loop.call_later(Us(1000), [] {});
  DelayedCall second = loop.call_later(Us(3000), [] {});
  first.cancel();
  EXPECT_EQ(loop.cancelled_wake_ats, 0) << "the second timer still needs it";
  second.cancel();
  EXPECT_EQ(loop.cancelled_wake_ats, 1);
  second.cancel();
  EXPECT_EQ(loop.cancelled_wake_ats, 1) << "cancelling twice is a no-op";
  // A new timer asks again; one that runs leaves nothing to drop.
  loop.call_later(Us(2000), [] {});
  EXPECT_EQ(loop.wake_ats.back(), Us(2000));
  loop.now_ = Us(2000);
  loop.run_once();
  EXPECT_EQ(loop.cancelled_wake_ats, 1);
}

TEST(LoopBaseTest, ARoundThatRunsTheLastTimerEarlyDropsTheWakeUp) {
  // The wake-up is rounded up to a millisecond; a round that another task
  // started between the deadline and that millisecond runs the timer, and
  // the wake-up is then not needed.
  RecordingBackend loop;
  loop.call_later(Us(1500), [] {});
  EXPECT_EQ(loop.wake_ats.back(), Us(2000));
  loop.now_ = Us(1700);
  loop.call_soon([] {});
  loop.run_once();
  EXPECT_EQ(loop.cancelled_wake_ats, 1);
}

TEST(LoopBaseTest, TimerWakeUpsAreRoundedUpToMillisecondsAndCoalesced) {
  RecordingBackend loop;
  loop.call_later(Us(1500), [] {});
  EXPECT_EQ(loop.wake_ats, (std::vector<absl::Duration>{Us(2000)}));
  loop.call_later(Us(1700), [] {});  // same millisecond: no new request
  loop.call_later(Us(3000), [] {});  // later: no new request
  EXPECT_EQ(loop.wake_ats.size(), 1u);
  loop.call_later(Us(200), [] {});  // earlier: re-armed
  EXPECT_EQ(loop.wake_ats, (std::vector<absl::Duration>{Us(2000), Us(1000)}));
  EXPECT_EQ(loop.pending_timers(), 4u);
}

TEST(LoopBaseTest, WholeMillisecondDeadlinesAreNotRounded) {
  RecordingBackend loop;
  loop.call_later(absl::Milliseconds(4), [] {});
  EXPECT_EQ(loop.wake_ats,
            (std::vector<absl::Duration>{absl::Milliseconds(4)}));
}

TEST(LoopBaseTest, EachRoundReArmsForTheNextTimer) {
  RecordingBackend loop;
  std::vector<int> log;
  loop.call_later(absl::Milliseconds(1), [&] { log.push_back(1); });
  loop.call_later(absl::Milliseconds(2), [&] { log.push_back(2); });
  EXPECT_FALSE(loop.has_ready_work());
  loop.now_ = absl::Milliseconds(1);
  EXPECT_TRUE(loop.has_ready_work());
  loop.run_once();
  EXPECT_EQ(log, (std::vector<int>{1}));
  loop.now_ = absl::Milliseconds(2);
  loop.run_once();
  EXPECT_EQ(log, (std::vector<int>{1, 2}));
  EXPECT_EQ(loop.wake_ats, (std::vector<absl::Duration>{
                               absl::Milliseconds(1), absl::Milliseconds(2)}));
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST(LoopBaseTest, TimerIsNotRunBeforeItsOwnDeadline) {
  RecordingBackend loop;
  bool ran = false;
  loop.call_later(Us(1500), [&] { ran = true; });
  // Woken at the millisecond boundary's floor: still early.
  loop.now_ = Us(1499);
  EXPECT_FALSE(loop.run_once());
  EXPECT_FALSE(ran);
  loop.now_ = Us(1500);
  EXPECT_TRUE(loop.run_once());
  EXPECT_TRUE(ran);
}

TEST(LoopBaseTest, CrossThreadPostsWakeOnceUntilDrained) {
  RecordingBackend loop;
  int ran = 0;
  std::thread poster([&] {
    for (int i = 0; i < 3; ++i) loop.call_soon_threadsafe([&] { ++ran; });
  });
  poster.join();
  EXPECT_EQ(loop.wake_ups, 1);
  EXPECT_TRUE(loop.has_ready_work());
  loop.run_once();
  EXPECT_EQ(ran, 3);
  std::thread again([&] { loop.call_soon_threadsafe([&] { ++ran; }); });
  again.join();
  EXPECT_EQ(loop.wake_ups, 2);
  loop.run_once();
  EXPECT_EQ(ran, 4);
}

TEST(LoopBaseTest, ThrowingTaskIsReportedNotPropagated) {
  std::vector<std::string> reported;
  UnhandledFailureHandler previous = set_unhandled_failure_handler(
      [&](const Failure& f) { reported.push_back(failure_message(f)); });
  RecordingBackend loop;
  bool after = false;
  loop.call_soon([] { throw std::runtime_error("task"); });
  loop.call_later(absl::ZeroDuration(),
                  [] { throw std::logic_error("timer"); });
  loop.call_soon([&] { after = true; });
  EXPECT_NO_THROW(loop.run_once());
  set_unhandled_failure_handler(std::move(previous));
  EXPECT_TRUE(after);
  EXPECT_EQ(reported, (std::vector<std::string>{"std::runtime_error: task",
                                                "std::logic_error: timer"}));
}

// A backend whose timer fails once (a Python loop whose call_later raises,
// or a closed loop) must not leave the timer behind, nor a wake-up it never
// armed: the next call_later re-arms, and its timer runs.
TEST(LoopBaseTest, AFailedWakeAtLeavesNoTimerAndIsRetried) {
  RecordingBackend loop;
  loop.fail_wake_ats = 1;
  int ran = 0;
  EXPECT_THROW(loop.call_later(Us(1000), [&] { ran += 10; }),
               std::runtime_error);
  EXPECT_EQ(loop.pending_timers(), 0u);
  DelayedCall call = loop.call_later(Us(1000), [&] { ++ran; });
  EXPECT_EQ(loop.wake_ats, std::vector<absl::Duration>{Us(1000)});
  loop.now_ = Us(1000);
  loop.run_once();
  EXPECT_EQ(ran, 1);
  // A failure while an earlier wake-up was armed: the later call_later
  // arms one for the timer left waiting.
  DelayedCall later = loop.call_later(Us(5000), [&] { ++ran; });
  loop.fail_wake_ats = 1;
  EXPECT_THROW(loop.call_later(Us(2000), [] {}), std::runtime_error);
  const size_t armed = loop.wake_ats.size();
  loop.call_later(Us(9000), [&] { ++ran; });
  ASSERT_EQ(loop.wake_ats.size(), armed + 1);
  EXPECT_EQ(loop.wake_ats.back(), Us(6000));
  loop.now_ = Us(6000);
  loop.run_once();
  EXPECT_EQ(ran, 2);
}

TEST(LoopBaseTest, DelayedCallOutlivingItsLoopIsInactive) {
  auto token = std::make_shared<int>(0);
  DelayedCall call;
  {
    RecordingBackend loop;
    call = loop.call_later(absl::Seconds(1), [token] {});
    EXPECT_TRUE(call.active());
  }
  EXPECT_FALSE(call.active());
  EXPECT_FALSE(call.cancel());
  EXPECT_EQ(token.use_count(), 1);
}

}  // namespace
}  // namespace txaio
