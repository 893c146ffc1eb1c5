// PyLoop (see py_loop.h) and the runner the framework calls it through.
// Also binds the example HeartbeatTracker, whose futures come back to Python
// as native futures (asyncio Future / Twisted Deferred).
#include <pybind11/pybind11.h>

#include <cmath>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "bindings/python/example/heartbeat.h"
#include "bindings/python/native/py_loop.h"
#include "core/failure.h"
#include "core/future.h"

namespace py = pybind11;

namespace txaio_py {

void RequireGil(const char* where) {
  if (!PyGILState_Check()) {
    Py_FatalError(where);
  }
}

PythonError PythonError::Fetch() { return PythonError(FetchError()); }

PythonError::PythonError(const PythonError& other)
    : std::exception(other), value_(Py_NewRef(other.value_)) {}

PythonError::~PythonError() { Py_DECREF(value_); }

void SetErrorFromCurrentException() {
  try {
    throw;
  } catch (const PythonError& error) {
    error.Restore();
  } catch (const std::invalid_argument& error) {
    PyErr_SetString(PyExc_ValueError, error.what());
  } catch (const std::bad_alloc&) {
    PyErr_NoMemory();
  } catch (const std::exception& error) {
    PyErr_SetString(PyExc_RuntimeError, error.what());
  } catch (...) {
    PyErr_SetString(PyExc_RuntimeError, "txaio: unknown C++ exception");
  }
}

void PythonError::Restore() const {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(value_)), value_);
}

void CallRecord::Clear() {
  Py_ssize_t n = total();
  for (Py_ssize_t i = 0; i < n; ++i) Py_CLEAR(items[1 + i]);
  nargs = 0;
  Py_CLEAR(kwnames);
  Py_CLEAR(func);
}

CallRecordList::~CallRecordList() {
  for (CallRecord* r = head_.next; r != &head_;) {
    CallRecord* next = r->next;
    r->prev = r->next = r;
    r = next;
  }
}

void CallRecordList::Link(CallRecord* record) {
  record->prev = head_.prev;
  record->next = &head_;
  head_.prev->next = record;
  head_.prev = record;
}

void CallRecordList::Unlink(CallRecord* record) {
  record->prev->next = record->next;
  record->next->prev = record->prev;
  record->prev = record->next = record;
}

int CallRecordList::Traverse(visitproc visit, void* arg) {
  for (CallRecord* r = head_.next; r != &head_; r = r->next) {
    Py_VISIT(r->func);
    Py_VISIT(r->kwnames);
    Py_ssize_t n = r->total();
    for (Py_ssize_t i = 0; i < n; ++i) Py_VISIT(r->items[1 + i]);
  }
  return 0;
}

void CallRecordList::ClearAll() {
  // Clearing may run arbitrary code (a __del__ scheduling more calls):
  // each record is cleared once, new ones are appended behind.
  for (CallRecord* r = head_.next; r != &head_; r = r->next) r->Clear();
}

CallRecord* PyLoop::NewCallRecord(PyObject* func, PyObject* const* args,
                                  Py_ssize_t nargs, PyObject* kwnames) {
  Py_ssize_t total = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
  auto* record = static_cast<CallRecord*>(
      PyMem_Malloc(sizeof(CallRecord) + sizeof(PyObject*) * total));
  if (record == nullptr) {
    PyErr_NoMemory();
    return nullptr;
  }
  record->func = Py_NewRef(func);
  record->nargs = nargs;
  record->kwnames = Py_XNewRef(kwnames);
  record->items[0] = nullptr;
  for (Py_ssize_t i = 0; i < total; ++i)
    record->items[1 + i] = Py_NewRef(args[i]);
  Link(record);
  return record;
}

void PyLoop::FreeCallRecord(CallRecord* record) {
  Unlink(record);
  record->Clear();
  PyMem_Free(record);
}

// The callable PyLoop hands to the framework (calling it runs the loop's
// core work), and the loop's one Python object: it owns the PyLoop and
// visits and clears what the PyLoop holds (see py_loop.h).
struct Runner {
  PyObject_HEAD std::shared_ptr<PyLoop> loop;

  // What the loop holds (see GcSlots): visited and cleared through this
  // runner, the loop's one Python object.
  int VisitMore(visitproc visit, void* arg);
  void ClearMore();
  ~Runner();
};

