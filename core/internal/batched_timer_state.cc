#include "core/internal/batched_timer_state.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/batched_timer.h"
#include "core/internal/duration.h"
#include "core/unhandled.h"

namespace txaio::internal {

namespace {

int64_t CeilDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b > 0) ? q + 1 : q;
}

}  // namespace

void ThrowBadBatchedDelay(absl::Duration delay, absl::Duration now) {
  CheckedDelay(delay, "BatchedTimer::call_later");
  // The delay is fine: the loop's clock is not (a broken clock, NaN or
  // infinite seconds from a binding's loop).
  throw std::invalid_argument(absl::StrCat(
      "BatchedTimer::call_later: the loop's clock reads ",
      absl::FormatDuration(now), ", so now + delay (",
      absl::FormatDuration(delay),
      ") is past the latest deadline a batched timer holds (",
      absl::FormatDuration(absl::Nanoseconds(kMaxBatchedDeadlineNs)),
      "); the clock is broken"));
}

void ThrowBadBatchedDeadline(absl::Duration deadline) {
  throw std::invalid_argument(
      absl::StrCat("BatchedTimer::schedule_at: deadline past 2^62 ns: ",
                   absl::FormatDuration(deadline)));
}

void ThrowNullBatchedCallable() {
  throw std::invalid_argument(
      "BatchedTimer::call_later: the callable is empty (a null pointer or an "
      "empty Task)");
}

void DestroyBatchedTimerState(BatchedTimerRefCount* state) {
  delete static_cast<BatchedTimerState*>(state);
}

BatchedTimerState::~BatchedTimerState() {
  // Calls still filed (their loop timers were dropped with the loop). A
  // reserved or running slot cannot exist here: its caller holds a ref.
  for (auto& block : blocks_) {
    for (uint32_t i = 0; i < kBlockSize; ++i) {
      if (block[i].bucket != kNil) block[i].Destroy();
    }
  }
}

void BatchedTimerState::Abandon(uint32_t index, bool holds_task) noexcept {
  // Destroyed first: what the Task captured may call back into this timer,
  // and must not find its own slot reused.
  if (holds_task) At(index).call.task.~Task();
  Free(index);
}

uint32_t BatchedTimerState::GrowSlab() {
  if (blocks_.size() >= (kNil / kBlockSize) - 1) {
    throw std::length_error("BatchedTimer: too many pending calls");
  }
  const uint32_t first = static_cast<uint32_t>(blocks_.size()) * kBlockSize;
  blocks_.push_back(std::make_unique<Slot[]>(kBlockSize));
  Slot* block = blocks_.back().get();
  for (uint32_t i = 0; i + 1 < kBlockSize; ++i) block[i].next = first + i + 1;
  block[kBlockSize - 1].next = free_slot_;
  free_slot_ = first;
  return first;
}

uint32_t BatchedTimerState::BucketForDeadline(int64_t deadline_ns) {
  const int64_t key = CeilDiv(deadline_ns, bucket_ns_);
  auto [it, inserted] = by_key_.try_emplace(key, kNil);
  if (inserted) {
    try {
      it->second = NewBucket(key);
    } catch (...) {
      by_key_.erase(key);
      throw;
    }
  }
  cached_low_ns_ = (key - 1) * bucket_ns_;
  cached_high_ns_ = key * bucket_ns_;
  cached_bucket_ = it->second;
  return it->second;
}

uint32_t BatchedTimerState::NewBucket(int64_t key) {
  uint32_t b = free_bucket_;
  if (b != kNil) {
    free_bucket_ = buckets_[b].next_free;
  } else {
    b = static_cast<uint32_t>(buckets_.size());
    buckets_.emplace_back();
  }
  ++buckets_in_use_;
  buckets_[b].key = key;
  try {
    ArmBucket(b);
  } catch (...) {
    FreeBucket(b);
    throw;
  }
  return b;
}

void BatchedTimerState::ArmBucket(uint32_t b) {
  // Read after the deadline was: later, so the timer never fires early.
  const int64_t left_ns =
      buckets_[b].key * bucket_ns_ - CeilToNanoseconds(loop_.now());
  // A bucket further away than a loop timer may wait (schedule_at takes
  // deadlines up to 2^62 ns) gets the longest one, and FireBucket arms it
  // again when that ends early.
  buckets_[b].timer = loop_.call_later(
      absl::Nanoseconds(std::clamp<int64_t>(left_ns, 0, kMaxDelayNs)),
      BucketTask(b, /*first=*/true));
}

