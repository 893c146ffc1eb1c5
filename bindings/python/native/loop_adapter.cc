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

PythonError PythonError::Fetch() {
  PyObject *type, *value, *traceback;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  if (traceback != nullptr) PyException_SetTraceback(value, traceback);
  Py_XDECREF(type);
  Py_XDECREF(traceback);
  return PythonError(value);
}

PythonError::PythonError(const PythonError& other)
    : std::exception(other), value_(Py_NewRef(other.value_)) {}

PythonError::~PythonError() { Py_DECREF(value_); }

void PythonError::Restore() const {
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(value_)), value_);
}

namespace {

// The callable PyLoop hands to the framework: calling it runs the loop's
// core work. It owns a reference to the PyLoop, which keeps the loop alive
// while the framework holds the call. Not tracked by the GC: it holds no
// Python references itself.
struct Runner {
  PyObject_HEAD
  std::shared_ptr<PyLoop> loop;
  bool timer;  // armed by wake_at()
};

PyTypeObject RunnerType;

PyObject* NewRunner(std::shared_ptr<PyLoop> loop, bool timer = false) {
  auto* runner = PyObject_New(Runner, &RunnerType);
  if (runner == nullptr) return nullptr;
  new (&runner->loop) std::shared_ptr<PyLoop>(std::move(loop));
  runner->timer = timer;
  return reinterpret_cast<PyObject*>(runner);
}

void RunnerDealloc(PyObject* op) {
  reinterpret_cast<Runner*>(op)->loop.~shared_ptr<PyLoop>();
  PyObject_Free(op);
}

PyObject* RunnerCall(PyObject* op, PyObject*, PyObject*) {
  // Keeps the loop alive through the round even if the framework drops
  // this runner meanwhile.
  auto* runner = reinterpret_cast<Runner*>(op);
  std::shared_ptr<PyLoop> loop = runner->loop;
  if (!loop->run(runner->timer)) return nullptr;
  Py_RETURN_NONE;
}

thread_local PyLoop* running_loop = nullptr;

}  // namespace

bool InitLoopTypes() {
  RunnerType = {PyVarObject_HEAD_INIT(nullptr, 0)};
  RunnerType.tp_name = "txaio._txaio_core.PyLoopRunner";
  RunnerType.tp_basicsize = sizeof(Runner);
  RunnerType.tp_dealloc = RunnerDealloc;
  RunnerType.tp_call = RunnerCall;
  RunnerType.tp_flags = Py_TPFLAGS_DEFAULT;
  RunnerType.tp_doc = "Runs a PyLoop's ready core work.";
  return PyType_Ready(&RunnerType) == 0;
}

PyLoop::PyLoop(PyObject* loop, bool twisted)
    : loop_(Py_NewRef(loop)),
      twisted_(twisted),
      threadsafe_(PyObject_HasAttrString(
          loop, twisted ? "callFromThread" : "call_soon_threadsafe")) {}

PyLoop::~PyLoop() {
  // The last reference goes from Python code or a runner's deallocation;
  // LoopBase's destructor then releases the Python objects its tasks hold.
  RequireGil("txaio PyLoop destroyed without the GIL");
  Py_XDECREF(timer_);
  for (PyObject* error : deferred_errors_) Py_DECREF(error);
  Py_DECREF(loop_);
}

absl::Duration PyLoop::now() const {
  RequireGil("txaio PyLoop::now() called without the GIL");
  PyObject* seconds = CallMethod0(loop_, twisted_ ? S.seconds : S.time);
  if (seconds == nullptr) throw PythonError::Fetch();
  double value = PyFloat_AsDouble(seconds);
  Py_DECREF(seconds);
  if (value == -1.0 && PyErr_Occurred()) throw PythonError::Fetch();
  return absl::Seconds(value);
}

PyLoop* PyLoop::running() { return running_loop; }

void PyLoop::defer_raise(PyObject* error, bool first) {
  if (first) {
    deferred_errors_.push_front(error);
  } else {
    deferred_errors_.push_back(error);
  }
}

bool PyLoop::run(bool timer) {
  RequireGil("txaio PyLoop runner called without the GIL");
  PyLoop* outer = std::exchange(running_loop, this);
  try {
    if (timer) {
      on_wake_at_timer();
    } else {
      run_once();
    }
  } catch (const PythonError& error) {
    // The loop's clock or timer failed mid-round: the framework sees it.
    running_loop = outer;
    error.Restore();
    return false;
  } catch (const std::exception& error) {
    running_loop = outer;
    PyErr_SetString(PyExc_RuntimeError, error.what());
    return false;
  }
  running_loop = outer;
  if (deferred_errors_.empty()) return true;
  PyObject* error = deferred_errors_.front();
  deferred_errors_.pop_front();
  // One error per framework call, as a framework callback raises one: the
  // rest go out on the next calls.
  if (!deferred_errors_.empty()) wake_up();
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error)), error);
  Py_DECREF(error);
  return false;
}

