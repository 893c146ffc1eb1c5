#include "backends/qt/qt_loop.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qcoreevent.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qobject.h>
#include <QtCore/qsocketnotifier.h>
#include <QtCore/qtimer.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <clocale>
#include <cstdint>
#include <cstring>
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

// The event type of wake-ups, registered with Qt on first use.
QEvent::Type WakeEventType() {
  static const QEvent::Type type =
      static_cast<QEvent::Type>(QEvent::registerEventType());
  return type;
}

}  // namespace

// The QObject wake-up events are posted to: a plain subclass overriding
// event(), which needs no moc. (A queued QMetaObject::invokeMethod with a
// functor would do the same, but costs a second allocation per wake-up,
// and its slot object is released by whichever thread drops the last
// reference through Qt's uninstrumented atomics, which ThreadSanitizer
// reports as a race. An event is created by the poster and deleted by the
// loop thread after delivery, ordered by Qt's own wake-up write and read,
// which TSan sees.)
class QtLoop::Waker : public QObject {
 public:
  explicit Waker(QtLoop& loop) : loop_(loop) {}

  bool event(QEvent* event) override {
    if (event->type() != WakeEventType()) return QObject::event(event);
    // Cleared before running, so a wake-up made while the work runs posts
    // the next event.
    loop_.wake_pending_.store(false, std::memory_order_release);
    loop_.on_wake(/*timer=*/false);
    return true;
  }

 private:
  QtLoop& loop_;
};

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
  context_ = std::make_unique<Waker>(*this);
  timer_ = std::make_unique<QTimer>();
  timer_->setSingleShot(true);
  // A CoarseTimer may fire up to 5% early and is rounded; LoopBase already
  // coalesces wake-ups to milliseconds, so ask for the millisecond.
  timer_->setTimerType(Qt::PreciseTimer);
  QObject::connect(timer_.get(), &QTimer::timeout, context_.get(),
                   [this] { on_wake(/*timer=*/true); });
  events_ = std::make_unique<QEventLoop>();
  loop_thread_ = std::this_thread::get_id();
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    throw std::runtime_error(std::string("QtLoop: eventfd: ") +
                             std::strerror(errno));
  }
  notifier_ =
      std::make_unique<QSocketNotifier>(wake_fd_, QSocketNotifier::Read);
  QObject::connect(notifier_.get(), &QSocketNotifier::activated, context_.get(),
                   [this] {
                     uint64_t count;
                     // Nonblocking: drains the counter, or finds it drained.
                     (void)!read(wake_fd_, &count, sizeof count);
                     wake_pending_.store(false, std::memory_order_release);
                     on_wake(/*timer=*/false);
                   });
}

QtLoop::~QtLoop() {
  // While the loop still works (core/loop.h).
  destroy_suspended_coroutines();
  // Deleting the QObject removes its posted wake-ups from Qt's queue and
  // deleting the QTimer unregisters it: nothing holds `this` afterwards.
  timer_.reset();
  notifier_.reset();
  context_.reset();
  events_.reset();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void QtLoop::wake_up() {
  if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return;
  if (std::this_thread::get_id() == loop_thread_) {
    // Qt takes the event over, and deletes it unsent if context_ goes first.
    QCoreApplication::postEvent(context_.get(), new QEvent(WakeEventType()));
    return;
  }
  const uint64_t one = 1;
  // Cannot fail short of a counter overflow, which one pending wake-up at a
  // time rules out.
  (void)!write(wake_fd_, &one, sizeof one);
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
    on_wake_up();
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
      on_wake_up();
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
