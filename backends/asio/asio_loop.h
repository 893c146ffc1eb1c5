// AsioLoop: txaio's Loop over a boost::asio::io_context, the embedded default
// backend.
//
// An AsioLoop either owns its io_context or wraps one the application already
// runs; either way txaio's work is posted to that io_context and runs on
// whichever thread runs it. Timers share one steady_timer whose wake-ups are
// coalesced to millisecond boundaries (calls run no earlier than their
// deadline and, on an idle loop, under a millisecond after it).
//
//   txaio::AsioLoop& loop = txaio::use_asio();  // like txaio.use_asyncio()
//   txaio::Future<void> nap = txaio::sleep(0.1);
//   loop.run_until_complete(nap);
#ifndef TXAIO_BACKENDS_ASIO_ASIO_LOOP_H_
#define TXAIO_BACKENDS_ASIO_ASIO_LOOP_H_

#include <atomic>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "core/future.h"
#include "core/loop_base.h"

namespace txaio {

class AsioLoop : public LoopBase {
 public:
  // Owns a fresh io_context.
  AsioLoop();
  // Posts to `io`, which must outlive this loop. Work still queued in `io`
  // when the loop is destroyed is dropped safely.
  explicit AsioLoop(boost::asio::io_context& io);
  ~AsioLoop() override;

  std::string_view framework() const override { return "asio"; }
  // steady_clock time since its epoch.
  absl::Duration now() const override;

  boost::asio::io_context& io_context() { return *io_; }

  // Runs the io_context until stop(), even while it has nothing to do. A
  // stop() made before run() makes it return at once (as asyncio's does).
  void run();
  // Asks the running (or next) run* call to return; safe from any thread.
  void stop();
  // Runs the io_context until `future` is called (asyncio's
  // run_until_complete). Throws std::runtime_error if stop() ends the run
  // first.
  template <typename T>
  void run_until_complete(const Future<T>& future) {
    bool running = begin_run();
    auto work = boost::asio::make_work_guard(*io_);
    while (running && !future.is_called()) {
      running = io_->run_one() > 0 || !io_->stopped();
    }
    end_run();
    if (!future.is_called()) {
      throw std::runtime_error(
          "AsioLoop::run_until_complete: the loop was stopped before the "
          "future completed");
    }
  }
  // Runs the io_context for `duration` of real time.
  void run_for(absl::Duration duration);
  // Runs handlers that are ready now, and those they make ready, until none
  // is left or stop() is called; does not wait for timers. Returns the
  // handlers run.
  size_t run_until_idle();

 protected:
  void wake_up() override;
  void wake_at(absl::Duration deadline) override;

 private:
  // Prepares the io_context for a run; false if a stop() was pending (it is
  // consumed and the run must return at once).
  bool begin_run();
  // Leaves the io_context ready for the next run.
  void end_run();

  std::unique_ptr<boost::asio::io_context> owned_io_;
  boost::asio::io_context* io_;
  boost::asio::steady_timer timer_;
  // Handlers hold this token: after the loop is gone they do nothing.
  std::shared_ptr<AsioLoop*> alive_;
  std::atomic<bool> stop_requested_{false};
};

// Selects a new AsioLoop, owning its io_context, as the default loop
// (txaio.use_asyncio()) and returns it for the application to run.
AsioLoop& use_asio();

// True when the default loop is an AsioLoop (txaio.using_asyncio).
bool using_asio();

}  // namespace txaio

#endif  // TXAIO_BACKENDS_ASIO_ASIO_LOOP_H_
