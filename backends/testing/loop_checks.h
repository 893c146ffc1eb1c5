// Checks every backend over a real event loop runs in its own unit test, on
// its own concrete loop type: what the conformance suite cannot reach
// through the public interface (an overridden wake_at) or cannot ask of
// every loop (the manual loop's run() returns when idle instead of waiting).
#ifndef TXAIO_BACKENDS_TESTING_LOOP_CHECKS_H_
#define TXAIO_BACKENDS_TESTING_LOOP_CHECKS_H_

#include <chrono>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/api.h"
#include "core/loop_registry.h"
#include "core/runnable_loop.h"
#include "gtest/gtest.h"

namespace txaio::loop_checks {

// `BackendLoop` with its framework timer armed 5 ms before each deadline,
// as a timer counting from a cached time (libuv's, GLib's) can fire.
template <class BackendLoop>
class EarlyTimerLoop : public BackendLoop {
 public:
  using BackendLoop::BackendLoop;

 protected:
  void wake_at(absl::Duration deadline) override {
    BackendLoop::wake_at(deadline - absl::Milliseconds(5));
  }
};

// A framework timer that fires before the deadline must reach
// LoopBase::on_wake_at_timer(), which arms it again: otherwise the loop
// sleeps through the deadline. run_for's own end is a later timer, so a lost
// deadline shows as a call that ran early (or a hang, failing on the test's
// timeout). `args` construct the loop.
template <class BackendLoop, class... Args>
void ExpectTimerFiringEarlyIsArmedAgain(Args&&... args) {
  EarlyTimerLoop<BackendLoop> loop(std::forward<Args>(args)...);
  const absl::Duration deadline = loop.now() + absl::Milliseconds(20);
  absl::Duration ran_at = absl::ZeroDuration();
  loop.call_later(deadline - loop.now(), [&] { ran_at = loop.now(); });
  loop.run_for(absl::Milliseconds(40));
  EXPECT_GE(ran_at, deadline) << "the call ran before its deadline";
}

// Twenty timers 0.7 ms apart all run, none before its deadline on the loop's
// own clock (frameworks' timers count from a cached iteration time).
template <class BackendLoop>
void ExpectTimersAreNeverEarly(BackendLoop& loop) {
  int early = 0;
  int fired = 0;
  for (int i = 1; i <= 20; ++i) {
    const absl::Duration deadline = loop.now() + absl::Microseconds(700 * i);
    loop.call_later(deadline - loop.now(), [&, deadline] {
      ++fired;
      if (loop.now() < deadline) ++early;
    });
  }
  loop.run_for(absl::Milliseconds(30));
  EXPECT_EQ(fired, 20);
  EXPECT_EQ(early, 0);
}

// run() with nothing scheduled blocks in the framework (using under half the
// CPU time of its 50 ms wait) until stop() from another thread ends it.
template <class BackendLoop>
void ExpectIdleRunWaitsUntilStoppedFromAnotherThread(BackendLoop& loop) {
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    loop.stop();
  });
  const std::clock_t cpu_before = std::clock();
  loop.run();
  const double cpu_ms =
      1000.0 * static_cast<double>(std::clock() - cpu_before) / CLOCKS_PER_SEC;
  stopper.join();
  EXPECT_LT(cpu_ms, 25.0) << "run() spun instead of waiting";
}

// Callbacks that throw (a call_soon and a call_later) lose nothing queued
// after them while the application runs the framework's loop itself:
// `run_application()` runs it until `quit_application()`, which the last
// call makes.
template <class BackendLoop, class Run, class Quit>
void ExpectAThrowingCallbackLosesNothingQueuedAfterIt(BackendLoop& loop,
                                                      Run run_application,
                                                      Quit quit_application) {
  std::vector<int> order;
  loop.call_soon([] { throw std::runtime_error("boom"); });
  loop.call_soon([&] { order.push_back(1); });
  loop.call_later(absl::Milliseconds(1), [] { throw std::runtime_error("x"); });
  loop.call_later(absl::Milliseconds(1), [&] {
    order.push_back(2);
    quit_application();
  });
  run_application();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

// The backend is registered as `name`: use_loop_named(name) selects a
// `BackendLoop` that the free functions then use. Restores the selection.
template <class BackendLoop>
void ExpectRegisteredAs(std::string_view name) {
  std::shared_ptr<Loop> previous = use_loop(nullptr);
  RunnableLoop& loop = use_loop_named(name);
  EXPECT_EQ(using_framework(), name);
  EXPECT_NE(dynamic_cast<BackendLoop*>(&loop), nullptr);
  Future<void> nap = sleep(0.002);
  loop.run_until_complete(nap);
  EXPECT_TRUE(nap.succeeded());
  use_loop(std::move(previous));
}

}  // namespace txaio::loop_checks

#endif  // TXAIO_BACKENDS_TESTING_LOOP_CHECKS_H_
