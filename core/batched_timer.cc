#include "core/batched_timer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/internal/duration.h"
#include "core/unhandled.h"

namespace txaio {
namespace internal {
namespace {

constexpr uint32_t kNil = std::numeric_limits<uint32_t>::max();

// Keeps bucket boundaries (key * bucket) representable in int64 ns.
constexpr int64_t kMaxDeadlineNs = std::numeric_limits<int64_t>::max() / 2;

// The slab grows by blocks of 2^kBlockBits slots that never move.
constexpr int kBlockBits = 12;
constexpr uint32_t kBlockSize = uint32_t{1} << kBlockBits;

int64_t CeilDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b > 0) ? q + 1 : q;
}

[[noreturn]] ABSL_ATTRIBUTE_NOINLINE void ThrowBadDelay(absl::Duration delay) {
  if (delay < absl::ZeroDuration() || delay == absl::InfiniteDuration()) {
    throw std::invalid_argument(
        absl::StrCat("BatchedTimer::call_later: delay must be finite and "
                     ">= 0, got ",
                     absl::FormatDuration(delay)));
  }
  throw std::invalid_argument(absl::StrCat(
      "BatchedTimer::call_later: delay too large: ",
      absl::FormatDuration(delay)));
}

}  // namespace

// The slab of calls and the buckets they are linked into. Each bucket is an
// intrusive doubly-linked list through the slab, so cancel unlinks in O(1)
// and a drained bucket never meets a cancelled call.
//
// Slots never move (the slab grows by blocks), so a call is constructed,
// run and destroyed in place, and what it runs or destroys may schedule
// more calls meanwhile. A slot's Task is alive from Reserve until the slot
// goes back on the free list, which happens only after the Task is
// destroyed: a capture's destructor calling back into the timer never
// finds its own slot reused.
class BatchedTimerState : public BatchedTimerRefCount {
 public:
  BatchedTimerState(Loop& loop, int64_t bucket_ns, int64_t chunk_size)
      : loop_(loop), bucket_ns_(bucket_ns), chunk_size_(chunk_size) {}
  ~BatchedTimerState();

  BatchedReservation Reserve(absl::Duration delay);
  // The generation the call's handle must carry.
  uint64_t Commit(const BatchedReservation& reservation);
  // Gives back a reserved slot whose Task was never constructed.
  void Abandon(uint32_t index) { Free(index); }
  bool Cancel(uint32_t slot, uint64_t generation);
  // Handles only ever name slots of their own timer, so `slot` is in range.
  bool Active(uint32_t slot, uint64_t generation) const {
    return At(slot).generation == generation;
  }

  void set_error_handler(BatchedErrorHandler handler) {
    error_handler_ = std::move(handler);
  }
  size_t pending() const { return pending_; }
  size_t loop_timers() const { return buckets_in_use_; }
  int64_t bucket_ns() const { return bucket_ns_; }
  int64_t chunk_size() const { return chunk_size_; }
  Loop& loop() const { return loop_; }

 private:
  struct alignas(64) Slot {
    Slot() {}
    ~Slot() {}
    // Constructed and destroyed by hand (see the class comment).
    union {
      Task task;
    };
    // The call's deadline until its bucket fires; then the latest time this
    // call and every call after it in the bucket may run (deadline + one
    // bucket, minimised over the rest of the list).
    int64_t limit_ns = 0;
    // Bumped whenever the call leaves its bucket, so stale handles stop
    // matching.
    uint64_t generation = 1;
    uint32_t prev = kNil;
    // The next call in the bucket, or the next free slot.
    uint32_t next = kNil;
    // kNil unless the slot holds a call filed in a bucket.
    uint32_t bucket = kNil;
  };
  struct Bucket {
    int64_t key = 0;  // due at key * bucket_ns_
    uint32_t head = kNil;
    uint32_t tail = kNil;
    size_t count = 0;
    bool draining = false;
    // The bucket's loop timer, then the one for its next chunk.
    DelayedCall timer;
    int64_t chunk_interval_ns = 0;
    int64_t chunks_run = 0;
    std::vector<Failure> errors;
    uint32_t next_free = kNil;
  };

