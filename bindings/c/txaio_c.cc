// The C ABI (txaio.h) over the core and the backends in the loop registry.
//
// Every entry point runs its body inside Guard(), which turns any C++
// exception into a txaio_status plus a thread-local message, so nothing
// unwinds into C. Every live handle is registered (address -> type tag, and
// whether it is borrowed); entry points look their handle arguments up
// there, never reading the memory a caller's pointer points to, so a
// destroyed handle, a handle of another type, a borrowed handle passed to a
// destroy function or a pointer that is no handle at all is an
// INVALID_HANDLE status, not undefined behaviour (docs/reliability.md).
#include "bindings/c/txaio.h"

#include <cstring>
#include <iostream>
#include <atomic>
#include <map>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/api.h"
#include "core/batched_timer.h"
#include "core/errors.h"
#include "core/failure.h"
#include "core/future.h"
#include "core/gather.h"
#include "core/logging.h"
#include "core/loop_base.h"
#include "core/loop_registry.h"
#include "core/runnable_loop.h"
#include "core/time.h"
#include "core/unhandled.h"

// The exception behind failures made by txaio_failure_new. Global and named
// like the C API so that failure messages read "txaio_error: ...".
struct txaio_error : std::runtime_error {
  txaio_error(int code, const char* message)
      : std::runtime_error(message != nullptr ? message : ""), code(code) {}
  int code;
};

namespace {

using txaio::Failure;

// Handle tags: distinct per type; 0 is no handle.
enum Tag : uint32_t {
  kDeadTag = 0,
  kLoopTag = 0x7478a001,
  kFutureTag = 0x7478a002,
  kFailureTag = 0x7478a003,
  kDelayedCallTag = 0x7478a004,
  kGatherResultsTag = 0x7478a005,
  kBatchedTimerTag = 0x7478a006,
  kBatchedCallTag = 0x7478a007,
  kLoggerTag = 0x7478a008,
};

// Set in a registered tag for a handle lent to a callback: usable, not
// destroyable by the callee.
constexpr uint32_t kBorrowedBit = 0x80000000u;

// Every live handle, by address: its tag, possibly with kBorrowedBit.
struct HandleRegistry {
  // std::mutex rather than absl::Mutex so that TSan sees it.
  std::mutex mutex;
  absl::flat_hash_map<const void*, uint32_t> live;
};

HandleRegistry& Handles() {
  // Never destroyed: handles may be released by static destructors.
  static HandleRegistry* registry = new HandleRegistry;
  return *registry;
}

// The registered tag of `handle`, or kDeadTag if it is not a live handle.
uint32_t RegisteredTag(const void* handle) {
  HandleRegistry& registry = Handles();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto it = registry.live.find(handle);
  return it == registry.live.end() ? kDeadTag : it->second;
}

// The first member of every handle struct: registers the handle (`self`)
// for its lifetime.
class HandleTag {
 public:
  HandleTag(const void* self, uint32_t tag) : self_(self) {
    HandleRegistry& registry = Handles();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.live[self] = tag;
  }
  ~HandleTag() {
    HandleRegistry& registry = Handles();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.live.erase(self_);
  }
  HandleTag(const HandleTag&) = delete;
  HandleTag& operator=(const HandleTag&) = delete;

  // Marks the handle as lent to a callback (see Borrowed).
  void lend() {
    HandleRegistry& registry = Handles();
    std::lock_guard<std::mutex> lock(registry.mutex);
    registry.live[self_] |= kBorrowedBit;
  }

 private:
  const void* self_;
};

// A caller's `void* state` plus its destructor, run exactly once.
class OwnedState {
 public:
  OwnedState(void* state, txaio_destroy_fn destroy)
      : state_(state), destroy_(destroy) {}
  OwnedState(OwnedState&& other) noexcept
      : state_(other.state_), destroy_(std::exchange(other.destroy_, nullptr)) {}
  OwnedState& operator=(OwnedState&&) = delete;
  ~OwnedState() {
    if (destroy_ != nullptr) destroy_(state_);
  }
  void* get() const { return state_; }

 private:
  void* state_;
  txaio_destroy_fn destroy_;
};

// A future's value: the pointer, plus shared ownership when it has a
// destructor (copied into every callback and gather result that holds it).
struct Value {
  void* ptr = nullptr;
  std::shared_ptr<const OwnedState> owner;
};

// Takes ownership of (ptr, destroy) without allocating, so that an
// allocation failure later still runs the destructor exactly once.
struct PendingValue {
  PendingValue(void* ptr, txaio_destroy_fn destroy) : owned(ptr, destroy) {}
  Value Commit(bool has_destroy) {
    Value value{owned.get(), nullptr};
    if (has_destroy) {
      value.owner = std::make_shared<const OwnedState>(std::move(owned));
    }
    return value;
  }
  OwnedState owned;
};

using CFuture = txaio::Future<Value>;

// An error to report as a status; thrown by the checks below.
class StatusError : public std::runtime_error {
 public:
  StatusError(txaio_status status, const std::string& message)
      : std::runtime_error(message), status(status) {}
  txaio_status status;
};

[[noreturn]] void Throw(txaio_status status, const std::string& message) {
  throw StatusError(status, message);
}

thread_local std::string t_last_error;

txaio_status Fail(txaio_status status, const char* function,
                  const char* reason) noexcept {
  try {
    t_last_error.assign(function);
    t_last_error.append(": ");
    t_last_error.append(reason);
  } catch (...) {
    t_last_error.clear();  // out of memory: the status still tells
  }
  return status;
}

// Runs an entry point's body; every exception becomes a status.
template <typename Body>
txaio_status Guard(const char* function, Body&& body) noexcept {
  try {
    body();
    return TXAIO_OK;
  } catch (const StatusError& e) {
    return Fail(e.status, function, e.what());
  } catch (const txaio::AlreadyCalledError& e) {
    return Fail(TXAIO_ERR_ALREADY_CALLED, function, e.what());
  } catch (const txaio::UsageError& e) {
    return Fail(TXAIO_ERR_USAGE, function, e.what());
  } catch (const std::invalid_argument& e) {
    return Fail(TXAIO_ERR_INVALID_ARGUMENT, function, e.what());
  } catch (const std::bad_alloc&) {
    return Fail(TXAIO_ERR_NO_MEMORY, function, "out of memory");
  } catch (const std::exception& e) {
    return Fail(TXAIO_ERR_INTERNAL, function, e.what());
  } catch (...) {
    return Fail(TXAIO_ERR_INTERNAL, function, "unknown exception");
  }
}

template <typename T>
void Need(T* out, const char* name) {
  if (out == nullptr) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT, absl::StrCat(name, " is NULL"));
  }
}

