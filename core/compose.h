// Composing futures (beyond txaio): deriving one future from another's
// outcome, a deadline and a race. Each returns a new future and is usable
// from coroutines (`co_await txaio::with_timeout(f, 2.0)`).
//
//   // The length of a reply, or a failure; no hand-wired second future.
//   txaio::Future<size_t> length = txaio::then(
//       fetch(url), [](const std::string& body) { return body.size(); });
//
//   // The reply within 2 s, else a TimeoutError (and fetch() is cancelled).
//   txaio::Future<std::string> reply = txaio::with_timeout(fetch(url), 2.0);
//
//   // Whichever replica answers first; the others are cancelled.
//   txaio::Future<txaio::Winner<std::string>> first =
//       txaio::when_any(std::vector{fetch(a), fetch(b)});
//
// Cancelling a derived future cancels what it is waiting on (the input, or
// the future a then() function returned, or every input of when_any), so a
// caller's cancel() reaches the work underneath, as with folly's and KJ's
// promises. Callbacks on the inputs run from the loop as always, so a
// derived future completes one loop turn after its input. Until it
// completes, a derived future and its inputs keep each other alive.
#ifndef TXAIO_CORE_COMPOSE_H_
#define TXAIO_CORE_COMPOSE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/delay.h"
#include "core/errors.h"
#include "core/failure.h"
#include "core/future.h"

