#include "core/loop_base.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "core/failure.h"
#include "core/internal/duration.h"
#include "core/internal/misuse.h"
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

// Past any deadline a real clock reaches (146 years of uptime), and far from
// overflowing the int64 nanoseconds backends convert wake-ups to.
constexpr absl::Duration kLatestWakeUp =
    absl::Nanoseconds(std::numeric_limits<int64_t>::max() / 2);

}  // namespace

absl::Duration LoopBase::wake_up_for(absl::Duration deadline) {
  return std::min(CeilToMillisecond(deadline), kLatestWakeUp);
}

LoopBase::~LoopBase() {
  if (TXAIO_MISUSE_CHECKS) {
    if (in_callbacks_ > 0) {
      internal::MisuseAbort(
          "a loop must not be destroyed while it is running",
          "the loop was destroyed from inside one of its own callbacks; "
          "destroy it after its run returns (stop() it first)");
    }
    if (loop_thread_.load(std::memory_order_relaxed) != std::thread::id()) {
      internal::MisuseAbort(
          "a loop must not be destroyed while it is running",
          "the loop was destroyed during a run (from another thread, or "
          "from inside its backend's event handlers); stop() it and let "
          "the run return first");
    }
  }
  // From here on the backend (the derived loop) is gone: nothing may ask it
  // for a wake-up or a timer.
  destroying_ = true;
  wake_requested_ = true;
  // Coroutines suspended on this loop's futures can never resume: destroy
  // their frames now, while the loop still accepts what their locals'
  // destructors do (it is dropped below with the rest).
  destroy_suspended_coroutines();
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

void LoopBase::check_loop_thread_slow(const char* what) const {
  const std::thread::id owner = loop_thread_.load(std::memory_order_relaxed);
  if (owner != std::thread::id() && owner != std::this_thread::get_id()) {
    internal::MisuseAbort(
        "a loop, its futures and its timers are used only from the thread "
        "running the loop; from other threads use call_soon_threadsafe() "
        "(or stop())",
        absl::StrCat(what,
                     " was called from a thread that is not the one running "
                     "the loop"));
  }
}

void LoopBase::call_soon(Task task) {
  check_loop_thread("call_soon (or a future's resolve/reject/cancel)");
  ready_.emplace_back(std::in_place_index<0>, std::move(task));
  request_wake_up();
}

void LoopBase::dispatch_soon(internal::ReadyEntry& dispatch) {
  check_loop_thread(
      "a future's resolve/reject/cancel/add_callbacks (dispatch_soon)");
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
  if (was_empty && !destroying_) wake_up();
}

DelayedCall LoopBase::call_later(absl::Duration delay, Task task) {
  check_loop_thread("call_later");
  internal::CheckedDelay(delay, "call_later");
  // From a destructor run by ~LoopBase: the clock (the derived loop) is
  // gone, and the call would be dropped with the other timers anyway.
  if (destroying_) return DelayedCall();
  const int64_t deadline_ns = internal::SaturatingAdd(
      internal::CeilToNanoseconds(now()), internal::CeilToNanoseconds(delay));
  std::optional<absl::Duration> earliest = timers_.next_deadline();
  DelayedCall handle(timers_.push(deadline_ns, std::move(task)));
  try {
    timer_scheduled(absl::Nanoseconds(deadline_ns));
    // Also when no wake-up is armed for the earlier timers (their wake_at()
    // failed): this is the next chance to arm one.
    if (!earliest || absl::Nanoseconds(deadline_ns) < *earliest ||
        !requested_wake_at_) {
      after_run();
    }
  } catch (...) {
    // The backend could not arm its timer: the caller gets the error and
    // no timer that nothing would ever run.
    handle.cancel();
    throw;
  }
  return handle;
}

bool LoopBase::has_ready_work() {
  if (!ready_.empty() || inbox_nonempty_.load(std::memory_order_acquire)) {
    return true;
  }
  std::optional<absl::Duration> next = timers_.next_deadline();
  return next && *next <= timers_due_by(now());
}

bool LoopBase::run_once() { return run_rounds(1); }

bool LoopBase::on_wake_up() { return run_rounds(kRoundsPerWakeUp); }

bool LoopBase::run_rounds(int max_rounds) {
  check_loop_thread("run_once (a run of the loop)");
  LoopThreadScope loop_thread(*this);
  // Work queued while the rounds run needs no wake-up of its own: the flag
  // stays set so that call_soon() and dispatch_soon() do not ask for one, and
  // after_run() asks once at the end if work is left.
  wake_requested_ = true;
  size_t count = run_round();
  for (int round = 1; round < max_rounds && !ready_.empty(); ++round) {
    count += run_round();
  }
  wake_requested_ = false;
  after_run();
  return count != 0;
}

size_t LoopBase::run_round() {
  // The clock is read only with timers pending: on a real clock the read
  // costs more than dispatching a future (a chain of round trips spent a
  // fifth of its time in clock_gettime).
  const absl::Duration due_by = timers_.size() != 0 || requested_wake_at_
                                    ? timers_due_by(now())
                                    : absl::ZeroDuration();
  // A wake-up that has come due was consumed by this round.
  if (requested_wake_at_ && *requested_wake_at_ <= due_by) {
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
  if (timers_.size() != 0) {
    timers_.pop_due(internal::FloorToNanoseconds(due_by), due_);
  }
  const size_t count = running_.size() + due_.size();
  callbacks_run_ += count;
  // Tasks may call back into this loop (call_soon, call_later, cancel), which
  // touches ready_ and the timer heap but never running_ or due_.
  if (TXAIO_MISUSE_CHECKS) ++in_callbacks_;
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
  if (TXAIO_MISUSE_CHECKS) --in_callbacks_;
  return count;
}

void LoopBase::after_run() {
  if (destroying_) return;
  if (!ready_.empty()) request_wake_up();
  std::optional<absl::Duration> next = timers_.next_deadline();
  if (!next) {
    drop_wake_at();
    return;
  }
  absl::Duration wake = wake_up_for(*next);
  if (requested_wake_at_ != wake) {
    // Recorded once armed: a wake_at() that throws leaves none recorded,
    // so the next round or call_later asks again.
    requested_wake_at_.reset();
    wake_at(wake);
    requested_wake_at_ = wake;
  }
}

void LoopBase::on_timer_cancelled(absl::Duration deadline, bool was_last) {
  if (destroying_) return;
  // The backend's hook is the last thing either branch does: dropping a
  // framework call may drop the last reference to this loop (the Python
  // adapter's lives while a call it filed is pending).
  if (was_last && requested_wake_at_) {
    drop_wake_at();  // the backend drops every call it filed
  } else {
    timer_cancelled(deadline);
  }
}

void LoopBase::drop_wake_at() {
  if (requested_wake_at_ && !destroying_) {
    requested_wake_at_.reset();
    cancel_wake_at();
  }
}

}  // namespace txaio