// The integer a C caller passed as an enum. C lets any int through, while a
// C++ load of an enum outside its enumerators' range is undefined, so the
// value is read as bytes and checked as an int.
template <typename E>
int RawEnum(const E& value) {
  static_assert(sizeof(E) == sizeof(int));
  int raw;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

double ToSeconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

absl::Duration Delay(double seconds, const char* what) {
  return txaio::internal::SecondsToDelay(seconds, what);
}

}  // namespace

// The handle structs. Each starts with its tag, read by CheckTag().

struct txaio_loop {
  HandleTag tag{this, kLoopTag};
  std::shared_ptr<txaio::RunnableLoop> loop;
  // How many run* calls are active on it (a destroy must wait for them).
  std::atomic<int> running{0};
};

struct txaio_future {
  txaio_future() = default;
  txaio_future(CFuture f, std::shared_ptr<txaio::LoopBase> l)
      : future(std::move(f)), loop(std::move(l)) {}
  HandleTag tag{this, kFutureTag};
  CFuture future;
  // Keeps the loop alive as long as a handle on one of its futures exists.
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_failure {
  explicit txaio_failure(Failure f) : failure(std::move(f)) {}
  HandleTag tag{this, kFailureTag};
  Failure failure;
  // Strings handed out as `const char*` live here, made on first request.
  std::optional<std::string> message;
  std::optional<std::string> traceback_text;
  std::optional<std::vector<txaio::StackFrame>> frames;
};

struct txaio_delayed_call {
  HandleTag tag{this, kDelayedCallTag};
  txaio::DelayedCall call;
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_gather_results {
  HandleTag tag{this, kGatherResultsTag};
  std::vector<Value> values;
  // Null where the input succeeded.
  std::vector<std::unique_ptr<txaio_failure>> failures;
};

struct txaio_batched_timer {
  explicit txaio_batched_timer(txaio::BatchedTimer t) : timer(std::move(t)) {}
  HandleTag tag{this, kBatchedTimerTag};
  txaio::BatchedTimer timer;
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_batched_call {
  HandleTag tag{this, kBatchedCallTag};
  txaio::BatchedCall call;
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_logger {
  explicit txaio_logger(txaio::Logger l) : logger(std::move(l)) {}
  HandleTag tag{this, kLoggerTag};
  txaio::Logger logger;
};

namespace {

template <typename H>
constexpr uint32_t kTagOf = 0;
template <>
constexpr uint32_t kTagOf<txaio_loop> = kLoopTag;
template <>
constexpr uint32_t kTagOf<txaio_future> = kFutureTag;
template <>
constexpr uint32_t kTagOf<txaio_failure> = kFailureTag;
template <>
constexpr uint32_t kTagOf<txaio_delayed_call> = kDelayedCallTag;
template <>
constexpr uint32_t kTagOf<txaio_gather_results> = kGatherResultsTag;
template <>
constexpr uint32_t kTagOf<txaio_batched_timer> = kBatchedTimerTag;
template <>
constexpr uint32_t kTagOf<txaio_batched_call> = kBatchedCallTag;
template <>
constexpr uint32_t kTagOf<txaio_logger> = kLoggerTag;

template <typename H>
constexpr const char* kNameOf = "";
template <>
constexpr const char* kNameOf<txaio_loop> = "txaio_loop";
template <>
constexpr const char* kNameOf<txaio_future> = "txaio_future";
template <>
constexpr const char* kNameOf<txaio_failure> = "txaio_failure";
template <>
constexpr const char* kNameOf<txaio_delayed_call> = "txaio_delayed_call";
template <>
constexpr const char* kNameOf<txaio_gather_results> = "txaio_gather_results";
template <>
constexpr const char* kNameOf<txaio_batched_timer> = "txaio_batched_timer";
template <>
constexpr const char* kNameOf<txaio_batched_call> = "txaio_batched_call";
template <>
constexpr const char* kNameOf<txaio_logger> = "txaio_logger";

// Returns `handle` if it is a live handle of type H (owned or borrowed);
// throws INVALID_HANDLE otherwise. Looks the address up in the registry:
// the memory behind a bad pointer is never read.
template <typename H>
H* Check(H* handle, const char* name) {
  using Plain = std::remove_const_t<H>;
  if (handle == nullptr) {
    Throw(TXAIO_ERR_INVALID_HANDLE, absl::StrCat(name, " is NULL"));
  }
  if ((RegisteredTag(handle) & ~kBorrowedBit) != kTagOf<Plain>) {
    Throw(TXAIO_ERR_INVALID_HANDLE,
          absl::StrCat(name, " is not a live ", kNameOf<Plain>,
                       " (wrong type, already destroyed, or not a handle)"));
  }
  return handle;
}

// Throws INVALID_HANDLE unless `handle` is a live, owned handle of type H:
// what the destroy functions and a callback's returned failure must be.
template <typename H>
void CheckOwned(const H* handle, const char* name) {
  Check(handle, name);
  if (RegisteredTag(handle) & kBorrowedBit) {
    Throw(TXAIO_ERR_INVALID_HANDLE,
          absl::StrCat(name, " is a borrowed ", kNameOf<H>,
                       " (lent to a callback for its duration and owned by "
                       "txaio); keep a copy with the _copy function instead"));
  }
}

// Destroys a handle made with new: NULL is a no-op.
template <typename H>
txaio_status Destroy(H* handle, const char* function) {
  if (handle == nullptr) return TXAIO_OK;
  return Guard(function, [&] {
    CheckOwned(handle, "handle");
    delete handle;
  });
}

// A handle valid for the duration of a callback only, registered as
// borrowed: the callee may use it but not destroy it, and a pointer kept
// after the callback returns is no longer registered.
template <typename H>
class Borrowed {
 public:
  template <typename... Args>
  explicit Borrowed(Args&&... args) : handle_(std::forward<Args>(args)...) {
    handle_.tag.lend();
  }
  H* get() { return &handle_; }

 private:
  H handle_;
};

txaio_future* NewFuture(CFuture future, std::shared_ptr<txaio::LoopBase> loop) {
  return new txaio_future(std::move(future), std::move(loop));
}

// The Failure a callback hands back, consuming the handle. A bad handle
// (not a live, owned failure) becomes a failure saying so rather than being
// trusted.
Failure TakeFailure(txaio_failure* returned, const char* what) {
  if (RegisteredTag(returned) != kFailureTag) {
    return Failure(txaio_error(
        0, absl::StrCat(what,
                        " returned an invalid txaio_failure handle (not a "
                        "live failure it owns)")
               .c_str()));
  }
  Failure failure = returned->failure;
  delete returned;
  return failure;
}

// Marks a loop handle as running for a run* call's lifetime, and keeps the
// loop alive meanwhile.
class Running {
 public:
  explicit Running(txaio_loop* handle) : handle_(handle), loop_(handle->loop) {
    handle_->running.fetch_add(1);
  }
  ~Running() { handle_->running.fetch_sub(1); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  txaio::RunnableLoop* operator->() const { return loop_.get(); }

 private:
  txaio_loop* handle_;
  std::shared_ptr<txaio::RunnableLoop> loop_;
};

void CheckSameLoop(const txaio_loop* loop, const CFuture& future,
                   const char* name) {
  if (&future.loop() != loop->loop.get()) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT,
          absl::StrCat(name, " belongs to another loop"));
  }
}

txaio::Task MakeCall(txaio_call_fn fn, OwnedState&& state) {
  return [fn, state = std::move(state)]() mutable { fn(state.get()); };
}

}  // namespace

extern "C" {

// ---------------------------------------------------------------- errors

const char* txaio_last_error(void) { return t_last_error.c_str(); }

const char* txaio_status_name(txaio_status status) {
  switch (RawEnum(status)) {
    case TXAIO_OK:
      return "TXAIO_OK";
    case TXAIO_ERR_INVALID_HANDLE:
      return "TXAIO_ERR_INVALID_HANDLE";
    case TXAIO_ERR_INVALID_ARGUMENT:
      return "TXAIO_ERR_INVALID_ARGUMENT";
    case TXAIO_ERR_ALREADY_CALLED:
      return "TXAIO_ERR_ALREADY_CALLED";
    case TXAIO_ERR_PENDING:
      return "TXAIO_ERR_PENDING";
    case TXAIO_ERR_FAILED:
      return "TXAIO_ERR_FAILED";
    case TXAIO_ERR_CANCELLED:
      return "TXAIO_ERR_CANCELLED";
    case TXAIO_ERR_UNSUPPORTED:
      return "TXAIO_ERR_UNSUPPORTED";
    case TXAIO_ERR_NO_MEMORY:
      return "TXAIO_ERR_NO_MEMORY";
    case TXAIO_ERR_INTERNAL:
      return "TXAIO_ERR_INTERNAL";
    case TXAIO_ERR_USAGE:
      return "TXAIO_ERR_USAGE";
  }
  return "TXAIO_UNKNOWN_STATUS";
}

const char* txaio_version(void) {
#define TXAIO_STR2(x) #x
#define TXAIO_STR(x) TXAIO_STR2(x)
  return TXAIO_STR(TXAIO_VERSION_MAJOR) "." TXAIO_STR(
      TXAIO_VERSION_MINOR) "." TXAIO_STR(TXAIO_VERSION_PATCH);
#undef TXAIO_STR
#undef TXAIO_STR2
}

// ---------------------------------------------------------------- loops

txaio_status txaio_loop_new(const char* name, txaio_loop** out) {
  return Guard(__func__, [&] {
    Need(name, "name");
    Need(out, "out");
    auto handle = std::make_unique<txaio_loop>();
    handle->loop = txaio::make_loop(name);
    *out = handle.release();
  });
}

txaio_status txaio_loop_new_asio(txaio_loop** out) {
  return txaio_loop_new("asio", out);
}

txaio_status txaio_loop_new_manual(txaio_loop** out) {
  return txaio_loop_new("manual", out);
}

txaio_status txaio_loop_names(const char* const** names, size_t* count) {
  return Guard(__func__, [&] {
    Need(names, "names");
    Need(count, "count");
    // Backends register at static initialisation, so the list is complete
    // by the first call; it is built once and never freed.
    static const std::vector<std::string>* const kNames =
        new std::vector<std::string>(txaio::loop_names());
    static const std::vector<const char*>* const kPointers = [] {
      auto* pointers = new std::vector<const char*>;
      for (const std::string& name : *kNames) pointers->push_back(name.c_str());
      pointers->push_back(nullptr);
      return pointers;
    }();
    *names = kPointers->data();
    *count = kNames->size();
  });
}

txaio_status txaio_loop_destroy(txaio_loop* loop) {
  if (loop == nullptr) return TXAIO_OK;
  return Guard(__func__, [&] {
    CheckOwned(loop, "loop");
    if (loop->running.load() > 0) {
      Throw(TXAIO_ERR_USAGE,
            "the loop is running (called from inside one of its callbacks, "
            "or from another thread?): a loop is destroyed after its run "
            "returns; the handle is still valid");
    }
    delete loop;
  });
}

txaio_status txaio_loop_framework(const txaio_loop* loop, const char** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    // Every framework() is a string literal, so data() is NUL-terminated.
    *out = loop->loop->framework().data();
  });
}

txaio_status txaio_loop_now(const txaio_loop* loop, double* out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    *out = ToSeconds(loop->loop->now());
  });
}