struct RunnerAccess {
  static int Traverse(PyObject* op, visitproc visit, void* arg) {
    PyLoop& loop = *reinterpret_cast<Runner*>(op)->loop;
    Py_VISIT(loop.loop_);
    for (PyObject* error : loop.deferred_errors_) Py_VISIT(error);
    return loop.Traverse(visit, arg);
  }
  // The loop itself stays (the core may still run on it): a cycle through
  // it is broken by clearing the loop object's own references.
  static int Clear(PyObject* op) {
    PyLoop& loop = *reinterpret_cast<Runner*>(op)->loop;
    std::deque<PyObject*> errors = std::move(loop.deferred_errors_);
    loop.deferred_errors_.clear();
    for (PyObject* error : errors) Py_DECREF(error);
    loop.ClearAll();
    return 0;
  }
  static void Forget(PyLoop& loop) { loop.runner_ = nullptr; }
};

int Runner::VisitMore(visitproc visit, void* arg) {
  return RunnerAccess::Traverse(reinterpret_cast<PyObject*>(this), visit, arg);
}

void Runner::ClearMore() {
  RunnerAccess::Clear(reinterpret_cast<PyObject*>(this));
}

// The loop outlives its runner when something else holds it (a Python
// PyLoop, a HeartbeatTracker): it makes a new runner when next needed.
Runner::~Runner() { RunnerAccess::Forget(*loop); }

namespace {

extern PyTypeObject RunnerType;

using RunnerGc = GcSlots<Runner>;

// runner() for a wake-up; runner(deadline_ns) from the call wake_at()
// armed for that deadline (an int of nanoseconds on the loop's clock).
PyObject* RunnerCall(PyObject* op, PyObject* args, PyObject* kwargs) {
  std::optional<absl::Duration> fired_deadline;
  const Py_ssize_t nargs = PyTuple_GET_SIZE(args);
  if (nargs > 1 || (kwargs != nullptr && PyDict_GET_SIZE(kwargs) != 0)) {
    PyErr_SetString(PyExc_TypeError,
                    "PyLoopRunner takes at most one argument (a deadline)");
    return nullptr;
  }
  if (nargs == 1) {
    const long long ns = PyLong_AsLongLong(PyTuple_GET_ITEM(args, 0));
    if (ns == -1 && PyErr_Occurred()) return nullptr;
    fired_deadline = absl::Nanoseconds(ns);
  }
  // Keeps the loop alive through the round even if the framework drops
  // this runner meanwhile.
  auto* runner = reinterpret_cast<Runner*>(op);
  std::shared_ptr<PyLoop> loop = runner->loop;
  if (!loop->run(fired_deadline)) return nullptr;
  Py_RETURN_NONE;
}

thread_local PyLoop* running_loop = nullptr;

PyTypeObject RunnerType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "txaio._txaio_core.PyLoopRunner",
    .tp_basicsize = sizeof(Runner),
    .tp_dealloc = RunnerGc::Dealloc,
    .tp_call = RunnerCall,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Runs a PyLoop's ready core work.",
    .tp_traverse = RunnerGc::Traverse,
    .tp_clear = RunnerGc::Clear,
};

}  // namespace

PyObject* PyLoop::runner() {
  if (runner_ != nullptr) return Py_NewRef(runner_);
  auto* runner = PyObject_GC_New(Runner, &RunnerType);
  if (runner == nullptr) return nullptr;
  new (&runner->loop) std::shared_ptr<PyLoop>(shared_from_this());
  runner_ = reinterpret_cast<PyObject*>(runner);
  PyObject_GC_Track(runner_);
  return runner_;
}

bool InitLoopTypes() { return PyType_Ready(&RunnerType) == 0; }

PyLoop::PyLoop(PyObject* loop, bool twisted)
    : loop_(Py_NewRef(loop)),
      twisted_(twisted),
      threadsafe_(PyObject_HasAttrString(
          loop, twisted ? "callFromThread" : "call_soon_threadsafe")) {}

PyLoop::~PyLoop() {
  // The last reference goes from Python code or a runner's deallocation;
  // LoopBase's destructor then releases the Python objects its tasks hold.
  RequireGil("txaio PyLoop destroyed without the GIL");
  for (auto& [deadline, call] : armed_) Py_XDECREF(call.weak);
  for (PyObject* error : deferred_errors_) Py_DECREF(error);
  Py_DECREF(loop_);
}

