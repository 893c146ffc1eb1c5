// Failures: making and copying failure handles, reading them (message, type,
// code, traceback), and the process-wide unhandled-failure handler.
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/c/conventions.h"
#include "bindings/c/handles.h"
#include "bindings/c/txaio.h"
#include "core/errors.h"
#include "core/failure.h"
#include "core/unhandled.h"

using txaio::Failure;
using txaio::c_api::Borrowed;
using txaio::c_api::Check;
using txaio::c_api::Destroy;
using txaio::c_api::Guard;
using txaio::c_api::Need;
using txaio::c_api::OwnedState;
using txaio::c_api::Throw;

namespace {

// A failure handle's traceback, symbolized on first request and kept.
const std::vector<txaio::StackFrame>& Frames(const txaio_failure* failure) {
  auto* mutable_failure = const_cast<txaio_failure*>(failure);
  if (!mutable_failure->frames) {
    mutable_failure->frames = txaio::failure_traceback(failure->failure);
  }
  return *mutable_failure->frames;
}

}  // namespace

extern "C" {

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

}  // extern "C"
