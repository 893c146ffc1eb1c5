// The registry of live handles (handles.h): every handle's address and tag,
// and the two checks that need more than a lookup (a failure handed back by a
// callback, a future of another loop).
#include "bindings/c/handles.h"

#include <cstdint>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace txaio::c_api {
namespace {

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

}  // namespace

void RegisterHandle(const void* handle, uint32_t tag) {
  HandleRegistry& registry = Handles();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.live[handle] = tag;
}

void UnregisterHandle(const void* handle) {
  HandleRegistry& registry = Handles();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.live.erase(handle);
}

void LendHandle(const void* handle) {
  HandleRegistry& registry = Handles();
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.live[handle] |= kBorrowedBit;
}

uint32_t RegisteredTag(const void* handle) {
  HandleRegistry& registry = Handles();
  std::lock_guard<std::mutex> lock(registry.mutex);
  auto it = registry.live.find(handle);
  return it == registry.live.end() ? static_cast<uint32_t>(Tag::kNone)
                                   : it->second;
}

Failure TakeFailure(txaio_failure* returned, const char* what) {
  if (!IsOwned(returned)) {
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

void CheckSameLoop(const txaio_loop* loop, const CFuture& future,
                   const char* name) {
  if (&future.loop() != loop->loop.get()) {
    Throw(TXAIO_ERR_INVALID_ARGUMENT,
          absl::StrCat(name, " belongs to another loop"));
  }
}

}  // namespace txaio::c_api
