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

#include <memory>
#include <string_view>

#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "core/steady_clock_loop.h"

namespace txaio {

class AsioLoop : public SteadyClockLoop {
 public:
  // Owns a fresh io_context.
  AsioLoop();
  // Posts to `io`, which must outlive this loop. Work still queued in `io`
  // when the loop is destroyed is dropped safely.
  explicit AsioLoop(boost::asio::io_context& io);
  ~AsioLoop() override;

  std::string_view framework() const override { return "asio"; }

  boost::asio::io_context& io_context() { return *io_; }

 protected:
  void wake_up() override;
  void wake_at(absl::Duration deadline) override;
  // run_one() (held open by a work guard) or poll() on the io_context.
  bool iterate(bool block) override;

 private:
  std::unique_ptr<boost::asio::io_context> owned_io_;
  boost::asio::io_context* io_;
  boost::asio::steady_timer timer_;
  // Handlers hold this token: after the loop is gone they do nothing.
  std::shared_ptr<AsioLoop*> alive_;
};

// Selects a new AsioLoop, owning its io_context, as the default loop
// (txaio.use_asyncio()) and returns it for the application to run.
AsioLoop& use_asio();

// True when the default loop is an AsioLoop (txaio.using_asyncio).
bool using_asio();

}  // namespace txaio

#endif  // TXAIO_BACKENDS_ASIO_ASIO_LOOP_H_
