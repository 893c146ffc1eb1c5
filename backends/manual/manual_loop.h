// ManualLoop: a deterministic loop with a fake clock, the C++ twin of
// Twisted's task.Clock, for tests (usually with testutil::replace_loop).
//
// Nothing runs until the test says so, and the clock moves only when told:
//   - run_until_idle() runs everything that is ready now;
//   - advance(d) moves the clock forward by d in one jump, then runs what
//     came due (Twisted's Clock.advance): a timer scheduled during that run
//     for a time inside the jumped window waits for the next step;
//   - pump({d1, d2, ...}) advances by each step in turn (Clock.pump);
//   - run_for(d) moves the clock through every deadline up to now + d, one
//     step per deadline, so timers scheduled on the way also run if they fall
//     inside the window (driving a retry loop with one call);
//   - run_until_complete(f) jumps from deadline to deadline until f is called.
// The clock starts at zero. The run interface is RunnableLoop's; registered
// as "manual".
//
//   txaio::ManualLoop clock;
//   auto guard = txaio::testutil::replace_loop(clock);
//   auto timeout = txaio::call_later(5.0, on_timeout);
//   clock.advance(absl::Seconds(4));   // not yet
//   clock.advance(absl::Seconds(1));   // on_timeout has run
#ifndef TXAIO_BACKENDS_MANUAL_MANUAL_LOOP_H_
#define TXAIO_BACKENDS_MANUAL_MANUAL_LOOP_H_

#include <string_view>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/runnable_loop.h"

namespace txaio {

class ManualLoop : public RunnableLoop {
 public:
  ManualLoop() = default;
  // Destroys the coroutines suspended on its futures first (core/loop.h).
  ~ManualLoop() override { destroy_suspended_coroutines(); }

  std::string_view framework() const override { return "manual"; }
  absl::Duration now() const override { return now_; }

  // Moves the clock forward by `delta` (>= 0, else std::invalid_argument),
  // then run_until_idle(). Calls come due in deadline order, all seeing the
  // clock at its new time, as with Twisted's Clock.advance().
  void advance(absl::Duration delta);

  // advance() by each of `steps` in turn (Twisted's Clock.pump()).
  void pump(absl::Span<const absl::Duration> steps);

 protected:
  void wake_up() override {}
  void wake_at(absl::Duration) override {}
  // Runs what is ready; if nothing is and `block`, first moves the clock to
  // the next deadline (false if there is none).
  bool iterate(bool block) override;

 private:
  absl::Duration now_ = absl::ZeroDuration();
};

// Selects a new ManualLoop as the default loop and returns it.
ManualLoop& use_manual();

}  // namespace txaio

#endif  // TXAIO_BACKENDS_MANUAL_MANUAL_LOOP_H_