  Slot& At(uint32_t index) const {
    return blocks_[index >> kBlockBits][index & (kBlockSize - 1)];
  }
  // Adds a block of free slots; returns the first.
  uint32_t GrowSlab();
  uint32_t BucketFor(int64_t key);
  // BucketFor, giving the reserved slot back if that throws.
  uint32_t NewBucketFor(const BatchedReservation& reservation);
  void FreeBucket(uint32_t b);
  // Gives an emptied bucket's loop timer back, unless it is draining.
  void ForgetBucket(uint32_t b);
  // Takes the call out of its bucket and retires its handles; its Task
  // stays alive in the slot.
  void Detach(Slot& slot);
  void Free(uint32_t index) {
    At(index).next = free_slot_;
    free_slot_ = index;
  }
  // Destroys the slot's Task, then puts the slot on the free list.
  void DestroyAndFree(uint32_t index);
  void FireBucket(uint32_t b);
  void RunChunk(uint32_t b);
  void Report(std::vector<Failure> errors);
  Task BucketTask(uint32_t b, bool first);

  Loop& loop_;
  const int64_t bucket_ns_;
  const int64_t chunk_size_;
  std::vector<std::unique_ptr<Slot[]>> blocks_;
  uint32_t free_slot_ = kNil;
  std::vector<Bucket> buckets_;
  uint32_t free_bucket_ = kNil;
  size_t buckets_in_use_ = 0;
  // Buckets waiting to fire, by key. A bucket leaves it when it fires, so a
  // call scheduled into a bucket being drained starts a new one.
  absl::flat_hash_map<int64_t, uint32_t> by_key_;
  // Most calls land in the bucket the previous one did: deadlines in
  // (cached_low_ns_, cached_high_ns_] skip the division and the map.
  int64_t cached_low_ns_ = 0;
  int64_t cached_high_ns_ = 0;
  uint32_t cached_bucket_ = kNil;
  void ForgetCachedBucket() { cached_low_ns_ = cached_high_ns_ = 0; }
  size_t pending_ = 0;
  BatchedErrorHandler error_handler_;
};

void DestroyBatchedTimerState(BatchedTimerRefCount* state) {
  delete static_cast<BatchedTimerState*>(state);
}

BatchedTimerState* BatchedTimerRef::get() const {
  return static_cast<BatchedTimerState*>(ptr_);
}

BatchedTimerState::~BatchedTimerState() {
  // Calls still filed (their loop timers were dropped with the loop). A
  // reserved or running slot cannot exist here: its caller holds a ref.
  for (auto& block : blocks_) {
    for (uint32_t i = 0; i < kBlockSize; ++i) {
      if (block[i].bucket != kNil) block[i].task.~Task();
    }
  }
}

// Inlined into its one caller on the hot path.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedReservation BatchedTimerState::Reserve(absl::Duration delay) {
  // Whole nanoseconds in int64: absl::Duration arithmetic costs more than
  // the rest of call_later.
  const int64_t delay_ns = CeilToNanoseconds(delay);
  if (delay < absl::ZeroDuration() || delay_ns > kMaxDeadlineNs) {
    ThrowBadDelay(delay);
  }
  const int64_t now_ns = CeilToNanoseconds(loop_.now());
  if (now_ns > kMaxDeadlineNs - delay_ns) ThrowBadDelay(delay);
  uint32_t index = free_slot_;
  if (index == kNil) index = GrowSlab();
  Slot& slot = At(index);
  free_slot_ = slot.next;
  return BatchedReservation{&slot.task, index, now_ns + delay_ns};
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

