// Futures: making them (pending, resolved, failed, from a call, or a sleep),
// completing and cancelling them, callbacks, and reading their outcome. Every
// C future is a core Future of Values (conventions.h).
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bindings/c/conventions.h"
#include "bindings/c/handles.h"
#include "bindings/c/txaio.h"
#include "core/api.h"
#include "core/delay.h"
#include "core/errors.h"
#include "core/failure.h"
#include "core/future.h"
#include "core/loop_base.h"

using txaio::Failure;
using txaio::c_api::Borrowed;
using txaio::c_api::CFuture;
using txaio::c_api::Check;
using txaio::c_api::Destroy;
using txaio::c_api::Guard;
using txaio::c_api::Need;
using txaio::c_api::OwnedState;
using txaio::c_api::PendingValue;
using txaio::c_api::TakeFailure;
using txaio::c_api::Throw;
using txaio::c_api::Value;

namespace {

// A new handle on a future of `loop`'s.
std::unique_ptr<txaio_future> NewFuture(CFuture future,
                                        std::shared_ptr<txaio::LoopBase> loop) {
  return std::make_unique<txaio_future>(std::move(future), std::move(loop));
}

}  // namespace

extern "C" {

txaio_status txaio_future_new(txaio_loop* loop, txaio_canceller_fn canceller,
                              void* state, txaio_destroy_fn destroy,
                              txaio_future** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    txaio::Canceller<Value> cancel_fn;
    if (canceller != nullptr) {
      // Weak: the future must not keep its own loop alive.
      std::weak_ptr<txaio::LoopBase> weak_loop = loop->loop;
      cancel_fn = [canceller, weak_loop,
                   owned = std::move(owned)](CFuture& future) {
        Borrowed<txaio_future> borrowed(future, weak_loop.lock());
        canceller(owned.get(), borrowed.get());
      };
    }
    *out = NewFuture(CFuture(*loop->loop, std::move(cancel_fn)), loop->loop)
               .release();
  });
}

txaio_status txaio_future_new_success(txaio_loop* loop, void* value,
                                      txaio_destroy_fn destroy,
                                      txaio_future** out) {
  PendingValue pending(value, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    auto handle = NewFuture(CFuture(*loop->loop), loop->loop);
    handle->future.resolve(pending.Commit(destroy != nullptr));
    *out = handle.release();
  });
}

txaio_status txaio_future_new_error(txaio_loop* loop,
                                    const txaio_failure* failure,
                                    txaio_future** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Check(failure, "failure");
    Need(out, "out");
    auto handle = NewFuture(CFuture(*loop->loop), loop->loop);
    handle->future.reject(failure->failure);
    *out = handle.release();
  });
}

txaio_status txaio_future_destroy(txaio_future* future) {
  return Destroy(future, __func__);
}

txaio_status txaio_future_copy(const txaio_future* future, txaio_future** out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    *out = NewFuture(future->future, future->loop).release();
  });
}

txaio_status txaio_future_resolve(txaio_future* future, void* value,
                                  txaio_destroy_fn destroy) {
  PendingValue pending(value, destroy);
  return Guard(__func__, [&] {
    Check(future, "future");
    CFuture& f = future->future;
    // Checked before committing the value so that a second resolve reports
    // ALREADY_CALLED without allocating.
    if (f.is_called() && !f.is_cancelled()) {
      Throw(TXAIO_ERR_ALREADY_CALLED,
            "the future was already resolved or rejected");
    }
    f.resolve(pending.Commit(destroy != nullptr));
  });
}

txaio_status txaio_future_reject(txaio_future* future,
                                 const txaio_failure* failure) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Check(failure, "failure");
    future->future.reject(failure->failure);
  });
}

txaio_status txaio_future_cancel(txaio_future* future, const char* message,
                                 int* was_pending) {
  return Guard(__func__, [&] {
    Check(future, "future");
    // The canceller may destroy this handle, and with it the last reference
    // on the loop (found by the C ABI fuzzer): hold both for the call.
    std::shared_ptr<txaio::LoopBase> keep_loop = future->loop;
    CFuture f = future->future;
    bool pending = f.cancel(message != nullptr ? message : "");
    if (was_pending != nullptr) *was_pending = pending ? 1 : 0;
  });
}

