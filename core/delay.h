// Delays in seconds: the one rule every delay a caller gives follows.
//
// txaio takes delays as float seconds (call_later(1.5, ...), sleep(0.1)).
// Every delay a caller gives, in C++ or through a binding (call_later, sleep,
// batched calls, run_for, the C ABI's `double` seconds), must be a finite
// number of seconds from 0 to kMaxDelaySeconds (1e9 s, about 31.7 years);
// anything else is std::invalid_argument saying what was given and what is
// accepted (docs/reliability.md, "The delay rule"). Bindings convert their
// seconds with SecondsToDelay, so their limits and messages are the core's:
//
//   absl::Duration d = txaio::SecondsToDelay(seconds, "call_later");
//
// The rule's Duration form and its out-of-line parts live in
// core/internal/duration.h and .cc; this header is their public face.
#ifndef TXAIO_CORE_DELAY_H_
#define TXAIO_CORE_DELAY_H_

#include "absl/time/time.h"

namespace txaio {

// The longest delay accepted, in seconds (about 31.7 years): deadlines then
// stay far inside the int64 nanoseconds every clock and backend timer
// converts them to, whatever the clock reads, so nothing is clamped silently.
inline constexpr double kMaxDelaySeconds = 1e9;

// `seconds` as a delay. Anything but a finite number from 0 to
// kMaxDelaySeconds (negative, NaN, infinite, larger) throws
// std::invalid_argument: "<what>: delay must be a finite number of seconds
// from 0 to 1e+09 (about 31 years), got <seconds>".
absl::Duration SecondsToDelay(double seconds, const char* what);

}  // namespace txaio

#endif  // TXAIO_CORE_DELAY_H_
