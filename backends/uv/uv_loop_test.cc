// Unit tests of UvLoop: what the conformance suite cannot see. Wrapping a
// uv_loop_t the application runs with its own uv_run(), leaving it clean when
// the UvLoop goes first, and libuv's timer firing before our clock reaches
// the deadline.
#include "backends/uv/uv_loop.h"

#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "backends/testing/loop_checks.h"
#include "core/api.h"
#include "core/loop_registry.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// An application's uv_loop_t, closed (and checked clean) at the end.
class AppLoop {
 public:
  AppLoop() { EXPECT_EQ(uv_loop_init(&loop_), 0); }
  ~AppLoop() {
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left on the loop";
  }
  uv_loop_t& get() { return loop_; }

 private:
  uv_loop_t loop_;
};

// Counts every handle on a loop, closing ones included.
int HandleCount(uv_loop_t& loop) {
  int count = 0;
  uv_walk(
      &loop, [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); },
      &count);
  return count;
}

TEST(UvLoopTest, TheApplicationsUvRunRunsTxaiosWork) {
  AppLoop app;
  {
    UvLoop loop(app.get());
    EXPECT_EQ(&loop.uv_loop(), &app.get());
    std::vector<int> order;
    uv_timer_t app_timer;
    uv_timer_init(&app.get(), &app_timer);
    app_timer.data = &order;
    uv_timer_start(
        &app_timer,
        [](uv_timer_t* t) {
          static_cast<std::vector<int>*>(t->data)->push_back(3);
        },
        5, 0);
    loop.call_soon([&] { order.push_back(1); });
    loop.call_later(absl::Milliseconds(20), [&] { order.push_back(4); });
    loop.call_later(absl::Milliseconds(1), [&] { order.push_back(2); });
    // The application's own run: returns once its timer and txaio's work
    // are done (nothing of ours keeps it going afterwards).
    EXPECT_EQ(uv_run(&app.get(), UV_RUN_DEFAULT), 0);
    // (Where 3 falls depends on how loaded the machine is: a slow start can
    // make every deadline due in the first iteration.)
    std::vector<int> ours;
    for (int i : order) {
      if (i != 3) ours.push_back(i);
    }
    EXPECT_EQ(ours, (std::vector<int>{1, 2, 4}));
    EXPECT_EQ(std::count(order.begin(), order.end(), 3), 1);
    uv_close(reinterpret_cast<uv_handle_t*>(&app_timer), nullptr);
  }
  uv_run(&app.get(), UV_RUN_DEFAULT);  // lets libuv free the closed handles
}

TEST(UvLoopTest, AnIdleUvLoopDoesNotKeepTheApplicationsRunGoing) {
  AppLoop app;
  {
    UvLoop loop(app.get());
    DelayedCall call = loop.call_later(absl::Seconds(60), [] {});
    call.cancel();  // the timer is stopped, not left to keep uv_run going
    EXPECT_EQ(uv_run(&app.get(), UV_RUN_DEFAULT), 0);  // returns at once
  }
  uv_run(&app.get(), UV_RUN_DEFAULT);
}

TEST(UvLoopTest, DestroyedLoopLeavesTheWrappedLoopClean) {
  AppLoop app;
  auto token = std::make_shared<int>(0);
  bool ran = false;
  DelayedCall call;
  {
    UvLoop loop(app.get());
    EXPECT_EQ(HandleCount(app.get()), 3);
    loop.call_soon([&ran, token] { ran = true; });
    call =
        loop.call_later(absl::Milliseconds(1), [&ran, token] { ran = true; });
    std::thread([&loop, &ran, token] {
      loop.call_soon_threadsafe([&ran, token] { ran = true; });
    }).join();
  }
  EXPECT_EQ(token.use_count(), 1) << "the loop released what it held";
  EXPECT_FALSE(call.active());
  // The application keeps running its loop: nothing of ours fires (the
  // idle, timer and async were all armed), and libuv frees our closed
  // handles (AppLoop's uv_loop_close and LeakSanitizer check).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(uv_run(&app.get(), UV_RUN_DEFAULT), 0);
  EXPECT_FALSE(ran);
  EXPECT_EQ(HandleCount(app.get()), 0);
}

