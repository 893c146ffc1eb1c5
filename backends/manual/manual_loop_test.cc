// Unit tests of ManualLoop's fake clock (Twisted's task.Clock semantics).
#include "backends/manual/manual_loop.h"

#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#include "core/api.h"
#include "core/testutil.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

TEST(ManualLoopTest, ClockStartsAtZeroAndMovesOnlyWhenAdvanced) {
  ManualLoop loop;
  EXPECT_EQ(loop.now(), absl::ZeroDuration());
  loop.run_until_idle();
  EXPECT_EQ(loop.now(), absl::ZeroDuration());
  loop.advance(absl::Seconds(2.5));
  EXPECT_EQ(loop.now(), absl::Seconds(2.5));
  EXPECT_EQ(loop.framework(), "manual");
}

TEST(ManualLoopTest, BadAdvanceThrowsAndLeavesTheClock) {
  ManualLoop loop;
  loop.advance(absl::Seconds(1));
  EXPECT_THROW(loop.advance(-absl::Nanoseconds(1)), std::invalid_argument);
  EXPECT_THROW(loop.advance(absl::InfiniteDuration()), std::invalid_argument);
  EXPECT_EQ(loop.now(), absl::Seconds(1));
}

TEST(ManualLoopTest, AdvanceRunsDueCallsInOrderAtTheNewTime) {
  ManualLoop loop;
  std::vector<absl::Duration> seen_at;
  std::vector<int> order;
  for (int s : {3, 1, 2, 9}) {
    loop.call_later(absl::Seconds(s), [&, s] {
      order.push_back(s);
      seen_at.push_back(loop.now());
    });
  }
  loop.advance(absl::Seconds(5));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  for (absl::Duration t : seen_at) EXPECT_EQ(t, absl::Seconds(5));
  EXPECT_EQ(loop.pending_timers(), 1u);
}

TEST(ManualLoopTest, AdvanceByZeroRunsWhatIsDueNow) {
  ManualLoop loop;
  bool ran = false;
  loop.call_later(absl::ZeroDuration(), [&] { ran = true; });
  loop.advance(absl::ZeroDuration());
  EXPECT_TRUE(ran);
}

TEST(ManualLoopTest, RunUntilIdleFollowsChainsAndCountsCallbacks) {
  ManualLoop loop;
  int depth = 0;
  std::function<void()> step = [&] {
    if (++depth < 5) loop.call_soon(step);
  };
  loop.call_soon(step);
  EXPECT_EQ(loop.run_until_idle(), 5u);
  EXPECT_EQ(depth, 5);
  EXPECT_EQ(loop.run_until_idle(), 0u) << "an idle loop runs nothing";
}

TEST(ManualLoopTest, ZeroDelayCallScheduledByACallRunsInTheSameAdvance) {
  ManualLoop loop;
  std::vector<int> order;
  loop.call_later(absl::Seconds(1), [&] {
    order.push_back(1);
    loop.call_later(absl::ZeroDuration(), [&] { order.push_back(2); });
  });
  loop.advance(absl::Seconds(1));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(ManualLoopTest, UseManualSelectsAFreshManualLoop) {
  std::shared_ptr<Loop> previous = use_loop(nullptr);
  ManualLoop& loop = use_manual();
  EXPECT_EQ(using_framework(), "manual");
  EXPECT_EQ(&default_loop(), &loop);
  use_loop(std::move(previous));
}

TEST(ManualLoopTest, DrivesTheFreeFunctionsThroughReplaceLoop) {
  ManualLoop clock;
  auto guard = testutil::replace_loop(clock);
  bool fired = false;
  call_later(5.0, [&] { fired = true; });
  Future<void> nap = sleep(10.0);
  clock.advance(absl::Seconds(4));
  EXPECT_FALSE(fired);
  clock.advance(absl::Seconds(1));
  EXPECT_TRUE(fired);
  EXPECT_FALSE(is_called(nap));
  clock.advance(absl::Seconds(5));
  EXPECT_TRUE(nap.succeeded());
}

}  // namespace
}  // namespace txaio
