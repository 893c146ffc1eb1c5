#include "backends/uv/uv_loop.h"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "core/loop_registry.h"

namespace txaio {
namespace {

void ThrowIfError(int status, const char* what) {
  if (status < 0) {
    throw std::runtime_error(std::string("UvLoop: ") + what + ": " +
                             uv_strerror(status));
  }
}

}  // namespace

struct UvLoop::Handles {
  uv_idle_t idle;
  uv_async_t async;
  uv_timer_t timer;
  int open = 0;  // handles not yet closed by libuv

  static void OnClose(uv_handle_t* handle) {
    auto* self = static_cast<Handles*>(handle->data);
    if (--self->open == 0) delete self;
  }
};

UvLoop::UvLoop() : owned_loop_(std::make_unique<uv_loop_t>()) {
  ThrowIfError(uv_loop_init(owned_loop_.get()), "uv_loop_init");
  loop_ = owned_loop_.get();
  try {
    init_handles();
  } catch (...) {
    uv_loop_close(loop_);
    throw;
  }
}

UvLoop::UvLoop(uv_loop_t& loop) : loop_(&loop) { init_handles(); }

void UvLoop::init_handles() {
  on_loop_thread();
  auto handles = std::make_unique<Handles>();
  ThrowIfError(uv_idle_init(loop_, &handles->idle), "uv_idle_init");
  ThrowIfError(uv_timer_init(loop_, &handles->timer), "uv_timer_init");
  // The async handle comes last: it is the one that can fail (it may need a
  // file descriptor), and the two before it need no closing until started.
  int status = uv_async_init(loop_, &handles->async, &UvLoop::OnAsync);
  if (status < 0) {
    // Already registered on the loop: they must be closed, not just freed.
    handles->open = 2;
    handles->idle.data = handles->timer.data = handles.get();
    uv_close(reinterpret_cast<uv_handle_t*>(&handles->idle), &Handles::OnClose);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles->timer),
             &Handles::OnClose);
    handles.release();  // freed by the close callbacks
    if (owned_loop_) uv_run(loop_, UV_RUN_NOWAIT);
    ThrowIfError(status, "uv_async_init");
  }
  // Cross-thread wake-ups alone do not keep the application's uv_run going.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handles->async));
  handles->idle.data = handles->async.data = handles->timer.data = this;
  handles->open = 3;
  handles_ = handles.release();
}

UvLoop::~UvLoop() {
  // While the loop still works (core/loop.h).
  destroy_suspended_coroutines();
  // Closing stops the handles: no callback of ours runs after this, and the
  // close callbacks, which free the handles, need nothing of the UvLoop.
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(&handles_->idle),
        reinterpret_cast<uv_handle_t*>(&handles_->async),
        reinterpret_cast<uv_handle_t*>(&handles_->timer)}) {
    handle->data = handles_;
    uv_close(handle, &Handles::OnClose);
  }
  if (!owned_loop_) return;
  // Runs the close callbacks (closing handles keep the loop alive for one
  // iteration, which does not block while they are pending).
  uv_run(loop_, UV_RUN_NOWAIT);
  if (uv_loop_close(loop_) == UV_EBUSY) {
    // The application left handles open on the loop it let us own: close
    // them too rather than free the loop under them (libuv's own advice).
    uv_walk(
        loop_,
        [](uv_handle_t* handle, void*) {
          if (!uv_is_closing(handle)) uv_close(handle, nullptr);
        },
        nullptr);
    uv_run(loop_, UV_RUN_NOWAIT);
    uv_loop_close(loop_);
  }
}

void UvLoop::wake_up() {
  if (std::this_thread::get_id() ==
      loop_thread_.load(std::memory_order_relaxed)) {
    uv_idle_start(&handles_->idle, &UvLoop::OnIdle);  // no-op if started
  } else {
    uv_async_send(&handles_->async);
  }
}

void UvLoop::wake_at(absl::Duration deadline) {
  const int64_t ms =
      timeout_ms_until(deadline, std::numeric_limits<int64_t>::max());
  uv_timer_start(&handles_->timer, &UvLoop::OnTimer, static_cast<uint64_t>(ms),
                 0);
}

void UvLoop::cancel_wake_at() { uv_timer_stop(&handles_->timer); }

bool UvLoop::iterate(bool block) {
  on_loop_thread();
  // The async handle is referenced while we run the loop ourselves: without
  // a referenced handle libuv counts the loop as dead and returns at once,
  // without waiting (run() would spin) and without polling (a wake-up sent
  // from another thread would never be seen). With it, a stop() or
  // call_soon_threadsafe() from another thread ends the wait.
  auto* async = reinterpret_cast<uv_handle_t*>(&handles_->async);
  uv_ref(async);
  iterating_ = true;
  uv_run(loop_, block ? UV_RUN_ONCE : UV_RUN_NOWAIT);
  iterating_ = false;
  uv_unref(async);
  return true;
}

void UvLoop::OnIdle(uv_idle_t* idle) {
  auto* loop = static_cast<UvLoop*>(idle->data);
  loop->on_loop_thread();
  uv_idle_stop(idle);  // started again by wake_up() if work is left
  loop->on_wake_up();
}

void UvLoop::OnAsync(uv_async_t* async) {
  auto* loop = static_cast<UvLoop*>(async->data);
  loop->on_loop_thread();
  loop->on_wake_up();
}

void UvLoop::OnTimer(uv_timer_t* timer) {
  auto* loop = static_cast<UvLoop*>(timer->data);
  loop->on_loop_thread();
  loop->on_wake_at_timer();
}

namespace {
const LoopRegistration kRegistration("uv",
                                     [] { return std::make_unique<UvLoop>(); });
}  // namespace

}  // namespace txaio
