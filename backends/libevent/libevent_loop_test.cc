// Unit tests of LibeventLoop: what the conformance suite cannot see.
// Wrapping an event_base the application runs with its own
// event_base_dispatch(), leaving it clean when the LibeventLoop goes first,
// libevent's timer firing before our clock reaches the deadline, and txaio's
// work not starving the base's own events.
#include "backends/libevent/libevent_loop.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "backends/testing/loop_checks.h"
#include "core/api.h"
#include "core/loop_registry.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// An application's event_base, made after turning on libevent's locking.
class AppBase {
 public:
  explicit AppBase(bool precise = false) {
    evthread_use_pthreads();
    event_config* config = event_config_new();
    if (precise) event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
    base_ = event_base_new_with_config(config);
    event_config_free(config);
  }
  ~AppBase() { event_base_free(base_); }
  event_base& get() { return *base_; }
  // Events added or active on the base, txaio's included.
  int events() {
    return event_base_get_num_events(
        base_, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE);
  }

 private:
  event_base* base_;
};

// An application's timer event, freed at the end.
class AppTimer {
 public:
  AppTimer(event_base& base, event_callback_fn fn, void* arg)
      : event_(evtimer_new(&base, fn, arg)) {}
  ~AppTimer() { event_free(event_); }
  void add(int ms) {
    const timeval tv = {ms / 1000, ms % 1000 * 1000};
    evtimer_add(event_, &tv);
  }
  void del() { evtimer_del(event_); }

 private:
  event* event_;
};

constexpr int kNoEventsLeft = 1;  // what event_base_dispatch returns then

