// Checks the inline conversions against Abseil's own.
#include "core/internal/duration.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace txaio::internal {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// Reference: Abseil's truncating conversion, then round up if anything was cut.
int64_t Reference(absl::Duration d) {
  int64_t truncated = absl::ToInt64Nanoseconds(d);
  if (truncated == kMax || truncated == kMin) return truncated;
  return absl::Nanoseconds(truncated) < d ? truncated + 1 : truncated;
}

TEST(DurationTest, MatchesAbseilOnExactAndFractionalValues) {
  const absl::Duration cases[] = {
      absl::ZeroDuration(),
      absl::Nanoseconds(1),
      absl::Nanoseconds(-1),
      absl::Nanoseconds(1) / 4,
      -absl::Nanoseconds(1) / 4,
      absl::Nanoseconds(3) / 4,
      absl::Milliseconds(1) + absl::Nanoseconds(1) / 2,
      absl::Seconds(1),
      absl::Seconds(-1) - absl::Nanoseconds(1) / 4,
      absl::Seconds(1.5),
      absl::Seconds(0.1),
      absl::Seconds(1e-10),
      absl::Hours(24 * 365 * 100),
      -absl::Hours(24 * 365 * 100),
  };
  for (absl::Duration d : cases) {
    EXPECT_EQ(CeilToNanoseconds(d), Reference(d)) << absl::FormatDuration(d);
  }
}

TEST(DurationTest, SaturatesOutOfRangeAndInfinite) {
  EXPECT_EQ(CeilToNanoseconds(absl::InfiniteDuration()), kMax);
  EXPECT_EQ(CeilToNanoseconds(-absl::InfiniteDuration()), kMin);
  EXPECT_EQ(CeilToNanoseconds(absl::Seconds(int64_t{1} << 40)), kMax);
  EXPECT_EQ(CeilToNanoseconds(-absl::Seconds(int64_t{1} << 40)), kMin);
}

TEST(DurationTest, FloorRoundsDown) {
  EXPECT_EQ(FloorToNanoseconds(absl::Nanoseconds(5)), 5);
  EXPECT_EQ(FloorToNanoseconds(absl::Nanoseconds(5) + absl::Nanoseconds(1) / 2),
            5);
  EXPECT_EQ(FloorToNanoseconds(-absl::Nanoseconds(1) / 4), -1);
  EXPECT_EQ(FloorToNanoseconds(absl::InfiniteDuration()), kMax);
}

TEST(DurationTest, SaturatingAdd) {
  EXPECT_EQ(SaturatingAdd(2, 3), 5);
  EXPECT_EQ(SaturatingAdd(kMax, 1), kMax);
  EXPECT_EQ(SaturatingAdd(kMin, -1), kMin);
  EXPECT_EQ(SaturatingAdd(kMax, kMin), -1);
}

}  // namespace
}  // namespace txaio::internal
