// Errors txaio-cpp reports by throwing.
//
// Each maps onto a txaio (Python) error so that code written against one
// reads naturally against the other:
//   UsageError          txaio's "must call use_asyncio()/use_twisted()" error
//   AlreadyCalledError  Twisted's AlreadyCalledError, asyncio's
//                       InvalidStateError
//   CancelledError      Twisted's / asyncio's CancelledError
//   TimeoutError        asyncio's TimeoutError (from with_timeout())
// Bad arguments (both result and error, a NaN delay, ...) throw the standard
// std::invalid_argument, as txaio raises ValueError.
#ifndef TXAIO_CORE_ERRORS_H_
#define TXAIO_CORE_ERRORS_H_

#include <stdexcept>
#include <string>

namespace txaio {

// An API call was made before it can work, most often before a framework was
// selected. The message says what to call first.
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// A future was resolved or rejected after it had already been resolved or
// rejected. (After a cancel, resolving is a documented no-op instead.)
class AlreadyCalledError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// The failure a cancelled future's errbacks receive. what() is the message
// given to cancel(), or "cancelled" when none was given.
class CancelledError : public std::runtime_error {
 public:
  explicit CancelledError(const std::string& message = "cancelled")
      : std::runtime_error(message.empty() ? "cancelled" : message) {}
};

// The failure with_timeout() gives when its deadline passes first. Not a
// CancelledError: code can tell its own deadline from a caller's cancel().
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace txaio

#endif  // TXAIO_CORE_ERRORS_H_
