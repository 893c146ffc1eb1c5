#include "core/runnable_loop.h"

#include <optional>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/errors.h"
#include "core/internal/duration.h"

namespace txaio {

class RunnableLoop::RunScope {
 public:
  RunScope(RunnableLoop& loop, const char* what) : loop_(loop) {
    loop_.check_loop_thread(what);
    if (loop_.running_) {
      throw UsageError(absl::StrCat(
          "RunnableLoop::", what,
          ": the loop is already running (runs do not nest; called from "
          "inside one of its own callbacks?)"));
    }
    loop_.running_ = true;
    loop_thread_.emplace(loop_);
  }
  ~RunScope() {
    loop_thread_.reset();
    loop_.running_ = false;
  }
  RunScope(const RunScope&) = delete;
  RunScope& operator=(const RunScope&) = delete;

  // Consumes a pending stop(): true if the run must end now. (A plain load
  // first: the exchange is a full barrier, paid once per round otherwise.)
  bool stopped() {
    return loop_.stop_requested_.load(std::memory_order_relaxed) &&
           loop_.stop_requested_.exchange(false);
  }

 private:
  RunnableLoop& loop_;
  std::optional<LoopThreadScope> loop_thread_;
};

void RunnableLoop::stop() {
  stop_requested_.store(true);
  // A run blocked in iterate() returns once something is dispatched.
  wake_up();
}

void RunnableLoop::run() {
  RunScope scope(*this, "run");
  while (!scope.stopped()) {
    if (!iterate(/*block=*/true)) {
      throw std::runtime_error(
          "RunnableLoop::run: nothing is scheduled and the loop's clock only "
          "moves when told; the run would never end");
    }
  }
}

void RunnableLoop::run_until_called(absl::FunctionRef<bool()> done) {
  RunScope scope(*this, "run_until_complete");
  while (!done()) {
    if (scope.stopped()) {
      throw std::runtime_error(
          "RunnableLoop::run_until_complete: the loop was stopped before the "
          "future completed");
    }
    if (!iterate(/*block=*/true)) {
      throw std::runtime_error(
          "RunnableLoop::run_until_complete: the future is still pending and "
          "nothing is scheduled that could complete it (advance the clock?)");
    }
  }
  // A stop() that came too late to matter is not left for the next run.
  scope.stopped();
}

size_t RunnableLoop::run_until_idle() {
  RunScope scope(*this, "run_until_idle");
  const size_t before = callbacks_run();
  do {
    iterate(/*block=*/false);
  } while (!scope.stopped() && has_ready_work());
  return callbacks_run() - before;
}

void RunnableLoop::run_for(absl::Duration duration) {
  internal::CheckedDelay(duration, "RunnableLoop::run_for");
  RunScope scope(*this, "run_for");
  // The end of the window is one more timer, so the run wakes for it the way
  // it wakes for any other, and a clock that moves only when told steps
  // through every earlier deadline first.
  bool ended = false;
  DelayedCall end = call_later(duration, [&ended] { ended = true; });
  try {
    while (!ended && !scope.stopped()) iterate(/*block=*/true);
  } catch (...) {
    end.cancel();
    throw;
  }
  end.cancel();
}

}  // namespace txaio
