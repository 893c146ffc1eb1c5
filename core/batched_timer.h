// BatchedTimer: tens of thousands of timeouts that need not be exact, for the
// price of a few loop timers (txaio's make_batched_timer / IBatchedTimer).
//
// Deadlines are quantised into buckets of `seconds_per_bucket`; each bucket
// holds one timer on the loop. When a bucket comes due its calls run in
// chunks of `chunk_size`, the chunks spread across one bucket interval so a
// burst of timeouts does not stall the loop. Errors thrown by calls are
// collected and reported together after the bucket's last chunk; they never
// stop the other calls.
//
// Precision promise: a call never runs before its deadline (now() +
// delay on the loop's clock) and, on a loop that keeps up, runs less than one
// bucket after it (plus the loop's own 1 ms wake-up granularity, see
// core/loop_base.h). Deadlines are rounded UP to the next bucket boundary;
// chunk spreading is clamped so it never pushes a call past deadline +
// seconds_per_bucket.
//
// Costs: call_later and cancel are O(1) with no heap allocation per call once
// the timer's slab has grown (and none for the call itself when the callable
// fits absl::AnyInvocable's inline storage); a handle is an index plus a
// generation, so cancelling twice, after the call ran, or after the call was
// reused by another call_later is a no-op returning false. Both are inline:
// a small trivially copyable callable (a lambda capturing a few pointers, a
// function pointer, a member function bound to a pointer) is stored without
// a Task, so scheduling and cancelling it make no call except the loop's
// now().
//
//   txaio::BatchedTimer timeouts = txaio::make_batched_timer(0.1, 1000);
//   txaio::BatchedCall ping = timeouts.call_later(30.0, &Conn::ping, conn);
//   ...
//   ping.cancel();
//
// Thread rule: like DelayedCall, a BatchedTimer and its BatchedCall handles
// (including their copies and destruction) are used only on the loop's
// thread. The loop must outlive every call_later made through the timer;
// handles and the timer itself may outlive the loop (they become inert).
#ifndef TXAIO_CORE_BATCHED_TIMER_H_
#define TXAIO_CORE_BATCHED_TIMER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/failure.h"
#include "core/internal/duration.h"
#include "core/loop.h"

namespace txaio {

namespace internal {

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

// A counted pointer to the timer's state, inline so that copying a handle is
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

  // Defined where BatchedTimerState is complete.
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
    std::is_trivially_copyable_v<C> && std::is_trivially_destructible_v<C> &&
    sizeof(C) <= sizeof(BatchedCallable::Plain::bytes) &&
    alignof(C) <= alignof(BatchedCallable::Plain);

// Runs the C kept at `bytes` (as an rvalue, as a Task would).
template <typename C>
void RunPlainBatchedCall(void* bytes) {
  std::invoke(std::move(*std::launder(static_cast<C*>(bytes))));
}

// A slot taken by BatchedTimer::Reserve for a call not yet constructed.
struct BatchedReservation {
  BatchedCallable* storage;  // where the caller constructs the call
  uint32_t slot;
  int64_t deadline_ns;
};

// Throws call_later's std::invalid_argument for an empty callable.
[[noreturn]] void ThrowNullBatchedCallable();

}  // namespace internal

// What a bucket's failing calls are reported as, when no error handler is
// set: one Failure wrapping this exception goes to report_unhandled_failure()
// after the bucket's last chunk. what() lists failure_message() of each.
class BatchedCallErrors : public std::runtime_error {
 public:
  explicit BatchedCallErrors(std::vector<Failure> failures);

  // The failures, in the order the calls ran.
  const std::vector<Failure>& failures() const { return failures_; }

 private:
  std::vector<Failure> failures_;
};

// A handle on one call scheduled through a BatchedTimer. Copies refer to the
// same call; a default-constructed handle refers to none and is never active.
class BatchedCall {
 public:
  BatchedCall() = default;
  BatchedCall(const BatchedCall&) = default;
  BatchedCall(BatchedCall&&) = default;
  BatchedCall& operator=(const BatchedCall&) = default;
  BatchedCall& operator=(BatchedCall&&) = default;
  // Declared only to be inlined wherever a handle dies (large callers of
  // call_later would otherwise get an out-of-line call).
  ABSL_ATTRIBUTE_ALWAYS_INLINE ~BatchedCall() = default;

  // Cancels the call if it has neither run nor been cancelled, releasing what
  // it captured at once. Returns whether this cancelled it. O(1).
  bool cancel();

