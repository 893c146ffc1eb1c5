// ManualLoop: a deterministic loop with a fake clock, the C++ twin of
// Twisted's task.Clock, for tests (usually with testutil::replace_loop).
//
// Nothing runs until the test says so: run_until_idle() runs everything that
// is ready now, advance(d) moves the clock forward by d and then runs
// everything that became due. The clock starts at zero.
//
//   txaio::ManualLoop clock;
//   auto guard = txaio::testutil::replace_loop(clock);
//   auto timeout = txaio::call_later(5.0, on_timeout);
//   clock.advance(absl::Seconds(4));   // not yet
//   clock.advance(absl::Seconds(1));   // on_timeout has run
#ifndef TXAIO_BACKENDS_MANUAL_MANUAL_LOOP_H_
#define TXAIO_BACKENDS_MANUAL_MANUAL_LOOP_H_

#include <memory>
#include <string_view>

#include "absl/time/time.h"
#include "core/loop_base.h"

namespace txaio {

class ManualLoop : public LoopBase {
 public:
  ManualLoop() = default;

  std::string_view framework() const override { return "manual"; }
  absl::Duration now() const override { return now_; }

  // Runs ready tasks and due timers, including those they schedule for now,
  // until none is left. Loop thread only. Returns the number of rounds run.
  int run_until_idle();

  // Moves the clock forward by `delta` (>= 0, else std::invalid_argument),
  // then run_until_idle(). Calls come due in deadline order, all seeing the
  // clock at its new time, as with Twisted's Clock.advance().
  void advance(absl::Duration delta);

 protected:
  void wake_up() override {}
  void wake_at(absl::Duration) override {}

 private:
  absl::Duration now_ = absl::ZeroDuration();
};

// Selects a new ManualLoop as the default loop and returns it.
ManualLoop& use_manual();

}  // namespace txaio

#endif  // TXAIO_BACKENDS_MANUAL_MANUAL_LOOP_H_
