#include "backends/libevent/libevent_loop.h"

#include <event2/thread.h>
#include <sys/time.h>

#include <cstdint>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "core/loop_registry.h"

namespace txaio {
namespace {

// libevent's locking is process-wide and must be on before a base is made.
// A failure means other lock callbacks were installed first, which give
// bases their locks just as well.
void UsePthreads() {
  static std::once_flag once;
  std::call_once(once, [] { evthread_use_pthreads(); });
}

event_base* NewPreciseBase() {
  UsePthreads();
  event_config* config = event_config_new();
  if (config == nullptr) {
    throw std::runtime_error("LibeventLoop: event_config_new failed");
  }
  event_config_set_flag(config, EVENT_BASE_FLAG_PRECISE_TIMER);
  event_base* base = event_base_new_with_config(config);
  event_config_free(config);
  if (base == nullptr) {
    throw std::runtime_error("LibeventLoop: event_base_new_with_config failed");
  }
  return base;
}

}  // namespace

LibeventLoop::LibeventLoop()
    : owned_base_(NewPreciseBase()), base_(owned_base_) {
  try {
    init_events();
  } catch (...) {
    event_base_free(owned_base_);
    throw;
  }
}

LibeventLoop::LibeventLoop(event_base& base) : base_(&base) {
  UsePthreads();
  init_events();
}

void LibeventLoop::init_events() {
  wake_ = evtimer_new(base_, &LibeventLoop::OnWake, this);
  timer_ = evtimer_new(base_, &LibeventLoop::OnTimer, this);
  if (wake_ == nullptr || timer_ == nullptr) {
    if (wake_ != nullptr) event_free(wake_);
    if (timer_ != nullptr) event_free(timer_);
    throw std::runtime_error("LibeventLoop: evtimer_new failed");
  }
}

LibeventLoop::~LibeventLoop() {
  // While the loop still works (core/loop.h).
  destroy_suspended_coroutines();
  // event_free() deletes the events first: neither fires after this.
  event_free(wake_);
  event_free(timer_);
  if (owned_base_ != nullptr) event_base_free(owned_base_);
}

void LibeventLoop::wake_up() {
  static const timeval kNow = {0, 0};
  event_add(wake_, &kNow);
}

void LibeventLoop::wake_at(absl::Duration deadline) {
  // timeval's seconds are a time_t: no clamp below that is ever reached.
  const int64_t ms =
      timeout_ms_until(deadline, std::numeric_limits<int64_t>::max() / 1000);
  const timeval timeout = {static_cast<time_t>(ms / 1000),
                           static_cast<suseconds_t>(ms % 1000 * 1000)};
  evtimer_add(timer_, &timeout);
}

void LibeventLoop::cancel_wake_at() { evtimer_del(timer_); }

bool LibeventLoop::iterate(bool block) {
  const int flags =
      block ? EVLOOP_ONCE | EVLOOP_NO_EXIT_ON_EMPTY : EVLOOP_NONBLOCK;
  if (event_base_loop(base_, flags) < 0) {
    throw std::runtime_error(
        "LibeventLoop: event_base_loop failed (is the application already "
        "running this event_base?)");
  }
  return true;
}

void LibeventLoop::OnWake(evutil_socket_t, short, void* arg) {
  static_cast<LibeventLoop*>(arg)->on_wake_up();
}

void LibeventLoop::OnTimer(evutil_socket_t, short, void* arg) {
  static_cast<LibeventLoop*>(arg)->on_wake_at_timer();
}

namespace {
const LoopRegistration kRegistration("libevent", [] {
  return std::make_unique<LibeventLoop>();
});
}  // namespace

}  // namespace txaio
