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
//
// The state behind a timer (the slab of calls, the buckets) is internal:
// core/internal/batched_timer_state.h; the inline definitions of the
// templates and of the hot path below are in
// core/internal/batched_timer_inl.h.
#ifndef TXAIO_CORE_BATCHED_TIMER_H_
#define TXAIO_CORE_BATCHED_TIMER_H_

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/failure.h"
#include "core/internal/batched_timer_state.h"
#include "core/loop.h"

namespace txaio {

// The latest deadline a batched timer files a call under, on the loop's
// clock: 2^62 ns (about 146 years). schedule_at throws past it.
inline constexpr absl::Duration kMaxBatchedDeadline =
    absl::Nanoseconds(internal::kMaxBatchedDeadlineNs);

// What a bucket's failing calls are reported as, when no error handler is
// set: one Failure wrapping this exception goes to report_unhandled_failure()
// after the bucket's last chunk. what() lists failure_message() of each.
class BatchedCallErrors : public std::runtime_error {
 public:
  // An error listing `failures`.
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
  BatchedCall(internal::BatchedTimerState& state,
              const internal::BatchedHandle& handle);

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
  // As above with the bucket as a Duration.
  BatchedTimer(Loop& loop, absl::Duration bucket, int64_t chunk_size);

  // Calls fn(args...) on the loop no earlier than `delay` from now and less
  // than one bucket after that (see the precision promise above). Arguments
  // are copied (or moved) into the call; what fn returns is ignored. `delay`
  // must be finite and >= 0 and fn not a null pointer, else
  // std::invalid_argument.
  template <typename F, typename... Args>
  ABSL_ATTRIBUTE_ALWAYS_INLINE BatchedCall call_later(absl::Duration delay,
                                                      F&& fn, Args&&... args);
  // As above with the delay in seconds, as txaio takes it.
  template <typename F, typename... Args>
  BatchedCall call_later(double seconds, F&& fn, Args&&... args);

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
  // kMaxBatchedDeadline, as call_later does.
  BatchedCall schedule_at(absl::Duration deadline, Task task);

  // Replaces where failing calls are reported (an empty handler restores
  // the default: one BatchedCallErrors Failure to report_unhandled_failure).
  void set_error_handler(BatchedErrorHandler handler);

  // Calls scheduled and neither run nor cancelled.
  size_t pending() const;
  // Loop timers this timer holds now: one per bucket with pending calls,
  // plus one per bucket that is being drained.
  size_t loop_timers() const;

  // The bucket width the timer was made with.
  absl::Duration seconds_per_bucket() const;
  // The most calls run per loop turn.
  int64_t chunk_size() const;
  // The loop the timer schedules on.
  Loop& loop() const;

 private:
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

// The templates and the inline hot path (KJ's async-inl.h pattern).
#include "core/internal/batched_timer_inl.h"  // IWYU pragma: export

#endif  // TXAIO_CORE_BATCHED_TIMER_H_
