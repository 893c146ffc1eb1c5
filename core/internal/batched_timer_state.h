// Internal: the state behind txaio::BatchedTimer (core/batched_timer.h) and
// the one way to schedule a call into it, BatchedReservation.
//
// The calls live in a slab, and the buckets they are filed under are
// intrusive doubly-linked lists through it, so cancel unlinks in O(1) and a
// drained bucket never meets a cancelled call. What call_later and cancel
// touch is inline here (the public header's call_later and cancel compile to
// straight-line code); the rest (buckets coming and going, firing,
// reporting) is in batched_timer_state.cc.
//
// Thread rule: everything here is used on the loop's thread only (see
// core/batched_timer.h), so nothing is atomic.
#ifndef TXAIO_CORE_INTERNAL_BATCHED_TIMER_STATE_H_
#define TXAIO_CORE_INTERNAL_BATCHED_TIMER_STATE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/failure.h"
#include "core/internal/duration.h"
#include "core/loop.h"

namespace txaio::internal {

class BatchedTimerState;

// The reference count shared by BatchedTimer, BatchedCall and the loop tasks
// a timer schedules. Not atomic: all of them live on the loop thread, and a
// handle copy must cost next to nothing.
class BatchedTimerRefCount {
 public:
  void Ref() { ++refs_; }
  // True when this dropped the last reference.
  bool Unref() { return --refs_ == 0; }

 private:
  uint64_t refs_ = 0;
};

// Destroys the state whose last reference was dropped.
void DestroyBatchedTimerState(BatchedTimerRefCount* state);

// A counted pointer to a timer's state, inline so that copying a handle is
// an increment.
class BatchedTimerRef {
 public:
  BatchedTimerRef() = default;
  explicit BatchedTimerRef(BatchedTimerRefCount* state) : ptr_(state) {
    if (ptr_ != nullptr) ptr_->Ref();
  }
  // As above, for a state known to exist: no null check.
  explicit BatchedTimerRef(BatchedTimerRefCount& state) : ptr_(&state) {
    ptr_->Ref();
  }
  BatchedTimerRef(const BatchedTimerRef& other) : BatchedTimerRef(other.ptr_) {}
  BatchedTimerRef(BatchedTimerRef&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)) {}
  BatchedTimerRef& operator=(BatchedTimerRef other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE ~BatchedTimerRef() {
    if (ptr_ != nullptr && ptr_->Unref()) DestroyBatchedTimerState(ptr_);
  }

  // Defined below, where BatchedTimerState is complete.
  BatchedTimerState* get() const;
  explicit operator bool() const { return ptr_ != nullptr; }

 private:
  BatchedTimerRefCount* ptr_ = nullptr;
};

// What a slot runs. A small trivially copyable callable (a lambda capturing
// a few pointers or numbers, a function pointer) is kept as bytes beside the
// function that runs it, so that cancelling it destroys nothing and needs
// no indirect call; anything else is a Task.
union BatchedCallable {
  BatchedCallable() {}
  ~BatchedCallable() {}
  struct Plain {
    void (*run)(void* bytes);
    alignas(8) unsigned char bytes[24];
  } plain;
  Task task;
};

// Whether a callable of type C is kept as BatchedCallable::Plain.
template <typename C>
inline constexpr bool kBatchedPlain =
    std::is_trivially_copyable_v<C>&& std::is_trivially_destructible_v<C> &&
    sizeof(C) <= sizeof(BatchedCallable::Plain::bytes) &&
    alignof(C) <= alignof(BatchedCallable::Plain);

// Runs the C kept at `bytes` (as an rvalue, as a Task would).
template <typename C>
void RunPlainBatchedCall(void* bytes) {
  std::invoke(std::move(*std::launder(static_cast<C*>(bytes))));
}

// Keeps bucket boundaries (key * bucket) representable in int64 ns
// (txaio::kMaxBatchedDeadline).
inline constexpr int64_t kMaxBatchedDeadlineNs =
    std::numeric_limits<int64_t>::max() / 2;

// Throws call_later's std::invalid_argument for an empty callable.
[[noreturn]] void ThrowNullBatchedCallable();
// Throws call_later's std::invalid_argument for a bad `delay`, or one
// saying the loop's clock `now` is broken.
[[noreturn]] void ThrowBadBatchedDelay(absl::Duration delay,
                                       absl::Duration now);
// Throws schedule_at's std::invalid_argument for a `deadline` past 2^62 ns.
[[noreturn]] void ThrowBadBatchedDeadline(absl::Duration deadline);

// What names a filed call: its slot, the generation its handles carry, and
// its deadline on the loop's clock.
struct BatchedHandle {
  uint32_t slot;
  uint64_t generation;
  int64_t deadline_ns;
};

// A timer's state. Calls are scheduled into it only through
// BatchedReservation.
//
// Slots never move (the slab grows by blocks), so a call is constructed,
// run and destroyed in place, and what it runs or destroys may schedule
// more calls meanwhile. A slot's callable is alive from its construction
// until the slot goes back on the free list, which happens only after the
// callable is destroyed: a capture's destructor calling back into the timer
// never finds its own slot reused.
class BatchedTimerState : public BatchedTimerRefCount {
 public:
  // A state on `loop` with buckets of `bucket_ns` (> 0) running at most
  // `chunk_size` (> 0) calls per loop turn; the caller checked both.
  BatchedTimerState(Loop& loop, int64_t bucket_ns, int64_t chunk_size)
      : loop_(loop), bucket_ns_(bucket_ns), chunk_size_(chunk_size) {}
  BatchedTimerState(const BatchedTimerState&) = delete;
  BatchedTimerState& operator=(const BatchedTimerState&) = delete;
  // Destroys the calls still filed (their loop timers went with the loop).
  ~BatchedTimerState();

