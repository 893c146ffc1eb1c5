// LoopBase: the part of every Loop that lives in the core.
//
// A backend derives from LoopBase and supplies only what its event loop
// does: a clock (now()), a way to be woken on the loop thread (wake_up), and
// a timer (wake_at). LoopBase keeps the ready queue, the timer heap and the
// cross-thread inbox, so ordering, cancellation and error isolation are one
// mechanism shared by every backend. When woken, the backend calls
// run_once() on the loop thread.
//
// Timer wake-ups are coalesced: a backend is asked to wake at most once per
// millisecond boundary however many timers are due (see wake_at()), while
// each call still runs no earlier than its own deadline.
#ifndef TXAIO_CORE_LOOP_BASE_H_
#define TXAIO_CORE_LOOP_BASE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "core/internal/misuse.h"
#include "core/internal/timer_queue.h"
#include "core/loop.h"

namespace txaio {

class LoopBase : public Loop, private internal::TimerQueueObserver {
 public:
  LoopBase() = default;
  // Destroying a loop while it runs (from inside one of its own callbacks,
  // or from another thread) is misuse: debug builds abort naming the rule.
  LoopBase(const LoopBase&) = delete;
  LoopBase& operator=(const LoopBase&) = delete;
  ~LoopBase() override;

  void call_soon(Task task) final;
  // Queues the dispatch itself beside the tasks, not wrapped in a Task.
  void dispatch_soon(internal::ReadyEntry& dispatch) final;
  void call_soon_threadsafe(Task task) final;
  DelayedCall call_later(absl::Duration delay, Task task) final;

  size_t pending_timers() const final { return timers_.size(); }

 protected:
  // Asks the backend to call run_once() on the loop thread soon. Called from
  // the loop thread, and from other threads by call_soon_threadsafe().
  virtual void wake_up() = 0;

  // Asks the backend to call on_wake_at_timer() once its clock reaches
  // `deadline` (already rounded up to a whole millisecond). Replaces any
  // earlier request; loop thread only.
  virtual void wake_at(absl::Duration deadline) = 0;

  // Tells the backend that the wake-up last requested with wake_at() is no
  // longer needed: every timer was cancelled or has run. A backend whose
  // timer others can see (a Python reactor's delayed calls, which trial and
  // task.Clock users count) drops it; the default keeps it, which costs one
  // run_once() that finds nothing to do. Must not throw; loop thread only.
  virtual void cancel_wake_at() {}

  // Tells the backend that a timer due at `deadline` was scheduled. The
  // default does nothing: wake_at() is asked for the earliest one. A
  // backend whose framework runs timed calls due at one instant in the order
  // they were filed (task.Clock) files one for wake_up_for(deadline) now, if
  // it has none, as txaio files each bucket's callLater when the bucket is
  // made. May throw: the timer is then not scheduled. Loop thread only.
  virtual void timer_scheduled(absl::Duration /*deadline*/) {}
  // Tells the backend that a timer due at `deadline` was cancelled (a
  // backend that filed a call per wake-up drops it with its last timer;
  // when the loop's last timer goes, cancel_wake_at() is called instead).
  // LoopBase touches nothing of the loop after it or cancel_wake_at(), so
  // either may drop the last reference to the loop. Must not throw; loop
  // thread only.
  virtual void timer_cancelled(absl::Duration /*deadline*/) {}
  // The wake-up a timer due at `deadline` asks for with wake_at(): the next
  // whole millisecond, so that timers close together share one.
  static absl::Duration wake_up_for(absl::Duration deadline);

  // How far a round that finds the clock at `now` runs timers: every timer
  // due by the returned time. The default is `now`. A backend whose
  // framework interleaves its own timed calls with ours observably (a
  // Python reactor's delayed calls under task.Clock, which fires a whole
  // jump's calls in deadline order) returns at most the deadline of the
  // last wake_at() its framework fired, so that each of our timers runs in
  // its place among the framework's rather than all at the first wake-up.
  virtual absl::Duration timers_due_by(absl::Duration now) { return now; }

  // Runs what is ready now: tasks queued before this call, then timers due by
  // timers_due_by(now()). Work queued meanwhile runs on the next round, so a
  // task that keeps rescheduling itself cannot starve the backend's own events.
  // An exception escaping a task is reported to the unhandled-failure handler
  // and the remaining tasks still run. Returns whether anything ran.
  bool run_once();

