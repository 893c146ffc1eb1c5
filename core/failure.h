// Failure: txaio's IFailedFuture, what an errback receives.
//
// A Failure carries the exception (as std::exception_ptr), the demangled name
// of its type, its message, and the stack captured where the Failure was made
// (inside the catch block, for create_failure()). Type and message are read
// once when the Failure is made, so reading them later never rethrows.
//
//   try {
//     connect();
//   } catch (...) {
//     txaio::Failure fail = txaio::create_failure();
//     std::cerr << txaio::failure_message(fail) << "\n"
//               << txaio::failure_format_traceback(fail);
//   }
#ifndef TXAIO_CORE_FAILURE_H_
#define TXAIO_CORE_FAILURE_H_

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace txaio {

// One frame of a captured stack.
struct StackFrame {
  const void* address;
  // The demangled function name, or "??" when it cannot be resolved.
  std::string symbol;
};

class Failure {
 public:
  // Wraps `error`, which must not be null, capturing the caller's stack.
  explicit Failure(std::exception_ptr error);

  // Wraps an exception object, capturing the caller's stack.
  template <typename E,
            typename = std::enable_if_t<
                std::is_base_of_v<std::exception, std::decay_t<E>>>>
  explicit Failure(E&& error)
      : Failure(std::make_exception_ptr(std::forward<E>(error))) {}

  Failure(const Failure&) = default;
  Failure(Failure&&) noexcept = default;
  Failure& operator=(const Failure&) = default;
  Failure& operator=(Failure&&) noexcept = default;

  // The exception itself (txaio's `.value`). Never null.
  const std::exception_ptr& value() const { return data_->error; }

  // The demangled type name of the exception, e.g. "std::runtime_error".
  const std::string& type_name() const { return data_->type_name; }

  // what() of the exception, or "" when it is not a std::exception.
  const std::string& message() const { return data_->message; }

  // Throws the wrapped exception again (for code that wants to catch it).
  [[noreturn]] void rethrow() const { std::rethrow_exception(data_->error); }

  // True when the exception is an E (or derived from it).
  template <typename E>
  bool is() const {
    try {
      std::rethrow_exception(data_->error);
    } catch (const E&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  // The frames captured where this Failure was made, innermost first.
  std::vector<StackFrame> traceback() const;

 private:
  struct Data {
    std::exception_ptr error;
    std::string type_name;
    std::string message;
    std::vector<void*> frames;
  };
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

// The captured frames, innermost first.
std::vector<StackFrame> failure_traceback(const Failure& failure);

// A readable multi-line traceback: one line per frame, then failure_message().
std::string failure_format_traceback(const Failure& failure);

}  // namespace txaio

#endif  // TXAIO_CORE_FAILURE_H_