txaio_status txaio_loop_run(txaio_loop* loop) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    try {
      running->run();
    } catch (const std::runtime_error& e) {
      // A clock that moves only when told, with nothing left to run.
      Throw(TXAIO_ERR_UNSUPPORTED, e.what());
    }
  });
}

txaio_status txaio_loop_run_for(txaio_loop* loop, double seconds) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    running->run_for(Delay(seconds, "run_for"));
  });
}

txaio_status txaio_loop_run_until_complete(txaio_loop* loop,
                                           txaio_future* future) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    Check(future, "future");
    CheckSameLoop(loop, future->future, "future");
    // A copy: a callback may destroy the caller's handle.
    const CFuture f = future->future;
    try {
      running->run_until_complete(f);
    } catch (const txaio::UsageError&) {
      throw;  // a nested run: nothing ran
    } catch (const std::runtime_error& e) {
      // Stopped first, or nothing left that could complete it. A failed
      // future is not an error of this call: its handle tells the outcome.
      if (!f.is_called()) Throw(TXAIO_ERR_PENDING, e.what());
    } catch (...) {
      if (!f.is_called()) throw;
    }
  });
}

txaio_status txaio_loop_run_until_idle(txaio_loop* loop, size_t* ran) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    size_t count = running->run_until_idle();
    if (ran != nullptr) *ran = count;
  });
}