namespace txaio {
namespace internal {

// Adds a pair to `future` that calls fn() once it is called, whatever the
// outcome. `fn` must be copyable: each half holds a copy.
template <typename T, typename F>
void WhenCalled(Future<T>& future, F fn) {
  Callback<T> on_value;
  if constexpr (std::is_void_v<T>) {
    on_value = [fn]() mutable { fn(); };
  } else {
    on_value = [fn](const T&) mutable { fn(); };
  }
  future.add_callbacks(std::move(on_value),
                       [fn](const Failure&) mutable { fn(); });
}

// Completes `to` as `from` (which is called) completed.
template <typename T>
void CopyOutcome(const Future<T>& from, Future<T>& to) {
  if (!from.succeeded()) {
    to.reject(*from.failure());
  } else if constexpr (std::is_void_v<T>) {
    to.resolve();
  } else {
    to.resolve(from.value());
  }
}

template <typename R>
struct Unwrap {
  using type = R;
};
template <typename X>
struct Unwrap<Future<X>> {
  using type = X;
};

// What cancelling a then() future cancels: the input, then the future its
// function returned.
using Upstream = std::shared_ptr<absl::AnyInvocable<void()>>;

// Completes `out` with the outcome of fn(args...): its value (or nothing),
// the outcome of the future it returns, or the exception it throws.
template <typename U, typename F, typename... Args>
void CompleteWith(Future<U> out, const Upstream& upstream, F& fn,
                  const Args&... args) {
  using R = std::invoke_result_t<F&, const Args&...>;
  try {
    if constexpr (is_future_v<R>) {
      R inner = std::invoke(fn, args...);
      *upstream = [inner]() mutable { inner.cancel(); };
      WhenCalled(inner, [inner, out]() mutable {
        if (!out.is_called()) CopyOutcome(inner, out);
      });
    } else if constexpr (std::is_void_v<R>) {
      std::invoke(fn, args...);
      out.resolve();
    } else {
      out.resolve(std::invoke(fn, args...));
    }
  } catch (...) {
    if (!out.is_called()) out.reject(create_failure());
  }
}

template <typename T, typename F>
struct ThenResultOf {
  using type = std::invoke_result_t<F&, const T&>;
};
template <typename F>
struct ThenResultOf<void, F> {
  using type = std::invoke_result_t<F&>;
};

template <typename T, typename F>
using ThenValue = typename Unwrap<typename ThenResultOf<T, F>::type>::type;

template <typename T, typename OnValue, typename OnFailure>
Future<ThenValue<T, OnValue>> Then(Future<T> input, OnValue on_value,
                                   OnFailure on_failure) {
  using U = ThenValue<T, OnValue>;
  auto upstream = std::make_shared<absl::AnyInvocable<void()>>(
      [input]() mutable { input.cancel(); });
  Future<U> out(input.loop(), [upstream](Future<U>&) {
    if (*upstream) (*upstream)();
  });
  WhenCalled(input, [input, out, upstream, on_value = std::move(on_value),
                     on_failure = std::move(on_failure)]() mutable {
    *upstream = nullptr;
    if (out.is_called()) return;  // cancelled meanwhile
    if (input.succeeded()) {
      if constexpr (std::is_void_v<T>) {
        CompleteWith(out, upstream, on_value);
      } else {
        CompleteWith(out, upstream, on_value, input.value());
      }
    } else if constexpr (std::is_same_v<OnFailure, std::nullptr_t>) {
      out.reject(*input.failure());
    } else {
      CompleteWith(out, upstream, on_failure, *input.failure());
    }
  });
  return out;
}

}  // namespace internal

// A future of what `on_value` makes of `input`'s value: on_value(value)
// (on_value() for Future<void>) may return a value, nothing, or a Future
// whose outcome becomes the result's. If `input` fails, or on_value throws,
// the result fails with that failure and on_value is not called. Unlike
// add_callbacks(), which leaves `input` unchanged, this chains.
template <typename T, typename OnValue>
auto then(Future<T> input, OnValue on_value) {
  static_assert(std::is_copy_constructible_v<OnValue>,
                "then(): the function must be copyable");
  return internal::Then(std::move(input), std::move(on_value), nullptr);
}

// As above, and a failure of `input` goes to on_failure(const Failure&),
// which may recover: it returns what on_value returns (or throws).
template <typename T, typename OnValue, typename OnFailure>
auto then(Future<T> input, OnValue on_value, OnFailure on_failure) {
  using Expected = typename internal::ThenResultOf<T, OnValue>::type;
  static_assert(
      std::is_same_v<std::invoke_result_t<OnFailure&, const Failure&>,
                     Expected>,
      "then(input, on_value, on_failure): on_failure(const txaio::Failure&) "
      "must return the same type as on_value");
  return internal::Then(std::move(input), std::move(on_value),
                        std::move(on_failure));
}

// `input`, unless `timeout` passes first: then the result fails with
// TimeoutError and `input` is cancelled (asyncio's wait_for). The timer runs
// on input's loop. `timeout` must be finite and >= 0 (std::invalid_argument).
template <typename T>
Future<T> with_timeout(Future<T> input, absl::Duration timeout) {
  auto timer = std::make_shared<DelayedCall>();
  Future<T> out(input.loop(), [input, timer](Future<T>&) mutable {
    timer->cancel();
    input.cancel();
  });
  *timer = input.loop().call_later(timeout, [input, out, timeout]() mutable {
    // Called already means its outcome is on the way to `out`.
    if (input.is_called() || out.is_called()) return;
    out.reject(Failure(TimeoutError(
        absl::StrCat("timed out after ", absl::FormatDuration(timeout)))));
    input.cancel();
  });
  internal::WhenCalled(input, [input, out, timer]() mutable {
    timer->cancel();
    if (!out.is_called()) internal::CopyOutcome(input, out);
  });
  return out;
}
// As above with the timeout in seconds.
template <typename T>
Future<T> with_timeout(Future<T> input, double seconds) {
  return with_timeout(std::move(input),
                      SecondsToDelay(seconds, "with_timeout"));
}

// What when_any() gives: which input completed first, and its value
// (std::monostate for Future<void>).
template <typename T>
struct Winner {
  size_t index;
  ValueOf<T> value;
};

// A race: the first of `futures` to complete decides the result, a Winner
// if it succeeded, its failure if it failed; the others are then cancelled
// (KJ's exclusiveJoin, folly::coro::collectAny). Inputs already called win
// in input order. An empty `futures` throws std::invalid_argument. The
// result is on `api`'s loop.
template <typename T>
Future<Winner<T>> when_any(const Api& api, std::vector<Future<T>> futures) {
  if (futures.empty()) {
    throw std::invalid_argument("when_any: needs at least one future");
  }
  auto inputs = std::make_shared<std::vector<Future<T>>>(std::move(futures));
  auto cancel_pending = [inputs](size_t except) {
    for (size_t i = 0; i < inputs->size(); ++i) {
      if (i != except) (*inputs)[i].cancel();
    }
  };
  Future<Winner<T>> out = api.create_future<Winner<T>>(
      [cancel_pending, inputs](Future<Winner<T>>&) {
        cancel_pending(inputs->size());  // all of them
      });
  for (size_t i = 0; i < inputs->size(); ++i) {
    internal::WhenCalled((*inputs)[i],
                         [inputs, out, cancel_pending, i]() mutable {
                           if (out.is_called()) return;
                           const Future<T>& won = (*inputs)[i];
                           if (won.succeeded()) {
                             out.resolve(Winner<T>{i, won.value()});
                           } else {
                             out.reject(*won.failure());
                           }
                           cancel_pending(i);
                         });
  }
  return out;
}

// when_any() on the default loop.
template <typename T>
Future<Winner<T>> when_any(std::vector<Future<T>> futures) {
  return when_any(default_api(), std::move(futures));
}

}  // namespace txaio

#endif  // TXAIO_CORE_COMPOSE_H_
