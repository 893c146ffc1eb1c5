// Future<T>: txaio's future (asyncio's Future, Twisted's Deferred).
//
// A Future is a handle on shared state; copies refer to the same future. It is
// bound to the Loop it was created on, and is used from that loop's thread
// (to complete it from another thread, use Loop::call_soon_threadsafe).
//
// The callback rule (see docs/design.md): callbacks and errbacks never run
// inline. Resolving, rejecting or cancelling schedules one task on the loop
// that runs every pair added so far, in the order added; a pair added to a
// future that is already called is scheduled the same way. Callbacks are not
// chained: every pair sees the same value or Failure, and what a callback
// returns is ignored. An exception thrown by a callback goes to the errback
// of the same pair; one thrown by an errback, or by a callback without an
// errback, goes to report_unhandled_failure(), as does, once, the failure of
// a failed future dropped before any errback saw it. Nothing escapes into the
// loop.
//
//   txaio::Future<int> f = txaio::create_future<int>();
//   txaio::add_callbacks(f, [](int v) { std::cout << v; },
//                        [](const txaio::Failure& e) {
//                          std::cout << txaio::failure_message(e);
//                        });
//   txaio::resolve(f, 42);  // the callback runs from the loop, soon
#ifndef TXAIO_CORE_FUTURE_H_
#define TXAIO_CORE_FUTURE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/functional/any_invocable.h"
#include "core/errors.h"
#include "core/failure.h"
#include "core/internal/misuse.h"
#include "core/internal/recycling_allocator.h"
#include "core/loop.h"
#include "core/unhandled.h"

namespace txaio {

template <typename T>
class Future;

// The value a Future<T> holds: T, or std::monostate for Future<void>.
template <typename T>
using ValueOf = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// What a callback on a Future<T> is called with: `const T&`, or nothing for
// Future<void>.
template <typename T>
struct CallbackSignature {
  using type = void(const T&);
};
template <>
struct CallbackSignature<void> {
  using type = void();
};

template <typename T>
using Callback = absl::AnyInvocable<typename CallbackSignature<T>::type>;
using Errback = absl::AnyInvocable<void(const Failure&)>;
// Called with the future when it is cancelled while still pending.
template <typename T>
using Canceller = absl::AnyInvocable<void(Future<T>&)>;

// True for Future<T> (txaio's is_future, usable in `if constexpr`).
template <typename T>
inline constexpr bool is_future_v = false;
template <typename T>
inline constexpr bool is_future_v<Future<T>> = true;

namespace internal {

enum class FutureStatus : unsigned char {
  kPending,
  kSucceeded,
  kFailed,
  kCancelled,
};

template <typename T>
struct CallbackPair {
  // A constructor, not an aggregate, so that emplace_back also compiles
  // with clang 14 (no parenthesised aggregate init), which builds the
  // fuzzers (tools/fuzz.sh).
  template <typename C, typename E>
  CallbackPair(C&& callback, E&& errback)
      : on_value(std::forward<C>(callback)),
        on_failure(std::forward<E>(errback)) {}
  Callback<T> on_value;
  Errback on_failure;
};

// The state Future<T> handles share. Counted by hand rather than by
// shared_ptr: no control block, and while a dispatch is queued the loop holds
// one more count on the same atomic, the state itself being the queue entry
// (a ReadyEntry, so no Task wraps it). The count is atomic because handles may
// be copied and dropped on other threads (to reach the loop through
// call_soon_threadsafe); everything else is loop thread only.
template <typename T>
class FutureState final : public ReadyEntry {
 public:
  explicit FutureState(Loop* owner) : loop(owner) {}
  FutureState(const FutureState&) = delete;
  FutureState& operator=(const FutureState&) = delete;

  // Recycled per thread: a server churns through many short-lived futures.
  // (The class is final, so every allocation has its size.)
  static void* operator new(size_t) {
    return BlockCache<sizeof(FutureState), alignof(FutureState)>::take();
  }
  static void operator delete(void* block) {
    BlockCache<sizeof(FutureState), alignof(FutureState)>::give(block);
  }

