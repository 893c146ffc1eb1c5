// make_batched_timer(): txaio's IBatchedTimer on the core's
// txaio::BatchedTimer (core/batched_timer.h), which runs on a PyLoop over
// the asyncio loop or the Twisted reactor. The core does the bucketing,
// O(1) cancel, chunk spreading and error aggregation; this file only turns
// Python calls into core tasks and reports a bucket's errors the way
// upstream txaio does.
//
// Per call_later the GC tracks nothing new: the handle is a small untracked
// object holding a txaio::BatchedCall, and the task in the core holds the
// callable and its arguments in one CallRecord (no tuple, no dict),
// released when the call runs or is cancelled. While pending, those
// references are visited by the loop's runner (py_loop.h), which the
// framework's pending call and this timer refer to, so the GC sees them as
// it sees upstream's pending calls.
#include "core/batched_timer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bindings/python/native/common.h"
#include "bindings/python/native/py_loop.h"
#include "core/failure.h"

namespace txaio_py {
namespace {

// The task stored in the core: func(*args, **kwargs) from a CallRecord (see
// py_loop.h), one pointer, so it fits absl::AnyInvocable's inline storage
// and moves for free. Runs, and is destroyed, on the loop thread with the
// GIL held (inside PyLoop's runner, or a Python call to cancel or to the
// handle's deallocation).
class PyCall {
 public:
  explicit PyCall(CallRecord* record) noexcept : record_(record) {}
  PyCall(PyCall&& other) noexcept
      : record_(std::exchange(other.record_, nullptr)) {}
  PyCall& operator=(PyCall&&) = delete;
  ~PyCall() {
    if (record_ != nullptr) PyLoop::FreeCallRecord(record_);
  }

  // An Exception is thrown as PythonError for the core to collect; any
  // other BaseException (KeyboardInterrupt, SystemExit) is raised to the
  // framework as soon as this round of loop work ends, as upstream lets it
  // escape the bucket at once. A record the GC cleared does nothing.
  void operator()() && {
    if (record_->func == nullptr) return;
    PyObject* r = PyObject_Vectorcall(
        record_->func, record_->items + 1,
        record_->nargs | PY_VECTORCALL_ARGUMENTS_OFFSET, record_->kwnames);
    if (r != nullptr) {
      Py_DECREF(r);
      return;
    }
    PyLoop* loop = PyLoop::running();
    if (loop != nullptr && !PyErr_ExceptionMatches(PyExc_Exception)) {
      PythonError error = PythonError::Fetch();
      loop->defer_raise(Py_NewRef(error.value()), /*first=*/true);
      return;
    }
    throw PythonError::Fetch();
  }

 private:
  CallRecord* record_;
};

// What upstream raises after a bucket whose calls failed:
// RuntimeError("Error(s) processing call_later bucket:\n" + "<e>\n" * n),
// raised from the framework callback that ran the bucket.
void ReportBucketErrors(PyLoop* loop, std::vector<txaio::Failure> failures) {
  PyObject* message =
      PyUnicode_FromString("Error(s) processing call_later bucket:\n");
  for (const txaio::Failure& failure : failures) {
    if (message == nullptr) break;
    PyObject* text = nullptr;
    try {
      std::rethrow_exception(failure.value());
    } catch (const PythonError& error) {
      text = PyObject_Str(error.value());
    } catch (...) {
      text = PyUnicode_FromString(txaio::failure_message(failure).c_str());
    }
    PyObject* line = text ? PyUnicode_FromFormat("%U\n", text) : nullptr;
    Py_XDECREF(text);
    PyObject* joined = line ? PyUnicode_Concat(message, line) : nullptr;
    Py_XDECREF(line);
    Py_SETREF(message, joined);
  }
  PyObject* error =
      message ? PyObject_CallOneArg(PyExc_RuntimeError, message) : nullptr;
  Py_XDECREF(message);
  if (error == nullptr) {
    // Building the report failed (out of memory): raise that instead.
    error = Py_NewRef(PythonError::Fetch().value());
  }
  loop->defer_raise(error);
}

// The core timer, the PyLoop it runs on and that loop's runner, through
// which the GC sees the calls' references (BatchedTimer's traverse visits
// it). Destroyed timer first: its calls may still need the loop, which a
// pending framework call keeps alive after this is gone.
struct Core {
  PyRef runner;
  std::shared_ptr<PyLoop> loop;
  txaio::BatchedTimer timer;
};

struct BatchedTimer {
  PyObject_HEAD double bucket_seconds;
  Py_ssize_t chunk_size;
  PyObject* config;        // txaio config: .loop
  PyObject* default_loop;  // callable giving the loop when config.loop is
                           // not set
  bool twisted;
  // Rounds deadlines up to a bucket boundary (the core's precision
  // promise) instead of upstream txaio's way (see UpstreamDeadline).
  bool never_early;
  // The core timer for the loop the last call_later resolved to: made on
  // first use, so make_batched_timer() needs no loop yet, and again when
  // config.loop changes (calls already scheduled stay on their loop).
  // Shared: call_later holds it while it calls into Python (the loop's
  // clock, its call_later), which releases the GIL, so that another thread
  // resolving to another loop meanwhile cannot free it under that call.
  std::shared_ptr<Core> core;

