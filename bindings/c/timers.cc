// Timers: call_later and its delayed calls, and batched timers and their
// calls (txaio's make_batched_timer), each over the core's own.
#include <memory>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bindings/c/conventions.h"
#include "bindings/c/handles.h"
#include "bindings/c/txaio.h"
#include "core/batched_timer.h"
#include "core/delay.h"
#include "core/failure.h"

using txaio::c_api::Borrowed;
using txaio::c_api::Check;
using txaio::c_api::Destroy;
using txaio::c_api::Guard;
using txaio::c_api::MakeCall;
using txaio::c_api::Need;
using txaio::c_api::OwnedState;
using txaio::c_api::TakeFailure;

extern "C" {

// ---------------------------------------------------------------- call_later

txaio_status txaio_call_later(txaio_loop* loop, double seconds,
                              txaio_call_fn fn, void* state,
                              txaio_destroy_fn destroy,
                              txaio_delayed_call** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    absl::Duration delay = txaio::SecondsToDelay(seconds, "call_later");
    // Allocated first so that nothing is scheduled if this fails.
    auto handle =
        out != nullptr ? std::make_unique<txaio_delayed_call>() : nullptr;
    txaio::DelayedCall call =
        loop->loop->call_later(delay, MakeCall(fn, std::move(owned)));
    if (handle) {
      handle->call = std::move(call);
      handle->loop = loop->loop;
      *out = handle.release();
    }
  });
}

txaio_status txaio_delayed_call_cancel(txaio_delayed_call* call,
                                       int* cancelled) {
  return Guard(__func__, [&] {
    bool did = Check(call, "call")->call.cancel();
    if (cancelled != nullptr) *cancelled = did ? 1 : 0;
  });
}

txaio_status txaio_delayed_call_active(const txaio_delayed_call* call,
                                       int* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = call->call.active() ? 1 : 0;
  });
}

txaio_status txaio_delayed_call_when(const txaio_delayed_call* call,
                                     double* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = absl::ToDoubleSeconds(call->call.when());
  });
}

txaio_status txaio_delayed_call_destroy(txaio_delayed_call* call) {
  return Destroy(call, __func__);
}

// ---------------------------------------------------------------- batched

txaio_status txaio_batched_timer_new(txaio_loop* loop,
                                     double seconds_per_bucket,
                                     int64_t chunk_size,
                                     txaio_batched_timer** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    auto handle = std::make_unique<txaio_batched_timer>(
        txaio::make_batched_timer(*loop->loop, seconds_per_bucket, chunk_size));
    // The core requires the loop to outlive every call made through it.
    handle->loop = loop->loop;
    *out = handle.release();
  });
}

txaio_status txaio_batched_timer_destroy(txaio_batched_timer* timer) {
  return Destroy(timer, __func__);
}

txaio_status txaio_batched_timer_call_later(txaio_batched_timer* timer,
                                            double seconds, txaio_batched_fn fn,
                                            void* state,
                                            txaio_destroy_fn destroy,
                                            txaio_batched_call** out) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(timer, "timer");
    Need(fn, "fn");
    absl::Duration delay = txaio::SecondsToDelay(seconds, "call_later");
    auto handle =
        out != nullptr ? std::make_unique<txaio_batched_call>() : nullptr;
    txaio::BatchedCall call =
        timer->timer.schedule(delay, [fn, owned = std::move(owned)]() mutable {
          txaio_failure* failed = fn(owned.get());
          // The core collects what a call throws into the bucket's errors.
          if (failed != nullptr) {
            TakeFailure(failed, "a batched call").rethrow();
          }
        });
    if (handle) {
      handle->call = std::move(call);
      handle->loop = timer->loop;
      *out = handle.release();
    }
  });
}

txaio_status txaio_batched_timer_set_error_handler(txaio_batched_timer* timer,
                                                   txaio_batch_errors_fn fn,
                                                   void* state,
                                                   txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(timer, "timer");
    txaio::BatchedErrorHandler handler;
    if (fn != nullptr) {
      handler = [fn, owned = std::move(owned)](
                    std::vector<txaio::Failure> failures) {
        std::vector<std::unique_ptr<Borrowed<txaio_failure>>> borrowed;
        std::vector<const txaio_failure*> pointers;
        borrowed.reserve(failures.size());
        pointers.reserve(failures.size());
        for (txaio::Failure& failure : failures) {
          borrowed.push_back(
              std::make_unique<Borrowed<txaio_failure>>(std::move(failure)));
          pointers.push_back(borrowed.back()->get());
        }
        fn(owned.get(), pointers.data(), pointers.size());
      };
    }
    timer->timer.set_error_handler(std::move(handler));
  });
}

txaio_status txaio_batched_timer_pending(const txaio_batched_timer* timer,
                                         size_t* out) {
  return Guard(__func__, [&] {
    Check(timer, "timer");
    Need(out, "out");
    *out = timer->timer.pending();
  });
}

txaio_status txaio_batched_timer_loop_timers(const txaio_batched_timer* timer,
                                             size_t* out) {
  return Guard(__func__, [&] {
    Check(timer, "timer");
    Need(out, "out");
    *out = timer->timer.loop_timers();
  });
}

txaio_status txaio_batched_call_cancel(txaio_batched_call* call,
                                       int* cancelled) {
  return Guard(__func__, [&] {
    bool did = Check(call, "call")->call.cancel();
    if (cancelled != nullptr) *cancelled = did ? 1 : 0;
  });
}

txaio_status txaio_batched_call_active(const txaio_batched_call* call,
                                       int* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = call->call.active() ? 1 : 0;
  });
}

txaio_status txaio_batched_call_when(const txaio_batched_call* call,
                                     double* out) {
  return Guard(__func__, [&] {
    Check(call, "call");
    Need(out, "out");
    *out = absl::ToDoubleSeconds(call->call.when());
  });
}

txaio_status txaio_batched_call_destroy(txaio_batched_call* call) {
  return Destroy(call, __func__);
}

}  // extern "C"