  // True while the call is scheduled and has neither started nor been
  // cancelled.
  bool active() const;

  // The call's deadline on the loop's clock (Loop::now() + delay, rounded
  // up to a whole nanosecond).
  absl::Duration when() const { return absl::Nanoseconds(when_ns_); }

 private:
  friend class BatchedTimer;
  BatchedCall(internal::BatchedTimerState& state, uint32_t slot,
              uint64_t generation, int64_t when_ns);

  internal::BatchedTimerRef state_;
  uint32_t slot_ = 0;
  uint64_t generation_ = 0;
  int64_t when_ns_ = 0;
};

// Receives the failures of one bucket's calls, in the order the calls ran,
// after its last chunk. Must not throw (what it throws is reported unhandled).
using BatchedErrorHandler = absl::AnyInvocable<void(std::vector<Failure>)>;

// The batched timer (txaio's IBatchedTimer). Copies share one timer.
class BatchedTimer {
 public:
  // A timer on `loop` with buckets of `seconds_per_bucket` (>= 1 ns) running
  // at most `chunk_size` (> 0) calls per loop turn. Anything else, NaN or
  // infinite throws std::invalid_argument.
  BatchedTimer(Loop& loop, double seconds_per_bucket, int64_t chunk_size);
  BatchedTimer(Loop& loop, absl::Duration bucket, int64_t chunk_size);

