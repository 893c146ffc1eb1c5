// SteadyClockLoop: the clock of every backend on real time.
//
// Backends over a real event loop derive from it instead of RunnableLoop so
// that they all tell the same time: the system's monotonic clock
// (std::chrono::steady_clock, CLOCK_MONOTONIC), which is also what libuv,
// GLib, Qt and libevent time their own timers with. A backend converts the
// absolute deadlines LoopBase hands to wake_at() into its own timer's
// relative timeout with timeout_until().
#ifndef TXAIO_CORE_STEADY_CLOCK_LOOP_H_
#define TXAIO_CORE_STEADY_CLOCK_LOOP_H_

#include "absl/time/time.h"
#include "core/runnable_loop.h"

namespace txaio {

class SteadyClockLoop : public RunnableLoop {
 public:
  // steady_clock time since its epoch. (CLOCK_MONOTONIC_COARSE is five
  // times cheaper to read but no substitute: on this kind of machine, with a
  // tickless kernel, it lagged CLOCK_MONOTONIC by 9 ms against its 4 ms
  // resolution, so deadlines measured from it, even rounded up by the
  // resolution, could be early.)
  absl::Duration now() const final;

 protected:
  // How long from now() until `deadline`, rounded up to whole milliseconds
  // (the unit of most loops' timers, so a wake-up is never early) and
  // clamped to [0, max_ms] (timer APIs take 32- or 64-bit counts).
  int64_t timeout_ms_until(absl::Duration deadline, int64_t max_ms) const;
};

}  // namespace txaio

#endif  // TXAIO_CORE_STEADY_CLOCK_LOOP_H_