// Inlined into its one caller on the hot path.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t BatchedTimerState::Commit(const BatchedReservation& reservation) {
  const int64_t deadline_ns = reservation.deadline_ns;
  const uint32_t index = reservation.slot;
  const uint32_t b =
      (deadline_ns > cached_low_ns_ && deadline_ns <= cached_high_ns_)
          ? cached_bucket_
          : NewBucketFor(reservation);
  Slot& slot = At(index);
  slot.limit_ns = deadline_ns;
  slot.bucket = b;
  slot.next = kNil;
  Bucket& bucket = buckets_[b];
  slot.prev = bucket.tail;
  if (bucket.tail != kNil) {
    At(bucket.tail).next = index;
  } else {
    bucket.head = index;
  }
  bucket.tail = index;
  ++bucket.count;
  ++pending_;
  return slot.generation;
}

uint32_t BatchedTimerState::NewBucketFor(
    const BatchedReservation& reservation) {
  try {
    return BucketFor(CeilDiv(reservation.deadline_ns, bucket_ns_));
  } catch (...) {
    DestroyAndFree(reservation.slot);
    throw;
  }
}

uint32_t BatchedTimerState::BucketFor(int64_t key) {
  auto [it, inserted] = by_key_.try_emplace(key, kNil);
  if (inserted) {
    uint32_t b = free_bucket_;
    if (b != kNil) {
      free_bucket_ = buckets_[b].next_free;
    } else {
      b = static_cast<uint32_t>(buckets_.size());
      buckets_.emplace_back();
    }
    it->second = b;
    ++buckets_in_use_;
    Bucket& bucket = buckets_[b];
    bucket.key = key;
    // Read after the deadline was: later, so the timer never fires early.
    const int64_t now_ns = CeilToNanoseconds(loop_.now());
    bucket.timer = loop_.call_later(
        absl::Nanoseconds(std::max<int64_t>(0, key * bucket_ns_ - now_ns)),
        BucketTask(b, /*first=*/true));
  }
  cached_low_ns_ = (key - 1) * bucket_ns_;
  cached_high_ns_ = key * bucket_ns_;
  cached_bucket_ = it->second;
  return it->second;
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

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void BatchedTimerState::Detach(Slot& slot) {
  Bucket& bucket = buckets_[slot.bucket];
  if (slot.prev != kNil) {
    At(slot.prev).next = slot.next;
  } else {
    bucket.head = slot.next;
  }
  if (slot.next != kNil) {
    At(slot.next).prev = slot.prev;
  } else {
    bucket.tail = slot.prev;
  }
  --bucket.count;
  --pending_;
  ++slot.generation;
  slot.bucket = kNil;
}

void BatchedTimerState::DestroyAndFree(uint32_t index) {
  Slot& slot = At(index);
  slot.task.~Task();
  Free(index);
}

// Inlined into its one caller on the hot path.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool BatchedTimerState::Cancel(uint32_t index, uint64_t generation) {
  Slot& slot = At(index);
  if (slot.generation != generation) return false;
  // Destroying the call may drop the last other reference to this timer.
  BatchedTimerRef keep_alive(this);
  const uint32_t b = slot.bucket;
  Detach(slot);
  if (buckets_[b].count == 0 && !buckets_[b].draining) ForgetBucket(b);
  // Last: what the call captured may call back into this timer.
  DestroyAndFree(index);
  return true;
}

