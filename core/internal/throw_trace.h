// The stack of every C++ throw in the process, kept while its exception
// object lives, so that a Failure made later (in a catch block, an errback,
// another thread) shows where the exception was thrown, as Python's
// tracebacks and Boost.Stacktrace's from_current_exception() do.
//
// throw_trace.cc interposes __cxa_throw and __cxa_free_exception (the C++
// ABI's entry points, used by every `throw` and by libstdc++ itself) when
// the core is linked into an executable: each throw records its stack,
// keyed by the exception object, and the record goes when the object is
// freed. A rethrow (`throw;`, std::rethrow_exception) keeps the object and so
// its record. Where the hooks are not reached (a shared library whose calls
// bind to libstdc++'s own), nothing is recorded and a Failure falls back to
// the stack where it is made.
#ifndef TXAIO_CORE_INTERNAL_THROW_TRACE_H_
#define TXAIO_CORE_INTERNAL_THROW_TRACE_H_

#include <exception>
#include <vector>

namespace txaio::internal {

// The most frames kept per throw.
inline constexpr int kMaxThrowFrames = 48;

// Copies the return addresses recorded when `error` was thrown, innermost
// first, into `frames`; false (and `frames` unchanged) if none were.
bool ThrowSiteFrames(const std::exception_ptr& error,
                     std::vector<void*>& frames);

}  // namespace txaio::internal

#endif  // TXAIO_CORE_INTERNAL_THROW_TRACE_H_
