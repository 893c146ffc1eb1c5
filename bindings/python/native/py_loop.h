// Internal to the txaio Python extension: PyLoop, a txaio::Loop that runs
// txaio-cpp's core on Python's event loop (an asyncio loop or the Twisted
// reactor), with no thread and no polling. wake_up() is the loop's
// call_soon_threadsafe / reactor.callFromThread, and each core timer's
// deadline gets a call_later / callLater of its own when the timer is
// made, as each upstream bucket does (see armed_).
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
// pending (its runner, which the framework holds, owns a reference), so core
// work scheduled on it (batched calls, timers) runs even if every other
// owner has let go; closing the Python loop drops those calls and with them
// the PyLoop.
//
// GC: the Python objects a PyLoop holds (the loop, the callables and
// arguments of pending batched calls, errors waiting to be raised) are
// visited by its runner, its one Python object, which every Python owner
// (the framework's pending call, a batched timer) refers to. So a cycle
// through a pending call (an object whose method is scheduled and which
// holds the timer) is collected once the loop is closed or dropped, as
// upstream's all-Python one is.
#ifndef TXAIO_BINDINGS_PYTHON_NATIVE_PY_LOOP_H_
#define TXAIO_BINDINGS_PYTHON_NATIVE_PY_LOOP_H_

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <optional>
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

// The Python references of one batched call (see batched_timer.cc): the
// callable, then a scratch slot (for PY_VECTORCALL_ARGUMENTS_OFFSET), the
// positional arguments and the keyword values. Linked into its PyLoop's
// list while alive, so that the runner can visit and clear them.
struct CallRecord {
  CallRecord* prev;
  CallRecord* next;
  PyObject* func;      // null once cleared by the GC: the call does nothing
  Py_ssize_t nargs;    // positional
  PyObject* kwnames;   // the caller's keyword names tuple, or null
  PyObject* items[1];  // scratch, then nargs + len(kwnames) references

  Py_ssize_t total() const {
    return nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
  }
  // Drops the references (the record stays linked).
  void Clear();
};

// The list of a PyLoop's live CallRecords. A base declared before LoopBase,
// so it outlives the tasks LoopBase destroys; records still alive after it
// (their timer state outlived the loop, held by handles) are unlinked so
// that freeing them later touches only themselves.
class CallRecordList {
 public:
  CallRecordList() { head_.prev = head_.next = &head_; }
  CallRecordList(const CallRecordList&) = delete;
  CallRecordList& operator=(const CallRecordList&) = delete;
  ~CallRecordList();

  void Link(CallRecord* record);
  static void Unlink(CallRecord* record);
  // Visits / clears every record's references.
  int Traverse(visitproc visit, void* arg);
  void ClearAll();

 private:
  CallRecord head_{};
};

// Sets the C++ exception being handled as the Python error: a PythonError
// as itself, std::invalid_argument as ValueError, std::bad_alloc as
// MemoryError, anything else as RuntimeError. The one C++-to-Python
// translation of the extension: the CPython-API parts call it in their catch
// blocks, and module.cc registers it as pybind11's translator for the
// pybind11-bound parts. Call only inside a catch block.
void SetErrorFromCurrentException();