  // The calls' references, through the loop's runner (see GcSlots).
  int VisitMore(visitproc visit, void* arg) {
    if (core != nullptr) Py_VISIT(core->runner.get());
    return 0;
  }
  void ClearMore() { core.reset(); }
};

using BatchedTimerGc =
    GcSlots<BatchedTimer, &BatchedTimer::config, &BatchedTimer::default_loop>;

// The handle call_later returns: a BatchedCall and nothing else, so it is
// not tracked by the GC.
struct BatchedCallObject {
  PyObject_HEAD txaio::BatchedCall call;
};

extern PyTypeObject BatchedCallType;

// The loop to schedule on: config.loop, else default_loop(). New reference.
PyObject* ResolveLoop(BatchedTimer* t) {
  PyObject* loop = PyObject_GetAttr(t->config, S.loop);
  if (loop == nullptr) return nullptr;
  int truthy = PyObject_IsTrue(loop);
  if (truthy < 0) {
    Py_DECREF(loop);
    return nullptr;
  }
  if (truthy) return loop;
  Py_DECREF(loop);
  return PyObject_CallNoArgs(t->default_loop);
}

// The bucket size the core gets: at least the 1 ns it can represent (a
// smaller bucket only changes how the chunks are spread, see
// UpstreamDeadline).
absl::Duration CoreBucket(double bucket_seconds) {
  return std::max(absl::Seconds(bucket_seconds), absl::Nanoseconds(1));
}

// The core timer for the loop calls are scheduled on now; null with a
// Python error set on failure.
std::shared_ptr<Core> CoreFor(BatchedTimer* t) {
  PyObject* loop = ResolveLoop(t);
  if (loop == nullptr) return nullptr;
  if (t->core != nullptr && t->core->loop->py_loop() == loop) {
    Py_DECREF(loop);
    return t->core;
  }
  std::shared_ptr<Core> core;
  try {
    auto py_loop = std::make_shared<PyLoop>(loop, t->twisted);
    txaio::BatchedTimer timer(*py_loop, CoreBucket(t->bucket_seconds),
                              t->chunk_size);
    // Runs inside the loop's round, so the loop is alive.
    timer.set_error_handler(
        [raw = py_loop.get()](std::vector<txaio::Failure> failures) {
          ReportBucketErrors(raw, std::move(failures));
        });
    PyRef runner(py_loop->runner());
    if (runner != nullptr) {
      core = std::make_shared<Core>(
          Core{std::move(runner), std::move(py_loop), std::move(timer)});
    }
  } catch (...) {
    SetErrorFromCurrentException();
  }
  Py_DECREF(loop);
  if (core != nullptr) t->core = core;
  return core;
}

// The latest deadline the core can file (2^62 ns, about 146 years on the
// loop's clock); later ones are filed there (docs/python.md).
const double kHorizonSeconds =
    absl::ToDoubleSeconds(txaio::kMaxBatchedDeadline);

// Where upstream txaio's _BatchedTimer files a call `delay` seconds after
// `now`: int(now + delay) whole seconds in milliseconds, minus the
// remainder (Python's float %, truncated by int()) modulo the bucket in
// milliseconds. That is at or before now + delay, so a call can run up to a
// bucket (plus a second) early; a deadline already passed runs at once.
// Tests of code written for txaio advance fake clocks to these boundaries,
// so a drop-in must match them. Seconds on the loop's clock; NaN or
// infinity raise what upstream's int() raises.
bool UpstreamDeadline(double now, double delay, double bucket_seconds,
                      double* deadline) {
  double due = now + delay;
  if (std::isnan(due)) {
    PyErr_SetString(PyExc_ValueError, "cannot convert float NaN to integer");
    return false;
  }
  if (std::isinf(due)) {
    PyErr_SetString(PyExc_OverflowError,
                    "cannot convert float infinity to integer");
    return false;
  }
  if (due >= kHorizonSeconds) {
    *deadline = kHorizonSeconds;
    return true;
  }
  double ms = std::trunc(due) * 1000.0;
  double bucket_ms = bucket_seconds * 1000.0;
  double remainder = std::fmod(ms, bucket_ms);
  // Python's % takes the divisor's sign.
  if (remainder < 0) remainder += bucket_ms;
  *deadline = (ms - std::trunc(remainder)) / 1000.0;
  return true;
}

// ---------------------------------------------------------------------------
// BatchedCall

PyObject* BatchedCallCancel(PyObject* op, PyObject*) {
  reinterpret_cast<BatchedCallObject*>(op)->call.cancel();
  Py_RETURN_NONE;
}

void BatchedCallDealloc(PyObject* op) {
  reinterpret_cast<BatchedCallObject*>(op)->call.~BatchedCall();
  PyObject_Free(op);
}

PyMethodDef kBatchedCallMethods[] = {
    {"cancel", BatchedCallCancel, METH_NOARGS,
     "Cancels the call if it has not run; otherwise does nothing."},
    {nullptr, nullptr, 0, nullptr},
};

// ---------------------------------------------------------------------------
// BatchedTimer

PyObject* TimerCallLater(PyObject* op, PyObject* const* args, size_t nargsf,
                         PyObject* kwnames) {
  auto* t = reinterpret_cast<BatchedTimer*>(op);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs < 2) {
    PyErr_SetString(PyExc_TypeError,
                    "call_later(delay, func, *args, **kwargs)");
    return nullptr;
  }
  double delay = PyFloat_AsDouble(args[0]);
  if (delay == -1.0 && PyErr_Occurred()) return nullptr;
  std::shared_ptr<Core> core = CoreFor(t);
  if (core == nullptr) return nullptr;
  double now;
  try {
    now = core->loop->seconds();
  } catch (...) {
    SetErrorFromCurrentException();
    return nullptr;
  }
  double deadline;
  if (t->never_early) {
    if (std::isnan(delay) || std::isinf(delay)) {
      PyErr_Format(PyExc_ValueError,
                   "call_later: delay must be a finite number, got %R",
                   args[0]);
      return nullptr;
    }
    // A negative delay is "due now", as upstream takes it.
    deadline = std::min(now + std::max(delay, 0.0), kHorizonSeconds);
  } else if (!UpstreamDeadline(now, delay, t->bucket_seconds, &deadline)) {
    return nullptr;
  }

