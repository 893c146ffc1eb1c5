// The out-of-line parts of the delay rule (core/internal/duration.h): the one
// error message for a bad delay, and the public seconds conversion
// (core/delay.h), so that the rule is implemented once.
#include "core/internal/duration.h"

#include <stdexcept>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/delay.h"

namespace txaio {

absl::Duration SecondsToDelay(double seconds, const char* what) {
  // Also false for NaN.
  if (!(seconds >= 0 && seconds <= kMaxDelaySeconds)) [[unlikely]] {
    internal::ThrowBadDelay(what, absl::StrCat(seconds));
  }
  return absl::Seconds(seconds);
}

namespace internal {

void ThrowBadDelay(const char* what, const std::string& given,
                   const char* quantity, const char* min) {
  throw std::invalid_argument(absl::StrCat(
      what, ": ", quantity, " must be a finite number of seconds from ", min,
      " to 1e+09 (about 31 years), got ", given));
}

void ThrowBadDelayDuration(const char* what, absl::Duration delay) {
  ThrowBadDelay(what, absl::StrCat(absl::FormatDuration(delay), " (",
                                   absl::ToDoubleSeconds(delay), " s)"));
}

}  // namespace internal
}  // namespace txaio