class PyLoop : private CallRecordList,
               public txaio::LoopBase,
               public std::enable_shared_from_this<PyLoop> {
 public:
  // `loop` is an asyncio event loop, or (twisted) a reactor or a
  // twisted.internet.task.Clock. Requires the GIL.
  PyLoop(PyObject* loop, bool twisted);
  ~PyLoop() override;

  std::string_view framework() const override {
    return twisted_ ? "twisted" : "asyncio";
  }

  // loop.time() / reactor.seconds(). A Python error raised there, or a
  // clock that is not a finite number (ValueError), is thrown as
  // PythonError.
  absl::Duration now() const override;
  // The same, in seconds as the loop gave them.
  double seconds() const;

  // The Python loop (borrowed).
  PyObject* py_loop() const { return loop_; }

  // The runner (this loop's Python object, see above), made if there is
  // none; a new reference, or null with a Python error set. The PyLoop must
  // be owned by a shared_ptr.
  PyObject* runner();

  // A new call record for `func` and the vectorcall arguments (nargs
  // positional, then the kwnames values), linked into this loop's list;
  // null with a Python error set.
  CallRecord* NewCallRecord(PyObject* func, PyObject* const* args,
                            Py_ssize_t nargs, PyObject* kwnames);
  // Unlinks the record, releases its references and frees it.
  static void FreeCallRecord(CallRecord* record);
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
  // error). `fired_deadline` is given when the framework call wake_at()
  // armed for that deadline is the caller: timers due by it may then run
  // (see timers_due_by()).
  bool run(std::optional<absl::Duration> fired_deadline = std::nullopt);

 protected:
  void wake_up() override;
  // Arms a framework call for `deadline` (see arm()) after cancelling those
  // for earlier deadlines, which no core timer needs any more.
  void wake_at(absl::Duration deadline) override;
  // Arms a framework call for a new timer's wake-up now, as upstream files
  // each bucket's callLater when it makes the bucket: a task.Clock runs
  // calls due at one instant in the order they were filed.
  void timer_scheduled(absl::Duration deadline) override;
  // Cancels the framework call for the timer's wake-up with the last timer
  // it was filed for, as upstream cancels a bucket's callLater with its
  // last call.
  void timer_cancelled(absl::Duration deadline) override;
  // Cancels the framework calls wake_at() armed, so that no delayed call of
  // ours stays on the reactor once every core timer is cancelled (trial
  // fails a test that leaves one; txaio cancels a bucket's call with its
  // last batched call).
  void cancel_wake_at() override;
  // At most the latest deadline whose framework call has run: the framework
  // orders our wake-ups among its own timed calls, so a core timer runs only
  // once the framework has reached its place (task.Clock.advance() over
  // several deadlines runs each of ours between the callLaters around it).
  absl::Duration timers_due_by(absl::Duration now) override {
    return std::min(now, fired_deadline_);
  }

 private:
  // Cancels and forgets the calls armed for deadlines before `deadline`
  // (all of them by default): no core timer is due before it any more.
  void drop_armed_calls_before(
      absl::Duration deadline = absl::InfiniteDuration());
  // Files a framework call that runs the loop's timers due by `deadline`
  // (the runner, given the deadline) when the framework's clock reaches
  // it, unless one is pending for that deadline already.
  void arm(absl::Duration deadline);
  // Releases `weak` (may be null) and cancels its call if it has not run.
  void CancelArmedCall(PyObject* weak);

  friend struct RunnerAccess;

  PyObject* loop_;              // owned
  PyObject* runner_ = nullptr;  // not owned: it owns this loop
  bool twisted_;
  bool threadsafe_;  // whether the loop can be woken from other threads
  // The framework calls arm() filed and that have not run, by deadline
  // (weak references: each call owns the runner, which owns this loop). One
  // for a later deadline stays when an earlier one is armed: filed again
  // later, it would lose its place among the framework's calls due at the
  // same instant, which a task.Clock runs in the order they were made.
  struct ArmedCall {
    // Owned weak reference to the framework's call; null when the call
    // cannot be referenced (a test clock's callLater returning None): it
    // cannot be checked or cancelled, and runs a round at worst.
    PyObject* weak;
    // Timers timer_scheduled() counted for it and not cancelled since
    // (0 for a call wake_at() armed by itself: never dropped by count).
    int timers = 0;
  };
  std::map<absl::Duration, ArmedCall> armed_;
  // The latest deadline whose wake_at() call the framework has run.
  absl::Duration fired_deadline_ = -absl::InfiniteDuration();
  std::deque<PyObject*> deferred_errors_;  // owned exception instances
};

// Registers the runner type; false with a Python error set on failure.
bool InitLoopTypes();

}  // namespace txaio_py

#endif  // TXAIO_BINDINGS_PYTHON_NATIVE_PY_LOOP_H_