txaio_status txaio_loop_advance(txaio_loop* loop, double seconds) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    running->run_for(Delay(seconds, "advance"));
  });
}

txaio_status txaio_loop_stop(txaio_loop* loop) {
  return Guard(__func__, [&] { Check(loop, "loop")->loop->stop(); });
}

txaio_status txaio_loop_call_soon(txaio_loop* loop, txaio_call_fn fn,
                                  void* state, txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    loop->loop->call_soon(MakeCall(fn, std::move(owned)));
  });
}

txaio_status txaio_loop_call_soon_threadsafe(txaio_loop* loop,
                                             txaio_call_fn fn, void* state,
                                             txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    loop->loop->call_soon_threadsafe(MakeCall(fn, std::move(owned)));
  });
}

txaio_status txaio_call_later(txaio_loop* loop, double seconds,
                              txaio_call_fn fn, void* state,
                              txaio_destroy_fn destroy,
                              txaio_delayed_call** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    absl::Duration delay = Delay(seconds, "call_later");
    // Allocated first so that nothing is scheduled if this fails.
    auto handle = out != nullptr ? std::make_unique<txaio_delayed_call>()
                                 : nullptr;
    txaio::DelayedCall call =
        loop->loop->call_later(delay, MakeCall(fn, std::move(owned)));
    if (handle) {
      handle->call = std::move(call);
      handle->loop = loop->loop;
      *out = handle.release();
    }
  });
}

txaio_status txaio_loop_pending_timers(const txaio_loop* loop, size_t* out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    *out = loop->loop->pending_timers();
  });
}

// ---------------------------------------------------------------- delayed calls

txaio_status txaio_delayed_call_cancel(txaio_delayed_call* call,
                                       int* cancelled) {
  return Guard(__func__, [&] {
    bool did = Check(call, "call")->call.cancel();
    if (cancelled != nullptr) *cancelled = did ? 1 : 0;
  });
}

txaio_status txaio_delayed_call_active(const txaio_delayed_call* call,
                                       int* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = call->call.active() ? 1 : 0;
  });
}

txaio_status txaio_delayed_call_when(const txaio_delayed_call* call,
                                     double* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = ToSeconds(call->call.when());
  });
}

txaio_status txaio_delayed_call_destroy(txaio_delayed_call* call) {
  return Destroy(call, __func__);
}

// ---------------------------------------------------------------- failures

txaio_status txaio_failure_new(int code, const char* message,
                               txaio_failure** out) {
  return Guard(__func__, [&] {
    Need(out, "out");
    *out = new txaio_failure(Failure(txaio_error(code, message)));
  });
}

txaio_status txaio_failure_copy(const txaio_failure* failure,
                                txaio_failure** out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    *out = new txaio_failure(failure->failure);
  });
}

txaio_status txaio_failure_destroy(txaio_failure* failure) {
  return Destroy(failure, __func__);
}

txaio_status txaio_failure_message(const txaio_failure* failure,
                                   const char** out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    auto* mutable_failure = const_cast<txaio_failure*>(failure);
    if (!mutable_failure->message) {
      mutable_failure->message = txaio::failure_message(failure->failure);
    }
    *out = mutable_failure->message->c_str();
  });
}

txaio_status txaio_failure_type_name(const txaio_failure* failure,
                                     const char** out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    *out = failure->failure.type_name().c_str();
  });
}

txaio_status txaio_failure_what(const txaio_failure* failure,
                                const char** out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    *out = failure->failure.message().c_str();
  });
}

txaio_status txaio_failure_code(const txaio_failure* failure, int* out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    int code = 0;
    try {
      failure->failure.rethrow();
    } catch (const txaio_error& e) {
      code = e.code;
    } catch (...) {
    }
    *out = code;
  });
}

txaio_status txaio_failure_is_cancelled(const txaio_failure* failure,
                                        int* out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    *out = failure->failure.is<txaio::CancelledError>() ? 1 : 0;
  });
}

namespace {
const std::vector<txaio::StackFrame>& Frames(const txaio_failure* failure) {
  auto* mutable_failure = const_cast<txaio_failure*>(failure);
  if (!mutable_failure->frames) {
    mutable_failure->frames = txaio::failure_traceback(failure->failure);
  }
  return *mutable_failure->frames;
}
}  // namespace

