// Internal: the conventions of txaio.h, as code, for every file of the C ABI.
//
// Every entry point runs its body inside Guard(), which turns any C++
// exception into a txaio_status plus a thread-local message (errors.cc), so
// nothing unwinds into C. Checks throw StatusError through Throw(); Need()
// rejects NULL out-parameters, RawEnum() reads a C enum without undefined
// behaviour. Ownership: a caller's `void* state` and its destructor become an
// OwnedState at the top of the entry point, before anything can fail, so the
// destructor runs exactly once whatever happens; future values are Values,
// shared when they have a destructor.
#ifndef TXAIO_BINDINGS_C_CONVENTIONS_H_
#define TXAIO_BINDINGS_C_CONVENTIONS_H_

#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bindings/c/txaio.h"
#include "core/errors.h"
#include "core/future.h"
#include "core/loop.h"

namespace txaio::c_api {

// An error to report as a status; thrown by the checks.
class StatusError : public std::runtime_error {
 public:
  StatusError(txaio_status status, const std::string& message)
      : std::runtime_error(message), status(status) {}
  txaio_status status;
};

[[noreturn]] inline void Throw(txaio_status status,
                               const std::string& message) {
  throw StatusError(status, message);
}

// Records "function: reason" as txaio_last_error() and returns `status`.
txaio_status Fail(txaio_status status, const char* function,
                  const char* reason) noexcept;

// Runs an entry point's body; every exception becomes a status.
template <typename Body>
txaio_status Guard(const char* function, Body&& body) noexcept {
  try {
    body();
    return TXAIO_OK;
  } catch (const StatusError& e) {
    return Fail(e.status, function, e.what());
  } catch (const AlreadyCalledError& e) {
    return Fail(TXAIO_ERR_ALREADY_CALLED, function, e.what());
  } catch (const UsageError& e) {
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

// Throws INVALID_ARGUMENT if a required pointer argument is NULL.
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

// A caller's `void* state` plus its destructor, run exactly once.
class OwnedState {
 public:
  OwnedState(void* state, txaio_destroy_fn destroy)
      : state_(state), destroy_(destroy) {}
  OwnedState(OwnedState&& other) noexcept
      : state_(other.state_),
        destroy_(std::exchange(other.destroy_, nullptr)) {}
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

// Every C future is a future of Values.
using CFuture = Future<Value>;

// A loop task calling fn(state), which it owns.
inline Task MakeCall(txaio_call_fn fn, OwnedState&& state) {
  return [fn, state = std::move(state)]() mutable { fn(state.get()); };
}

}  // namespace txaio::c_api

#endif  // TXAIO_BINDINGS_C_CONVENTIONS_H_