double PyLoop::seconds() const {
  RequireGil("txaio PyLoop::now() called without the GIL");
  PyObject* seconds = CallMethod0(loop_, twisted_ ? S.seconds : S.time);
  if (seconds == nullptr) throw PythonError::Fetch();
  double value = PyFloat_AsDouble(seconds);
  // Named here: past this point NaN or infinity would only surface as an
  // unrelated "delay too large" or a timer that never fires.
  if (!(value == -1.0 && PyErr_Occurred()) && !std::isfinite(value)) {
    PyErr_Format(PyExc_ValueError, "the loop's clock (%s()) returned %R",
                 twisted_ ? "seconds" : "time", seconds);
  }
  Py_DECREF(seconds);
  if (PyErr_Occurred()) throw PythonError::Fetch();
  return value;
}

absl::Duration PyLoop::now() const { return absl::Seconds(seconds()); }

PyLoop* PyLoop::running() { return running_loop; }

void PyLoop::defer_raise(PyObject* error, bool first) {
  if (first) {
    deferred_errors_.push_front(error);
  } else {
    deferred_errors_.push_back(error);
  }
}

bool PyLoop::run(std::optional<absl::Duration> fired_deadline) {
  RequireGil("txaio PyLoop runner called without the GIL");
  PyLoop* outer = std::exchange(running_loop, this);
  try {
    if (fired_deadline) {
      fired_deadline_ = std::max(fired_deadline_, *fired_deadline);
      if (auto armed = armed_.find(*fired_deadline); armed != armed_.end()) {
        Py_XDECREF(armed->second.weak);
        armed_.erase(armed);
      }
      on_wake_at_timer();
    } else {
      run_once();
    }
  } catch (...) {
    // The loop's clock or timer failed mid-round: the framework sees it.
    running_loop = outer;
    SetErrorFromCurrentException();
    return false;
  }
  running_loop = outer;
  if (deferred_errors_.empty()) return true;
  PyObject* error = deferred_errors_.front();
  deferred_errors_.pop_front();
  // One error per framework call, as a framework callback raises one: the
  // rest go out on the next calls.
  if (!deferred_errors_.empty()) {
    try {
      wake_up();
    } catch (...) {
      // The loop cannot be woken (closed): the rest go out with the next
      // round that runs, if any; this error is raised now regardless.
    }
  }
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error)), error);
  Py_DECREF(error);
  return false;
}

