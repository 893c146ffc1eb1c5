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
  TimerEntry(TimerQueue* queue, absl::Duration deadline, Task task)
      : queue_(queue), deadline_(deadline), task_(std::move(task)) {}

  bool cancel();
  // Runs the task unless it was cancelled after being popped as due.
  void run();
  bool active() const { return pending_; }
  absl::Duration deadline() const { return deadline_; }

 private:
  friend class TimerQueue;
  TimerQueue* queue_;  // null once out of the heap
  absl::Duration deadline_;
  Task task_;
  bool pending_ = true;  // neither run nor cancelled
};

// A binary min-heap ordered by (deadline, insertion order). Cancel is O(1):
// the entry is marked and skipped when it reaches the top; the heap is
// compacted once cancelled entries outnumber live ones.
class TimerQueue {
 public:
  TimerQueue() = default;
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  // Orphans every pending entry so outstanding handles become inactive.
  ~TimerQueue();

  std::shared_ptr<TimerEntry> push(absl::Duration deadline, Task task);

  // The earliest pending deadline, if any.
  std::optional<absl::Duration> next_deadline();

  // Moves every entry due at or before `now` into `out`, in order. They stay
  // cancellable until run.
  void pop_due(absl::Duration now,
               std::vector<std::shared_ptr<TimerEntry>>& out);

  size_t size() const { return heap_.size() - cancelled_; }

 private:
  friend class TimerEntry;
  struct Slot {
    absl::Duration deadline;
    uint64_t sequence;
    std::shared_ptr<TimerEntry> entry;
  };
  struct Later {
    bool operator()(const Slot& a, const Slot& b) const {
      if (a.deadline != b.deadline) return a.deadline > b.deadline;
      return a.sequence > b.sequence;
    }
  };
  void on_cancel();
  void drop_cancelled_top();

  std::vector<Slot> heap_;
  size_t cancelled_ = 0;
  uint64_t next_sequence_ = 0;
};

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_TIMER_QUEUE_H_
