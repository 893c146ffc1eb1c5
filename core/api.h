// Framework selection, per-loop configuration and the loop-bound txaio calls.
//
// txaio's free functions (create_future, call_later, sleep, as_future,
// gather, ...) run on the default loop, chosen once by selecting a framework
// (txaio::use_asio() from backends/asio, the equivalent of txaio.use_twisted()
// or txaio.use_asyncio()). Until one is selected they throw UsageError.
// with_config(loop) returns an Api bound to another loop; its members are a
// drop-in replacement for the free functions (txaio.with_config(loop=...)).
#ifndef TXAIO_CORE_API_H_
#define TXAIO_CORE_API_H_

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "core/delay.h"
#include "core/failure.h"
#include "core/future.h"
#include "core/loop.h"

namespace txaio {

// Makes `loop` the default loop and its framework() the one in use (what
// use_twisted()/use_asyncio() do), returning the previous default (null for
// none). Backends wrap this, e.g. use_asio(). Select at start-up: replacing
// the loop while other threads call the free functions is a data race.
std::shared_ptr<Loop> use_loop(std::shared_ptr<Loop> loop);

// The framework in use ("asio", "manual", ...), or "" before a selection.
std::string_view using_framework();

// The default loop. Throws UsageError naming what to call if none is selected.
Loop& default_loop();

// The txaio calls that need a loop, bound to one loop.
class Api {
 public:
  // `loop` must outlive this Api and everything made through it.
  explicit Api(Loop& loop) : loop_(&loop) {}

  Loop& loop() const { return *loop_; }

  // A pending future, with an optional canceller.
  template <typename T>
  Future<T> create_future(Canceller<T> canceller = {}) const {
    return Future<T>(*loop_, std::move(canceller));
  }

  // txaio's create_future(result, error, canceller): already resolved when
  // `result` is given, already failed when `error` is; both throws
  // std::invalid_argument.
  template <typename T>
  Future<T> create_future(std::optional<ValueOf<T>> result,
                          std::optional<Failure> error,
                          Canceller<T> canceller = {}) const {
    if (result && error) {
      throw std::invalid_argument(
          "create_future: cannot have both a result and an error");
    }
    Future<T> future(*loop_, std::move(canceller));
    if (result) {
      if constexpr (std::is_void_v<T>) {
        future.resolve();
      } else {
        future.resolve(std::move(*result));
      }
    } else if (error) {
      future.reject(std::move(*error));
    }
    return future;
  }

  template <typename T>
  Future<std::decay_t<T>> create_future_success(T&& value) const {
    Future<std::decay_t<T>> future(*loop_);
    future.resolve(std::forward<T>(value));
    return future;
  }
  Future<void> create_future_success() const {
    Future<void> future(*loop_);
    future.resolve();
    return future;
  }

  template <typename T>
  Future<T> create_future_error(Failure error) const {
    Future<T> future(*loop_);
    future.reject(std::move(error));
    return future;
  }

  // Calls fn(args...) now and returns its outcome as a future: a returned
  // Future<U> as is, a returned value (or nothing) as a resolved future, a
  // thrown exception as a rejected one.
  template <typename F, typename... Args>
  auto as_future(F&& fn, Args&&... args) const {
    using R = std::invoke_result_t<F, Args...>;
    if constexpr (is_future_v<R>) {
      try {
        return std::invoke(std::forward<F>(fn), std::forward<Args>(args)...);
      } catch (...) {
        return create_future_error<typename R::value_type>(create_failure());
      }
    } else if constexpr (std::is_void_v<R>) {
      try {
        std::invoke(std::forward<F>(fn), std::forward<Args>(args)...);
      } catch (...) {
        return create_future_error<void>(create_failure());
      }
      return create_future_success();
    } else {
      std::optional<R> value;
      try {
        value.emplace(
            std::invoke(std::forward<F>(fn), std::forward<Args>(args)...));
      } catch (...) {
        return create_future_error<R>(create_failure());
      }
      return create_future_success(std::move(*value));
    }
  }

  // Calls fn(args...) on the loop once `delay` has passed. Arguments are
  // copied (or moved) into the call.
  template <typename F, typename... Args>
  DelayedCall call_later(absl::Duration delay, F&& fn, Args&&... args) const {
    return loop_->call_later(
        delay,
        [fn = std::forward<F>(fn),
         bound = std::make_tuple(std::forward<Args>(args)...)]() mutable {
          std::apply(fn, std::move(bound));
        });
  }
  // As above with the delay in seconds, as txaio takes it.
  template <typename F, typename... Args>
  DelayedCall call_later(double seconds, F&& fn, Args&&... args) const {
    return call_later(SecondsToDelay(seconds, "call_later"),
                      std::forward<F>(fn), std::forward<Args>(args)...);
  }

  // A future resolved once `delay` has passed; cancelling it cancels the
  // underlying delayed call.
  Future<void> sleep(absl::Duration delay) const;
  Future<void> sleep(double seconds) const;
  // The same for a future of another value type, resolved with T{}: for
  // bindings whose futures all carry one value type (the C ABI's).
  template <typename T>
  Future<T> sleep(absl::Duration delay) const {
    auto timer = std::make_shared<DelayedCall>();
    Future<T> done(*loop_, [timer](Future<T>&) { timer->cancel(); });
    *timer = loop_->call_later(delay, [done]() mutable {
      if (done.is_called()) return;
      if constexpr (std::is_void_v<T>) {
        done.resolve();
      } else {
        done.resolve(T{});
      }
    });
    return done;
  }

 private:
  Loop* loop_;
};

// An Api bound to `loop` (txaio.with_config(loop=...)).
inline Api with_config(Loop& loop) { return Api(loop); }

// An Api bound to the default loop; throws UsageError before a selection.
inline Api default_api() { return Api(default_loop()); }

// The free functions: default_api() members under txaio's names.

template <typename T>
Future<T> create_future(Canceller<T> canceller = {}) {
  return default_api().create_future<T>(std::move(canceller));
}

template <typename T>
Future<T> create_future(std::optional<ValueOf<T>> result,
                        std::optional<Failure> error,
                        Canceller<T> canceller = {}) {
  return default_api().create_future<T>(std::move(result), std::move(error),
                                        std::move(canceller));
}

template <typename T>
auto create_future_success(T&& value) {
  return default_api().create_future_success(std::forward<T>(value));
}
inline Future<void> create_future_success() {
  return default_api().create_future_success();
}

template <typename T>
Future<T> create_future_error(Failure error) {
  return default_api().create_future_error<T>(std::move(error));
}

template <typename F, typename... Args>
auto as_future(F&& fn, Args&&... args) {
  return default_api().as_future(std::forward<F>(fn),
                                 std::forward<Args>(args)...);
}

template <typename D, typename F, typename... Args>
DelayedCall call_later(D delay, F&& fn, Args&&... args) {
  return default_api().call_later(delay, std::forward<F>(fn),
                                  std::forward<Args>(args)...);
}

inline Future<void> sleep(absl::Duration delay) {
  return default_api().sleep(delay);
}
inline Future<void> sleep(double seconds) {
  return default_api().sleep(seconds);
}

}  // namespace txaio

#endif  // TXAIO_CORE_API_H_
