#include "backends/qt/qt_loop.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qobject.h>
#include <QtCore/qtimer.h>
#include <clocale>

#include <climits>
#include <mutex>
#include <stdexcept>
#include <string>

#include "core/loop_registry.h"

namespace txaio {
namespace {

// The QCoreApplication owning QtLoops create when the program has none,
// shared by all of them. The mutex also covers the deletion, so a loop
// constructed meanwhile never sees a half-deleted instance().
std::mutex app_mutex;
std::weak_ptr<QCoreApplication> shared_app;

std::shared_ptr<QCoreApplication> SharedApplication() {
  std::lock_guard<std::mutex> lock(app_mutex);
  if (std::shared_ptr<QCoreApplication> app = shared_app.lock()) return app;
  if (QCoreApplication::instance() != nullptr) return nullptr;  // the app's
  // QCoreApplication keeps a reference to argc and the argv array for its
  // lifetime.
  static int argc = 1;
  static char arg0[] = "txaio";
  static char* argv[] = {arg0, nullptr};
  // QCoreApplication sets the process locale from the environment; a
  // program that did not ask for Qt keeps its own (Qt 6 treats local 8-bit
  // text as UTF-8 on Unix whatever the locale, so it loses nothing).
  const std::string locale = std::setlocale(LC_ALL, nullptr);
  std::shared_ptr<QCoreApplication> app(
      new QCoreApplication(argc, argv), [](QCoreApplication* app) {
        std::lock_guard<std::mutex> lock(app_mutex);
        delete app;
      });
  std::setlocale(LC_ALL, locale.c_str());
  shared_app = app;
  return app;
}

// The QtLoop whose iterate() is processing this thread's events, if any.
thread_local QtLoop* running_loop = nullptr;

}  // namespace

QtLoop::QtLoop() : owned_app_(SharedApplication()), owning_(true) {
  app_ = owned_app_ ? owned_app_.get() : QCoreApplication::instance();
  init();
}

QtLoop::QtLoop(QCoreApplication& app) : app_(&app), owning_(false) {
  if (&app != QCoreApplication::instance()) {
    throw std::invalid_argument(
        "QtLoop: `app` is not QCoreApplication::instance()");
  }
  init();
}

void QtLoop::init() {
  context_ = std::make_unique<QObject>();
  timer_ = std::make_unique<QTimer>();
  timer_->setSingleShot(true);
  // A CoarseTimer may fire up to 5% early and is rounded; LoopBase already
  // coalesces wake-ups to milliseconds, so ask for the millisecond.
  timer_->setTimerType(Qt::PreciseTimer);
  QObject::connect(timer_.get(), &QTimer::timeout, context_.get(),
                   [this] { on_wake(/*timer=*/true); });
  events_ = std::make_unique<QEventLoop>();
}

QtLoop::~QtLoop() {
  // Deleting the QObject removes its queued wake-ups from Qt's queue and
  // deleting the QTimer unregisters it: nothing holds `this` afterwards.
  timer_.reset();
  context_.reset();
  events_.reset();
}

void QtLoop::wake_up() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  QMetaObject::invokeMethod(
      context_.get(),
      [this] {
        // Cleared before running, so a wake-up made while the work runs
        // queues the next call.
        wake_pending_.store(false, std::memory_order_release);
        on_wake(/*timer=*/false);
      },
      Qt::QueuedConnection);
}

void QtLoop::wake_at(absl::Duration deadline) {
  timer_->start(static_cast<int>(timeout_ms_until(deadline, INT_MAX)));
}

void QtLoop::cancel_wake_at() { timer_->stop(); }

void QtLoop::on_wake(bool timer) {
  if (owning_ && running_loop != nullptr && running_loop != this) {
    // Another QtLoop's run dispatched it: keep it for our own iterate().
    (timer ? deferred_timer_ : deferred_wake_) = true;
    return;
  }
  if (timer) {
    on_wake_at_timer();
  } else {
    run_once();
  }
}

bool QtLoop::iterate(bool block) {
  QtLoop* const outer = running_loop;
  running_loop = this;
  struct Restore {
    QtLoop* outer;
    ~Restore() { running_loop = outer; }
  } restore{outer};
  QEventLoop::ProcessEventsFlags flags = QEventLoop::AllEvents;
  if (deferred_wake_ || deferred_timer_) {
    // Work set aside while another QtLoop ran is ready now: run it, and do
    // not wait for more.
    const bool timer = deferred_timer_;
    deferred_wake_ = deferred_timer_ = false;
    if (timer) {
      on_wake_at_timer();
    } else {
      run_once();
    }
  } else if (block) {
    flags |= QEventLoop::WaitForMoreEvents;
  }
  events_->processEvents(flags);
  return true;
}

namespace {
const LoopRegistration kRegistration("qt",
                                     [] { return std::make_unique<QtLoop>(); });
}  // namespace

}  // namespace txaio
