// C++20 coroutines over txaio futures (what txaio itself cannot offer).
//
// Any Future<T> can be awaited, and a coroutine may return Future<T>:
//
//   txaio::Future<int> fetch_length(txaio::Api txa, std::string url) {
//     co_await txa.sleep(0.1);                  // resumes from the loop
//     std::string body = co_await http_get(url);  // throws if it failed
//     co_return static_cast<int>(body.size());
//   }
//
// The coroutine's future is made on the loop of its first parameter that is
// a txaio::Api or a txaio::Loop&, and on the default loop when there is none
// (so such a coroutine needs a framework selected, like create_future()). It starts at once, runs until its first co_await of a
// pending future, and is resumed from that future's loop, never inside
// resolve(). Awaiting a called future continues without suspending.
// `co_await f` yields f's value or rethrows its failure's exception; an
// exception escaping the coroutine rejects its future. Cancelling a
// coroutine's future does not stop the coroutine: its errbacks see the
// cancellation at once, and its later co_return is a no-op.
#ifndef TXAIO_CORE_COROUTINE_H_
#define TXAIO_CORE_COROUTINE_H_

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "core/api.h"
#include "core/failure.h"
#include "core/future.h"
#include "core/loop.h"

namespace txaio {
namespace internal {

template <typename T>
class FutureAwaiter {
 public:
  explicit FutureAwaiter(Future<T> future) : future_(std::move(future)) {}

  bool await_ready() const { return future_.is_called(); }

  void await_suspend(std::coroutine_handle<> coroutine) {
    Callback<T> resume;
    if constexpr (std::is_void_v<T>) {
      resume = [coroutine] { coroutine.resume(); };
    } else {
      resume = [coroutine](const T&) { coroutine.resume(); };
    }
    future_.add_callbacks(std::move(resume), [coroutine](const Failure&) {
      coroutine.resume();
    });
  }

  T await_resume() {
    if constexpr (std::is_void_v<T>) {
      future_.value();  // rethrows a failure
    } else {
      return future_.value();
    }
  }

 private:
  Future<T> future_;
};

// The loop a coroutine's future belongs to: that of its first parameter
// that is a txaio::Api or a (non-const) Loop, else the default loop.
inline Loop& CoroutineLoop() { return default_loop(); }
template <typename First, typename... Rest>
Loop& CoroutineLoop(First& first, Rest&... rest) {
  using Type = std::remove_cvref_t<First>;
  if constexpr (std::is_same_v<Type, Api>) {
    return first.loop();
  } else if constexpr (std::is_base_of_v<Loop, Type> &&
                       !std::is_const_v<First>) {
    return first;
  } else {
    return CoroutineLoop(rest...);
  }
}

template <typename T>
class FuturePromiseBase {
 public:
  template <typename... Args>
  explicit FuturePromiseBase(Args&... args)
      : future_(CoroutineLoop(args...)) {}

  Future<T> get_return_object() { return future_; }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }

  void unhandled_exception() {
    if (!future_.is_called()) future_.reject(create_failure());
  }

 protected:
  Future<T> future_;
};

template <typename T>
class FuturePromise : public FuturePromiseBase<T> {
 public:
  using FuturePromiseBase<T>::FuturePromiseBase;
  template <typename U>
  void return_value(U&& value) {
    // After a cancel() this is the documented no-op.
    this->future_.resolve(std::forward<U>(value));
  }
};

template <>
class FuturePromise<void> : public FuturePromiseBase<void> {
 public:
  using FuturePromiseBase<void>::FuturePromiseBase;
  void return_void() { this->future_.resolve(); }
};

}  // namespace internal

// `co_await future`: see the overview above.
template <typename T>
internal::FutureAwaiter<T> operator co_await(Future<T> future) {
  return internal::FutureAwaiter<T>(std::move(future));
}

}  // namespace txaio

template <typename T, typename... Args>
struct std::coroutine_traits<txaio::Future<T>, Args...> {
  using promise_type = txaio::internal::FuturePromise<T>;
};

#endif  // TXAIO_CORE_COROUTINE_H_
