// Internal: inline Duration <-> nanosecond conversions for the timer paths.
//
// Debian's Abseil is a shared library, so absl::ToInt64Nanoseconds and even
// Duration's operator+= are out-of-line calls; on the call_later and batched
// timer paths they cost more than the scheduling itself. These read the
// representation through absl::time_internal, which is stable for the Abseil
// this project pins (20220623); duration_test.cc checks them against Abseil.
#ifndef TXAIO_CORE_INTERNAL_DURATION_H_
#define TXAIO_CORE_INTERNAL_DURATION_H_

#include <cstdint>
#include <limits>
#include <string>

#include "absl/base/attributes.h"
#include "absl/time/time.h"
#include "core/delay.h"

namespace txaio::internal {

// `d` in whole nanoseconds, rounded towards +infinity, saturating at the
// int64 range (infinite durations included). Always inlined: GCC outlines it
// from large callers (the inlined BatchedTimer::call_later), where the call
// costs as much as the conversion.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline int64_t CeilToNanoseconds(
    absl::Duration d) {
  // A Duration is rep_hi seconds plus rep_lo quarter-nanoseconds (rep_lo <
  // 4e9), or infinite with rep_lo == ~0.
  constexpr int64_t kMaxSeconds =
      std::numeric_limits<int64_t>::max() / 1'000'000'000 - 1;
  const int64_t seconds = absl::time_internal::GetRepHi(d);
  const uint32_t quarters = absl::time_internal::GetRepLo(d);
  if (quarters != ~uint32_t{0} && seconds >= -kMaxSeconds &&
      seconds <= kMaxSeconds) {
    return seconds * 1'000'000'000 + (int64_t{quarters} + 3) / 4;
  }
  return d < absl::ZeroDuration() ? std::numeric_limits<int64_t>::min()
                                  : std::numeric_limits<int64_t>::max();
}

// `d` in whole nanoseconds, rounded towards -infinity, saturating.
inline int64_t FloorToNanoseconds(absl::Duration d) {
  int64_t negated = CeilToNanoseconds(-d);
  return negated == std::numeric_limits<int64_t>::min()
             ? std::numeric_limits<int64_t>::max()
             : -negated;
}

// a + b, saturating at the int64 range.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<int64_t>::max()
                 : std::numeric_limits<int64_t>::min();
  }
  return sum;
}

// The one rule for every delay a user gives (call_later, sleep, batched
// calls and buckets, run_for, and the C ABI's double seconds): a finite
// number of seconds from 0 to kMaxDelaySeconds (about 31.7 years). Deadlines
// then stay far inside the int64 nanoseconds every clock and backend timer
// converts them to, whatever the clock reads, so nothing is clamped silently.
// The limit and the seconds conversion (SecondsToDelay) are public, in
// core/delay.h; the forms below are the same limit for the timer paths.
using ::txaio::kMaxDelaySeconds;
inline constexpr int64_t kMaxDelayNs = 1'000'000'000'000'000'000;
inline constexpr absl::Duration kMaxDelay = absl::Seconds(1'000'000'000);
static_assert(kMaxDelayNs ==
              static_cast<int64_t>(kMaxDelaySeconds) * 1'000'000'000);

// Throws std::invalid_argument: "<what>: <quantity> must be a finite number
// of seconds from <min> to 1e+09 (about 31 years), got <given>". `given` is
// what the caller passed, as text ("1e+300", "nan", "-1", "inf").
[[noreturn]] void ThrowBadDelay(const char* what, const std::string& given,
                                const char* quantity = "delay",
                                const char* min = "0");

// ThrowBadDelay for a Duration.
[[noreturn]] void ThrowBadDelayDuration(const char* what, absl::Duration delay);

// `delay` if it follows the rule above, else ThrowBadDelay.
inline absl::Duration CheckedDelay(absl::Duration delay, const char* what) {
  if (delay < absl::ZeroDuration() || delay > kMaxDelay) [[unlikely]] {
    ThrowBadDelayDuration(what, delay);
  }
  return delay;
}

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_DURATION_H_
