// GlibLoop: txaio's Loop over a GLib GMainContext.
//
// A GlibLoop either owns a fresh GMainContext or wraps one the application
// already runs (g_main_context_default(), or a thread's own), so txaio's
// work runs inside GTK, GStreamer or GIO programs on their own loop. Either
// way it attaches one GSource to the context, and that source does all of
// txaio's waking: it is ready when work is queued (woken from other threads
// with g_main_context_wakeup()) and when the earliest timer is due, on
// txaio's clock (CLOCK_MONOTONIC, which is also GLib's g_get_monotonic_time).
// Whoever iterates the context, RunnableLoop's run*() members or the
// application's g_main_loop_run(), runs txaio's callbacks there.
//
//   auto loop = std::make_shared<txaio::GlibLoop>(*g_main_context_default());
//   txaio::use_loop(loop);               // or txaio::with_config(*loop)
//   g_main_loop_run(app_main_loop);      // the app's own run: txaio's too
//
// Registered as "glib" (txaio::make_loop("glib") owns a new context).
#ifndef TXAIO_BACKENDS_GLIB_GLIB_LOOP_H_
#define TXAIO_BACKENDS_GLIB_GLIB_LOOP_H_

#include <glib.h>

#include <string_view>

#include "absl/time/time.h"
#include "core/steady_clock_loop.h"

namespace txaio {

class GlibLoop : public SteadyClockLoop {
 public:
  // Owns a new GMainContext, iterated by the run*() members on the thread
  // that calls them.
  GlibLoop();
  // Attaches to `context`, which must outlive this loop and be iterated on
  // one thread at a time (the loop thread). The application may iterate it
  // itself (g_main_loop_run, g_main_context_iteration); txaio's work runs
  // there too. Destroying this loop removes its source from the context, so
  // the context can go on running with nothing of txaio's left in it.
  explicit GlibLoop(GMainContext& context);
  ~GlibLoop() override;

  std::string_view framework() const override { return "glib"; }

  // The GMainContext the loop runs on, for the application's own sources.
  GMainContext& context() { return *context_; }

 protected:
  // Marks work pending; from a thread that does not own the context, also
  // g_main_context_wakeup() so a blocked poll() returns.
  void wake_up() override;
  // Remembers the deadline; the source's prepare() turns it into the poll
  // timeout on the next iteration (the loop thread is not polling now).
  void wake_at(absl::Duration deadline) override;
  // Forgets the deadline, so an idle context can sleep indefinitely.
  void cancel_wake_at() override;
  // g_main_context_iteration(context, block).
  bool iterate(bool block) override;

 private:
  struct Source;

  // The source's GSourceFuncs; see glib_loop.cc.
  static gboolean Prepare(GSource* source, gint* timeout);
  static gboolean Check(GSource* source);
  static gboolean Dispatch(GSource* source, GSourceFunc, gpointer);
  static const GSourceFuncs kSourceFuncs;

  // Whether the source should be dispatched now: work queued, or the
  // deadline reached on this loop's clock (so it is never early).
  bool source_ready() const;

  // One reference we hold, for owning and wrapping alike.
  GMainContext* context_;
  // Our one source, attached to context_ for the loop's lifetime.
  Source* source_;
};

}  // namespace txaio

#endif  // TXAIO_BACKENDS_GLIB_GLIB_LOOP_H_
