// Internal: the handles of the C ABI: the one table of handle types, the
// registry of live handles, the handle structs, and the checks every entry
// point makes on its handle arguments.
//
// Every live handle is registered (address -> type tag, and whether it is
// borrowed); entry points look their handle arguments up there (Check,
// CheckOwned), never reading the memory a caller's pointer points to, so a
// destroyed handle, a handle of another type, a borrowed handle passed to a
// destroy function or a pointer that is no handle at all is an
// INVALID_HANDLE status, not undefined behaviour (docs/reliability.md).
//
// A new handle type is one line in TXAIO_C_HANDLES, its struct below (whose
// first member is a HandleTag), and its functions: the tag, the name in
// messages and the checks come from the table.
#ifndef TXAIO_BINDINGS_C_HANDLES_H_
#define TXAIO_BINDINGS_C_HANDLES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/c/conventions.h"
#include "bindings/c/txaio.h"
#include "core/batched_timer.h"
#include "core/failure.h"
#include "core/gather.h"
#include "core/logging.h"
#include "core/loop.h"
#include "core/loop_base.h"
#include "core/runnable_loop.h"

// The handle table: every handle type txaio.h declares, once.
#define TXAIO_C_HANDLES(X) \
  X(txaio_loop)            \
  X(txaio_future)          \
  X(txaio_failure)         \
  X(txaio_delayed_call)    \
  X(txaio_gather_results)  \
  X(txaio_batched_timer)   \
  X(txaio_batched_call)    \
  X(txaio_logger)

// The exception behind failures made by txaio_failure_new. Global and named
// like the C API so that failure messages read "txaio_error: ...".
struct txaio_error : std::runtime_error {
  txaio_error(int code, const char* message)
      : std::runtime_error(message != nullptr ? message : ""), code(code) {}
  int code;
};

namespace txaio::c_api {

// A handle type's tag in the registry: its position in the table, after a
// base that makes a tag unlikely to be mistaken for anything else. None is
// "not a live handle".
enum class Tag : uint32_t {
  kNone = 0,
  kBase = 0x7478a000,
#define TXAIO_C_HANDLE_TAG(type) type,
  TXAIO_C_HANDLES(TXAIO_C_HANDLE_TAG)
#undef TXAIO_C_HANDLE_TAG
};

// Set in a registered tag for a handle lent to a callback: usable, not
// destroyable by the callee.
inline constexpr uint32_t kBorrowedBit = 0x80000000u;

// What the table says about handle type H: its tag and its name. Defined for
// the table's types only, so a check on any other type does not compile.
template <typename H>
struct HandleInfo;
#define TXAIO_C_HANDLE_INFO(type)                                      \
  template <>                                                          \
  struct HandleInfo<type> {                                            \
    static constexpr uint32_t kTag = static_cast<uint32_t>(Tag::type); \
    static constexpr const char* kName = #type;                        \
  };
TXAIO_C_HANDLES(TXAIO_C_HANDLE_INFO)
#undef TXAIO_C_HANDLE_INFO

// The registry (handles.cc). RegisteredTag is the registered tag of
// `handle`, possibly with kBorrowedBit, or Tag::kNone if it is not a live
// handle.
void RegisterHandle(const void* handle, uint32_t tag);
void UnregisterHandle(const void* handle);
void LendHandle(const void* handle);
uint32_t RegisteredTag(const void* handle);

// The first member of every handle struct: registers the handle (`self`)
// under H's tag for its lifetime.
template <typename H>
class HandleTag {
 public:
  explicit HandleTag(const H* self) : self_(self) {
    RegisterHandle(self, HandleInfo<H>::kTag);
  }
  ~HandleTag() { UnregisterHandle(self_); }
  HandleTag(const HandleTag&) = delete;
  HandleTag& operator=(const HandleTag&) = delete;

  // Marks the handle as lent to a callback (see Borrowed).
  void lend() { LendHandle(self_); }

 private:
  const H* self_;
};

}  // namespace txaio::c_api

// The handle structs, in the table's order.

struct txaio_loop {
  txaio::c_api::HandleTag<txaio_loop> tag{this};
  std::shared_ptr<txaio::RunnableLoop> loop;
  // How many run* calls are active on it (a destroy must wait for them).
  std::atomic<int> running{0};
};