txaio_status txaio_failure_traceback_size(const txaio_failure* failure,
                                          size_t* out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    *out = Frames(failure).size();
  });
}

txaio_status txaio_failure_traceback_frame(const txaio_failure* failure,
                                           size_t index, const void** address,
                                           const char** symbol) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    const std::vector<txaio::StackFrame>& frames = Frames(failure);
    if (index >= frames.size()) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            absl::StrCat("index ", index, " out of range (", frames.size(),
                         " frames)"));
    }
    if (address != nullptr) *address = frames[index].address;
    if (symbol != nullptr) *symbol = frames[index].symbol.c_str();
  });
}

txaio_status txaio_failure_format_traceback(const txaio_failure* failure,
                                            const char** out) {
  return Guard(__func__, [&] {
    Check(failure, "failure");
    Need(out, "out");
    auto* mutable_failure = const_cast<txaio_failure*>(failure);
    if (!mutable_failure->traceback_text) {
      mutable_failure->traceback_text =
          txaio::failure_format_traceback(failure->failure);
    }
    *out = mutable_failure->traceback_text->c_str();
  });
}

txaio_status txaio_set_unhandled_failure_handler(txaio_errback_fn fn,
                                                 void* state,
                                                 txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  txaio::UnhandledFailureHandler previous;
  txaio_status status = Guard(__func__, [&] {
    txaio::UnhandledFailureHandler handler;
    if (fn != nullptr) {
      handler = [fn, owned = std::move(owned)](const Failure& failure) {
        Borrowed<txaio_failure> borrowed(failure);
        fn(owned.get(), borrowed.get());
      };
    }
    previous = txaio::set_unhandled_failure_handler(std::move(handler));
  });
  // `previous` (and its state) is destroyed here, outside the handler lock.
  return status;
}

// ---------------------------------------------------------------- futures

txaio_status txaio_future_new(txaio_loop* loop, txaio_canceller_fn canceller,
                              void* state, txaio_destroy_fn destroy,
                              txaio_future** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    txaio::Canceller<Value> cancel_fn;
    if (canceller != nullptr) {
      // Weak: the future must not keep its own loop alive.
      std::weak_ptr<txaio::LoopBase> weak_loop = loop->loop;
      cancel_fn = [canceller, weak_loop,
                   owned = std::move(owned)](CFuture& future) {
        Borrowed<txaio_future> borrowed(future, weak_loop.lock());
        canceller(owned.get(), borrowed.get());
      };
    }
    *out = NewFuture(CFuture(*loop->loop, std::move(cancel_fn)), loop->loop);
  });
}

txaio_status txaio_future_new_success(txaio_loop* loop, void* value,
                                      txaio_destroy_fn destroy,
                                      txaio_future** out) {
  PendingValue pending(value, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    auto handle = std::unique_ptr<txaio_future>(
        NewFuture(CFuture(*loop->loop), loop->loop));
    handle->future.resolve(pending.Commit(destroy != nullptr));
    *out = handle.release();
  });
}

txaio_status txaio_future_new_error(txaio_loop* loop,
                                    const txaio_failure* failure,
                                    txaio_future** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Check(failure, "failure");
    Need(out, "out");
    auto handle = std::unique_ptr<txaio_future>(
        NewFuture(CFuture(*loop->loop), loop->loop));
    handle->future.reject(failure->failure);
    *out = handle.release();
  });
}

txaio_status txaio_future_destroy(txaio_future* future) {
  return Destroy(future, __func__);
}

txaio_status txaio_future_copy(const txaio_future* future,
                               txaio_future** out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    *out = NewFuture(future->future, future->loop);
  });
}

txaio_status txaio_future_resolve(txaio_future* future, void* value,
                                  txaio_destroy_fn destroy) {
  PendingValue pending(value, destroy);
  return Guard(__func__, [&] {
    Check(future, "future");
    CFuture& f = future->future;
    // Checked before committing the value so that a second resolve reports
    // ALREADY_CALLED without allocating.
    if (f.is_called() && !f.is_cancelled()) {
      Throw(TXAIO_ERR_ALREADY_CALLED,
            "the future was already resolved or rejected");
    }
    f.resolve(pending.Commit(destroy != nullptr));
  });
}

txaio_status txaio_future_reject(txaio_future* future,
                                 const txaio_failure* failure) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Check(failure, "failure");
    future->future.reject(failure->failure);
  });
}

txaio_status txaio_future_cancel(txaio_future* future, const char* message,
                                 int* was_pending) {
  return Guard(__func__, [&] {
    Check(future, "future");
    // The canceller may destroy this handle, and with it the last reference
    // on the loop (found by the C ABI fuzzer): hold both for the call.
    std::shared_ptr<txaio::LoopBase> keep_loop = future->loop;
    CFuture f = future->future;
    bool pending = f.cancel(message != nullptr ? message : "");
    if (was_pending != nullptr) *was_pending = pending ? 1 : 0;
  });
}

txaio_status txaio_future_add_callbacks(txaio_future* future,
                                        txaio_callback_fn callback,
                                        txaio_errback_fn errback, void* state,
                                        txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(future, "future");
    if (callback == nullptr && errback == nullptr) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            "callback and errback cannot both be NULL");
    }
    // Shared by the pair; destroyed when the core drops the pair after it
    // ran (or with the future).
    auto shared = std::make_shared<OwnedState>(std::move(owned));
    txaio::Callback<Value> on_value;
    if (callback != nullptr) {
      on_value = [callback, shared](const Value& value) {
        txaio_failure* failed = callback(shared->get(), value.ptr);
        // The core hands what the callback throws to the errback of the
        // same pair: rethrowing the failure's exception keeps its type,
        // message and code.
        if (failed != nullptr) TakeFailure(failed, "a callback").rethrow();
      };
    }
    txaio::Errback on_failure;
    if (errback != nullptr) {
      on_failure = [errback, shared](const Failure& failure) {
        Borrowed<txaio_failure> borrowed(failure);
        errback(shared->get(), borrowed.get());
      };
    }
    future->future.add_callbacks(std::move(on_value), std::move(on_failure));
  });
}

