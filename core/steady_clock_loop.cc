#include "core/steady_clock_loop.h"

#include <algorithm>
#include <chrono>

namespace txaio {

absl::Duration SteadyClockLoop::now() const {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

int64_t SteadyClockLoop::timeout_ms_until(absl::Duration deadline,
                                          int64_t max_ms) const {
  const absl::Duration left = deadline - now();
  if (left <= absl::ZeroDuration()) return 0;
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1)));
  return std::min(ms, max_ms);
}

}  // namespace txaio