  // Takes one more reference; the caller must already hold one.
  void add_ref() { refs_.fetch_add(1, std::memory_order_relaxed); }

  // Gives back one reference, destroying the state with the last one.
  void release() {
    // A holder that sees a count of one is the only holder, and nobody
    // without a reference can take one: no read-modify-write needed.
    if (refs_.load(std::memory_order_acquire) == 1 ||
        refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete this;
    }
  }

  // Queues the dispatch that runs the pairs, unless one is queued already.
  void schedule_dispatch() {
    if (dispatch_scheduled) return;
    dispatch_scheduled = true;
    if (TXAIO_MISUSE_CHECKS && !IsLiveLoop(loop)) [[unlikely]] {
      MisuseAbort(
          "a future is used only while its loop is alive",
          "a future whose loop was destroyed was completed, cancelled or "
          "given callbacks; destroy futures (and what holds them) before "
          "their loop");
    }
    add_ref();  // the loop's; dispatch_soon() gives it back if it throws
    loop->dispatch_soon(*this);
  }

  // ReadyEntry: runs every pair added so far, then those added meanwhile.
  void run() override {
    struct LoopReference {
      FutureState* state;
      ~LoopReference() { state->release(); }
    } loop_reference{this};
    dispatch_scheduled = false;
    dispatching = true;
    // Pairs run in place; add_callbacks() meanwhile appends to `added` so
    // that the pair running now is never moved under its own feet.
    do {
      for (CallbackPair<T>& pair : callbacks) run_pair(pair);
      callbacks.clear();
      for (CallbackPair<T>& pair : added) callbacks.push_back(std::move(pair));
      added.clear();
    } while (!callbacks.empty());
    dispatching = false;
  }

  void discard() override {
    dispatch_scheduled = false;
    release();
  }

  Loop* loop;
  FutureStatus status = FutureStatus::kPending;
  bool dispatch_scheduled = false;
  bool failure_seen = false;
  bool dispatching = false;
  std::optional<ValueOf<T>> value;
  std::optional<Failure> failure;
  absl::InlinedVector<CallbackPair<T>, 1> callbacks;
  // Pairs added while `callbacks` is being run.
  std::vector<CallbackPair<T>> added;
  Canceller<T> canceller;

 private:
  // Only release() destroys a state.
  ~FutureState() {
    // A failure nobody handled must not vanish silently.
    if (status == FutureStatus::kFailed && !failure_seen) {
      report_unhandled_failure(*failure);
    }
  }

  void run_pair(CallbackPair<T>& pair) {
    if (status == FutureStatus::kSucceeded) {
      if (!pair.on_value) return;
      try {
        if constexpr (std::is_void_v<T>) {
          pair.on_value();
        } else {
          pair.on_value(*value);
        }
      } catch (...) {
        run_errback(pair.on_failure, create_failure());
      }
      return;
    }
    // A callback-only pair does not handle the failure: another pair's
    // errback may, and if none does, ~FutureState reports it exactly once.
    if (!pair.on_failure) return;
    failure_seen = true;
    run_errback(pair.on_failure, *failure);
  }

  static void run_errback(Errback& errback, const Failure& failure) {
    if (!errback) {
      report_unhandled_failure(failure);
      return;
    }
    try {
      errback(failure);
    } catch (...) {
      report_unhandled_failure(create_failure());
    }
  }

  std::atomic<uint32_t> refs_{1};
};

}  // namespace internal

template <typename T>
class Future {
 public:
  using value_type = T;
  using State = internal::FutureState<T>;

  // A handle on no future: valid() is false, == compares, and every other
  // member throws std::logic_error. Use create_future() to make one.
  Future() = default;

  // Makes a pending future on `loop`, which must outlive it.
  explicit Future(Loop& loop, Canceller<T> canceller = {})
      : state_(new State(&loop)) {
    if (canceller) state_->canceller = std::move(canceller);
  }