txaio_status txaio_future_is_called(const txaio_future* future, int* out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    *out = future->future.is_called() ? 1 : 0;
  });
}

txaio_status txaio_future_state_get(const txaio_future* future,
                                    txaio_future_state* out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    const CFuture& f = future->future;
    if (!f.is_called()) {
      *out = TXAIO_FUTURE_PENDING;
    } else if (f.succeeded()) {
      *out = TXAIO_FUTURE_SUCCEEDED;
    } else if (f.is_cancelled()) {
      *out = TXAIO_FUTURE_CANCELLED;
    } else {
      *out = TXAIO_FUTURE_FAILED;
    }
  });
}

txaio_status txaio_future_result(const txaio_future* future, void** out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    const CFuture& f = future->future;
    if (!f.is_called()) Throw(TXAIO_ERR_PENDING, "the future is pending");
    if (f.is_cancelled()) Throw(TXAIO_ERR_CANCELLED, "the future was cancelled");
    if (!f.succeeded()) {
      Throw(TXAIO_ERR_FAILED,
            absl::StrCat("the future failed: ",
                         txaio::failure_message(*f.failure())));
    }
    *out = f.value().ptr;
  });
}

txaio_status txaio_future_failure(const txaio_future* future,
                                  txaio_failure** out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    const CFuture& f = future->future;
    if (!f.is_called()) Throw(TXAIO_ERR_PENDING, "the future is pending");
    if (f.succeeded()) {
      Throw(TXAIO_ERR_ALREADY_CALLED, "the future succeeded: it has no failure");
    }
    *out = new txaio_failure(*f.failure());
  });
}

txaio_status txaio_as_future(txaio_loop* loop, txaio_as_future_fn fn,
                             void* state, txaio_destroy_fn destroy,
                             txaio_future** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    Need(out, "out");
    auto handle = std::unique_ptr<txaio_future>(
        NewFuture(CFuture(*loop->loop), loop->loop));
    void* value = nullptr;
    txaio_destroy_fn value_destroy = nullptr;
    txaio_failure* failed = fn(owned.get(), &value, &value_destroy);
    if (failed != nullptr) {
      // A value set alongside a failure is still the callee's to release.
      PendingValue dropped(value, value_destroy);
      handle->future.reject(TakeFailure(failed, "the as_future function"));
    } else {
      PendingValue pending(value, value_destroy);
      handle->future.resolve(pending.Commit(value_destroy != nullptr));
    }
    *out = handle.release();
  });
}

txaio_status txaio_sleep(txaio_loop* loop, double seconds,
                         txaio_future** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    absl::Duration delay = Delay(seconds, "sleep");
    // As txaio::Api::sleep, for a future of C values.
    auto timer = std::make_shared<txaio::DelayedCall>();
    CFuture done(*loop->loop,
                 [timer](CFuture&) { timer->cancel(); });
    auto handle = std::unique_ptr<txaio_future>(NewFuture(done, loop->loop));
    *timer = loop->loop->call_later(delay, [done]() mutable {
      if (!done.is_called()) done.resolve(Value{});
    });
    *out = handle.release();
  });
}

// ---------------------------------------------------------------- gather

txaio_status txaio_gather(txaio_loop* loop, txaio_future* const* futures,
                          size_t count, int consume_exceptions,
                          txaio_future** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    if (futures == nullptr && count > 0) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT, "futures is NULL with count > 0");
    }
    std::vector<CFuture> inputs;
    inputs.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      std::string name = absl::StrCat("futures[", i, "]");
      Check(futures[i], name.c_str());
      CheckSameLoop(loop, futures[i]->future, name.c_str());
      inputs.push_back(futures[i]->future);
    }
    txaio::Api api(*loop->loop);
    auto gathered =
        txaio::gather(api, std::move(inputs), consume_exceptions != 0);
    // The C future carries the results as a txaio_gather_results value.
    // It has no canceller: the core's gather ignores cancellation anyway, and
    // one holding `gathered` would form a cycle with the callbacks below.
    CFuture result(*loop->loop);
    auto handle = std::unique_ptr<txaio_future>(NewFuture(result, loop->loop));
    gathered.add_callbacks(
        [result](const std::vector<txaio::Outcome<Value>>& outcomes) mutable {
          if (result.is_called()) return;
          auto results = std::make_unique<txaio_gather_results>();
          results->values.resize(outcomes.size());
          results->failures.resize(outcomes.size());
          for (size_t i = 0; i < outcomes.size(); ++i) {
            if (const Value* v = std::get_if<Value>(&outcomes[i])) {
              results->values[i] = *v;
            } else {
              results->failures[i] = std::make_unique<txaio_failure>(
                  std::get<Failure>(outcomes[i]));
            }
          }
          PendingValue pending(results.release(), [](void* p) {
            delete static_cast<txaio_gather_results*>(p);
          });
          result.resolve(pending.Commit(true));
        },
        [result](const Failure& failure) mutable {
          if (!result.is_called()) result.reject(failure);
        });
    *out = handle.release();
  });
}

txaio_status txaio_gather_results_size(const txaio_gather_results* results,
                                       size_t* out) {
  return Guard(__func__, [&] {
    Check(results, "results");
    Need(out, "out");
    *out = results->values.size();
  });
}

txaio_status txaio_gather_results_get(const txaio_gather_results* results,
                                      size_t index, void** value,
                                      const txaio_failure** failure) {
  return Guard(__func__, [&] {
    Check(results, "results");
    if (index >= results->values.size()) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            absl::StrCat("index ", index, " out of range (",
                         results->values.size(), " results)"));
    }
    if (value != nullptr) *value = results->values[index].ptr;
    if (failure != nullptr) *failure = results->failures[index].get();
  });
}