  // Cancels the call a handle names with (`index`, `generation`), releasing
  // what it captured; false if that call already ran, was cancelled, or the
  // slot holds another call now. O(1).
  bool Cancel(uint32_t index, uint64_t generation);
  // Whether (`index`, `generation`) names a call still filed. Handles only
  // ever name slots of their own timer, so `index` is in range.
  bool Active(uint32_t index, uint64_t generation) const {
    return At(index).generation == generation;
  }

  // Where a bucket's failures go (an empty handler: report_unhandled_failure).
  void set_error_handler(
      absl::AnyInvocable<void(std::vector<Failure>)> handler) {
    error_handler_ = std::move(handler);
  }
  // Calls filed and neither run nor cancelled.
  size_t pending() const { return pending_; }
  // Loop timers held: one per bucket waiting or being drained.
  size_t loop_timers() const { return buckets_in_use_; }
  int64_t bucket_ns() const { return bucket_ns_; }
  int64_t chunk_size() const { return chunk_size_; }
  Loop& loop() const { return loop_; }

 private:
  friend class BatchedReservation;

  static constexpr uint32_t kNil = ~uint32_t{0};
  // The slab grows by blocks of 2^kBlockBits slots that never move.
  static constexpr int kBlockBits = 12;
  static constexpr uint32_t kBlockSize = uint32_t{1} << kBlockBits;

  struct alignas(64) Slot {
    // Constructed and destroyed by hand (see the class comment).
    BatchedCallable call;
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
    // Which member of `call` is alive, once filed.
    bool plain = false;

    void Run() {
      if (plain) {
        call.plain.run(call.plain.bytes);
      } else {
        std::move(call.task)();
      }
    }
    void Destroy() {
      if (!plain) call.task.~Task();
    }
  };
  // One cache line per call.
  static_assert(sizeof(Slot) == 64);
  struct Bucket {
    // The calls, in the order they were filed: the part call_later and
    // cancel touch.
    uint32_t head = kNil;
    uint32_t tail = kNil;
    size_t count = 0;
    bool draining = false;
    int64_t key = 0;  // due at key * bucket_ns_
    // The bucket's loop timer, then the one for its next chunk.
    DelayedCall timer;
    int64_t chunk_interval_ns = 0;
    int64_t chunks_run = 0;
    std::vector<Failure> errors;
    uint32_t next_free = kNil;
  };

  // --- For BatchedReservation: take a slot, file it or give it back. ---

