// Failure: txaio's IFailedFuture, what an errback receives.
//
// A Failure carries the exception (as std::exception_ptr), the demangled name
// of its type, its message, the stack where the exception was thrown, and
// its cause. Type and message are read once when the Failure is made, so
// reading them later never rethrows.
//
//   try {
//     connect();
//   } catch (...) {
//     txaio::Failure fail = txaio::create_failure();
//     std::cerr << txaio::failure_message(fail) << "\n"
//               << txaio::failure_format_traceback(fail);
//   }
//
// The stack is the one recorded by the `throw` itself (see
// core/internal/throw_trace.h), so a traceback starts at the function that
// threw, however many calls and loop turns later the Failure is made; for
// an exception that was never thrown (a Failure made from an exception
// object, or from std::make_exception_ptr) it is the stack where the
// Failure is made. Frames are symbolized when read, with file:line where
// the binary has debug information (libdw); frames of txaio's and the
// standard library's plumbing (callback dispatch, std::invoke,
// AnyInvocable, the loop) are left out.
//
// The cause: an exception thrown with std::throw_with_nested() inside a
// catch block carries the exception being handled, which becomes cause();
// failure_format_traceback() prints the chain as Python does.
#ifndef TXAIO_CORE_FAILURE_H_
#define TXAIO_CORE_FAILURE_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace txaio {

// One frame of a captured stack.
struct StackFrame {
  const void* address;
  // The demangled function name, or "??" when it cannot be resolved.
  std::string symbol;
  // The source file and line, when the binary has debug information; else
  // "" and 0.
  std::string file;
  int line = 0;
};

class Failure {
 public:
  // Wraps `error`, which must not be null (std::invalid_argument).
  explicit Failure(std::exception_ptr error);

  // Wraps an exception object (never thrown: its stack is the caller's).
  template <typename E, typename = std::enable_if_t<
                            std::is_base_of_v<std::exception, std::decay_t<E>>>>
  explicit Failure(E&& error)
      : Failure(std::make_exception_ptr(std::forward<E>(error))) {}

  Failure(const Failure&) = default;
  Failure(Failure&&) noexcept = default;
  Failure& operator=(const Failure&) = default;
  Failure& operator=(Failure&&) noexcept = default;

  // The exception itself (txaio's `.value`). Never null.
  const std::exception_ptr& value() const;

  // The demangled type name of the exception, e.g. "std::runtime_error"
  // (for std::throw_with_nested(E), E's).
  const std::string& type_name() const;

  // what() of the exception, or "" when it is not a std::exception.
  const std::string& message() const;

  // Throws the wrapped exception again (for code that wants to catch it).
  [[noreturn]] void rethrow() const;

  // True when the exception is an E (or derived from it).
  template <typename E>
  bool is() const {
    try {
      rethrow();
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  // The failure this one wraps (std::nested_exception), or null.
  const Failure* cause() const;

  // The frames from where the exception was thrown, innermost first,
  // without library-internal frames.
  std::vector<StackFrame> traceback() const;

 private:
  struct Data;
  // Shared: Failures are copied to every errback and into gather results.
  std::shared_ptr<const Data> data_;
};

// Makes a Failure from the exception being handled. Requires being called
// inside a catch block; otherwise throws std::logic_error.
Failure create_failure();

// Makes a Failure from `error`; null throws std::invalid_argument.
Failure create_failure(std::exception_ptr error);

// "TypeName: message", on one line (newlines in the message become spaces).
std::string failure_message(const Failure& failure);

// The frames from the throw site, innermost first (Failure::traceback()).
std::vector<StackFrame> failure_traceback(const Failure& failure);

// A readable multi-line traceback: one line per frame (with file:line when
// known), then failure_message(); preceded by the cause's, as Python prints
// "The above exception was the direct cause of the following exception".
std::string failure_format_traceback(const Failure& failure);

}  // namespace txaio

#endif  // TXAIO_CORE_FAILURE_H_