Task BatchedTimerState::BucketTask(uint32_t b, bool first) {
  return [self = BatchedTimerRef(this), b, first] {
    if (first) {
      self.get()->FireBucket(b);
    } else {
      self.get()->RunChunk(b);
    }
  };
}

void BatchedTimerState::FreeBucket(uint32_t b) {
  Bucket& bucket = buckets_[b];
  bucket = Bucket();
  bucket.next_free = free_bucket_;
  free_bucket_ = b;
  --buckets_in_use_;
}

void BatchedTimerState::ForgetBucket(uint32_t b) {
  Bucket& bucket = buckets_[b];
  if (cached_bucket_ == b) ForgetCachedBucket();
  by_key_.erase(bucket.key);
  DelayedCall timer = std::move(bucket.timer);
  FreeBucket(b);
  timer.cancel();
}

void BatchedTimerState::DestroyAndFree(uint32_t index) {
  At(index).Destroy();
  Free(index);
}

void BatchedTimerState::FinishCancel(uint32_t index, uint32_t b) {
  // Destroying the call may drop the last other reference to this timer.
  BatchedTimerRef keep_alive(this);
  if (buckets_[b].count == 0 && !buckets_[b].draining) ForgetBucket(b);
  // Last: what the call captured may call back into this timer.
  DestroyAndFree(index);
}

void BatchedTimerState::FireBucket(uint32_t b) {
  if (FloorToNanoseconds(loop_.now()) < buckets_[b].key * bucket_ns_) {
    ArmBucket(b);  // its loop timer was clamped to the longest delay
    return;
  }
  Bucket& bucket = buckets_[b];
  by_key_.erase(bucket.key);
  if (cached_bucket_ == b) ForgetCachedBucket();
  bucket.draining = true;
  int64_t chunks = std::max<int64_t>(
      1, static_cast<int64_t>((bucket.count + chunk_size_ - 1) / chunk_size_));
  bucket.chunk_interval_ns = bucket_ns_ / chunks;
  int64_t limit = std::numeric_limits<int64_t>::max();
  for (uint32_t i = bucket.tail; i != kNil; i = At(i).prev) {
    limit = std::min(limit, At(i).limit_ns + bucket_ns_);
    At(i).limit_ns = limit;
  }
  RunChunk(b);
}

void BatchedTimerState::RunChunk(uint32_t b) {
  for (int64_t i = 0; i < chunk_size_; ++i) {
    const uint32_t head = buckets_[b].head;
    if (head == kNil) break;
    Slot& slot = At(head);
    Detach(slot);
    // Freed however the call ends; buckets_ may move while it runs.
    struct Release {
      BatchedTimerState* state;
      uint32_t index;
      ~Release() { state->DestroyAndFree(index); }
    } release{this, head};
    try {
      slot.Run();
    } catch (...) {
      buckets_[b].errors.push_back(create_failure());
    }
  }
  // Calls may have scheduled more calls: buckets_ may have moved.
  Bucket& bucket = buckets_[b];
  ++bucket.chunks_run;
  if (bucket.head == kNil) {
    std::vector<Failure> errors = std::move(bucket.errors);
    FreeBucket(b);
    if (!errors.empty()) Report(std::move(errors));
    return;
  }
  // Spread the chunks over the bucket interval, but never so far that a
  // call still waiting runs more than one bucket after its deadline.
  int64_t next_ns = std::min(
      bucket.key * bucket_ns_ + bucket.chunks_run * bucket.chunk_interval_ns,
      At(bucket.head).limit_ns);
  int64_t now_ns = CeilToNanoseconds(loop_.now());
  bucket.timer = loop_.call_later(
      absl::Nanoseconds(std::max<int64_t>(0, next_ns - now_ns)),
      BucketTask(b, /*first=*/false));
}

void BatchedTimerState::Report(std::vector<Failure> errors) {
  if (!error_handler_) {
    report_unhandled_failure(Failure(BatchedCallErrors(std::move(errors))));
    return;
  }
  try {
    error_handler_(std::move(errors));
  } catch (...) {
    report_unhandled_failure(create_failure());
  }
}

}  // namespace txaio::internal
