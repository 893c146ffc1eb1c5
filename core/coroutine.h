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
// a txaio::Api, a txaio::Loop& or an object with a `txaio_api()` member
// returning an Api; the default loop when there is none. A member function
// coroutine's first parameter is its object, so a class that defines
// `txaio::Api txaio_api() const` puts all its coroutines on its own loop:
//
//   class Client {
//    public:
//     explicit Client(txaio::Api txa) : txa_(txa) {}
//     txaio::Api txaio_api() const { return txa_; }
//     txaio::Future<int> fetch() { co_await txa_.sleep(1.0); co_return 1; }
//    private:
//     txaio::Api txa_;
//   };
//
// A coroutine starts at once, runs until its first co_await of a pending
// future, and is resumed from that future's loop, never inside resolve().
// Awaiting a called future continues without suspending. `co_await f` yields
// f's value or rethrows its failure's exception; an exception escaping the
// coroutine rejects its future.
//
// Cancelling a coroutine's future (asyncio's Task.cancel()) cancels the
// future the coroutine is suspended on, running its canceller, and resumes
// the coroutine from the loop with the CancelledError thrown at that
// co_await, so that it can clean up, or catch it and go on. The coroutine's
// own future is cancelled at once, as any future is (its errbacks see the
// CancelledError); what the coroutine returns afterwards is dropped. A
// coroutine cancelled while running (it cancelled itself) gets the
// CancelledError at its next co_await. It is thrown once: later co_awaits
// work normally.
//
// Destroying a loop drops the coroutines suspended on its futures, as a
// destroyed asyncio loop drops its tasks: nothing could resume them (a
// future whose loop is gone may not be completed), so their frames are
// destroyed, running their locals' destructors (which may still use the
// loop: what they schedule is dropped with it), and each one's own future,
// if pending, is cancelled ("the coroutine was destroyed: ..."), so that a
// coroutine on another loop awaiting it goes on. Coroutines of other types
// awaiting a Future (the plain operator co_await below) belong to whoever
// owns their frames, and are left alone.
#ifndef TXAIO_CORE_COROUTINE_H_
#define TXAIO_CORE_COROUTINE_H_

#include <concepts>
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

// The cancellation state of one running coroutine, shared with the awaiter
// it is suspended on.
class CoroutineCancellation {
 public:
  // Called by the coroutine future's canceller: cancels what the coroutine
  // awaits, if anything, and makes the next resumption throw.
  void request() {
    requested_ = true;
    if (cancel_awaited_ != nullptr) cancel_awaited_(awaited_);
  }

  // While suspended on `awaited`, cancel(awaited) is how to stop waiting.
  void set_awaited(void* awaited, void (*cancel)(void*)) {
    awaited_ = awaited;
    cancel_awaited_ = cancel;
  }
  void clear_awaited() { set_awaited(nullptr, nullptr); }

  // Whether a cancellation is due at this co_await; true once per request.
  bool take_request() { return std::exchange(requested_, false); }
  bool requested() const { return requested_; }

 private:
  bool requested_ = false;
  void* awaited_ = nullptr;
  void (*cancel_awaited_)(void*) = nullptr;
};

// Awaits a future from a txaio coroutine (one returning Future<R>). While
// suspended it is linked into the awaited future's loop, which destroys the
// coroutine's frame if it is destroyed first (Loop::
// destroy_suspended_coroutines): the frame belongs to nobody else, since a
// txaio coroutine never suspends at its start or end.
template <typename T, typename R>
class CancellableAwaiter : private SuspendedCoroutine {
 public:
  CancellableAwaiter(Future<T> future, CoroutineCancellation& cancellation,
                     const Future<R>& own)
      : SuspendedCoroutine(&DestroyFrame),
        future_(std::move(future)),
        cancellation_(cancellation),
        own_(own) {}
  CancellableAwaiter(CancellableAwaiter&&) = delete;

  // Destroyed with the frame while still suspended (linked): the promise
  // must not reach this awaiter when it cancels its future.
  ~CancellableAwaiter() {
    if (linked()) cancellation_.clear_awaited();
  }

  bool await_ready() const {
    return cancellation_.requested() || future_.is_called();
  }

