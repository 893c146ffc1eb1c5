// Internal: misuse detection in debug and sanitizer builds.
//
// Some rules cannot be checked cheaply on every call in a release build (a
// call from a thread that is not the loop's, destroying a loop from inside
// one of its own callbacks, using a future whose loop is gone). Builds
// without NDEBUG (Bazel's fastbuild and dbg, hence --config=asan and
// --config=tsan) check them and abort with a message naming the rule; -c opt
// builds compile the checks out and keep their speed. docs/reliability.md
// lists every rule and how it is tested.
#ifndef TXAIO_CORE_INTERNAL_MISUSE_H_
#define TXAIO_CORE_INTERNAL_MISUSE_H_

#include <string_view>

#if !defined(TXAIO_MISUSE_CHECKS)
#if defined(NDEBUG)
#define TXAIO_MISUSE_CHECKS 0
#else
#define TXAIO_MISUSE_CHECKS 1
#endif
#endif

namespace txaio {
class Loop;
}

namespace txaio::internal {

// Writes "txaio: misuse detected: <rule>\n  <detail>" to stderr and aborts.
[[noreturn]] void MisuseAbort(std::string_view rule, std::string_view detail);

// A registry of the loops alive now, kept only when TXAIO_MISUSE_CHECKS
// (LoopBase registers itself), so that a future used after its loop was
// destroyed is reported instead of calling into freed memory.
void RegisterLiveLoop(const Loop* loop);
void UnregisterLiveLoop(const Loop* loop);
// True if `loop` is registered, or if no registry is kept.
bool IsLiveLoop(const Loop* loop);

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_MISUSE_H_