struct txaio_future {
  txaio_future() = default;
  txaio_future(txaio::c_api::CFuture f, std::shared_ptr<txaio::LoopBase> l)
      : future(std::move(f)), loop(std::move(l)) {}
  txaio::c_api::HandleTag<txaio_future> tag{this};
  txaio::c_api::CFuture future;
  // Keeps the loop alive as long as a handle on one of its futures exists.
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_failure {
  explicit txaio_failure(txaio::Failure f) : failure(std::move(f)) {}
  txaio::c_api::HandleTag<txaio_failure> tag{this};
  txaio::Failure failure;
  // Strings handed out as `const char*` live here, made on first request.
  std::optional<std::string> message;
  std::optional<std::string> traceback_text;
  std::optional<std::vector<txaio::StackFrame>> frames;
};

struct txaio_delayed_call {
  txaio::c_api::HandleTag<txaio_delayed_call> tag{this};
  txaio::DelayedCall call;
  std::shared_ptr<txaio::LoopBase> loop;
};

// The value of a gathered future (owned by it).
struct txaio_gather_results {
  txaio::c_api::HandleTag<txaio_gather_results> tag{this};
  // The core's gather result, as it gave it.
  std::vector<txaio::Outcome<txaio::c_api::Value>> outcomes;
  // A handle on each failed outcome's Failure, lent by get; null where the
  // input succeeded.
  std::vector<std::unique_ptr<txaio_failure>> failures;
};

struct txaio_batched_timer {
  explicit txaio_batched_timer(txaio::BatchedTimer t) : timer(std::move(t)) {}
  txaio::c_api::HandleTag<txaio_batched_timer> tag{this};
  txaio::BatchedTimer timer;
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_batched_call {
  txaio::c_api::HandleTag<txaio_batched_call> tag{this};
  txaio::BatchedCall call;
  std::shared_ptr<txaio::LoopBase> loop;
};

struct txaio_logger {
  explicit txaio_logger(txaio::Logger l) : logger(std::move(l)) {}
  txaio::c_api::HandleTag<txaio_logger> tag{this};
  txaio::Logger logger;
};

namespace txaio::c_api {

// Returns `handle` if it is a live handle of type H (owned or borrowed);
// throws INVALID_HANDLE otherwise. Looks the address up in the registry:
// the memory behind a bad pointer is never read.
template <typename H>
H* Check(H* handle, const char* name) {
  using Info = HandleInfo<std::remove_const_t<H>>;
  if (handle == nullptr) {
    Throw(TXAIO_ERR_INVALID_HANDLE, absl::StrCat(name, " is NULL"));
  }
  if ((RegisteredTag(handle) & ~kBorrowedBit) != Info::kTag) {
    Throw(TXAIO_ERR_INVALID_HANDLE,
          absl::StrCat(name, " is not a live ", Info::kName,
                       " (wrong type, already destroyed, or not a handle)"));
  }
  return handle;
}

// Whether `handle` is a live, owned handle of type H.
template <typename H>
bool IsOwned(const H* handle) {
  return RegisteredTag(handle) == HandleInfo<H>::kTag;
}

// Throws INVALID_HANDLE unless `handle` is a live, owned handle of type H:
// what the destroy functions and a callback's returned failure must be.
template <typename H>
void CheckOwned(const H* handle, const char* name) {
  Check(handle, name);
  if (!IsOwned(handle)) {
    Throw(TXAIO_ERR_INVALID_HANDLE,
          absl::StrCat(name, " is a borrowed ", HandleInfo<H>::kName,
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

// The Failure a callback hands back, consuming the handle. A bad handle
// (not a live, owned failure) becomes a failure saying so rather than being
// trusted. `what` names the callback in that failure's message.
Failure TakeFailure(txaio_failure* returned, const char* what);

// Throws INVALID_ARGUMENT unless `future` belongs to `loop`.
void CheckSameLoop(const txaio_loop* loop, const CFuture& future,
                   const char* name);

}  // namespace txaio::c_api

#endif  // TXAIO_BINDINGS_C_HANDLES_H_
