// LibeventLoop: txaio's Loop over libevent 2.1's event_base.
//
// A LibeventLoop either owns its event_base or wraps one the application
// already runs. Either way txaio's work runs from libevent callbacks on
// whichever thread runs that base, whether through LibeventLoop's run
// interface (run(), run_until_complete(), ...) or through the application's
// own event_base_dispatch()/event_base_loop(), so txaio code and the
// application's events and bufferevents share one thread and one poll.
//
// It keeps two timer events of its own on the base:
//   - a wake-up, added with a zero timeout: it runs on the base's next pass,
//     never inside the pass that added it (an event_active() would run in
//     the same pass, and a task rescheduling itself would starve the base's
//     I/O). event_add() is safe from any thread once libevent's locking is
//     on (evthread_use_pthreads()), and wakes a base waiting in another
//     thread, so call_soon_threadsafe() and stop() use it too;
//   - one timer for every txaio timer, armed at the earliest deadline
//     (rounded up to a millisecond by LoopBase).
// Both are pending only while txaio has work, so an application's
// event_base_dispatch() still returns once its own events and txaio's work
// are done.
//
//   evthread_use_pthreads();                  // before creating the base
//   event_base* base = event_base_new();
//   txaio::LibeventLoop loop(*base);
//   auto guard = txaio::testutil::replace_loop(loop);  // or use_loop()
//   txaio::call_later(0.1, [] { std::puts("from libevent"); });
//   event_base_dispatch(base);                // the app's own run
//
// Registered as "libevent" (txaio::make_loop("libevent") makes an owning
// LibeventLoop).
#ifndef TXAIO_BACKENDS_LIBEVENT_LIBEVENT_LOOP_H_
#define TXAIO_BACKENDS_LIBEVENT_LIBEVENT_LOOP_H_

#include <event2/event.h>

#include <string_view>

#include "absl/time/time.h"
#include "core/steady_clock_loop.h"

namespace txaio {

class LibeventLoop : public SteadyClockLoop {
 public:
  // Turns on libevent's pthreads locking (for the whole process, as
  // libevent requires) and owns a fresh event_base with
  // EVENT_BASE_FLAG_PRECISE_TIMER: without it libevent times events with
  // CLOCK_MONOTONIC_COARSE, which lags by several milliseconds here, and
  // timers would fire that much late. std::runtime_error if libevent cannot
  // make a base.
  LibeventLoop();

  // Runs on `base`, which the application owns and must outlive this loop.
  // `base` must have been created after evthread_use_pthreads() if other
  // threads use call_soon_threadsafe() or stop() (libevent gives a base its
  // lock when it is made). A base made without EVENT_BASE_FLAG_PRECISE_TIMER
  // keeps libevent's coarse clock: txaio's calls still never run early, but
  // may run a few milliseconds late.
  explicit LibeventLoop(event_base& base);

  // Deletes txaio's events: nothing of txaio's runs afterwards, even if the
  // wrapped base keeps running. Frees an owned base.
  ~LibeventLoop() override;

  std::string_view framework() const override { return "libevent"; }

  // The event_base txaio runs on, for the application's own events.
  event_base& base() { return *base_; }

 protected:
  // Adds the wake-up event with a zero timeout (any thread).
  void wake_up() override;
  // (Re)adds the timer event. libevent measures from the time it cached for
  // the current pass, so it may fire early, which
  // LoopBase::on_wake_at_timer() handles.
  void wake_at(absl::Duration deadline) override;
  // Deletes the timer event so that it no longer keeps the application's
  // event_base_dispatch() going.
  void cancel_wake_at() override;
  // event_base_loop(EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY) if `block` (waits
  // even when no event is pending, so run() waits for a stop() instead of
  // spinning), else event_base_loop(EVLOOP_NONBLOCK).
  bool iterate(bool block) override;

 private:
  void init_events();
  static void OnWake(evutil_socket_t, short, void* arg);
  static void OnTimer(evutil_socket_t, short, void* arg);

  event_base* owned_base_ = nullptr;
  event_base* base_;
  event* wake_ = nullptr;
  event* timer_ = nullptr;
};

}  // namespace txaio

#endif  // TXAIO_BACKENDS_LIBEVENT_LIBEVENT_LOOP_H_
