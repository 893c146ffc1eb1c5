#include "core/internal/throw_trace.h"

#include <dlfcn.h>
#include <execinfo.h>

#include <cstddef>
#include <cstring>
#include <mutex>

namespace txaio::internal {
namespace {

// Exceptions alive at once are few (one per thread unwinding, plus those
// held in exception_ptrs and failed futures); the oldest record is reused
// when all are taken.
constexpr int kSlots = 64;

struct Record {
  const void* object = nullptr;
  int depth = 0;
  void* frames[kMaxThrowFrames];
};

struct Table {
  std::mutex mutex;
  Record records[kSlots];  // guarded by mutex
  int next = 0;            // guarded by mutex: the slot to reuse next
};

Table& GetTable() {
  static Table* table = new Table;  // never destroyed: throws may come late
  return *table;
}

void Remember(const void* object, void* const* frames, int depth) {
  Table& table = GetTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  Record* slot = nullptr;
  for (Record& record : table.records) {
    if (record.object == object || record.object == nullptr) {
      slot = &record;
      break;
    }
  }
  if (slot == nullptr) {
    slot = &table.records[table.next];
    table.next = (table.next + 1) % kSlots;
  }
  slot->object = object;
  slot->depth = depth;
  std::memcpy(slot->frames, frames, sizeof(void*) * depth);
}

void Forget(const void* object) {
  Table& table = GetTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  for (Record& record : table.records) {
    if (record.object == object) record.object = nullptr;
  }
}

// The next definition of `name` after this one: libstdc++'s, or a
// sanitizer's interceptor in front of it.
template <typename F>
F Next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

}  // namespace

bool ThrowSiteFrames(const std::exception_ptr& error,
                     std::vector<void*>& frames) {
  // libstdc++'s exception_ptr is the exception object's address, the key
  // the hooks saw.
  static_assert(sizeof(std::exception_ptr) == sizeof(void*));
  const void* object;
  std::memcpy(&object, &error, sizeof object);
  if (object == nullptr) return false;
  Table& table = GetTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  for (const Record& record : table.records) {
    if (record.object == object) {
      frames.assign(record.frames, record.frames + record.depth);
      return true;
    }
  }
  return false;
}

}  // namespace txaio::internal

// The hooks. Declared here as the compiler declares them for a throw
// expression (this file has none, and does not include <cxxabi.h>, whose
// declaration names std::type_info).
extern "C" {

[[noreturn]] void __cxa_throw(void* object, void* type,
                              void (*destructor)(void*)) {
  using Throw = void (*)(void*, void*, void (*)(void*));
  static const Throw next = txaio::internal::Next<Throw>("__cxa_throw");
  // One more frame for this hook, dropped below.
  void* frames[txaio::internal::kMaxThrowFrames + 1];
  int depth = backtrace(frames, txaio::internal::kMaxThrowFrames + 1);
  if (depth > 1) txaio::internal::Remember(object, frames + 1, depth - 1);
  next(object, type, destructor);
  __builtin_unreachable();
}

void __cxa_free_exception(void* object) noexcept {
  using Free = void (*)(void*);
  static const Free next = txaio::internal::Next<Free>("__cxa_free_exception");
  txaio::internal::Forget(object);
  next(object);
}

}  // extern "C"
