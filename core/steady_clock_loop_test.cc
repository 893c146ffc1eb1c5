#include "core/steady_clock_loop.h"

#include <chrono>

#include "gtest/gtest.h"

namespace txaio {
namespace {

// The clock alone: a loop that never runs.
class ClockOnly : public SteadyClockLoop {
 public:
  std::string_view framework() const override { return "clock-only"; }
  using SteadyClockLoop::timeout_ms_until;

 protected:
  void wake_up() override {}
  void wake_at(absl::Duration) override {}
  bool iterate(bool) override { return true; }
};

TEST(SteadyClockLoopTest, NowIsTheSteadyClock) {
  ClockOnly clock;
  const auto before = std::chrono::steady_clock::now().time_since_epoch();
  const absl::Duration now = clock.now();
  const auto after = std::chrono::steady_clock::now().time_since_epoch();
  EXPECT_GE(now, absl::FromChrono(before));
  EXPECT_LE(now, absl::FromChrono(after));
}

TEST(SteadyClockLoopTest, TimeoutIsRoundedUpAndClamped) {
  ClockOnly clock;
  const absl::Duration now = clock.now();
  EXPECT_EQ(clock.timeout_ms_until(now - absl::Seconds(1), 1000), 0);
  // At least the 1.5 ms left, rounded up; the clock moved a little meanwhile.
  const int64_t ms =
      clock.timeout_ms_until(now + absl::Microseconds(1500), 1000);
  EXPECT_GE(ms, 1);
  EXPECT_LE(ms, 2);
  EXPECT_EQ(clock.timeout_ms_until(now + absl::Hours(1000), 1000), 1000);
}

}  // namespace
}  // namespace txaio
