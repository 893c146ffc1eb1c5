// UvLoop: txaio's Loop over libuv's uv_loop_t.
//
// A UvLoop either owns its uv_loop_t or wraps one the application already
// runs. Either way txaio's work runs from libuv callbacks on whichever thread
// runs that uv_loop_t, whether through UvLoop's run interface (run(),
// run_until_complete(), ...) or through the application's own uv_run(), so
// txaio code and the application's libuv handles share one thread and one
// poll.
//
// On the loop it keeps three handles of its own:
//   - a uv_idle_t, started when work is queued from the loop thread: an
//     active idle handle makes libuv poll without blocking and call it on
//     the next iteration, with no system call;
//   - a uv_async_t, sent by call_soon_threadsafe() and stop() from other
//     threads (the one libuv call that is thread-safe);
//   - one uv_timer_t for every txaio timer, armed at the earliest deadline
//     (rounded up to a millisecond by LoopBase).
// The idle and timer handles are active only while txaio has work, and the
// async handle is unreferenced, so an application's uv_run(UV_RUN_DEFAULT)
// still returns once its own handles and txaio's work are done.
//
//   uv_loop_t* app = uv_default_loop();
//   txaio::UvLoop loop(*app);
//   auto guard = txaio::testutil::replace_loop(loop);  // or use_loop()
//   txaio::call_later(0.1, [] { std::puts("from libuv"); });
//   uv_run(app, UV_RUN_DEFAULT);                      // the app's own run
//
// Registered as "uv" (txaio::make_loop("uv") makes an owning UvLoop).
#ifndef TXAIO_BACKENDS_UV_UV_LOOP_H_
#define TXAIO_BACKENDS_UV_UV_LOOP_H_

#include <uv.h>

#include <atomic>
#include <memory>
#include <string_view>
#include <thread>

#include "absl/time/time.h"
#include "core/steady_clock_loop.h"

namespace txaio {

class UvLoop : public SteadyClockLoop {
 public:
  // Owns a fresh uv_loop_t (std::runtime_error if libuv cannot make one).
  // Handles the application opened on it and left open are closed by the
  // destructor, which then closes the loop.
  UvLoop();

  // Runs on `loop`, which the application owns and must outlive this
  // UvLoop. Construct it on the thread that runs `loop`. libuv runs do not
  // nest (and libuv cannot tell): do not call run* members from inside a
  // callback of the application's own uv_run(). After destroying
  // the UvLoop, run `loop` once more (any uv_run) before uv_loop_close():
  // libuv frees a closed handle only from the loop, as for any handle.
  explicit UvLoop(uv_loop_t& loop);

  // Closes txaio's handles: nothing of txaio's runs afterwards, even if the
  // wrapped loop keeps running.
  ~UvLoop() override;

  std::string_view framework() const override { return "uv"; }

  // The libuv loop txaio runs on, for the application's own handles.
  uv_loop_t& uv_loop() { return *loop_; }

 protected:
  // Starts the idle handle on the loop thread; uv_async_send() otherwise.
  void wake_up() override;
  // (Re)starts the timer; libuv times it from its cached loop time, so it
  // may fire early, which LoopBase::on_wake_at_timer() handles.
  void wake_at(absl::Duration deadline) override;
  // Stops the timer so that it no longer keeps the application's uv_run()
  // going.
  void cancel_wake_at() override;
  // uv_run(UV_RUN_ONCE) if `block`, else uv_run(UV_RUN_NOWAIT), with the
  // async handle referenced meanwhile so that libuv polls (and waits) even
  // when nothing else keeps the loop alive.
  bool iterate(bool block) override;

 private:
  // txaio's handles, allocated apart from the UvLoop because libuv frees a
  // closed handle only in a later loop iteration, which may come after the
  // UvLoop is gone; the last close callback deletes them.
  struct Handles;

  void init_handles();
  // Notes that the calling thread runs the loop (see loop_thread_) and, in
  // our own iterate(), ends the uv_run() once our work has run:
  // UV_RUN_ONCE runs due timers first and then polls, blocking with no
  // timeout when nothing else is armed, so a timer of ours that was already
  // due when the iteration began would otherwise leave the run asleep.
  void on_loop_thread() {
    loop_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    if (iterating_) uv_stop(loop_);
  }
  static void OnIdle(uv_idle_t* idle);
  static void OnAsync(uv_async_t* async);
  static void OnTimer(uv_timer_t* timer);

  std::unique_ptr<uv_loop_t> owned_loop_;
  uv_loop_t* loop_;
  Handles* handles_ = nullptr;
  // Inside iterate()'s uv_run() (not the application's own).
  bool iterating_ = false;
  // The thread that last ran the loop (or made it): libuv's handles other
  // than uv_async_t may only be touched from there, so wake_up() on any
  // other thread sends the async handle instead.
  std::atomic<std::thread::id> loop_thread_;
};

}  // namespace txaio

#endif  // TXAIO_BACKENDS_UV_UV_LOOP_H_
