// RunnableLoop: the one run interface of every backend that runs its own
// event loop (asyncio's run_forever/run_until_complete/stop, Asio's run/stop).
//
// A backend supplies one primitive, iterate(block): run its event loop once,
// first waiting for something to happen if `block`. Everything else is
// written here once, on top of LoopBase, so run(), stop(),
// run_until_complete(), run_until_idle() and run_for() mean the same on
// every backend (pinned by the conformance suite):
//
//   std::unique_ptr<txaio::RunnableLoop> loop = txaio::make_loop("uv");
//   int answer = loop->run_until_complete(compute(txaio::with_config(*loop)));
//
// Runs do not nest: calling a run* member from inside a callback that the
// same loop is running throws UsageError. Everything but stop() (and
// call_soon_threadsafe()) is for the loop's thread only.
#ifndef TXAIO_CORE_RUNNABLE_LOOP_H_
#define TXAIO_CORE_RUNNABLE_LOOP_H_

#include <atomic>
#include <cstddef>
#include <type_traits>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "core/future.h"
#include "core/loop_base.h"

namespace txaio {

class RunnableLoop : public LoopBase {
 public:
  // Runs until stop() is called, even while there is nothing to do. A stop()
  // made while no run* call was active makes the next one return at once.
  void run();

  // Asks the active (or next) run* call to return after the callback now
  // running; safe from any thread and from inside callbacks.
  void stop();

  // Runs until `future` is called, then returns its value or rethrows its
  // failure's exception (CancelledError if it was cancelled), as asyncio's
  // run_until_complete does. Throws std::runtime_error if stop() ends the run
  // first, or if nothing is left that could ever call the future (a loop
  // whose clock only moves when told, with no timer pending).
  template <typename T>
  T run_until_complete(const Future<T>& future) {
    run_until_called([&future] { return future.is_called(); });
    if constexpr (std::is_void_v<T>) {
      future.value();  // rethrows a failure
    } else {
      return future.value();
    }
  }

  // Runs what is ready now, and what that makes ready, until nothing is
  // ready or stop() is called. Does not wait for timers that are not due.
  // Returns the number of callbacks (tasks, dispatches and timers) run.
  size_t run_until_idle();

  // Runs for `duration` on the loop's clock: every timer due by then runs,
  // in deadline order, and the call returns once the loop's clock has
  // reached its start plus `duration` (real clocks may overshoot by the
  // millisecond a timer wake-up is rounded to) or stop() was called. On a
  // clock that moves only when told (ManualLoop) this moves it, step by step
  // through every deadline in the window. `duration` must be finite and not
  // negative (std::invalid_argument).
  void run_for(absl::Duration duration);

 protected:
  // Runs the backend's event loop once: dispatches what is ready (its own
  // I/O, wake_up() and wake_at() requests) and, if `block`, first waits
  // until something is. Returns false only if `block` and nothing could ever
  // happen (a clock that moves only when told, with nothing scheduled); a
  // real loop waits instead. Called on the loop thread by the run* members.
  virtual bool iterate(bool block) = 0;

 private:
  // Iterates, blocking, until `done()` or stop(); throws as
  // run_until_complete() describes.
  void run_until_called(absl::FunctionRef<bool()> done);
  // Marks a run* call active for its lifetime; throws UsageError on nesting.
  class RunScope;

  bool running_ = false;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace txaio

#endif  // TXAIO_CORE_RUNNABLE_LOOP_H_
