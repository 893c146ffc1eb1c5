#include "backends/asio/asio_loop.h"

#include <chrono>

#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/post.hpp"
#include "boost/system/error_code.hpp"
#include "core/api.h"
#include "core/loop_registry.h"

namespace txaio {

AsioLoop::AsioLoop()
    : owned_io_(std::make_unique<boost::asio::io_context>(1)),
      io_(owned_io_.get()),
      timer_(*io_),
      alive_(std::make_shared<AsioLoop*>(this)) {}

AsioLoop::AsioLoop(boost::asio::io_context& io)
    : io_(&io), timer_(io), alive_(std::make_shared<AsioLoop*>(this)) {}

AsioLoop::~AsioLoop() {
  // While the loop still works (core/loop.h).
  destroy_suspended_coroutines();
  *alive_ = nullptr;
}

void AsioLoop::wake_up() {
  boost::asio::post(*io_, [alive = alive_] {
    if (AsioLoop* loop = *alive) loop->on_wake_up();
  });
}

void AsioLoop::wake_at(absl::Duration deadline) {
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          absl::ToChronoNanoseconds(deadline))));
  timer_.async_wait([alive = alive_](const boost::system::error_code& error) {
    if (error) return;  // re-armed or cancelled: a newer wait is pending
    if (AsioLoop* loop = *alive) loop->on_wake_at_timer();
  });
}

bool AsioLoop::iterate(bool block) {
  if (!block) {
    if (io_->poll() == 0 && io_->stopped()) io_->restart();
    return true;
  }
  // Any outstanding work (a posted wake-up, our timer's wait, the
  // application's own I/O) makes run_one() wait for it. Only with none at
  // all does it return at once, leaving the io_context stopped; then a work
  // guard keeps it waiting for another thread's call_soon_threadsafe() or
  // stop(). Taking the guard only then saves two atomic operations and
  // stopped()'s mutex per round.
  if (io_->run_one() == 0) {
    io_->restart();
    auto work = boost::asio::make_work_guard(*io_);
    io_->run_one();
  }
  return true;
}

namespace {
const LoopRegistration kRegistration("asio", [] {
  return std::make_unique<AsioLoop>();
});
}  // namespace

AsioLoop& use_asio() {
  auto loop = std::make_shared<AsioLoop>();
  AsioLoop& result = *loop;
  use_loop(std::move(loop));
  return result;
}

bool using_asio() { return using_framework() == "asio"; }

}  // namespace txaio