  // now() + `delay` in ns, checked as call_later documents (throws).
  int64_t DeadlineAfter(absl::Duration delay) const;
  // `deadline` in ns, checked as schedule_at documents (throws); a
  // negative one counts as zero.
  static int64_t CheckedDeadline(absl::Duration deadline);
  // Takes a free slot, growing the slab if there is none (throws then, if
  // that fails).
  uint32_t TakeSlot();
  // Files the call constructed in slot `index` (a Plain one if `plain`, else
  // a Task) under the bucket for `deadline_ns`; returns the generation its
  // handles carry. If the bucket's loop timer cannot be started, throws
  // what the loop threw with nothing changed.
  uint64_t File(uint32_t index, int64_t deadline_ns, bool plain);
  // Gives back a slot that was never filed, destroying the Task constructed
  // in it first if `holds_task`.
  void Abandon(uint32_t index, bool holds_task) noexcept;

  ABSL_ATTRIBUTE_ALWAYS_INLINE Slot& At(uint32_t index) const {
    return blocks_[index >> kBlockBits][index & (kBlockSize - 1)];
  }
  // Adds a block of free slots; returns the first.
  uint32_t GrowSlab();
  // The bucket whose boundary is the first at or after `deadline_ns`, made
  // (with its loop timer) if there is none waiting. Throws what the loop
  // throws, leaving no bucket behind.
  uint32_t BucketForDeadline(int64_t deadline_ns);
  // Takes a free bucket for `key` and starts its loop timer.
  uint32_t NewBucket(int64_t key);
  // Starts the loop timer of bucket `b` for its due time, or for
  // internal::kMaxDelay if that is further away.
  void ArmBucket(uint32_t b);
  void FreeBucket(uint32_t b);
  // Gives an emptied bucket's loop timer back, unless it is draining.
  void ForgetBucket(uint32_t b);
  // Takes the call out of its bucket and retires its handles; its callable
  // stays alive in the slot.
  void Detach(Slot& slot);
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Free(uint32_t index) {
    At(index).next = free_slot_;
    free_slot_ = index;
  }
  // Destroys the slot's callable, then puts the slot on the free list.
  void DestroyAndFree(uint32_t index);
  // The rest of Cancel when it has more to do than unlink a plain call
  // from a bucket that keeps others: destroying a Task, or giving back the
  // bucket's loop timer.
  void FinishCancel(uint32_t index, uint32_t b);
  void FireBucket(uint32_t b);
  void RunChunk(uint32_t b);
  void Report(std::vector<Failure> errors);
  Task BucketTask(uint32_t b, bool first);
  void ForgetCachedBucket() { cached_low_ns_ = cached_high_ns_ = 0; }

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
  size_t pending_ = 0;
  absl::AnyInvocable<void(std::vector<Failure>)> error_handler_;
};

// One call being scheduled into a timer, start to finish: the constructor
// checks the deadline and takes a slot, commit() constructs the callable in
// the slot (in place: no temporary to move from and destroy) and files it.
// A reservation not committed, because something threw on the way (the
// callable's constructor, an empty Task, the loop refusing a new bucket's
// timer) or because commit() was never called, gives its slot back when
// destroyed, destroying the callable if one was constructed: the timer is
// left as it was, whatever the order of events.
//
// Loop thread only, and one call at a time: nothing else may schedule into
// the same timer while a reservation is open (the callable's constructor
// must not).
class BatchedReservation {
 public:
  // Reserves a slot for a call due at now() + `delay`. Throws call_later's
  // std::invalid_argument for a bad delay (or a broken clock).
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedReservation(BatchedTimerState& state,
                                                  absl::Duration delay)
      : BatchedReservation(state, state.DeadlineAfter(delay)) {}

  // Reserves a slot for a call due at the absolute `deadline` on the loop's
  // clock (schedule_at's rule: a negative deadline counts as zero; one past
  // kMaxBatchedDeadlineNs throws std::invalid_argument). Does not read the
  // clock.
  static BatchedReservation At(BatchedTimerState& state,
                               absl::Duration deadline) {
    return BatchedReservation(state,
                              BatchedTimerState::CheckedDeadline(deadline));
  }

  BatchedReservation(const BatchedReservation&) = delete;
  BatchedReservation& operator=(const BatchedReservation&) = delete;

  // Gives the slot back unless committed.
  ABSL_ATTRIBUTE_ALWAYS_INLINE ~BatchedReservation() {
    if (state_ != nullptr) [[unlikely]]
      state_->Abandon(index_, holds_task_);
  }