  void await_suspend(std::coroutine_handle<> coroutine) {
    Callback<T> resume;
    if constexpr (std::is_void_v<T>) {
      resume = [coroutine] { coroutine.resume(); };
    } else {
      resume = [coroutine](const T&) { coroutine.resume(); };
    }
    future_.add_callbacks(std::move(resume),
                          [coroutine](const Failure&) { coroutine.resume(); });
    coroutine_ = coroutine;
    cancellation_.set_awaited(this, [](void* self) {
      static_cast<CancellableAwaiter*>(self)->future_.cancel();
    });
    link(future_.loop());
  }

  decltype(auto) await_resume() {
    unlink();
    cancellation_.clear_awaited();
    // The coroutine's own future holds the CancelledError with the message
    // given to cancel().
    if (cancellation_.take_request()) own_.failure()->rethrow();
    if constexpr (std::is_void_v<T>) {
      future_.value();  // rethrows a failure
    } else {
      return T(future_.value());
    }
  }

 private:
  // Called unlinked by the loop: the promise, destroyed after this awaiter,
  // cancels its own future, and must not reach this awaiter then.
  static void DestroyFrame(SuspendedCoroutine& self) {
    auto& awaiter = static_cast<CancellableAwaiter&>(self);
    awaiter.cancellation_.clear_awaited();
    awaiter.coroutine_.destroy();
  }

  Future<T> future_;
  CoroutineCancellation& cancellation_;
  const Future<R>& own_;
  std::coroutine_handle<> coroutine_;
};

// Awaits a future from any other coroutine type (no cancellation).
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
    future_.add_callbacks(std::move(resume),
                          [coroutine](const Failure&) { coroutine.resume(); });
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

template <typename T>
concept HasTxaioApi = requires(const T& object) {
  { object.txaio_api() } -> std::convertible_to<Api>;
};

// The loop a coroutine's future belongs to (see the overview above).
inline Loop& CoroutineLoop() { return default_loop(); }
template <typename First, typename... Rest>
Loop& CoroutineLoop(First& first, Rest&... rest) {
  using Type = std::remove_cvref_t<First>;
  if constexpr (std::is_same_v<Type, Api>) {
    return first.loop();
  } else if constexpr (std::is_base_of_v<Loop, Type> &&
                       !std::is_const_v<First>) {
    return first;
  } else if constexpr (HasTxaioApi<Type>) {
    return Api(first.txaio_api()).loop();
  } else {
    return CoroutineLoop(rest...);
  }
}

template <typename T>
class FuturePromiseBase {
 public:
  template <typename... Args>
  explicit FuturePromiseBase(Args&... args)
      : future_(CoroutineLoop(args...),
                [this](Future<T>&) { cancellation_.request(); }) {}

  // Runs when the coroutine finishes, or when its frame is destroyed while
  // suspended because the loop of the future it awaited was destroyed. Then
  // its own future is still pending: cancel it, so that whoever waits on it
  // (on a loop that lives on) goes on. (The canceller refers to this
  // promise: it must not outlive it.)
  ~FuturePromiseBase() {
    if (future_.valid() && !future_.is_called()) {
      future_.cancel(
          "the coroutine was destroyed: the loop of the future it awaited "
          "was destroyed");
    }
  }
  FuturePromiseBase(const FuturePromiseBase&) = delete;
  FuturePromiseBase& operator=(const FuturePromiseBase&) = delete;

  Future<T> get_return_object() { return future_; }
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }

  void unhandled_exception() {
    if (!future_.is_called()) future_.reject(create_failure());
  }

  template <typename U>
  CancellableAwaiter<U, T> await_transform(Future<U> future) {
    return CancellableAwaiter<U, T>(std::move(future), cancellation_, future_);
  }
  // Other awaitables pass through unchanged.
  template <typename A>
  requires(!is_future_v<std::remove_cvref_t<A>>) A &&
      await_transform(A&& awaitable) {
    return std::forward<A>(awaitable);
  }

 protected:
  Future<T> future_;
  CoroutineCancellation cancellation_;
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

// `co_await future` in a coroutine that does not return a Future (inside
// one that does, the promise awaits it, with cancellation): see the overview
// above.
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
