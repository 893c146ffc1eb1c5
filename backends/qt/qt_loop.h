// QtLoop: txaio's Loop over the calling thread's Qt 6 event loop.
//
// Qt has no loop object to wrap: each thread that processes events has an
// event dispatcher, which QCoreApplication::exec(), QEventLoop::exec() and
// processEvents() drive, and which needs a QCoreApplication to exist. A
// QtLoop lives on the thread that constructs it (usually the main thread)
// and runs txaio's work from that thread's event processing, whoever drives
// it: the run*() members (QEventLoop::processEvents, WaitForMoreEvents when
// blocking) or the application's own app.exec().
//
// Wake-ups are events posted (QCoreApplication::postEvent, safe from any
// thread) to a QObject the loop owns, which is how Qt wakes a thread's event
// loop; timers share one single-shot QTimer (PreciseTimer, so Qt never fires
// it before the millisecond it was given). No moc: a QObject subclass that
// overrides event(), and a lambda connected to QTimer::timeout.
//
//   QCoreApplication app(argc, argv);   // the application's
//   auto loop = std::make_shared<txaio::QtLoop>(app);
//   txaio::use_loop(loop);              // or txaio::with_config(*loop)
//   return app.exec();                  // txaio's work runs in there
//
// Loops on one thread share its event processing, so a QtLoop's wake-up
// or timer may be dispatched while another QtLoop of the thread is running.
// An owning QtLoop's work runs only in its own run*() calls or in event
// processing no QtLoop is driving (app.exec()); seen during another
// QtLoop's run, it is set aside for its own next iteration, as two
// io_contexts or two GMainContexts would keep their work apart. A wrapping
// QtLoop belongs to the application's event processing and runs whenever
// the thread processes events.
//
// Registered as "qt": make_loop("qt") (the demo, the C ABI) builds the
// owning form, which creates a QCoreApplication when the program has none.
//
// This header declares the Qt types it names and includes no Qt header, so
// code that uses a QtLoop without Qt of its own needs neither Qt's include
// directories nor Qt's -fPIC rule (see //third_party/qt).
#ifndef TXAIO_BACKENDS_QT_QT_LOOP_H_
#define TXAIO_BACKENDS_QT_QT_LOOP_H_

#include <atomic>
#include <memory>
#include <string_view>
#include <thread>

#include "absl/time/time.h"
#include "core/steady_clock_loop.h"

class QCoreApplication;
class QEventLoop;
class QObject;
class QSocketNotifier;
class QTimer;

namespace txaio {

class QtLoop : public SteadyClockLoop {
 public:
  // Runs on the calling thread's event loop. If the program has no
  // QCoreApplication yet, creates one (argv {"txaio"}) shared by every
  // owning QtLoop and deleted with the last of them, and puts the process
  // locale back as it was (Qt would set it from the environment). Create it
  // on the main thread, as Qt wants for its application object; an
  // application that makes its own QCoreApplication must do so before, or
  // after every owning QtLoop is gone (Qt allows one at a time).
  QtLoop();
  // Runs on the calling thread's event loop under the application's `app`,
  // which must be QCoreApplication::instance() (std::invalid_argument
  // otherwise) and outlive this loop. The application may drive the loop
  // itself (app.exec(), QEventLoop::exec(), processEvents()); txaio's work
  // runs there too. Destroying this loop deletes its QObject and QTimer,
  // which drops their posted wake-ups and timer: nothing of txaio's runs after.
  explicit QtLoop(QCoreApplication& app);
  ~QtLoop() override;

  std::string_view framework() const override { return "qt"; }

  // The application object whose event processing runs this loop.
  QCoreApplication& application() { return *app_; }

 protected:
  // On the loop thread, posts one wake-up event; from another thread,
  // signals an eventfd that a QSocketNotifier on the loop thread watches (at
  // most one wake-up pending either way).
  void wake_up() override;
  // Starts the QTimer for the whole milliseconds until `deadline`.
  void wake_at(absl::Duration deadline) override;
  // Stops the QTimer, so an idle thread is not woken for nothing.
  void cancel_wake_at() override;
  // QEventLoop::processEvents, with WaitForMoreEvents if `block`.
  bool iterate(bool block) override;

 private:
  // Finishes either constructor on the loop thread.
  void init();
  // What the wake-up event and the QTimer run: on_wake_up() or
  // on_wake_at_timer(), unless another QtLoop is running (see above).
  void on_wake(bool timer);

  // Set when the owning form created the QCoreApplication (shared, see
  // QtLoop()); declared first so it is released after the QObjects below.
  std::shared_ptr<QCoreApplication> owned_app_;
  QCoreApplication* app_;
  // Receives the posted wake-ups (a Waker); lives on the loop thread.
  class Waker;
  std::unique_ptr<QObject> context_;
  // The one timer for wake_at().
  std::unique_ptr<QTimer> timer_;
  // Other threads' wake-ups: an eventfd, and its notifier on the loop thread.
  // (A QEvent posted from another thread is handed over under Qt's futex
  // QMutex, which ThreadSanitizer cannot see; the eventfd's write and read
  // order the hand-over for it, and need no allocation on the way.)
  int wake_fd_ = -1;
  std::unique_ptr<QSocketNotifier> notifier_;
  std::thread::id loop_thread_;
  // Processes the thread's events for iterate(); constructing it also makes
  // sure the thread has an event dispatcher.
  std::unique_ptr<QEventLoop> events_;
  // Whether a posted wake-up is pending, so wake-ups from many threads
  // (call_soon_threadsafe, stop) post one event, not one each.
  std::atomic<bool> wake_pending_{false};
  // True for the owning form: its work waits while another QtLoop runs.
  const bool owning_;
  // Work set aside while another QtLoop ran; loop thread only.
  bool deferred_wake_ = false;
  bool deferred_timer_ = false;
};

}  // namespace txaio

#endif  // TXAIO_BACKENDS_QT_QT_LOOP_H_