  // Constructs the call from `callable` in the slot, kept as bytes if
  // kBatchedPlain (that cannot throw), else as a Task, and files it under
  // its bucket; returns what its handle names. Throws what the Task's
  // constructor or the loop throws, or call_later's std::invalid_argument
  // for an empty Task; the reservation then stays open (the destructor
  // cleans up). At most once.
  template <typename C>
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedHandle commit(C&& callable) {
    using Fn = std::decay_t<C>;
    BatchedCallable& storage = state_->At(index_).call;
    if constexpr (kBatchedPlain<Fn>) {
      storage.plain.run = &RunPlainBatchedCall<Fn>;
      ::new (static_cast<void*>(storage.plain.bytes))
          Fn(std::forward<C>(callable));
    } else {
      ::new (&storage.task) Task(std::forward<C>(callable));
      holds_task_ = true;
      // An empty Task (passed as one, or made from a null pointer) would
      // fail only when its bucket fires, far from the mistake.
      if (!storage.task) ThrowNullBatchedCallable();
    }
    const uint64_t generation =
        state_->File(index_, deadline_ns_, kBatchedPlain<Fn>);
    state_ = nullptr;
    return BatchedHandle{index_, generation, deadline_ns_};
  }

 private:
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedReservation(BatchedTimerState& state,
                                                  int64_t deadline_ns)
      : deadline_ns_(deadline_ns), index_(state.TakeSlot()), state_(&state) {}

  int64_t deadline_ns_;
  uint32_t index_;
  // Null once committed.
  BatchedTimerState* state_;
  // Whether the slot holds a Task that the destructor must destroy.
  bool holds_task_ = false;
};

// --- Inline definitions: the hot path. ---

inline BatchedTimerState* BatchedTimerRef::get() const {
  return static_cast<BatchedTimerState*>(ptr_);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline int64_t BatchedTimerState::DeadlineAfter(
    absl::Duration delay) const {
  // Whole nanoseconds in int64: absl::Duration arithmetic costs more than
  // the rest of call_later.
  // The delay rule (internal::CheckedDelay): 0 to kMaxDelayNs.
  const int64_t delay_ns = CeilToNanoseconds(delay);
  if (delay < absl::ZeroDuration() || delay_ns > kMaxDelayNs) [[unlikely]] {
    ThrowBadBatchedDelay(delay, loop_.now());
  }
  const absl::Duration now = loop_.now();
  const int64_t now_ns = CeilToNanoseconds(now);
  if (now_ns > kMaxBatchedDeadlineNs - delay_ns) [[unlikely]] {
    ThrowBadBatchedDelay(delay, now);
  }
  return now_ns + delay_ns;
}

inline int64_t BatchedTimerState::CheckedDeadline(absl::Duration deadline) {
  const int64_t deadline_ns = CeilToNanoseconds(deadline);
  if (deadline_ns > kMaxBatchedDeadlineNs) [[unlikely]] {
    ThrowBadBatchedDeadline(deadline);
  }
  return std::max<int64_t>(deadline_ns, 0);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint32_t BatchedTimerState::TakeSlot() {
  uint32_t index = free_slot_;
  if (index == kNil) [[unlikely]]
    index = GrowSlab();
  free_slot_ = At(index).next;
  return index;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t BatchedTimerState::File(
    uint32_t index, int64_t deadline_ns, bool plain) {
  // The bucket first: if making one throws, nothing has changed yet.
  uint32_t b = cached_bucket_;
  if (deadline_ns <= cached_low_ns_ || deadline_ns > cached_high_ns_)
      [[unlikely]] {
    b = BucketForDeadline(deadline_ns);
  }
  Slot& slot = At(index);
  slot.plain = plain;
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

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool BatchedTimerState::Cancel(
    uint32_t index, uint64_t generation) {
  Slot& slot = At(index);
  if (slot.generation != generation) return false;
  const uint32_t b = slot.bucket;
  Detach(slot);
  // A plain call destroys nothing, so nothing can call back into the timer
  // or drop a reference to it.
  if (!slot.plain || buckets_[b].count == 0) [[unlikely]] {
    FinishCancel(index, b);
  } else {
    Free(index);
  }
  return true;
}

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_BATCHED_TIMER_STATE_H_
