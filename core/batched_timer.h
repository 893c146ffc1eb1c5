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
// reused by another call_later is a no-op returning false.
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

#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/failure.h"
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
  BatchedTimerRef(const BatchedTimerRef& other) : BatchedTimerRef(other.ptr_) {}
  BatchedTimerRef(BatchedTimerRef&& other) noexcept
      : ptr_(std::exchange(other.ptr_, nullptr)) {}
  BatchedTimerRef& operator=(BatchedTimerRef other) noexcept {
    std::swap(ptr_, other.ptr_);
    return *this;
  }
  ~BatchedTimerRef() {
    if (ptr_ != nullptr && ptr_->Unref()) DestroyBatchedTimerState(ptr_);
  }

  // Defined where BatchedTimerState is complete.
  BatchedTimerState* get() const;
  explicit operator bool() const { return ptr_ != nullptr; }

 private:
  BatchedTimerRefCount* ptr_ = nullptr;
};

// A slot taken by BatchedTimer::Reserve for a call not yet constructed.
struct BatchedReservation {
  void* storage;  // raw storage for the call's Task
  uint32_t slot;
  int64_t deadline_ns;
};

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
  BatchedCall(internal::BatchedTimerRef state, uint32_t slot,
              uint64_t generation, int64_t when_ns)
      : state_(std::move(state)),
        slot_(slot),
        generation_(generation),
        when_ns_(when_ns) {}

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
  // must be finite and >= 0, else std::invalid_argument.
  template <typename F, typename... Args>
  BatchedCall call_later(absl::Duration delay, F&& fn, Args&&... args) {
    // The callable is built straight into its slot: no Task temporary to
    // move from and destroy.
    internal::BatchedReservation reservation = Reserve(delay);
    try {
      if constexpr (sizeof...(Args) == 0 &&
                    std::is_constructible_v<Task, F&&>) {
        ::new (reservation.storage) Task(std::forward<F>(fn));
      } else {
        ::new (reservation.storage)
            Task([fn = std::forward<F>(fn),
                  bound = std::make_tuple(
                      std::forward<Args>(args)...)]() mutable {
              std::apply(fn, std::move(bound));
            });
      }
    } catch (...) {
      Abandon(reservation);
      throw;
    }
    return Commit(reservation);
  }
  // As above with the delay in seconds, as txaio takes it.
  template <typename F, typename... Args>
  BatchedCall call_later(double seconds, F&& fn, Args&&... args) {
    return call_later(internal::SecondsToDelay(seconds, "call_later"),
                      std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // The type-erased form the bindings use.
  BatchedCall schedule(absl::Duration delay, Task task);

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
  // call_later in two halves, so that the callable is constructed in place:
  // Reserve checks `delay` (throwing as call_later documents), reads the
  // clock and takes a slot whose Task the caller must construct at
  // `storage`; Commit files that call under its bucket and returns its
  // handle. Abandon gives back a reserved slot whose Task could not be
  // constructed. Nothing else may happen to the slot in between.
  internal::BatchedReservation Reserve(absl::Duration delay);
  BatchedCall Commit(const internal::BatchedReservation& reservation);
  void Abandon(const internal::BatchedReservation& reservation) noexcept;

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

}  // namespace txaio

#endif  // TXAIO_CORE_BATCHED_TIMER_H_