  bool has_kw = kwnames != nullptr && PyTuple_GET_SIZE(kwnames) > 0;
  CallRecord* record = core->loop->NewCallRecord(args[1], args + 2, nargs - 2,
                                                 has_kw ? kwnames : nullptr);
  if (record == nullptr) return nullptr;
  txaio::BatchedCall call;
  try {
    call = core->timer.schedule_at(deadline >= kHorizonSeconds
                                       ? txaio::kMaxBatchedDeadline
                                       : absl::Seconds(deadline),
                                   PyCall(record));
  } catch (...) {
    // The PyCall released its references as it was destroyed.
    SetErrorFromCurrentException();
    return nullptr;
  }
  auto* handle = PyObject_New(BatchedCallObject, &BatchedCallType);
  if (handle == nullptr) {
    call.cancel();
    return nullptr;
  }
  new (&handle->call) txaio::BatchedCall(std::move(call));
  return reinterpret_cast<PyObject*>(handle);
}

PyObject* TimerNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  double bucket_seconds;
  Py_ssize_t chunk_size;
  PyObject *config, *default_loop;
  int twisted, never_early = 0;
  static const char* kwlist[] = {"bucket_seconds", "chunk_size", "config",
                                 "default_loop",   "twisted",    "never_early",
                                 nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "dnOOp|p:BatchedTimer",
                                   const_cast<char**>(kwlist), &bucket_seconds,
                                   &chunk_size, &config, &default_loop,
                                   &twisted, &never_early)) {
    return nullptr;
  }
  // Upstream's message.
  if (!(bucket_seconds > 0.0)) {
    PyErr_SetString(PyExc_ValueError, "bucket_milliseconds must be > 0.0");
    return nullptr;
  }
  if (std::isinf(bucket_seconds)) {
    PyErr_SetString(PyExc_ValueError, "bucket_seconds must be finite");
    return nullptr;
  }
  if (chunk_size <= 0) {
    PyErr_SetString(PyExc_ValueError, "chunk_size must be > 0");
    return nullptr;
  }
  auto* t = reinterpret_cast<BatchedTimer*>(type->tp_alloc(type, 0));
  if (t == nullptr) return nullptr;
  t->bucket_seconds = bucket_seconds;
  t->chunk_size = chunk_size;
  t->config = Py_NewRef(config);
  t->default_loop = Py_NewRef(default_loop);
  t->twisted = twisted;
  t->never_early = never_early;
  new (&t->core) std::shared_ptr<Core>();
  return reinterpret_cast<PyObject*>(t);
}