// ---------------------------------------------------------------- batched timers

txaio_status txaio_batched_timer_new(txaio_loop* loop,
                                     double seconds_per_bucket,
                                     int64_t chunk_size,
                                     txaio_batched_timer** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    auto handle = std::make_unique<txaio_batched_timer>(
        txaio::make_batched_timer(*loop->loop, seconds_per_bucket,
                                  chunk_size));
    // The core requires the loop to outlive every call made through it.
    handle->loop = loop->loop;
    *out = handle.release();
  });
}

txaio_status txaio_batched_timer_destroy(txaio_batched_timer* timer) {
  return Destroy(timer, __func__);
}

txaio_status txaio_batched_timer_call_later(txaio_batched_timer* timer,
                                            double seconds,
                                            txaio_batched_fn fn, void* state,
                                            txaio_destroy_fn destroy,
                                            txaio_batched_call** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(timer, "timer");
    Need(fn, "fn");
    absl::Duration delay = Delay(seconds, "call_later");
    auto handle = out != nullptr ? std::make_unique<txaio_batched_call>()
                                 : nullptr;
    txaio::BatchedCall call = timer->timer.schedule(
        delay, [fn, owned = std::move(owned)]() mutable {
          txaio_failure* failed = fn(owned.get());
          // The core collects what a call throws into the bucket's errors.
          if (failed != nullptr) {
            TakeFailure(failed, "a batched call").rethrow();
          }
        });
    if (handle) {
      handle->call = std::move(call);
      handle->loop = timer->loop;
      *out = handle.release();
    }
  });
}

txaio_status txaio_batched_timer_set_error_handler(txaio_batched_timer* timer,
                                                   txaio_batch_errors_fn fn,
                                                   void* state,
                                                   txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(timer, "timer");
    txaio::BatchedErrorHandler handler;
    if (fn != nullptr) {
      handler = [fn, owned = std::move(owned)](std::vector<Failure> failures) {
        std::vector<std::unique_ptr<Borrowed<txaio_failure>>> borrowed;
        std::vector<const txaio_failure*> pointers;
        borrowed.reserve(failures.size());
        pointers.reserve(failures.size());
        for (Failure& failure : failures) {
          borrowed.push_back(
              std::make_unique<Borrowed<txaio_failure>>(std::move(failure)));
          pointers.push_back(borrowed.back()->get());
        }
        fn(owned.get(), pointers.data(), pointers.size());
      };
    }
    timer->timer.set_error_handler(std::move(handler));
  });
}

txaio_status txaio_batched_timer_pending(const txaio_batched_timer* timer,
                                         size_t* out) {
  return Guard(__func__, [&] {
    Check(timer, "timer");
    Need(out, "out");
    *out = timer->timer.pending();
  });
}

txaio_status txaio_batched_timer_loop_timers(const txaio_batched_timer* timer,
                                             size_t* out) {
  return Guard(__func__, [&] {
    Check(timer, "timer");
    Need(out, "out");
    *out = timer->timer.loop_timers();
  });
}

txaio_status txaio_batched_call_cancel(txaio_batched_call* call,
                                       int* cancelled) {
  return Guard(__func__, [&] {
    bool did = Check(call, "call")->call.cancel();
    if (cancelled != nullptr) *cancelled = did ? 1 : 0;
  });
}

txaio_status txaio_batched_call_active(const txaio_batched_call* call,
                                       int* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = call->call.active() ? 1 : 0;
  });
}

txaio_status txaio_batched_call_when(const txaio_batched_call* call,
                                     double* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = ToSeconds(call->call.when());
  });
}

txaio_status txaio_batched_call_destroy(txaio_batched_call* call) {
  return Destroy(call, __func__);
}

// ---------------------------------------------------------------- logging

namespace {

// A level as the core's enum; anything outside the C enum throws. Taken by
// reference: copying an out-of-range enum would already be undefined.
txaio::LogLevel Level(const txaio_log_level& level) {
  // The core's level table (core/log_level.h) checks the value and words
  // the error (std::invalid_argument: TXAIO_ERR_INVALID_ARGUMENT).
  return txaio::log_level_from_int(RawEnum(level));
}

// A level an event can be logged at: CRITICAL..TRACE.
txaio::LogLevel EventLevel(const txaio_log_level& level) {
  txaio::LogLevel parsed = Level(level);
  if (parsed == txaio::LogLevel::kNone) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT, "cannot log at TXAIO_LOG_NONE");
  }
  return parsed;
}

std::vector<txaio::LogField> Fields(const txaio_log_field* fields,
                                    size_t count) {
  if (fields == nullptr && count > 0) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT, "fields is NULL with count > 0");
  }
  std::vector<txaio::LogField> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const txaio_log_field& f = fields[i];
    if (f.name == nullptr) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            absl::StrCat("fields[", i, "].name is NULL"));
    }
    txaio::LogValue value;
    switch (RawEnum(f.type)) {
      case TXAIO_FIELD_BOOL:
        value = f.value.b != 0;
        break;
      case TXAIO_FIELD_INT:
        value = f.value.i;
        break;
      case TXAIO_FIELD_UINT:
        value = f.value.u;
        break;
      case TXAIO_FIELD_DOUBLE:
        value = f.value.d;
        break;
      case TXAIO_FIELD_STRING:
        if (f.value.s == nullptr) {
          Throw(TXAIO_ERR_INVALID_ARGUMENT,
                absl::StrCat("fields[", i, "] (", f.name, ") is a NULL string"));
        }
        value = std::string_view(f.value.s);
        break;
      default:
        Throw(TXAIO_ERR_INVALID_ARGUMENT,
              absl::StrCat("fields[", i, "] (", f.name, ") has unknown type ",
                           RawEnum(f.type)));
    }
    out.push_back({f.name, std::move(value)});
  }
  return out;
}

}  // namespace