TEST(LibeventLoopTest, TheApplicationsDispatchRunsTxaiosWork) {
  AppBase app;
  LibeventLoop loop(app.get());
  EXPECT_EQ(&loop.base(), &app.get());
  std::vector<int> order;
  AppTimer app_timer(
      app.get(),
      [](evutil_socket_t, short, void* arg) {
        static_cast<std::vector<int>*>(arg)->push_back(3);
      },
      &order);
  app_timer.add(5);
  loop.call_soon([&] { order.push_back(1); });
  loop.call_later(absl::Milliseconds(20), [&] { order.push_back(4); });
  loop.call_later(absl::Milliseconds(1), [&] { order.push_back(2); });
  // The application's own run: returns once its timer and txaio's work are
  // done (nothing of ours keeps it going afterwards).
  EXPECT_EQ(event_base_dispatch(&app.get()), kNoEventsLeft);
  // (Where 3 falls depends on how loaded the machine is.)
  std::vector<int> ours;
  for (int i : order) {
    if (i != 3) ours.push_back(i);
  }
  EXPECT_EQ(ours, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(std::count(order.begin(), order.end(), 3), 1);
}

TEST(LibeventLoopTest, AnIdleLoopDoesNotKeepTheApplicationsDispatchGoing) {
  AppBase app;
  LibeventLoop loop(app.get());
  loop.run_until_idle();
  DelayedCall call = loop.call_later(absl::Seconds(60), [] {});
  EXPECT_EQ(app.events(), 1);
  call.cancel();  // the timer is deleted, not left to keep dispatch going
  EXPECT_EQ(app.events(), 0);
  EXPECT_EQ(event_base_dispatch(&app.get()), kNoEventsLeft);  // at once
}

TEST(LibeventLoopTest, DestroyedLoopLeavesTheWrappedBaseClean) {
  AppBase app;
  auto token = std::make_shared<int>(0);
  bool ran = false;
  DelayedCall call;
  {
    LibeventLoop loop(app.get());
    loop.call_soon([&ran, token] { ran = true; });
    call =
        loop.call_later(absl::Milliseconds(1), [&ran, token] { ran = true; });
    std::thread([&loop, &ran, token] {
      loop.call_soon_threadsafe([&ran, token] { ran = true; });
    }).join();
    EXPECT_EQ(app.events(), 2);  // the wake-up and the timer
  }
  EXPECT_EQ(token.use_count(), 1) << "the loop released what it held";
  EXPECT_FALSE(call.active());
  EXPECT_EQ(app.events(), 0);
  // The application keeps running its base: nothing of ours fires.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(event_base_dispatch(&app.get()), kNoEventsLeft);
  EXPECT_FALSE(ran);
}

// libevent measures a timeout from the time it cached after its last poll,
// so a timer added late in a long callback fires before our clock reaches
// the deadline as soon as the next poll returns early. The call must still
// run, and not early.
TEST(LibeventLoopTest, TimerFiringBeforeTheDeadlineIsAddedAgain) {
  AppBase app(/*precise=*/true);
  LibeventLoop loop(app.get());
  struct State {
    LibeventLoop* loop;
    event_base* base;
    AppTimer* other = nullptr;
    absl::Duration deadline = absl::ZeroDuration();
    absl::Duration ran_at = absl::ZeroDuration();
    bool cache_was_stale = false;
  } state{&loop, &app.get()};
  AppTimer other(
      app.get(), [](evutil_socket_t, short, void*) {}, nullptr);
  state.other = &other;
  AppTimer kickoff(
      app.get(),
      [](evutil_socket_t, short, void* arg) {
        auto& s = *static_cast<State*>(arg);
        // A slow callback: libevent's cached time stays where it was.
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        timeval cached, real;
        event_base_gettimeofday_cached(s.base, &cached);
        gettimeofday(&real, nullptr);
        s.cache_was_stale = (real.tv_sec - cached.tv_sec) * 1000 +
                                (real.tv_usec - cached.tv_usec) / 1000 >=
                            25;  // precondition
        s.deadline = s.loop->now() + absl::Milliseconds(10);
        s.loop->call_later(absl::Milliseconds(10),
                           [&s] { s.ran_at = s.loop->now(); });
        // The application's next timer makes the poll return after 1 ms:
        // libevent then refreshes its time and finds our timer due, about
        // 9 ms before our deadline.
        s.other->add(1);
      },
      &state);
  kickoff.add(1);
  // If the early fire were taken for the deadline, nothing would add the
  // timer again: dispatch would return with the call still pending.
  EXPECT_EQ(event_base_dispatch(&app.get()), kNoEventsLeft);
  EXPECT_TRUE(state.cache_was_stale);
  EXPECT_GT(state.ran_at, absl::ZeroDuration()) << "the call never ran";
  EXPECT_GE(state.ran_at, state.deadline);
}

// A task that keeps rescheduling itself runs once per pass of the base, so
// the base's own events still run (an event_active() wake-up would run again
// within the same pass, forever).
TEST(LibeventLoopTest, SelfReschedulingTaskDoesNotStarveTheBase) {
  AppBase app;
  LibeventLoop loop(app.get());
  int spins = 0;
  bool stop = false;
  std::function<void()> spin = [&] {
    ++spins;
    if (!stop) loop.call_soon(spin);
  };
  loop.call_soon(spin);
  AppTimer app_timer(
      app.get(),
      [](evutil_socket_t, short, void* arg) {
        *static_cast<bool*>(arg) = true;
      },
      &stop);
  app_timer.add(5);
  EXPECT_EQ(event_base_dispatch(&app.get()), kNoEventsLeft);
  EXPECT_TRUE(stop);
  EXPECT_GT(spins, 1);
}

TEST(LibeventLoopTest, CallSoonThreadsafeWakesTheApplicationsDispatch) {
  AppBase app;
  LibeventLoop loop(app.get());
  // The application's own event keeps its dispatch going (ours do not);
  // the task from another thread runs long before it fires, and deletes it.
  AppTimer keep_alive(
      app.get(), [](evutil_socket_t, short, void*) {}, nullptr);
  keep_alive.add(10'000);
  const absl::Duration start = loop.now();
  absl::Duration ran_after = absl::InfiniteDuration();
  std::thread worker([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    loop.call_soon_threadsafe([&] {
      ran_after = loop.now() - start;
      keep_alive.del();
    });
  });
  event_base_dispatch(&app.get());
  worker.join();
  EXPECT_LT(ran_after, absl::Seconds(5));
}

TEST(LibeventLoopTest, IdleRunWaitsUntilStoppedFromAnotherThread) {
  LibeventLoop loop;
  loop_checks::ExpectIdleRunWaitsUntilStoppedFromAnotherThread(loop);
}

TEST(LibeventLoopTest, OwnedBaseServesTheApplicationsEventsToo) {
  LibeventLoop loop;
  bool fired = false;
  AppTimer app_timer(
      loop.base(),
      [](evutil_socket_t, short, void* arg) {
        *static_cast<bool*>(arg) = true;
      },
      &fired);
  app_timer.add(1);
  Future<void> nap = with_config(loop).sleep(absl::Milliseconds(20));
  loop.run_until_complete(nap);
  EXPECT_TRUE(fired);
}

TEST(LibeventLoopTest, RegisteredAsLibevent) {
  loop_checks::ExpectRegisteredAs<LibeventLoop>("libevent");
}

}  // namespace
}  // namespace txaio
