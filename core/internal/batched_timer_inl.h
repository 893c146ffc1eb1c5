// Internal: the inline definitions of core/batched_timer.h (its templates
// and the hot path of call_later and cancel), included at its end so that
// the public header shows the API only. Include core/batched_timer.h, not
// this file.
#ifndef TXAIO_CORE_INTERNAL_BATCHED_TIMER_INL_H_
#define TXAIO_CORE_INTERNAL_BATCHED_TIMER_INL_H_

#ifndef TXAIO_CORE_BATCHED_TIMER_H_
#error "include core/batched_timer.h, not core/internal/batched_timer_inl.h"
#endif

#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/delay.h"
#include "core/internal/batched_timer_state.h"

namespace txaio {

ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedCall::BatchedCall(
    internal::BatchedTimerState& state, const internal::BatchedHandle& handle)
    : state_(state),
      slot_(handle.slot),
      generation_(handle.generation),
      when_ns_(handle.deadline_ns) {}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool BatchedCall::cancel() {
  return state_ && state_.get()->Cancel(slot_, generation_);
}

inline bool BatchedCall::active() const {
  return state_ && state_.get()->Active(slot_, generation_);
}

template <typename F, typename... Args>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline BatchedCall BatchedTimer::call_later(
    absl::Duration delay, F&& fn, Args&&... args) {
  using Fn = std::decay_t<F>;
  if constexpr (std::is_pointer_v<Fn> || std::is_member_pointer_v<Fn>) {
    if (fn == nullptr) internal::ThrowNullBatchedCallable();
  }
  internal::BatchedTimerState& state = *state_.get();
  if constexpr (sizeof...(Args) == 0 && (internal::kBatchedPlain<Fn> ||
                                         std::is_constructible_v<Task, F&&>)) {
    // Constructed in the slot from what was given.
    internal::BatchedReservation reservation(state, delay);
    return BatchedCall(state, reservation.commit(std::forward<F>(fn)));
  } else {
    auto bound = [fn = std::forward<F>(fn),
                  bound =
                      std::make_tuple(std::forward<Args>(args)...)]() mutable {
      std::apply(fn, std::move(bound));
    };
    internal::BatchedReservation reservation(state, delay);
    return BatchedCall(state, reservation.commit(std::move(bound)));
  }
}

template <typename F, typename... Args>
BatchedCall BatchedTimer::call_later(double seconds, F&& fn, Args&&... args) {
  return call_later(SecondsToDelay(seconds, "BatchedTimer::call_later"),
                    std::forward<F>(fn), std::forward<Args>(args)...);
}

}  // namespace txaio

#endif  // TXAIO_CORE_INTERNAL_BATCHED_TIMER_INL_H_