PyObject* TimerPending(PyObject* op, PyObject*) {
  const std::shared_ptr<Core>& core = reinterpret_cast<BatchedTimer*>(op)->core;
  return PyLong_FromSize_t(core ? core->timer.pending() : 0);
}

PyObject* TimerBuckets(PyObject* op, PyObject*) {
  const std::shared_ptr<Core>& core = reinterpret_cast<BatchedTimer*>(op)->core;
  return PyLong_FromSize_t(core ? core->timer.loop_timers() : 0);
}

PyMethodDef kTimerMethods[] = {
    {"call_later", reinterpret_cast<PyCFunction>(TimerCallLater),
     METH_FASTCALL | METH_KEYWORDS,
     "call_later(delay, func, *args, **kwargs): schedules func in the "
     "bucket holding now + delay; returns an object with cancel()."},
    {"pending", TimerPending, METH_NOARGS,
     "The number of calls on the current loop not yet run or cancelled."},
    {"buckets", TimerBuckets, METH_NOARGS,
     "The number of buckets on the current loop holding a loop timer "
     "(waiting, or running their calls in chunks)."},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject BatchedCallType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "txaio._txaio_core.BatchedCall",
    .tp_basicsize = sizeof(BatchedCallObject),
    .tp_dealloc = BatchedCallDealloc,
    // No Py_TPFLAGS_HAVE_GC: it holds no Python references.
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One call scheduled through a batched timer.",
    .tp_methods = kBatchedCallMethods,
};

PyTypeObject BatchedTimerType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "txaio._txaio_core.BatchedTimer",
    .tp_basicsize = sizeof(BatchedTimer),
    .tp_dealloc = BatchedTimerGc::Dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc =
        "BatchedTimer(bucket_seconds, chunk_size, config, default_loop, "
        "twisted, never_early=False): txaio's IBatchedTimer on "
        "txaio-cpp's core BatchedTimer.",
    .tp_traverse = BatchedTimerGc::Traverse,
    .tp_clear = BatchedTimerGc::Clear,
    .tp_methods = kTimerMethods,
    .tp_new = TimerNew,
};

}  // namespace

bool AddBatchedTimerTypes(PyObject* module) {
  if (PyType_Ready(&BatchedCallType) < 0 ||
      PyType_Ready(&BatchedTimerType) < 0) {
    return false;
  }
  return PyModule_AddType(module, &BatchedCallType) == 0 &&
         PyModule_AddType(module, &BatchedTimerType) == 0;
}

}  // namespace txaio_py
