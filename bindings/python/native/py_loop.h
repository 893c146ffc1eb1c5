// Internal to the txaio Python extension: PyLoop, a txaio::Loop that runs
// txaio-cpp's core on Python's event loop (an asyncio loop or the Twisted
// reactor), with no thread and no polling. wake_up() is the loop's
// call_soon_threadsafe / reactor.callFromThread and wake_at() one
// call_later / callLater, re-armed as the earliest core timer changes.
//
// GIL rule: asyncio and Twisted call into PyLoop (the runner below) on the
// loop thread with the GIL held, and so does Python code calling the
// bindings; the core only calls now(), wake_at() and cancel_wake_at() from
// within those calls, so they run with the GIL already held and do not take
// it again.
// RequireGil() checks this on each of those paths and stops the process
// with a clear message if it is ever broken (refcounts touched without the
// GIL would be memory corruption, not an error to recover from). Only
// wake_up(), which the core's call_soon_threadsafe() may call from any
// thread, acquires the GIL itself.
//
// Lifetime: a PyLoop stays alive while a framework call it armed is
// pending (the runner the framework holds owns a reference), so core work
// scheduled on it (batched calls, timers) runs even if every other owner
// has let go; closing the Python loop drops those calls and with them the
// PyLoop.
#ifndef TXAIO_BINDINGS_PYTHON_NATIVE_PY_LOOP_H_
#define TXAIO_BINDINGS_PYTHON_NATIVE_PY_LOOP_H_

#include <deque>
#include <exception>
#include <memory>
#include <string_view>

#include "bindings/python/native/common.h"
#include "core/loop_base.h"

namespace txaio_py {

// Stops the process unless the calling thread holds the GIL. `where` names
// the caller in the message.
void RequireGil(const char* where);

// A Python exception carried through C++ code (the core catches it as a
// C++ exception and, for batched calls, hands it back in a Failure). Holds
// a strong reference to the exception instance; create, copy and destroy
// it only with the GIL held (on the loop thread).
class PythonError : public std::exception {
 public:
  // Takes the current Python error (one must be set).
  static PythonError Fetch();

  PythonError(const PythonError& other);
  PythonError& operator=(const PythonError&) = delete;
  ~PythonError() override;

  // The exception instance (borrowed).
  PyObject* value() const { return value_; }
  // Sets it as the current Python error.
  void Restore() const;
  const char* what() const noexcept override { return "Python exception"; }

 private:
  explicit PythonError(PyObject* value) : value_(value) {}
  PyObject* value_;  // owned
};

class PyLoop : public txaio::LoopBase,
               public std::enable_shared_from_this<PyLoop> {
 public:
  // `loop` is an asyncio event loop, or (twisted) a reactor or a
  // twisted.internet.task.Clock. Requires the GIL.
  PyLoop(PyObject* loop, bool twisted);
  ~PyLoop() override;

  std::string_view framework() const override {
    return twisted_ ? "twisted" : "asyncio";
  }

  // loop.time() / reactor.seconds(). A Python error raised there is thrown
  // as PythonError.
  absl::Duration now() const override;

  // The Python loop (borrowed).
  PyObject* py_loop() const { return loop_; }
  bool twisted() const { return twisted_; }

  // Has the runner that is running this loop raise `error` (an exception
  // instance; the reference is stolen) to the framework once the current
  // round of core work is done, as if a framework callback had raised it:
  // asyncio passes it to the loop's exception handler, Twisted logs it (a
  // task.Clock lets it propagate out of advance()). Errors raised before
  // those already queued when `first`. Loop thread only.
  void defer_raise(PyObject* error, bool first = false);

  // The PyLoop whose runner is running on this thread, if any.
  static PyLoop* running();

  // Called by the runner: one round of core work, then the first deferred
  // error, if any, is raised (returns false with it set as the Python
  // error). `timer`: the runner is the call wake_at() armed, so the round
  // first forgets that wake-up (LoopBase::on_wake_at_timer): the framework
  // computes the call's time in floating point (at time.time()'s magnitude
  // a double steps by 238 ns), so it may come due a hair before the core's
  // deadline, and the round must then arm it again, not leave the loop
  // asleep with a timer pending.
  bool run(bool timer = false);

 protected:
  void wake_up() override;
  void wake_at(absl::Duration deadline) override;
  // Cancels the framework call wake_at() armed, so that no delayed call of
  // ours stays on the reactor once every core timer is cancelled (trial
  // fails a test that leaves one; txaio cancels a bucket's call with its
  // last batched call).
  void cancel_wake_at() override;

 private:
  // Cancels the call wake_at() armed, if it has not run.
  void drop_armed_call();

  PyObject* loop_;      // owned
  bool twisted_;
  bool threadsafe_;     // whether the loop can be woken from other threads
  PyObject* timer_ = nullptr;  // weakref to the call armed by wake_at()
  std::deque<PyObject*> deferred_errors_;  // owned exception instances
};

// Registers the runner type; false with a Python error set on failure.
bool InitLoopTypes();

}  // namespace txaio_py

#endif  // TXAIO_BINDINGS_PYTHON_NATIVE_PY_LOOP_H_