TEST(UvLoopTest, OwningLoopClosesHandlesTheApplicationLeftOpen) {
  uv_timer_t left_open;  // outlives the loop, as libuv requires
  {
    UvLoop loop;
    uv_timer_init(&loop.uv_loop(), &left_open);
    uv_timer_start(
        &left_open, [](uv_timer_t*) {}, 60'000, 0);
  }  // closes it and the loop; LeakSanitizer checks nothing was left
  SUCCEED();
}

// A uv_timer_t measures its timeout from the loop time libuv cached when the
// iteration began, so a timer armed late in a long iteration fires before
// our clock reaches the deadline as soon as the next iteration does not wait
// the full timeout in poll. The call must still run, and not early.
TEST(UvLoopTest, TimerFiringBeforeTheDeadlineIsArmedAgain) {
  AppLoop app;
  {
    UvLoop loop(app.get());
    struct State {
      UvLoop* loop;
      absl::Duration deadline;
      absl::Duration ran_at = absl::ZeroDuration();
      bool cache_was_stale = false;
      uv_timer_t other;
    } state{&loop, absl::ZeroDuration()};
    uv_timer_init(&app.get(), &state.other);
    uv_timer_t kickoff;
    uv_timer_init(&app.get(), &kickoff);
    kickoff.data = &state;
    uv_timer_start(
        &kickoff,
        [](uv_timer_t* t) {
          auto& s = *static_cast<State*>(t->data);
          // A slow callback: libuv's cached time stays where it was.
          std::this_thread::sleep_for(std::chrono::milliseconds(30));
          uv_loop_t* l = t->loop;
          s.cache_was_stale =
              uv_hrtime() / 1'000'000 >= uv_now(l) + 25;  // precondition
          s.deadline = s.loop->now() + absl::Milliseconds(10);
          s.loop->call_later(absl::Milliseconds(10),
                             [&s] { s.ran_at = s.loop->now(); });
          // The application's next timer makes libuv's poll return after
          // 1 ms: libuv then refreshes its time and finds our timer due,
          // about 9 ms before our deadline.
          uv_timer_start(
              &s.other, [](uv_timer_t*) {}, 1, 0);
        },
        1, 0);
    // If the early fire were taken for the deadline, nothing would re-arm
    // the timer: uv_run would return with the call still pending.
    EXPECT_EQ(uv_run(&app.get(), UV_RUN_DEFAULT), 0);
    EXPECT_TRUE(state.cache_was_stale);
    EXPECT_GT(state.ran_at, absl::ZeroDuration()) << "the call never ran";
    EXPECT_GE(state.ran_at, state.deadline);
    uv_close(reinterpret_cast<uv_handle_t*>(&kickoff), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&state.other), nullptr);
  }
  uv_run(&app.get(), UV_RUN_DEFAULT);
}

TEST(UvLoopTest, CallSoonThreadsafeWakesTheApplicationsRun) {
  AppLoop app;
  {
    UvLoop loop(app.get());
    // The application's own handle keeps its uv_run going (ours do not);
    // the task from another thread runs long before it fires and stops it.
    uv_timer_t keep_alive;
    uv_timer_init(&app.get(), &keep_alive);
    uv_timer_start(
        &keep_alive, [](uv_timer_t*) {}, 10'000, 0);
    const absl::Duration start = loop.now();
    absl::Duration ran_after = absl::InfiniteDuration();
    std::thread worker([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      loop.call_soon_threadsafe([&] {
        ran_after = loop.now() - start;
        uv_timer_stop(&keep_alive);
      });
    });
    uv_run(&app.get(), UV_RUN_DEFAULT);
    worker.join();
    EXPECT_LT(ran_after, absl::Seconds(5));
    uv_close(reinterpret_cast<uv_handle_t*>(&keep_alive), nullptr);
  }
  uv_run(&app.get(), UV_RUN_DEFAULT);
}

TEST(UvLoopTest, IdleRunWaitsUntilStoppedFromAnotherThread) {
  UvLoop loop;
  loop_checks::ExpectIdleRunWaitsUntilStoppedFromAnotherThread(loop);
}

// A timer already due when uv_run() begins fires before libuv polls, and
// UV_RUN_ONCE then polls with no timeout: the run must end after our work
// instead of sleeping until some unrelated event (it hung 1 run in ~100).
TEST(UvLoopTest, ATimerDueBeforeTheIterationDoesNotLeaveTheRunAsleep) {
  for (int i = 0; i < 20; ++i) {
    UvLoop loop;
    Future<int> f = with_config(loop).create_future<int>();
    loop.call_later(absl::Milliseconds(1), [f, i]() mutable { f.resolve(i); });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    // A watchdog turns a hang into a failure (run_until_complete throws).
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
      for (int t = 0; t < 500 && !done; ++t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!done) loop.stop();
    });
    int got = -1;
    EXPECT_NO_THROW(got = loop.run_until_complete(f));
    done = true;
    watchdog.join();
    EXPECT_EQ(got, i);
  }
}

TEST(UvLoopTest, RegisteredAsUv) {
  loop_checks::ExpectRegisteredAs<UvLoop>("uv");
}

}  // namespace
}  // namespace txaio
