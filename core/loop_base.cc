#include "core/loop_base.h"

#include <cmath>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/failure.h"
#include "core/internal/duration.h"
#include "core/unhandled.h"

namespace txaio {
namespace {

// Runs `task`, reporting instead of propagating anything it throws.
template <typename Callable>
void RunIsolated(Callable&& task) {
  try {
    std::forward<Callable>(task)();
  } catch (...) {
    report_unhandled_failure(create_failure());
  }
}

absl::Duration CeilToMillisecond(absl::Duration t) {
  absl::Duration floor = absl::Floor(t, absl::Milliseconds(1));
  return floor == t ? t : floor + absl::Milliseconds(1);
}

}  // namespace

LoopBase::~LoopBase() {
  // Dispatches never run now; give back the references the queue holds so
  // their futures are freed. (running_ is empty outside run_once().)
  std::vector<Ready> ready = std::move(ready_);
  for (Ready& entry : ready) {
    if (auto* dispatch = std::get_if<internal::ReadyEntry*>(&entry)) {
      (*dispatch)->discard();
    }
  }
}

void LoopBase::request_wake_up() {
  if (!wake_requested_) {
    wake_requested_ = true;
    wake_up();
  }
}

void LoopBase::call_soon(Task task) {
  ready_.emplace_back(std::in_place_index<0>, std::move(task));
  request_wake_up();
}

void LoopBase::dispatch_soon(internal::ReadyEntry& dispatch) {
  try {
    ready_.emplace_back(std::in_place_index<1>, &dispatch);
  } catch (...) {
    dispatch.discard();
    throw;
  }
  request_wake_up();
}

void LoopBase::call_soon_threadsafe(Task task) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    was_empty = inbox_.empty();
    inbox_.push_back(std::move(task));
    inbox_nonempty_.store(true, std::memory_order_release);
  }
  if (was_empty) wake_up();
}

DelayedCall LoopBase::call_later(absl::Duration delay, Task task) {
  if (delay < absl::ZeroDuration() || delay == absl::InfiniteDuration()) {
    throw std::invalid_argument(
        absl::StrCat("call_later: delay must be finite and >= 0, got ",
                     absl::FormatDuration(delay)));
  }
  const int64_t deadline_ns =
      internal::SaturatingAdd(internal::CeilToNanoseconds(now()),
                              internal::CeilToNanoseconds(delay));
  std::optional<absl::Duration> earliest = timers_.next_deadline();
  DelayedCall handle(timers_.push(deadline_ns, std::move(task)));
  // Also when no wake-up is armed for the earlier timers (their wake_at()
  // failed): this is the next chance to arm one.
  if (!earliest || absl::Nanoseconds(deadline_ns) < *earliest ||
      !requested_wake_at_) {
    try {
      after_run();
    } catch (...) {
      // The backend could not arm its timer: the caller gets the error and
      // no timer that nothing would ever run.
      handle.cancel();
      throw;
    }
  }
  return handle;
}

bool LoopBase::has_ready_work() {
  if (!ready_.empty() || inbox_nonempty_.load(std::memory_order_acquire)) {
    return true;
  }
  std::optional<absl::Duration> next = timers_.next_deadline();
  return next && *next <= now();
}

bool LoopBase::run_once() {
  wake_requested_ = false;
  // A wake-up that has come due was consumed by this round.
  if (requested_wake_at_ && *requested_wake_at_ <= now()) {
    requested_wake_at_.reset();
  }
  if (inbox_nonempty_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(inbox_mutex_);
    for (Task& task : inbox_) {
      ready_.emplace_back(std::in_place_index<0>, std::move(task));
    }
    inbox_.clear();
    inbox_nonempty_.store(false, std::memory_order_relaxed);
  }
  running_.swap(ready_);
  timers_.pop_due(internal::FloorToNanoseconds(now()), due_);
  bool ran = !running_.empty() || !due_.empty();
  // Tasks may call back into this loop (call_soon, call_later, cancel), which
  // touches ready_ and the timer heap but never running_ or due_.
  for (Ready& entry : running_) {
    if (auto* dispatch = std::get_if<internal::ReadyEntry*>(&entry)) {
      RunIsolated([dispatch] { (*dispatch)->run(); });
    } else {
      RunIsolated(std::move(std::get<Task>(entry)));
    }
  }
  running_.clear();
  for (auto& entry : due_) RunIsolated([&entry] { entry->run(); });
  due_.clear();
  after_run();
  return ran;
}

void LoopBase::after_run() {
  if (!ready_.empty()) request_wake_up();
  std::optional<absl::Duration> next = timers_.next_deadline();
  if (!next) {
    drop_wake_at();
    return;
  }
  absl::Duration wake = CeilToMillisecond(*next);
  if (requested_wake_at_ != wake) {
    // Recorded once armed: a wake_at() that throws leaves none recorded,
    // so the next round or call_later asks again.
    requested_wake_at_.reset();
    wake_at(wake);
    requested_wake_at_ = wake;
  }
}

void LoopBase::on_last_timer_cancelled() { drop_wake_at(); }

void LoopBase::drop_wake_at() {
  if (requested_wake_at_) {
    requested_wake_at_.reset();
    cancel_wake_at();
  }
}

}  // namespace txaio