void PyLoop::wake_up() {
  // May come from any thread (call_soon_threadsafe): takes the GIL, and
  // reports failure without Python objects, which the caller's thread could
  // not release.
  PyGILState_STATE gil = PyGILState_Ensure();
  PyObject* runner = NewRunner(shared_from_this());
  PyObject* r = nullptr;
  if (runner != nullptr) {
    if (threadsafe_) {
      r = CallMethod1(loop_,
                      twisted_ ? S.callFromThread : S.call_soon_threadsafe,
                      runner);
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
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject* text = value ? PyObject_Str(value) : nullptr;
    const char* utf8 = text ? PyUnicode_AsUTF8(text) : nullptr;
    std::string message = std::string("txaio PyLoop: cannot wake the loop: ") +
                          (utf8 ? utf8 : "unknown error");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
    PyGILState_Release(gil);
    throw std::runtime_error(message);
  }
  Py_DECREF(r);
  PyGILState_Release(gil);
}

void PyLoop::drop_armed_call() {
  if (timer_ == nullptr) return;
  PyObject* old = PyWeakref_GetObject(timer_);  // borrowed
  Py_CLEAR(timer_);
  if (old == nullptr || old == Py_None) return;
  Py_INCREF(old);
  // Twisted's DelayedCall.cancel() raises once it ran; asyncio's is always
  // safe.
  int active = 1;
  if (twisted_) {
    PyObject* a = CallMethod0(old, S.active);
    active = a == nullptr ? -1 : PyObject_IsTrue(a);
    Py_XDECREF(a);
  }
  PyObject* r = active == 1   ? CallMethod0(old, S.cancel)
                : active == 0 ? Py_NewRef(Py_None)
                              : nullptr;
  Py_DECREF(old);
  if (r == nullptr) throw PythonError::Fetch();
  Py_DECREF(r);
}

void PyLoop::cancel_wake_at() {
  RequireGil("txaio PyLoop::cancel_wake_at() called without the GIL");
  try {
    drop_armed_call();
  } catch (const PythonError& error) {
    // The core's cancel must not fail: at worst one wake-up finds nothing.
    error.Restore();
    PyErr_WriteUnraisable(loop_);
  }
}

void PyLoop::wake_at(absl::Duration deadline) {
  RequireGil("txaio PyLoop::wake_at() called without the GIL");
  drop_armed_call();
  // The framework adds the delay to its clock in floating point (a Clock:
  // rightNow + delay; asyncio and the reactor read their clock again, later,
  // so they only come out later). The delay is chosen so that this sum is
  // the first double at or past the deadline: at time.time()'s magnitude a
  // double steps by 238 ns, and a call due a hair before the deadline would
  // find the timer not yet due and, re-armed, come due at the same instant
  // again on a clock that does not move by itself.
  absl::Duration current = now();
  double seconds = absl::ToDoubleSeconds(current);
  double target = absl::ToDoubleSeconds(deadline);
  if (absl::Seconds(target) < deadline) {
    target = std::nextafter(target, std::numeric_limits<double>::infinity());
  }
  double delay = deadline > current ? target - seconds : 0.0;
  for (int i = 0; i < 4 && delay > 0 && seconds + delay < target; ++i) {
    delay = std::nextafter(delay, std::numeric_limits<double>::infinity());
  }
  PyObject* py_delay = PyFloat_FromDouble(delay > 0 ? delay : 0.0);
  PyObject* runner =
      py_delay ? NewRunner(shared_from_this(), /*timer=*/true) : nullptr;
  PyObject* handle = nullptr;
  if (runner != nullptr) {
    PyObject* args[3] = {loop_, py_delay, runner};
    handle = PyObject_VectorcallMethod(twisted_ ? S.callLater : S.call_later,
                                       args,
                                       3 | PY_VECTORCALL_ARGUMENTS_OFFSET,
                                       nullptr);
  }
  Py_XDECREF(py_delay);
  Py_XDECREF(runner);
  if (handle == nullptr) throw PythonError::Fetch();
  // Weak: the handle owns the runner, which owns this loop.
  timer_ = PyWeakref_NewRef(handle, nullptr);
  Py_DECREF(handle);
  if (timer_ == nullptr) throw PythonError::Fetch();
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
            native.attr("errback")(
                py::module_::import("twisted.python.failure")
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
      .def_property_readonly("framework", [](const PyLoop& l) {
        return std::string(l.framework());
      })
      .def("now", [](const PyLoop& l) {
        return absl::ToDoubleSeconds(l.now());
      }, "The loop's clock, in seconds, as the core sees it.")
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
