// Internal: the timer heap shared by every LoopBase backend. Not for users.
#ifndef TXAIO_CORE_INTERNAL_TIMER_QUEUE_H_
#define TXAIO_CORE_INTERNAL_TIMER_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "core/loop.h"

namespace txaio::internal {

class TimerQueue;

// One scheduled call. Shared between the queue and DelayedCall handles so a
// handle outliving its loop is still safe to use.
class TimerEntry {
 public:
  TimerEntry(TimerQueue* queue, int64_t deadline_ns, Task task)
      : queue_(queue), deadline_ns_(deadline_ns), task_(std::move(task)) {}

  // Cancels the call if it has neither run nor been cancelled; see
  // DelayedCall::cancel().
  bool cancel();
  // Runs the task unless it was cancelled after being popped as due.
  void run();
  bool active() const { return pending_; }
  absl::Duration deadline() const { return absl::Nanoseconds(deadline_ns_); }

 private:
  friend class TimerQueue;
  TimerQueue* queue_;  // null once out of the heap
  size_t heap_index_ = 0;
  int64_t deadline_ns_;
  Task task_;
  bool pending_ = true;  // neither run nor cancelled
};

// Told by a TimerQueue when a cancel takes an entry out, so that the loop
// can drop a wake-up nothing needs any more.
class TimerQueueObserver {
 public:
  // `deadline` is the cancelled entry's; `was_last` whether the queue is now
  // empty.
  virtual void on_timer_cancelled(absl::Duration deadline, bool was_last) = 0;

 protected:
  ~TimerQueueObserver() = default;
};

// A binary min-heap ordered by (deadline, insertion order). Each entry knows
// its place in the heap, so cancel removes it at once, in O(log n), and its
// memory is reused by the next timer instead of lingering until the heap is
// rebuilt (which made a schedule/cancel-heavy server churn malloc).
class TimerQueue {
 public:
  // `observer`, if given, must outlive the queue's entries' cancel() calls
  // (the queue's own destructor does not notify it).
  explicit TimerQueue(TimerQueueObserver* observer = nullptr)
      : observer_(observer) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  // Cancels every pending entry so outstanding handles become inactive.
  ~TimerQueue();

  // Schedules `task` for `deadline_ns` on the loop's clock, in nanoseconds.
  std::shared_ptr<TimerEntry> push(int64_t deadline_ns, Task task);

  // The earliest pending deadline, if any.
  std::optional<absl::Duration> next_deadline() const;

  // Moves every entry due at or before `now_ns` into `out`, in order. They
  // stay cancellable until run.
  void pop_due(int64_t now_ns, std::vector<std::shared_ptr<TimerEntry>>& out);

  size_t size() const { return heap_.size(); }

 private:
  friend class TimerEntry;
  struct Slot {
    int64_t deadline_ns;
    uint64_t sequence;
    std::shared_ptr<TimerEntry> entry;
  };
  static bool earlier(const Slot& a, const Slot& b) {
    return a.deadline_ns != b.deadline_ns ? a.deadline_ns < b.deadline_ns
                                          : a.sequence < b.sequence;
  }
  // Takes the slot at `index` out of the heap and returns its entry.
  std::shared_ptr<TimerEntry> remove_at(size_t index);
  // remove_at() for a cancel, told to the observer.
  void cancel_at(size_t index);
  void place(size_t index, Slot slot);
  void sift_up(size_t index, Slot slot);
  void sift_down(size_t index, Slot slot);

  TimerQueueObserver* observer_;
  std::vector<Slot> heap_;
  uint64_t next_sequence_ = 0;
};

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_TIMER_QUEUE_H_
