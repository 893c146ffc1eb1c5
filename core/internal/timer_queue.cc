#include "core/internal/timer_queue.h"

#include <utility>

#include "core/internal/recycling_allocator.h"

namespace txaio::internal {

bool TimerEntry::cancel() {
  if (!pending_) return false;
  pending_ = false;
  // Release what the call captured now, even if a handle keeps the entry.
  Task released = std::move(task_);
  if (queue_ != nullptr) queue_->cancel_at(heap_index_);
  return true;
}

void TimerEntry::run() {
  if (!pending_) return;
  pending_ = false;
  // Destroyed when done, so what the call captured does not outlive it.
  Task task = std::move(task_);
  std::move(task)();
}

TimerQueue::~TimerQueue() {
  std::vector<Slot> slots = std::move(heap_);
  for (Slot& slot : slots) {
    slot.entry->queue_ = nullptr;
    slot.entry->cancel();
  }
}

void TimerQueue::place(size_t index, Slot slot) {
  slot.entry->heap_index_ = index;
  heap_[index] = std::move(slot);
}

void TimerQueue::sift_up(size_t index, Slot slot) {
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (!earlier(slot, heap_[parent])) break;
    place(index, std::move(heap_[parent]));
    index = parent;
  }
  place(index, std::move(slot));
}

void TimerQueue::sift_down(size_t index, Slot slot) {
  const size_t size = heap_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], slot)) break;
    place(index, std::move(heap_[child]));
    index = child;
  }
  place(index, std::move(slot));
}

std::shared_ptr<TimerEntry> TimerQueue::push(int64_t deadline_ns, Task task) {
  auto entry = std::allocate_shared<TimerEntry>(
      RecyclingAllocator<TimerEntry>(), this, deadline_ns, std::move(task));
  heap_.emplace_back();
  sift_up(heap_.size() - 1, Slot{deadline_ns, next_sequence_++, entry});
  return entry;
}

std::shared_ptr<TimerEntry> TimerQueue::remove_at(size_t index) {
  std::shared_ptr<TimerEntry> removed = std::move(heap_[index].entry);
  removed->queue_ = nullptr;
  Slot last = std::move(heap_.back());
  heap_.pop_back();
  if (index < heap_.size()) {
    // The last slot fills the hole, then moves whichever way restores order.
    if (index > 0 && earlier(last, heap_[(index - 1) / 2])) {
      sift_up(index, std::move(last));
    } else {
      sift_down(index, std::move(last));
    }
  }
  return removed;
}

void TimerQueue::cancel_at(size_t index) {
  std::shared_ptr<TimerEntry> removed = remove_at(index);
  if (observer_ != nullptr) {
    observer_->on_timer_cancelled(removed->deadline(), heap_.empty());
  }
}

std::optional<absl::Duration> TimerQueue::next_deadline() const {
  if (heap_.empty()) return std::nullopt;
  return absl::Nanoseconds(heap_.front().deadline_ns);
}

void TimerQueue::pop_due(int64_t now_ns,
                         std::vector<std::shared_ptr<TimerEntry>>& out) {
  while (!heap_.empty() && heap_.front().deadline_ns <= now_ns) {
    out.push_back(remove_at(0));
  }
}

}  // namespace txaio::internal