  // How many callbacks (tasks, dispatches, timers) run_once() has run in
  // this loop's lifetime.
  size_t callbacks_run() const { return callbacks_run_; }

  // What the backend calls, on the loop thread, when a wake-up it was asked
  // for with wake_up() arrives: run_once(), and then again while work is
  // ready, up to kRoundsPerWakeUp rounds. A chain of futures (each callback
  // resolving the next) makes one round per link; going back to the backend
  // between links would cost a post and a dispatch of its own each (4x the
  // round trip on Asio). Bounded so that the backend's own events still come
  // in between. Returns whether anything ran.
  bool on_wake_up();
  static constexpr int kRoundsPerWakeUp = 16;

  // What the backend calls, on the loop thread, when the timer it armed for
  // wake_at() fires: run_once(), after forgetting the request. A backend
  // timer may fire before now() reaches the deadline (libuv measures from its
  // cached loop time, others round); forgetting the request makes
  // run_once() ask for the wake-up again instead of waiting for a timer that
  // is no longer armed.
  void on_wake_at_timer() {
    requested_wake_at_.reset();
    run_once();
  }

  // Marks the calling thread as the loop's thread for the scope's lifetime
  // (a run* call, a run_once() round). While one is active, debug builds
  // abort when another thread calls anything but call_soon_threadsafe()
  // (and RunnableLoop::stop()); see core/internal/misuse.h.
  class LoopThreadScope {
   public:
    // Nothing at all in release builds (TXAIO_MISUSE_CHECKS == 0).
    explicit LoopThreadScope(LoopBase& loop) : loop_(loop) {
      if (TXAIO_MISUSE_CHECKS) {
        previous_ = loop.loop_thread_.exchange(std::this_thread::get_id(),
                                               std::memory_order_relaxed);
      }
    }
    ~LoopThreadScope() {
      if (TXAIO_MISUSE_CHECKS) {
        loop_.loop_thread_.store(previous_, std::memory_order_relaxed);
      }
    }
    LoopThreadScope(const LoopThreadScope&) = delete;
    LoopThreadScope& operator=(const LoopThreadScope&) = delete;

   private:
    LoopBase& loop_;
    std::thread::id previous_;
  };

  // In debug builds, aborts if another thread is running this loop now;
  // nothing at all in release builds.
  void check_loop_thread(const char* what) const {
    if constexpr (TXAIO_MISUSE_CHECKS) check_loop_thread_slow(what);
  }

  // Whether run_once() would find work now (ready tasks, or timers due by
  // timers_due_by(now())).
  bool has_ready_work();

  // When the earliest scheduled timer is due, if any.
  std::optional<absl::Duration> next_timer_deadline() const {
    return timers_.next_deadline();
  }

 private:
  // A ready-queue entry: a Task, or a dispatch the loop holds a reference on.
  using Ready = std::variant<Task, internal::ReadyEntry*>;

  // Up to `max_rounds` rounds while work is ready, then one wake-up request
  // if work is left and the timer wake-up for the earliest timer.
  bool run_rounds(int max_rounds);
  // One round of run_once(): returns the number of callbacks run.
  size_t run_round();
  void check_loop_thread_slow(const char* what) const;
  void after_run();
  void request_wake_up();
  void on_timer_cancelled(absl::Duration deadline, bool was_last) override;
  // Forgets the requested wake-up and tells the backend, if one is pending.
  void drop_wake_at();

  std::vector<Ready> ready_;
  std::vector<Ready> running_;
  std::vector<std::shared_ptr<internal::TimerEntry>> due_;
  internal::TimerQueue timers_{this};
  bool wake_requested_ = false;
  size_t callbacks_run_ = 0;
  std::optional<absl::Duration> requested_wake_at_;
  // The thread running the loop now (see LoopThreadScope), or none.
  std::atomic<std::thread::id> loop_thread_{};
  // How deep run_once() is running callbacks (misuse checks only).
  int in_callbacks_ = 0;
  // Set by the destructor: the backend is gone, wake-ups are not asked for.
  bool destroying_ = false;

  // std::mutex, not absl::Mutex: Debian's Abseil is not built with TSan, so
  // TSan cannot see absl::Mutex's synchronisation and reports false races.
  std::mutex inbox_mutex_;
  std::vector<Task> inbox_ ABSL_GUARDED_BY(inbox_mutex_);
  std::atomic<bool> inbox_nonempty_{false};
};

}  // namespace txaio

#endif  // TXAIO_CORE_LOOP_BASE_H_