  Future(const Future& other) : state_(other.state_) {
    if (state_ != nullptr) state_->add_ref();
  }
  Future(Future&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)) {}
  Future& operator=(Future other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~Future() {
    if (state_ != nullptr) state_->release();
  }

  bool valid() const { return state_ != nullptr; }
  Loop& loop() const { return *state().loop; }

  // txaio's is_called: resolved, rejected or cancelled.
  bool is_called() const {
    return state().status != internal::FutureStatus::kPending;
  }
  bool is_cancelled() const {
    return state().status == internal::FutureStatus::kCancelled;
  }
  bool succeeded() const {
    return state().status == internal::FutureStatus::kSucceeded;
  }

  // The value once succeeded. Rethrows the failure if it failed or was
  // cancelled; throws std::logic_error while pending.
  const ValueOf<T>& value() const {
    State& s = state();
    switch (s.status) {
      case internal::FutureStatus::kSucceeded:
        return *s.value;
      case internal::FutureStatus::kPending:
        throw std::logic_error("txaio: the future has no result yet");
      default:
        s.failure_seen = true;
        s.failure->rethrow();
    }
  }

  // The failure once failed or cancelled, else null. Reading it counts as
  // handling it.
  const Failure* failure() const {
    State& s = state();
    if (!s.failure) return nullptr;
    s.failure_seen = true;
    return &*s.failure;
  }

  // Completes the future with `value`. Throws AlreadyCalledError if it was
  // already resolved or rejected; a no-op after cancel(), since whoever
  // produces the value cannot know a consumer gave up on it.
  template <typename U = T>
  requires(!std::is_void_v<U>) void resolve(ValueOf<U> value) {
    if (!begin_settle("resolve")) return;
    state_->value.emplace(std::move(value));
    settle(internal::FutureStatus::kSucceeded);
  }
  template <typename U = T>
  requires std::is_void_v<U>
  void resolve() {
    if (!begin_settle("resolve")) return;
    state_->value.emplace();
    settle(internal::FutureStatus::kSucceeded);
  }

  // Fails the future with `failure`; same rules as resolve().
  void reject(Failure failure) {
    if (!begin_settle("reject")) return;
    state_->failure.emplace(std::move(failure));
    settle(internal::FutureStatus::kFailed);
  }
  // Fails the future with the exception being handled (txaio's reject(f)
  // with no error); outside a catch block throws std::logic_error.
  void reject() { reject(create_failure()); }

  // Cancels a pending future: runs the canceller (which may itself resolve
  // or reject the future), then, if still pending, fails it with
  // CancelledError(message) for the errbacks. Returns whether the future was
  // pending; cancelling a called future is a no-op returning false.
  bool cancel(std::string_view message = {}) {
    State& s = state();
    if (s.status != internal::FutureStatus::kPending) return false;
    if (s.canceller) {
      // A handle of its own: the canceller may destroy the one cancel() was
      // called on (found by the C ABI fuzzer).
      Future self(*this);
      Canceller<T> canceller = std::move(s.canceller);
      s.canceller = nullptr;
      try {
        canceller(self);
      } catch (...) {
        report_unhandled_failure(create_failure());
      }
      if (s.status == internal::FutureStatus::kPending) {
        s.failure.emplace(CancelledError(std::string(message)));
        self.settle(internal::FutureStatus::kCancelled);
      }
      return true;
    }
    s.failure.emplace(CancelledError(std::string(message)));
    settle(internal::FutureStatus::kCancelled);
    return true;
  }

  // Adds a callback/errback pair; either may be empty (nullptr), not both
  // (std::invalid_argument). They are anything a Callback<T> and an Errback
  // can be made from, made in place in the future's state.
  template <typename C = Callback<T>, typename E = Errback>
  void add_callbacks(C&& callback, E&& errback) {
    constexpr bool callback_ok = std::is_constructible_v<Callback<T>, C&&>;
    constexpr bool errback_ok = std::is_constructible_v<Errback, E&&>;
    // Said here, in words, rather than as a failed constraint on Callback<T>.
    static_assert(callback_ok,
                  "add_callbacks: the callback must be callable as "
                  "void(const T&) for a Future<T>, as void() for a "
                  "Future<void>, or be nullptr");
    static_assert(errback_ok,
                  "add_callbacks: the errback must be callable as "
                  "void(const txaio::Failure&), or be nullptr");
    if constexpr (callback_ok && errback_ok) {
      State& s = state();
      if (s.dispatching) {
        // Runs in the dispatch under way, after the pairs before it.
        add_pair(s.added, std::forward<C>(callback), std::forward<E>(errback));
        return;
      }
      add_pair(s.callbacks, std::forward<C>(callback),
               std::forward<E>(errback));
      if (s.status != internal::FutureStatus::kPending) s.schedule_dispatch();
    }
  }

  friend bool operator==(const Future& a, const Future& b) {
    return a.state_ == b.state_;
  }

 private:
  // Whether a settle may proceed; throws if the future is already settled.
  bool begin_settle(const char* what) {
    switch (state().status) {
      case internal::FutureStatus::kPending:
        return true;
      case internal::FutureStatus::kCancelled:
        return false;
      default:
        throw AlreadyCalledError(std::string(what) +
                                 ": the future was already resolved or "
                                 "rejected");
    }
  }

  // Appends the pair to `pairs`, unless both halves are null (then throws).
  template <typename Pairs, typename C, typename E>
  static void add_pair(Pairs& pairs, C&& callback, E&& errback) {
    // Made where it stays: moving a just-made AnyInvocable is a copy of its
    // storage and an indirect call, per half.
    internal::CallbackPair<T>& pair =
        pairs.emplace_back(std::forward<C>(callback), std::forward<E>(errback));
    if (!pair.on_value && !pair.on_failure) {
      pairs.pop_back();
      throw std::invalid_argument(
          "add_callbacks: callback and errback cannot both be null");
    }
  }

  void settle(internal::FutureStatus status) {
    state_->status = status;
    if (state_->canceller) state_->canceller = nullptr;
    if (!state_->callbacks.empty()) state_->schedule_dispatch();
  }

  // The shared state. A default-constructed handle has none: using it throws
  // std::logic_error rather than dereferencing null.
  State& state() const {
    if (state_ == nullptr) [[unlikely]] {
      throw std::logic_error(
          "txaio: empty (default-constructed) Future; make one with "
          "create_future()");
    }
    return *state_;
  }

  State* state_ = nullptr;
};

// txaio's free functions on futures. None of them needs a loop selected.

template <typename T>
constexpr bool is_future(const T&) {
  return is_future_v<T>;
}

template <typename T>
bool is_called(const Future<T>& future) {
  return future.is_called();
}

template <typename T, typename V>
requires(!std::is_void_v<T>) void resolve(Future<T>& future, V&& value) {
  future.resolve(std::forward<V>(value));
}

inline void resolve(Future<void>& future) { future.resolve(); }

template <typename T>
void reject(Future<T>& future, Failure failure) {
  future.reject(std::move(failure));
}

template <typename T>
void reject(Future<T>& future, std::exception_ptr error) {
  future.reject(Failure(std::move(error)));
}

template <typename T, typename E>
requires std::is_base_of_v<std::exception, std::decay_t<E>>
void reject(Future<T>& future, E&& error) {
  future.reject(Failure(std::forward<E>(error)));
}

// Rejects with the exception being handled; only inside a catch block.
template <typename T>
void reject(Future<T>& future) {
  future.reject();
}

template <typename T>
bool cancel(Future<T>& future, std::string_view message = {}) {
  return future.cancel(message);
}

template <typename T, typename C = Callback<T>, typename E = Errback>
void add_callbacks(Future<T>& future, C&& callback, E&& errback) {
  future.add_callbacks(std::forward<C>(callback), std::forward<E>(errback));
}

}  // namespace txaio

#endif  // TXAIO_CORE_FUTURE_H_