txaio_status txaio_log_level_name(txaio_log_level level, const char** out) {
  return Guard(__func__, [&] {
    Need(out, "out");
    // Every name is a string literal, so data() is NUL-terminated.
    *out = txaio::log_level_name(Level(level)).data();
  });
}

txaio_status txaio_log_level_parse(const char* name, txaio_log_level* out) {
  return Guard(__func__, [&] {
    Need(name, "name");
    Need(out, "out");
    *out = static_cast<txaio_log_level>(txaio::parse_log_level(name));
  });
}

txaio_status txaio_logger_new(const char* log_namespace, txaio_logger** out) {
  return Guard(__func__, [&] {
    Need(log_namespace, "log_namespace");
    Need(out, "out");
    *out = new txaio_logger(txaio::make_logger(log_namespace));
  });
}

txaio_status txaio_logger_destroy(txaio_logger* logger) {
  return Destroy(logger, __func__);
}

txaio_status txaio_logger_log(const txaio_logger* logger,
                              txaio_log_level level, const char* format,
                              const txaio_log_field* fields, size_t count) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    txaio::LogLevel parsed = EventLevel(level);
    Need(format, "format");
    if (!logger->logger.enabled(parsed)) return;
    std::vector<txaio::LogField> converted = Fields(fields, count);
    logger->logger.emit(parsed, format, converted);
  });
}

txaio_status txaio_logger_failure(const txaio_logger* logger,
                                  const char* format,
                                  const txaio_failure* failure,
                                  const txaio_log_field* fields,
                                  size_t count) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Check(failure, "failure");
    Need(format, "format");
    if (!logger->logger.enabled(txaio::LogLevel::kError)) return;
    std::vector<txaio::LogField> converted = Fields(fields, count);
    logger->logger.emit(txaio::LogLevel::kError, format, converted,
                        &failure->failure);
  });
}

txaio_status txaio_logger_enabled(const txaio_logger* logger,
                                  txaio_log_level level, int* out) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Need(out, "out");
    txaio::LogLevel parsed = Level(level);
    *out = parsed != txaio::LogLevel::kNone && logger->logger.enabled(parsed);
  });
}

txaio_status txaio_logger_set_level(txaio_logger* logger,
                                    txaio_log_level level, int keep) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    logger->logger.set_log_level(Level(level), keep != 0);
  });
}

txaio_status txaio_logger_follow_global_level(txaio_logger* logger) {
  return Guard(__func__, [&] {
    Check(logger, "logger")->logger.follow_global_log_level();
  });
}

txaio_status txaio_logger_level(const txaio_logger* logger,
                                txaio_log_level* out) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Need(out, "out");
    *out = static_cast<txaio_log_level>(logger->logger.log_level());
  });
}

txaio_status txaio_logger_namespace(const txaio_logger* logger,
                                    const char** out) {
  return Guard(__func__, [&] {
    Check(logger, "logger");
    Need(out, "out");
    // The core keeps the namespace as a std::string: NUL-terminated.
    *out = logger->logger.log_namespace().data();
  });
}

txaio_status txaio_set_global_log_level(txaio_log_level level) {
  return Guard(__func__, [&] { txaio::set_global_log_level(Level(level)); });
}

txaio_status txaio_get_global_log_level(txaio_log_level* out) {
  return Guard(__func__, [&] {
    Need(out, "out");
    *out = static_cast<txaio_log_level>(txaio::get_global_log_level());
  });
}

txaio_status txaio_start_logging(txaio_log_level level, int use_stderr) {
  return Guard(__func__, [&] {
    txaio::start_logging(use_stderr != 0 ? std::cerr : std::cout,
                         Level(level));
  });
}

txaio_status txaio_stop_logging(void) {
  return Guard(__func__, [&] { txaio::stop_logging(); });
}

txaio_status txaio_add_log_observer(txaio_log_observer_fn fn, void* state,
                                    txaio_destroy_fn destroy, uint64_t* id) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Need(fn, "fn");
    // Shared: the core keeps observers in copyable std::functions.
    auto shared = std::make_shared<OwnedState>(std::move(owned));
    txaio::LogObserverId added = txaio::add_log_observer(
        [fn, shared](const txaio::LogEvent& event) {
          std::string text = txaio::format_event(event);
          std::string log_namespace(event.log_namespace);
          std::optional<Borrowed<txaio_failure>> failure;
          if (event.log_failure != nullptr) failure.emplace(*event.log_failure);
          fn(shared->get(), static_cast<txaio_log_level>(event.log_level),
             log_namespace.c_str(), text.c_str(),
             failure ? failure->get() : nullptr);
        });
    if (id != nullptr) *id = added;
  });
}

txaio_status txaio_remove_log_observer(uint64_t id, int* removed) {
  return Guard(__func__, [&] {
    bool did = txaio::remove_log_observer(id);
    if (removed != nullptr) *removed = did ? 1 : 0;
  });
}

txaio_status txaio_add_log_categories(const char* const* names,
                                      const char* const* formats,
                                      size_t count) {
  return Guard(__func__, [&] {
    if ((names == nullptr || formats == nullptr) && count > 0) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT, "names or formats is NULL");
    }
    std::map<std::string, std::string> categories;
    for (size_t i = 0; i < count; ++i) {
      if (names[i] == nullptr || formats[i] == nullptr) {
        Throw(TXAIO_ERR_INVALID_ARGUMENT,
              absl::StrCat("names[", i, "] or formats[", i, "] is NULL"));
      }
      categories[names[i]] = formats[i];
    }
    txaio::add_log_categories(categories);
  });
}

// ---------------------------------------------------------------- clocks

int64_t txaio_time_ns(void) { return txaio::time_ns(); }

int64_t txaio_perf_counter_ns(void) { return txaio::perf_counter_ns(); }

}  // extern "C"