void PyLoop::wake_up() {
  // May come from any thread (call_soon_threadsafe): takes the GIL, and
  // reports failure without Python objects, which the caller's thread could
  // not release.
  PyGILState_STATE gil = PyGILState_Ensure();
  PyObject* runner = this->runner();
  PyObject* r = nullptr;
  if (runner != nullptr) {
    if (threadsafe_) {
      r = CallMethod1(
          loop_, twisted_ ? S.callFromThread : S.call_soon_threadsafe, runner);
    } else {
      // A test clock (twisted.internet.task.Clock): single-threaded, so the
      // next turn is enough.
      PyObject* zero = PyFloat_FromDouble(0.0);
      if (zero != nullptr) {
        PyObject* args[3] = {loop_, zero, runner};
        r = PyObject_VectorcallMethod(
            S.callLater, args, 3 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
        Py_DECREF(zero);
      }
    }
    Py_DECREF(runner);
  }
  if (r == nullptr) {
    PyObject* value = FetchError();
    PyObject* text = PyObject_Str(value);
    const char* utf8 = text ? PyUnicode_AsUTF8(text) : nullptr;
    std::string message = std::string("txaio PyLoop: cannot wake the loop: ") +
                          (utf8 ? utf8 : "unknown error");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_DECREF(value);
    PyGILState_Release(gil);
    throw std::runtime_error(message);
  }
  Py_DECREF(r);
  PyGILState_Release(gil);
}

void PyLoop::CancelArmedCall(PyObject* weak) {
  if (weak == nullptr) return;
  PyObject* call = Py_XNewRef(PyWeakref_GetObject(weak));
  Py_DECREF(weak);
  if (call == nullptr || call == Py_None) {
    Py_XDECREF(call);
    return;
  }
  // Twisted's DelayedCall.cancel() raises once it ran; asyncio's is always
  // safe.
  int active = 1;
  if (twisted_) {
    PyObject* a = CallMethod0(call, S.active);
    active = a == nullptr ? -1 : PyObject_IsTrue(a);
    Py_XDECREF(a);
  }
  PyObject* r = active == 1   ? CallMethod0(call, S.cancel)
                : active == 0 ? Py_NewRef(Py_None)
                              : nullptr;
  Py_DECREF(call);
  if (r == nullptr) throw PythonError::Fetch();
  Py_DECREF(r);
}

void PyLoop::drop_armed_calls_before(absl::Duration deadline) {
  // Keeps the runner, and so this loop, alive while it cancels: cancelling
  // the framework call that held the last reference would otherwise destroy
  // the loop in the middle of one of its own functions.
  PyRef keep(Py_XNewRef(runner_));
  while (!armed_.empty() && armed_.begin()->first < deadline) {
    // Forgotten first: a cancel that raises leaves nothing half done.
    PyObject* weak = armed_.begin()->second.weak;
    armed_.erase(armed_.begin());
    CancelArmedCall(weak);
  }
}

void PyLoop::cancel_wake_at() {
  RequireGil("txaio PyLoop::cancel_wake_at() called without the GIL");
  try {
    drop_armed_calls_before();
  } catch (const PythonError& error) {
    // The core's cancel must not fail: at worst one wake-up finds nothing.
    error.Restore();
    PyErr_WriteUnraisable(loop_);
  }
}

void PyLoop::wake_at(absl::Duration deadline) {
  RequireGil("txaio PyLoop::wake_at() called without the GIL");
  drop_armed_calls_before(deadline);
  arm(deadline);
}

void PyLoop::timer_scheduled(absl::Duration deadline) {
  RequireGil("txaio PyLoop::timer_scheduled() called without the GIL");
  const absl::Duration wake_up = wake_up_for(deadline);
  arm(wake_up);
  ++armed_[wake_up].timers;
}

void PyLoop::timer_cancelled(absl::Duration deadline) {
  RequireGil("txaio PyLoop::timer_cancelled() called without the GIL");
  PyRef keep(Py_XNewRef(runner_));  // as in drop_armed_calls_before()
  auto armed = armed_.find(wake_up_for(deadline));
  if (armed == armed_.end() || armed->second.timers == 0 ||
      --armed->second.timers != 0) {
    return;
  }
  PyObject* weak = armed->second.weak;
  armed_.erase(armed);
  try {
    CancelArmedCall(weak);
  } catch (const PythonError& error) {
    // A cancel must not fail: at worst that call runs a round for nothing.
    error.Restore();
    PyErr_WriteUnraisable(loop_);
  }
}

void PyLoop::arm(absl::Duration deadline) {
  // One pending from when this deadline was first armed keeps its place.
  // (It is pending: an entry goes when its call runs or we cancel it. A
  // call someone else cancels is lost, as an upstream bucket's would be.)
  if (armed_.count(deadline) != 0) return;
  // The framework adds the delay to its clock in floating point (a Clock:
  // rightNow + delay; asyncio and the reactor read their clock again, later,
  // so they only come out later). The delay is chosen so that this sum is
  // the first double at or past the deadline: at time.time()'s magnitude a
  // double steps by 238 ns, and a call due a hair before the deadline would
  // find the timer not yet due and, re-armed, come due at the same instant
  // again on a clock that does not move by itself.
  //
  // A deadline already past keeps its place too: the framework files the
  // call at that deadline (a negative delay), among its other calls due in
  // the same jump of the clock, except on a real Twisted reactor, whose
  // callLater refuses negative delays.
  absl::Duration current = now();
  double seconds = absl::ToDoubleSeconds(current);
  double target = absl::ToDoubleSeconds(deadline);
  if (absl::Seconds(target) < deadline) {
    target = std::nextafter(target, std::numeric_limits<double>::infinity());
  }
  double delay = target - seconds;
  for (int i = 0; i < 4 && seconds + delay < target; ++i) {
    delay = std::nextafter(delay, std::numeric_limits<double>::infinity());
  }
  if (twisted_ && threadsafe_ && delay < 0) delay = 0;
  PyObject* py_delay = PyFloat_FromDouble(delay);
  PyObject* py_deadline =
      py_delay ? PyLong_FromLongLong(absl::ToInt64Nanoseconds(deadline))
               : nullptr;
  PyObject* runner = py_deadline ? this->runner() : nullptr;
  PyObject* handle = nullptr;
  if (runner != nullptr) {
    PyObject* args[4] = {loop_, py_delay, runner, py_deadline};
    handle =
        PyObject_VectorcallMethod(twisted_ ? S.callLater : S.call_later, args,
                                  4 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
  }
  Py_XDECREF(py_delay);
  Py_XDECREF(py_deadline);
  Py_XDECREF(runner);
  if (handle == nullptr) throw PythonError::Fetch();
  // Weak: the handle owns the runner, which owns this loop. A callLater
  // returning something that cannot be weakly referenced (None from a test
  // clock's override, as in upstream's own suite) is not kept: that call
  // cannot be cancelled, and at worst runs a round with nothing to do.
  PyObject* weak = nullptr;
  if (PyType_SUPPORTS_WEAKREFS(Py_TYPE(handle))) {
    weak = PyWeakref_NewRef(handle, nullptr);
    if (weak == nullptr) {
      Py_DECREF(handle);
      throw PythonError::Fetch();
    }
  }
  Py_DECREF(handle);
  armed_.emplace(deadline, ArmedCall{weak});
}

namespace {
// A native future (asyncio Future / Deferred) completed from a core future.
py::object NativeFuture(PyLoop& loop, txaio::Future<void> future) {
  py::object native;
  if (loop.twisted()) {
    native = py::module_::import("twisted.internet.defer").attr("Deferred")();
  } else {
    native = py::handle(loop.py_loop()).attr("create_future")();
  }
  bool twisted = loop.twisted();
  future.add_callbacks(
      [native, twisted] {
        py::gil_scoped_acquire gil;
        if (twisted) {
          if (!native.attr("called").cast<bool>()) {
            native.attr("callback")(py::none());
          }
        } else if (!native.attr("done")().cast<bool>()) {
          native.attr("set_result")(py::none());
        }
      },
      [native, twisted](const txaio::Failure& failure) {
        py::gil_scoped_acquire gil;
        py::object error =
            py::module_::import("builtins")
                .attr(failure.type_name().find("CancelledError") !=
                              std::string::npos
                          ? "RuntimeError"
                          : "TimeoutError")(txaio::failure_message(failure));
        if (twisted) {
          if (!native.attr("called").cast<bool>()) {
            native.attr("errback")(py::module_::import("twisted.python.failure")
                                       .attr("Failure")(error));
          }
        } else if (!native.attr("done")().cast<bool>()) {
          native.attr("set_exception")(error);
        }
      });
  return native;
}

// The Python face of HeartbeatTracker: its loop is a PyLoop.
class PyHeartbeatTracker {
 public:
  explicit PyHeartbeatTracker(std::shared_ptr<PyLoop> loop)
      : loop_(std::move(loop)), tracker_(*loop_) {}

  py::object watch(const std::string& peer, double timeout) {
    return NativeFuture(*loop_, tracker_.watch(peer, timeout));
  }
  bool beat(const std::string& peer) { return tracker_.beat(peer); }
  bool stop(const std::string& peer) { return tracker_.stop(peer); }
  size_t watching() const { return tracker_.watching(); }

 private:
  std::shared_ptr<PyLoop> loop_;  // outlives tracker_
  txaio::HeartbeatTracker tracker_;
};

}  // namespace

void AddLoopBindings(py::module_& m) {
  py::class_<PyLoop, std::shared_ptr<PyLoop>>(
      m, "PyLoop",
      "PyLoop(loop, twisted): txaio-cpp's core Loop on an asyncio loop or "
      "the Twisted reactor.")
      .def(py::init([](py::object loop, bool twisted) {
             return std::make_shared<PyLoop>(loop.ptr(), twisted);
           }),
           py::arg("loop"), py::arg("twisted"))
      .def_property_readonly(
          "framework",
          [](const PyLoop& l) { return std::string(l.framework()); })
      .def(
          "now", [](const PyLoop& l) { return absl::ToDoubleSeconds(l.now()); },
          "The loop's clock, in seconds, as the core sees it.")
      .def_property_readonly("pending_timers", &PyLoop::pending_timers);

  py::class_<PyHeartbeatTracker>(
      m, "HeartbeatTracker",
      "HeartbeatTracker(loop): the C++ example library; watch() returns a "
      "native future that fails with TimeoutError when a peer misses a "
      "heartbeat and resolves on stop().")
      .def(py::init<std::shared_ptr<PyLoop>>(), py::arg("loop"))
      .def("watch", &PyHeartbeatTracker::watch, py::arg("peer"),
           py::arg("timeout"))
      .def("beat", &PyHeartbeatTracker::beat, py::arg("peer"))
      .def("stop", &PyHeartbeatTracker::stop, py::arg("peer"))
      .def_property_readonly("watching", &PyHeartbeatTracker::watching);
}

}  // namespace txaio_py
