#include "core/internal/timer_queue.h"

#include <algorithm>

namespace txaio::internal {

bool TimerEntry::cancel() {
  if (!pending_) return false;
  pending_ = false;
  // Release what the call captured now, not when its slot is reclaimed.
  Task released = std::move(task_);
  if (queue_ != nullptr) queue_->on_cancel();
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
  for (Slot& slot : heap_) {
    slot.entry->queue_ = nullptr;
    slot.entry->cancel();
  }
}

std::shared_ptr<TimerEntry> TimerQueue::push(absl::Duration deadline,
                                             Task task) {
  auto entry = std::make_shared<TimerEntry>(this, deadline, std::move(task));
  heap_.push_back(Slot{deadline, next_sequence_++, entry});
  std::push_heap(heap_.begin(), heap_.end(), Later());
  return entry;
}

void TimerQueue::on_cancel() {
  ++cancelled_;
  // Compacting only when the cancelled outnumber the live keeps cancel O(1)
  // amortised while bounding the heap to twice the live timers.
  if (cancelled_ > 64 && cancelled_ * 2 > heap_.size()) {
    auto live_end = std::remove_if(heap_.begin(), heap_.end(),
                                   [](const Slot& slot) {
                                     if (slot.entry->pending_) return false;
                                     slot.entry->queue_ = nullptr;
                                     return true;
                                   });
    heap_.erase(live_end, heap_.end());
    std::make_heap(heap_.begin(), heap_.end(), Later());
    cancelled_ = 0;
  }
}

void TimerQueue::drop_cancelled_top() {
  while (!heap_.empty() && !heap_.front().entry->pending_) {
    heap_.front().entry->queue_ = nullptr;
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
    --cancelled_;
  }
}

std::optional<absl::Duration> TimerQueue::next_deadline() {
  drop_cancelled_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline;
}

void TimerQueue::pop_due(absl::Duration now,
                         std::vector<std::shared_ptr<TimerEntry>>& out) {
  for (drop_cancelled_top(); !heap_.empty() && heap_.front().deadline <= now;
       drop_cancelled_top()) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.back().entry->queue_ = nullptr;
    out.push_back(std::move(heap_.back().entry));
    heap_.pop_back();
  }
}

}  // namespace txaio::internal