  // Calls fn(args...) on the loop no earlier than `delay` from now and less
  // than one bucket after that (see the precision promise above). Arguments
  // are copied (or moved) into the call; what fn returns is ignored. `delay`
  // must be finite and >= 0 and fn not a null pointer, else
  // std::invalid_argument.
  template <typename F, typename... Args>
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedCall call_later(absl::Duration delay,
                                                      F&& fn,
                                                      Args&&... args) {
    using Fn = std::decay_t<F>;
    if constexpr (std::is_pointer_v<Fn> || std::is_member_pointer_v<Fn>) {
      if (fn == nullptr) internal::ThrowNullBatchedCallable();
    }
    if constexpr (sizeof...(Args) == 0 && internal::kBatchedPlain<Fn>) {
      return SchedulePlain(delay, Fn(std::forward<F>(fn)));
    } else if constexpr (sizeof...(Args) == 0 &&
                         std::is_constructible_v<Task, F&&>) {
      return ScheduleTask(delay, std::forward<F>(fn));
    } else {
      auto bound = [fn = std::forward<F>(fn),
                    bound = std::make_tuple(
                        std::forward<Args>(args)...)]() mutable {
        std::apply(fn, std::move(bound));
      };
      if constexpr (internal::kBatchedPlain<decltype(bound)>) {
        return SchedulePlain(delay, bound);
      } else {
        return ScheduleTask(delay, std::move(bound));
      }
    }
  }
  // As above with the delay in seconds, as txaio takes it.
  template <typename F, typename... Args>
  BatchedCall call_later(double seconds, F&& fn, Args&&... args) {
    return call_later(
        internal::SecondsToDelay(seconds, "BatchedTimer::call_later"),
        std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // The type-erased form the bindings use. An empty `task` throws
  // std::invalid_argument.
  BatchedCall schedule(absl::Duration delay, Task task);

  // Files `task` under the bucket whose boundary is the first at or after
  // `deadline`, an absolute time on the loop's clock (a negative one counts
  // as zero). A bucket whose boundary has passed runs as soon as the loop
  // gets to it, and later calls filed under it join it until it fires. For
  // callers that quantise deadlines themselves: txaio's Python package
  // rounds them as upstream txaio does (possibly before now() + delay), so
  // the precision promise above holds only for deadlines rounded up.
  // Throws std::invalid_argument for an empty `task` or a deadline past
  // 2^62 ns, as call_later does.
  BatchedCall schedule_at(absl::Duration deadline, Task task);

  // Replaces where failing calls are reported (an empty handler restores
  // the default: one BatchedCallErrors Failure to report_unhandled_failure).
  void set_error_handler(BatchedErrorHandler handler);

  // Calls scheduled and neither run nor cancelled.
  size_t pending() const;
  // Loop timers this timer holds now: one per bucket with pending calls,
  // plus one per bucket that is being drained.
  size_t loop_timers() const;

  absl::Duration seconds_per_bucket() const;
  int64_t chunk_size() const;
  Loop& loop() const;

 private:
  // call_later in two halves, so that the callable is constructed in place
  // (no temporary to move from and destroy): Reserve checks `delay`
  // (throwing as call_later documents), reads the clock and takes a slot
  // whose callable the caller must construct at `storage`; Commit files that
  // call under its bucket and returns its handle. Abandon gives back a
  // reserved slot whose callable could not be constructed. Nothing else may
  // happen to the slot in between. Inline, with the rest of the hot path,
  // so that call_later and cancel compile to straight-line code.
  internal::BatchedReservation Reserve(absl::Duration delay);
  BatchedCall Commit(const internal::BatchedReservation& reservation,
                     bool plain);
  void Abandon(const internal::BatchedReservation& reservation) noexcept;

  // A callable kept as BatchedCallable::Plain: copying it cannot throw.
  template <typename C>
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedCall SchedulePlain(absl::Duration delay,
                                                         C callable) {
    internal::BatchedReservation reservation = Reserve(delay);
    reservation.storage->plain.run = &internal::RunPlainBatchedCall<C>;
    ::new (static_cast<void*>(reservation.storage->plain.bytes))
        C(std::move(callable));
    return Commit(reservation, /*plain=*/true);
  }
  // Any other callable, as a Task.
  template <typename C>
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedCall ScheduleTask(absl::Duration delay,
                                                        C&& callable) {
    return ScheduleTask(Reserve(delay), std::forward<C>(callable));
  }
  template <typename C>
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedCall ScheduleTask(
      const internal::BatchedReservation& reservation, C&& callable) {
    try {
      ::new (&reservation.storage->task) Task(std::forward<C>(callable));
    } catch (...) {
      Abandon(reservation);
      throw;
    }
    // An empty Task (passed as one, or made from a null pointer) would fail
    // only when its bucket fires, far from the mistake.
    if (!reservation.storage->task) {
      reservation.storage->task.~Task();
      Abandon(reservation);
      internal::ThrowNullBatchedCallable();
    }
    return Commit(reservation, /*plain=*/false);
  }

  internal::BatchedTimerRef state_;
};

// txaio.make_batched_timer(seconds_per_bucket, chunk_size) on the default
// loop (throws UsageError before a framework is selected), on `loop`, or on
// the loop of `api`.
BatchedTimer make_batched_timer(double seconds_per_bucket, int64_t chunk_size);
BatchedTimer make_batched_timer(Loop& loop, double seconds_per_bucket,
                                int64_t chunk_size);
BatchedTimer make_batched_timer(const Api& api, double seconds_per_bucket,
                                int64_t chunk_size);

namespace internal {

// A timer's state. What call_later and cancel touch is inline below; the
// rest (buckets coming and going, firing, reporting) is in the .cc.
//
// The calls live in a slab, and the buckets they are filed under are
// intrusive doubly-linked lists through it, so cancel unlinks in O(1) and a
// drained bucket never meets a cancelled call.
//
// Slots never move (the slab grows by blocks), so a call is constructed,
// run and destroyed in place, and what it runs or destroys may schedule
// more calls meanwhile. A slot's callable is alive from Reserve until the
// slot goes back on the free list, which happens only after the callable is
// destroyed: a capture's destructor calling back into the timer never
// finds its own slot reused.
class BatchedTimerState : public BatchedTimerRefCount {
 public:
  BatchedTimerState(Loop& loop, int64_t bucket_ns, int64_t chunk_size)
      : loop_(loop), bucket_ns_(bucket_ns), chunk_size_(chunk_size) {}
  BatchedTimerState(const BatchedTimerState&) = delete;
  BatchedTimerState& operator=(const BatchedTimerState&) = delete;
  ~BatchedTimerState();

  // Checks `delay`, reads the clock and takes a free slot (see
  // BatchedTimer::Reserve).
  BatchedReservation Reserve(absl::Duration delay);
  // As Reserve, for an absolute deadline (see BatchedTimer::schedule_at);
  // does not read the clock.
  BatchedReservation ReserveAt(absl::Duration deadline);
  // Files the reserved call; returns the generation its handle must carry.
  uint64_t Commit(const BatchedReservation& reservation, bool plain);
  // Gives back a reserved slot whose callable was never constructed.
  void Abandon(uint32_t index) { Free(index); }
  // BatchedCall::cancel for the handle naming (`index`, `generation`).
  bool Cancel(uint32_t index, uint64_t generation);
  // Handles only ever name slots of their own timer, so `index` is in range.
  bool Active(uint32_t index, uint64_t generation) const {
    return At(index).generation == generation;
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
    // Which member of `call` is alive.
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

  ABSL_ATTRIBUTE_ALWAYS_INLINE Slot& At(uint32_t index) const {
    return blocks_[index >> kBlockBits][index & (kBlockSize - 1)];
  }
  // Adds a block of free slots; returns the first.
  uint32_t GrowSlab();
  // Takes a free slot for a call due at `deadline_ns` (checked).
  BatchedReservation TakeSlot(int64_t deadline_ns);
  // The bucket due at key * bucket_ns_, made (with its loop timer) if there
  // is none waiting. Throws what the loop throws, leaving no bucket behind.
  uint32_t BucketFor(int64_t key);
  // Takes a free bucket for `key` and starts its loop timer.
  uint32_t NewBucket(int64_t key);
  // Starts the loop timer of bucket `b` for its due time, or for
  // internal::kMaxDelay if that is further away.
  void ArmBucket(uint32_t b);
  // BucketFor the reserved call's deadline, destroying the call and giving
  // its slot back if that throws.
  uint32_t BucketForCall(uint32_t index, int64_t deadline_ns);
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
  BatchedErrorHandler error_handler_;
};

inline BatchedTimerState* BatchedTimerRef::get() const {
  return static_cast<BatchedTimerState*>(ptr_);
}

// Keeps bucket boundaries (key * bucket) representable in int64 ns.
inline constexpr int64_t kMaxBatchedDeadlineNs =
    std::numeric_limits<int64_t>::max() / 2;

// Throws call_later's std::invalid_argument for a bad `delay`, or one
// saying the loop's clock `now` is broken.
[[noreturn]] void ThrowBadBatchedDelay(absl::Duration delay,
                                       absl::Duration now);
// Throws schedule_at's std::invalid_argument for a `deadline` past 2^62 ns.
[[noreturn]] void ThrowBadBatchedDeadline(absl::Duration deadline);

ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedReservation
BatchedTimerState::Reserve(absl::Duration delay) {
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
  return TakeSlot(now_ns + delay_ns);
}

inline BatchedReservation BatchedTimerState::ReserveAt(
    absl::Duration deadline) {
  const int64_t deadline_ns = CeilToNanoseconds(deadline);
  if (deadline_ns > kMaxBatchedDeadlineNs) [[unlikely]] {
    ThrowBadBatchedDeadline(deadline);
  }
  return TakeSlot(std::max<int64_t>(deadline_ns, 0));
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedReservation
BatchedTimerState::TakeSlot(int64_t deadline_ns) {
  uint32_t index = free_slot_;
  if (index == kNil) [[unlikely]] index = GrowSlab();
  Slot& slot = At(index);
  free_slot_ = slot.next;
  return BatchedReservation{&slot.call, index, deadline_ns};
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline uint64_t BatchedTimerState::Commit(
    const BatchedReservation& reservation, bool plain) {
  const int64_t deadline_ns = reservation.deadline_ns;
  const uint32_t index = reservation.slot;
  Slot& slot = At(index);
  // First: BucketForCall destroys the call as what it is if it throws.
  slot.plain = plain;
  uint32_t b = cached_bucket_;
  if (deadline_ns <= cached_low_ns_ || deadline_ns > cached_high_ns_)
      [[unlikely]] {
    b = BucketForCall(index, deadline_ns);
  }
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

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool BatchedTimerState::Cancel(uint32_t index, uint64_t generation) {
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

}  // namespace internal

ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedCall::BatchedCall(
    internal::BatchedTimerState& state, uint32_t slot, uint64_t generation,
    int64_t when_ns)
    : state_(state), slot_(slot), generation_(generation), when_ns_(when_ns) {}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool BatchedCall::cancel() {
  return state_ && state_.get()->Cancel(slot_, generation_);
}

inline bool BatchedCall::active() const {
  return state_ && state_.get()->Active(slot_, generation_);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline internal::BatchedReservation
BatchedTimer::Reserve(
    absl::Duration delay) {
  return state_.get()->Reserve(delay);
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedCall BatchedTimer::Commit(
    const internal::BatchedReservation& reservation, bool plain) {
  internal::BatchedTimerState& state = *state_.get();
  const uint64_t generation = state.Commit(reservation, plain);
  return BatchedCall(state, reservation.slot, generation,
                     reservation.deadline_ns);
}

inline void BatchedTimer::Abandon(
    const internal::BatchedReservation& reservation) noexcept {
  state_.get()->Abandon(reservation.slot);
}

}  // namespace txaio

#endif  // TXAIO_CORE_BATCHED_TIMER_H_