void BatchedTimerState::FireBucket(uint32_t b) {
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
      std::move(slot.task)();
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
  bucket.timer =
      loop_.call_later(absl::Nanoseconds(std::max<int64_t>(0, next_ns - now_ns)),
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

}  // namespace internal

namespace {

std::string DescribeErrors(const std::vector<Failure>& failures) {
  std::string text = absl::StrCat(failures.size(),
                                  " error(s) processing call_later bucket:");
  for (const Failure& failure : failures) {
    absl::StrAppend(&text, "\n", failure_message(failure));
  }
  return text;
}

int64_t CheckedChunkSize(int64_t chunk_size) {
  if (chunk_size <= 0) {
    throw std::invalid_argument(absl::StrCat(
        "make_batched_timer: chunk_size must be > 0, got ", chunk_size));
  }
  return chunk_size;
}

int64_t CheckedBucketNs(absl::Duration bucket) {
  if (bucket == absl::InfiniteDuration() ||
      bucket < absl::Nanoseconds(1)) {
    throw std::invalid_argument(absl::StrCat(
        "make_batched_timer: seconds_per_bucket must be finite and at least "
        "1 ns, got ",
        absl::FormatDuration(bucket)));
  }
  int64_t ns = absl::ToInt64Nanoseconds(bucket);
  if (ns > internal::kMaxDeadlineNs / 2) {
    throw std::invalid_argument(absl::StrCat(
        "make_batched_timer: seconds_per_bucket too large: ",
        absl::FormatDuration(bucket)));
  }
  return ns;
}

absl::Duration BucketFromSeconds(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0) {
    throw std::invalid_argument(absl::StrCat(
        "make_batched_timer: seconds_per_bucket must be a finite number > 0, "
        "got ",
        seconds));
  }
  return absl::Seconds(seconds);
}

}  // namespace

BatchedCallErrors::BatchedCallErrors(std::vector<Failure> failures)
    : std::runtime_error(DescribeErrors(failures)),
      failures_(std::move(failures)) {}

bool BatchedCall::cancel() {
  return state_ && state_.get()->Cancel(slot_, generation_);
}

bool BatchedCall::active() const {
  return state_ && state_.get()->Active(slot_, generation_);
}

BatchedTimer::BatchedTimer(Loop& loop, absl::Duration bucket,
                           int64_t chunk_size)
    : state_(new internal::BatchedTimerState(loop, CheckedBucketNs(bucket),
                                             CheckedChunkSize(chunk_size))) {}

BatchedTimer::BatchedTimer(Loop& loop, double seconds_per_bucket,
                           int64_t chunk_size)
    : BatchedTimer(loop, BucketFromSeconds(seconds_per_bucket), chunk_size) {}

BatchedCall BatchedTimer::schedule(absl::Duration delay, Task task) {
  internal::BatchedReservation reservation = Reserve(delay);
  ::new (reservation.storage) Task(std::move(task));
  return Commit(reservation);
}

internal::BatchedReservation BatchedTimer::Reserve(absl::Duration delay) {
  return state_.get()->Reserve(delay);
}

BatchedCall BatchedTimer::Commit(
    const internal::BatchedReservation& reservation) {
  uint64_t generation = state_.get()->Commit(reservation);
  return BatchedCall(state_, reservation.slot, generation,
                     reservation.deadline_ns);
}

void BatchedTimer::Abandon(
    const internal::BatchedReservation& reservation) noexcept {
  state_.get()->Abandon(reservation.slot);
}

void BatchedTimer::set_error_handler(BatchedErrorHandler handler) {
  state_.get()->set_error_handler(std::move(handler));
}

size_t BatchedTimer::pending() const { return state_.get()->pending(); }

size_t BatchedTimer::loop_timers() const {
  return state_.get()->loop_timers();
}

absl::Duration BatchedTimer::seconds_per_bucket() const {
  return absl::Nanoseconds(state_.get()->bucket_ns());
}

int64_t BatchedTimer::chunk_size() const { return state_.get()->chunk_size(); }

Loop& BatchedTimer::loop() const { return state_.get()->loop(); }

BatchedTimer make_batched_timer(double seconds_per_bucket, int64_t chunk_size) {
  return BatchedTimer(default_loop(), seconds_per_bucket, chunk_size);
}

BatchedTimer make_batched_timer(Loop& loop, double seconds_per_bucket,
                                int64_t chunk_size) {
  return BatchedTimer(loop, seconds_per_bucket, chunk_size);
}

BatchedTimer make_batched_timer(const Api& api, double seconds_per_bucket,
                                int64_t chunk_size) {
  return BatchedTimer(api.loop(), seconds_per_bucket, chunk_size);
}

}  // namespace txaio
