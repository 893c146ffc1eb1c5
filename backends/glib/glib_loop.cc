#include "backends/glib/glib_loop.h"

#include <atomic>
#include <climits>
#include <memory>
#include <new>
#include <optional>

#include "core/loop_registry.h"

namespace txaio {

// A GSource with txaio's state after it (g_source_new allocates the whole
// struct). The pending flag is the only member other threads touch.
struct GlibLoop::Source {
  GSource base;
  GlibLoop* loop;
  // Set by wake_up(), cleared by dispatch before it runs the loop's work.
  std::atomic<bool> pending;
  // The wake_at() deadline; loop thread only.
  std::optional<absl::Duration> deadline;
};

const GSourceFuncs GlibLoop::kSourceFuncs = {
    &GlibLoop::Prepare,   &GlibLoop::Check, &GlibLoop::Dispatch,
    /*finalize=*/nullptr, nullptr,          nullptr};

namespace {

GMainContext* Ref(GMainContext& context) {
  return g_main_context_ref(&context);
}

}  // namespace

GlibLoop::GlibLoop(GMainContext& context)
    : context_(Ref(context)),
      source_(reinterpret_cast<Source*>(g_source_new(
          const_cast<GSourceFuncs*>(&kSourceFuncs), sizeof(Source)))) {
  // g_source_new zeroed the memory; start the members' lifetimes properly.
  new (&source_->loop) GlibLoop*(this);
  new (&source_->pending) std::atomic<bool>(false);
  new (&source_->deadline) std::optional<absl::Duration>();
  g_source_set_name(&source_->base, "txaio");
  g_source_attach(&source_->base, context_);
}

GlibLoop::GlibLoop()
    : GlibLoop([]() -> GMainContext& {
        // The delegated constructor takes its own reference; drop ours
        // once it has (see the body).
        return *g_main_context_new();
      }()) {
  g_main_context_unref(context_);
}

GlibLoop::~GlibLoop() {
  // While the loop still works (core/loop.h).
  destroy_suspended_coroutines();
  // Detach before anything else: once destroyed, GLib never calls the
  // source again, so nothing of ours can run on a context that lives on.
  source_->loop = nullptr;
  g_source_destroy(&source_->base);
  source_->deadline.~optional();
  g_source_unref(&source_->base);
  g_main_context_unref(context_);
}

bool GlibLoop::source_ready() const {
  if (source_->pending.load(std::memory_order_acquire)) return true;
  return source_->deadline && *source_->deadline <= now();
}

gboolean GlibLoop::Prepare(GSource* base, gint* timeout) {
  Source* source = reinterpret_cast<Source*>(base);
  *timeout = -1;
  GlibLoop* loop = source->loop;
  if (loop == nullptr) return FALSE;
  if (loop->source_ready()) return TRUE;
  if (source->deadline) {
    *timeout = static_cast<gint>(
        loop->timeout_ms_until(*source->deadline, /*max_ms=*/INT_MAX));
  }
  return FALSE;
}

gboolean GlibLoop::Check(GSource* base) {
  GlibLoop* loop = reinterpret_cast<Source*>(base)->loop;
  return loop != nullptr && loop->source_ready();
}

gboolean GlibLoop::Dispatch(GSource* base, GSourceFunc, gpointer) {
  Source* source = reinterpret_cast<Source*>(base);
  GlibLoop* loop = source->loop;
  if (loop == nullptr) return G_SOURCE_REMOVE;
  // Cleared before running, so a wake_up() made while the work runs is
  // seen by the next prepare().
  source->pending.store(false, std::memory_order_release);
  if (source->deadline && *source->deadline <= loop->now()) {
    source->deadline.reset();
    loop->on_wake_at_timer();
  } else {
    loop->on_wake_up();
  }
  return G_SOURCE_CONTINUE;
}

void GlibLoop::wake_up() {
  if (source_->pending.exchange(true, std::memory_order_acq_rel)) {
    return;  // already pending: whoever set it made sure it is seen
  }
  // The thread iterating the context calls prepare() before it polls
  // again; any other thread must interrupt a poll that may be under way.
  if (!g_main_context_is_owner(context_)) g_main_context_wakeup(context_);
}

void GlibLoop::wake_at(absl::Duration deadline) {
  source_->deadline = deadline;
}

void GlibLoop::cancel_wake_at() { source_->deadline.reset(); }

bool GlibLoop::iterate(bool block) {
  g_main_context_iteration(context_, block);
  return true;
}

namespace {
const LoopRegistration kRegistration("glib", [] {
  return std::make_unique<GlibLoop>();
});
}  // namespace

}  // namespace txaio
