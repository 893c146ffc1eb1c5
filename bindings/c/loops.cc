// Loops: making one by backend name, running, stopping and reading it,
// handing it calls (call_soon, call_soon_threadsafe), and the process clocks.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bindings/c/conventions.h"
#include "bindings/c/handles.h"
#include "bindings/c/txaio.h"
#include "core/delay.h"
#include "core/errors.h"
#include "core/loop_registry.h"
#include "core/runnable_loop.h"
#include "core/time.h"

namespace txaio::c_api {
namespace {

// Marks a loop handle as running for a run* call's lifetime, and keeps the
// loop alive meanwhile.
class Running {
 public:
  explicit Running(txaio_loop* handle) : handle_(handle), loop_(handle->loop) {
    handle_->running.fetch_add(1);
  }
  ~Running() { handle_->running.fetch_sub(1); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  RunnableLoop* operator->() const { return loop_.get(); }

 private:
  txaio_loop* handle_;
  std::shared_ptr<RunnableLoop> loop_;
};

}  // namespace
}  // namespace txaio::c_api

using txaio::c_api::CFuture;
using txaio::c_api::Check;
using txaio::c_api::CheckOwned;
using txaio::c_api::CheckSameLoop;
using txaio::c_api::Guard;
using txaio::c_api::MakeCall;
using txaio::c_api::Need;
using txaio::c_api::OwnedState;
using txaio::c_api::Running;
using txaio::c_api::Throw;

extern "C" {

txaio_status txaio_loop_new(const char* name, txaio_loop** out) {
  return Guard(__func__, [&] {
    Need(name, "name");
    Need(out, "out");
    auto handle = std::make_unique<txaio_loop>();
    handle->loop = txaio::make_loop(name);
    *out = handle.release();
  });
}

txaio_status txaio_loop_new_asio(txaio_loop** out) {
  return txaio_loop_new("asio", out);
}

txaio_status txaio_loop_new_manual(txaio_loop** out) {
  return txaio_loop_new("manual", out);
}

txaio_status txaio_loop_names(const char* const** names, size_t* count) {
  return Guard(__func__, [&] {
    Need(names, "names");
    Need(count, "count");
    // Backends register at static initialisation, so the list is complete
    // by the first call; it is built once and never freed.
    static const std::vector<std::string>* const kNames =
        new std::vector<std::string>(txaio::loop_names());
    static const std::vector<const char*>* const kPointers = [] {
      auto* pointers = new std::vector<const char*>;
      for (const std::string& name : *kNames) pointers->push_back(name.c_str());
      pointers->push_back(nullptr);
      return pointers;
    }();
    *names = kPointers->data();
    *count = kNames->size();
  });
}

txaio_status txaio_loop_destroy(txaio_loop* loop) {
  if (loop == nullptr) return TXAIO_OK;
  return Guard(__func__, [&] {
    CheckOwned(loop, "loop");
    if (loop->running.load() > 0) {
      Throw(TXAIO_ERR_USAGE,
            "the loop is running (called from inside one of its callbacks, "
            "or from another thread?): a loop is destroyed after its run "
            "returns; the handle is still valid");
    }
    delete loop;
  });
}

txaio_status txaio_loop_framework(const txaio_loop* loop, const char** out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    // Every framework() is a string literal, so data() is NUL-terminated.
    *out = loop->loop->framework().data();
  });
}

txaio_status txaio_loop_now(const txaio_loop* loop, double* out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    *out = absl::ToDoubleSeconds(loop->loop->now());
  });
}

txaio_status txaio_loop_run(txaio_loop* loop) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    try {
      running->run();
    } catch (const std::runtime_error& e) {
      // A clock that moves only when told, with nothing left to run.
      Throw(TXAIO_ERR_UNSUPPORTED, e.what());
    }
  });
}

txaio_status txaio_loop_run_for(txaio_loop* loop, double seconds) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    running->run_for(txaio::SecondsToDelay(seconds, "run_for"));
  });
}

txaio_status txaio_loop_run_until_complete(txaio_loop* loop,
                                           txaio_future* future) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    Check(future, "future");
    CheckSameLoop(loop, future->future, "future");
    // A copy: a callback may destroy the caller's handle.
    const CFuture f = future->future;
    try {
      running->run_until_complete(f);
    } catch (const txaio::UsageError&) {
      throw;  // a nested run: nothing ran
    } catch (const std::runtime_error& e) {
      // Stopped first, or nothing left that could complete it. A failed
      // future is not an error of this call: its handle tells the outcome.
      if (!f.is_called()) Throw(TXAIO_ERR_PENDING, e.what());
    } catch (...) {
      if (!f.is_called()) throw;
    }
  });
}

txaio_status txaio_loop_run_until_idle(txaio_loop* loop, size_t* ran) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    size_t count = running->run_until_idle();
    if (ran != nullptr) *ran = count;
  });
}

txaio_status txaio_loop_advance(txaio_loop* loop, double seconds) {
  return Guard(__func__, [&] {
    Running running(Check(loop, "loop"));
    running->run_for(txaio::SecondsToDelay(seconds, "advance"));
  });
}

txaio_status txaio_loop_stop(txaio_loop* loop) {
  return Guard(__func__, [&] { Check(loop, "loop")->loop->stop(); });
}

txaio_status txaio_loop_call_soon(txaio_loop* loop, txaio_call_fn fn,
                                  void* state, txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    loop->loop->call_soon(MakeCall(fn, std::move(owned)));
  });
}

txaio_status txaio_loop_call_soon_threadsafe(txaio_loop* loop, txaio_call_fn fn,
                                             void* state,
                                             txaio_destroy_fn destroy) {
  OwnedState owned(state, destroy);
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(fn, "fn");
    loop->loop->call_soon_threadsafe(MakeCall(fn, std::move(owned)));
  });
}

txaio_status txaio_loop_pending_timers(const txaio_loop* loop, size_t* out) {
  return Guard(__func__, [&] {
    Check(loop, "loop");
    Need(out, "out");
    *out = loop->loop->pending_timers();
  });
}

int64_t txaio_time_ns(void) { return txaio::time_ns(); }

int64_t txaio_perf_counter_ns(void) { return txaio::perf_counter_ns(); }

}  // extern "C"