txaio_status txaio_future_add_callbacks(txaio_future* future,
                                        txaio_callback_fn callback,
                                        txaio_errback_fn errback, void* state,
                                        txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(future, "future");
    if (callback == nullptr && errback == nullptr) {
      Throw(TXAIO_ERR_INVALID_ARGUMENT,
            "callback and errback cannot both be NULL");
    }
    // Shared by the pair; destroyed when the core drops the pair after it
    // ran (or with the future).
    auto shared = std::make_shared<OwnedState>(std::move(owned));
    txaio::Callback<Value> on_value;
    if (callback != nullptr) {
      on_value = [callback, shared](const Value& value) {
        txaio_failure* failed = callback(shared->get(), value.ptr);
        // The core hands what the callback throws to the errback of the
        // same pair: rethrowing the failure's exception keeps its type,
        // message and code.
        if (failed != nullptr) TakeFailure(failed, "a callback").rethrow();
      };
    }
    txaio::Errback on_failure;
    if (errback != nullptr) {
      on_failure = [errback, shared](const Failure& failure) {
        Borrowed<txaio_failure> borrowed(failure);
        errback(shared->get(), borrowed.get());
      };
    }
    future->future.add_callbacks(std::move(on_value), std::move(on_failure));
  });
}

txaio_status txaio_future_is_called(const txaio_future* future, int* out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    *out = future->future.is_called() ? 1 : 0;
  });
}

txaio_status txaio_future_state_get(const txaio_future* future,
                                    txaio_future_state* out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    const CFuture& f = future->future;
    if (!f.is_called()) {
      *out = TXAIO_FUTURE_PENDING;
    } else if (f.succeeded()) {
      *out = TXAIO_FUTURE_SUCCEEDED;
    } else if (f.is_cancelled()) {
      *out = TXAIO_FUTURE_CANCELLED;
    } else {
      *out = TXAIO_FUTURE_FAILED;
    }
  });
}

txaio_status txaio_future_result(const txaio_future* future, void** out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    const CFuture& f = future->future;
    if (!f.is_called()) Throw(TXAIO_ERR_PENDING, "the future is pending");
    if (f.is_cancelled())
      Throw(TXAIO_ERR_CANCELLED, "the future was cancelled");
    if (!f.succeeded()) {
      Throw(TXAIO_ERR_FAILED,
            absl::StrCat("the future failed: ",
                         txaio::failure_message(*f.failure())));
    }
    *out = f.value().ptr;
  });
}

txaio_status txaio_future_failure(const txaio_future* future,
                                  txaio_failure** out) {
  return Guard(__func__, [&] {
    Check(future, "future");
    Need(out, "out");
    const CFuture& f = future->future;
    if (!f.is_called()) Throw(TXAIO_ERR_PENDING, "the future is pending");
    if (f.succeeded()) {
      Throw(TXAIO_ERR_ALREADY_CALLED,
            "the future succeeded: it has no failure");
    }
    *out = new txaio_failure(*f.failure());
  });
}

txaio_status txaio_as_future(txaio_loop* loop, txaio_as_future_fn fn,
                             void* state, txaio_destroy_fn destroy,
                             txaio_future** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    Need(out, "out");
    auto handle = NewFuture(CFuture(*loop->loop), loop->loop);
    void* value = nullptr;
    txaio_destroy_fn value_destroy = nullptr;
    txaio_failure* failed = fn(owned.get(), &value, &value_destroy);
    if (failed != nullptr) {
      // A value set alongside a failure is still the callee's to release.
      PendingValue dropped(value, value_destroy);
      handle->future.reject(TakeFailure(failed, "the as_future function"));
    } else {
      PendingValue pending(value, value_destroy);
      handle->future.resolve(pending.Commit(value_destroy != nullptr));
    }
    *out = handle.release();
  });
}

txaio_status txaio_sleep(txaio_loop* loop, double seconds, txaio_future** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    absl::Duration delay = txaio::SecondsToDelay(seconds, "sleep");
    // Allocated first so that nothing is scheduled if this fails.
    auto handle = NewFuture(CFuture(), loop->loop);
    handle->future = txaio::Api(*loop->loop).sleep<Value>(delay);
    *out = handle.release();
  });
}

}  // extern "C"
