// asyncio's hot paths: the add_callbacks record, the canceller record and
// gather over futures.
#include <cstddef>
#include <initializer_list>

#include "bindings/python/native/common.h"

namespace txaio_py {
namespace {

// Set once by aio_setup() from txaio.aio.
PyObject* g_failed_future_type = nullptr;  // txaio.aio.FailedFuture
PyObject* g_cancelled_error = nullptr;     // asyncio.CancelledError
PyTypeObject* g_future_type = nullptr;     // asyncio.Future
PyObject* g_asyncio_gather = nullptr;      // the fallback for non-futures
PyObject* g_gathering_future = nullptr;    // asyncio.tasks._GatheringFuture

bool CheckSetup() {
  if (g_failed_future_type != nullptr) return true;
  PyErr_SetString(PyExc_RuntimeError,
                  "txaio: the asyncio support was not initialised");
  return false;
}

// Builds FailedFuture(type, value, traceback) from the error being raised
// and clears it.
PyObject* FailureFromError() {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  PyErr_NormalizeException(&type, &value, &tb);
  if (tb != nullptr) PyException_SetTraceback(value, tb);
  PyObject* failure = PyObject_CallFunctionObjArgs(
      g_failed_future_type, type, value, tb ? tb : Py_None, nullptr);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(tb);
  return failure;
}

// ---------------------------------------------------------------------------
// AioCallbacks: add_callbacks(future, callback, errback) as one done-callback
// object. Called with the future: callback(result), or errback(failure) if
// the future failed, was cancelled, or the callback raised an Exception.

struct AioCallbacks {
  PyObject_HEAD
  PyObject* callback;  // or None
  PyObject* errback;   // or None
  vectorcallfunc vectorcall;
};

PyObject* AioCallbacksFail(AioCallbacks* self) {
  if (!PyErr_ExceptionMatches(PyExc_Exception) &&
      !PyErr_ExceptionMatches(g_cancelled_error)) {
    return nullptr;  // KeyboardInterrupt and the like go to the loop
  }
  if (self->errback == Py_None) {
    PyErr_Clear();
    Py_RETURN_NONE;
  }
  PyObject* failure = FailureFromError();
  if (failure == nullptr) return nullptr;
  PyObject* r = PyObject_CallOneArg(self->errback, failure);
  Py_DECREF(failure);
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  Py_RETURN_NONE;
}

PyObject* AioCallbacksCall(PyObject* op, PyObject* const* args, size_t nargsf,
                           PyObject* kwnames) {
  auto* self = reinterpret_cast<AioCallbacks*>(op);
  if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != nullptr) {
    PyErr_SetString(PyExc_TypeError, "expected one argument: the future");
    return nullptr;
  }
  PyObject* result = CallMethod0(args[0], S.result);
  if (result == nullptr) return AioCallbacksFail(self);
  if (self->callback == Py_None) {
    Py_DECREF(result);
    Py_RETURN_NONE;
  }
  PyObject* r = PyObject_CallOneArg(self->callback, result);
  Py_DECREF(result);
  if (r == nullptr) return AioCallbacksFail(self);
  Py_DECREF(r);
  Py_RETURN_NONE;
}

PyObject* AioCallbacksNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject *callback, *errback;
  static const char* kwlist[] = {"callback", "errback", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:AioCallbacks",
                                   const_cast<char**>(kwlist), &callback,
                                   &errback)) {
    return nullptr;
  }
  if (!CheckSetup()) return nullptr;
  if (callback == Py_None && errback == Py_None) {
    PyErr_SetString(PyExc_ValueError,
                    "callback and errback cannot both be None");
    return nullptr;
  }
  auto* self = PyObject_GC_New(AioCallbacks, type);
  if (self == nullptr) return nullptr;
  self->callback = Py_NewRef(callback);
  self->errback = Py_NewRef(errback);
  self->vectorcall = AioCallbacksCall;
  PyObject_GC_Track(self);
  return reinterpret_cast<PyObject*>(self);
}

int AioCallbacksTraverse(PyObject* op, visitproc visit, void* arg) {
  auto* self = reinterpret_cast<AioCallbacks*>(op);
  Py_VISIT(self->callback);
  Py_VISIT(self->errback);
  return 0;
}

int AioCallbacksClear(PyObject* op) {
  auto* self = reinterpret_cast<AioCallbacks*>(op);
  Py_CLEAR(self->callback);
  Py_CLEAR(self->errback);
  return 0;
}

void AioCallbacksDealloc(PyObject* op) {
  PyObject_GC_UnTrack(op);
  AioCallbacksClear(op);
  PyObject_GC_Del(op);
}

PyTypeObject AioCallbacksType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0)
    .tp_name = "txaio._txaio_core.AioCallbacks",
    .tp_basicsize = sizeof(AioCallbacks),
    .tp_dealloc = AioCallbacksDealloc,
    .tp_vectorcall_offset = offsetof(AioCallbacks, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "AioCallbacks(callback, errback): txaio.add_callbacks' "
              "done-callback for an asyncio future.",
    .tp_traverse = AioCallbacksTraverse,
    .tp_clear = AioCallbacksClear,
    .tp_new = AioCallbacksNew,
};

// ---------------------------------------------------------------------------
// AioCanceller: create_future(canceller=...)'s done-callback, calling
// canceller(future) if the future was cancelled.

struct AioCanceller {
  PyObject_HEAD
  PyObject* canceller;
  vectorcallfunc vectorcall;
};

PyObject* AioCancellerCall(PyObject* op, PyObject* const* args, size_t nargsf,
                           PyObject* kwnames) {
  auto* self = reinterpret_cast<AioCanceller*>(op);
  if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != nullptr) {
    PyErr_SetString(PyExc_TypeError, "expected one argument: the future");
    return nullptr;
  }
  PyObject* cancelled = CallMethod0(args[0], S.cancelled);
  if (cancelled == nullptr) return nullptr;
  int is_cancelled = PyObject_IsTrue(cancelled);
  Py_DECREF(cancelled);
  if (is_cancelled < 0) return nullptr;
  if (!is_cancelled) Py_RETURN_NONE;
  PyObject* r = PyObject_CallOneArg(self->canceller, args[0]);
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  Py_RETURN_NONE;
}

PyObject* AioCancellerNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject* canceller;
  if (kw != nullptr && PyDict_GET_SIZE(kw) != 0) {
    PyErr_SetString(PyExc_TypeError, "AioCanceller takes no keywords");
    return nullptr;
  }
  if (!PyArg_ParseTuple(args, "O:AioCanceller", &canceller)) return nullptr;
  if (!PyCallable_Check(canceller)) {
    PyErr_SetString(PyExc_TypeError, "canceller must be callable");
    return nullptr;
  }
  auto* self = PyObject_GC_New(AioCanceller, type);
  if (self == nullptr) return nullptr;
  self->canceller = Py_NewRef(canceller);
  self->vectorcall = AioCancellerCall;
  PyObject_GC_Track(self);
  return reinterpret_cast<PyObject*>(self);
}

int AioCancellerTraverse(PyObject* op, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<AioCanceller*>(op)->canceller);
  return 0;
}

int AioCancellerClear(PyObject* op) {
  Py_CLEAR(reinterpret_cast<AioCanceller*>(op)->canceller);
  return 0;
}

void AioCancellerDealloc(PyObject* op) {
  PyObject_GC_UnTrack(op);
  AioCancellerClear(op);
  PyObject_GC_Del(op);
}

PyTypeObject AioCancellerType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0)
    .tp_name = "txaio._txaio_core.AioCanceller",
    .tp_basicsize = sizeof(AioCanceller),
    .tp_dealloc = AioCancellerDealloc,
    .tp_vectorcall_offset = offsetof(AioCanceller, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "AioCanceller(canceller): calls canceller(future) when the "
              "future it is added to is cancelled.",
    .tp_traverse = AioCancellerTraverse,
    .tp_clear = AioCancellerClear,
    .tp_new = AioCancellerNew,
};

// ---------------------------------------------------------------------------
// Gather: asyncio.gather(*futures, return_exceptions=consume) for futures,
// with the per-child done-callback in native code and no loop round trip
// when every child is done already. It follows asyncio's _done_callback
// step for step, so outcomes, exception retrieval and cancellation match.

struct Gather {
  PyObject_HEAD
  PyObject* outer;     // the _GatheringFuture
  PyObject* children;  // list, one entry per argument
  Py_ssize_t finished;
  bool consume;
  bool outer_done_known;  // set when this object completed `outer`
  vectorcallfunc vectorcall;
};

// 1 if `fut` is cancelled, 0 if not, -1 on error.
int IsCancelled(PyObject* fut) {
  PyObject* c = CallMethod0(fut, S.cancelled);
  if (c == nullptr) return -1;
  int r = PyObject_IsTrue(c);
  Py_DECREF(c);
  return r;
}

// Completes `outer` with fut's cancellation error.
bool SetCancelled(Gather* g, PyObject* fut) {
  PyObject* exc = CallMethod0(fut, S.make_cancelled_error);
  if (exc == nullptr) return false;
  PyObject* r = CallMethod1(g->outer, S.set_exception, exc);
  Py_DECREF(exc);
  if (r == nullptr) return false;
  Py_DECREF(r);
  g->outer_done_known = true;
  return true;
}

// One child's outcome for the results list (a new reference): its result,
// its exception, or CancelledError(message) if it was cancelled.
PyObject* Outcome(PyObject* fut) {
  PyObject* exc = CallMethod0(fut, S.exception);
  if (exc == nullptr) {
    if (!PyErr_ExceptionMatches(g_cancelled_error)) return nullptr;
    PyErr_Clear();
    PyObject* msg = PyObject_GetAttr(fut, S.cancel_message);
    if (msg == nullptr) return nullptr;
    if (msg == Py_None) {
      Py_DECREF(msg);
      msg = PyUnicode_FromString("");
      if (msg == nullptr) return nullptr;
    }
    PyObject* err = PyObject_CallOneArg(g_cancelled_error, msg);
    Py_DECREF(msg);
    return err;
  }
  if (exc != Py_None) return exc;
  Py_DECREF(exc);
  return CallMethod0(fut, S.result);
}

bool GatherFinish(Gather* g, PyObject* last) {
  Py_ssize_t n = PyList_GET_SIZE(g->children);
  PyObject* results = PyList_New(n);
  if (results == nullptr) return false;
  for (Py_ssize_t i = 0; i < n; ++i) {
    PyObject* res = Outcome(PyList_GET_ITEM(g->children, i));
    if (res == nullptr) {
      Py_DECREF(results);
      return false;
    }
    PyList_SET_ITEM(results, i, res);
  }
  PyObject* requested = PyObject_GetAttr(g->outer, S.cancel_requested);
  int cancel_requested = requested ? PyObject_IsTrue(requested) : -1;
  Py_XDECREF(requested);
  if (cancel_requested < 0) {
    Py_DECREF(results);
    return false;
  }
  if (cancel_requested) {
    Py_DECREF(results);
    return SetCancelled(g, last);
  }
  PyObject* r = CallMethod1(g->outer, S.set_result, results);
  Py_DECREF(results);
  if (r == nullptr) return false;
  Py_DECREF(r);
  g->outer_done_known = true;
  return true;
}

// asyncio's _done_callback for one child. `check_outer` is false only while
// gather() itself runs the children synchronously, when nobody else can
// have completed `outer`.
bool GatherOnDone(Gather* g, PyObject* fut, bool check_outer) {
  g->finished += 1;
  bool outer_done = g->outer_done_known;
  if (!outer_done && check_outer) {
    PyObject* d = CallMethod0(g->outer, S.done);
    if (d == nullptr) return false;
    outer_done = PyObject_IsTrue(d) == 1;
    Py_DECREF(d);
  }
  if (outer_done) {
    int c = IsCancelled(fut);
    if (c < 0) return false;
    if (!c) {  // mark its exception as retrieved
      PyObject* e = CallMethod0(fut, S.exception);
      if (e == nullptr) return false;
      Py_DECREF(e);
    }
    return true;
  }
  if (!g->consume) {
    int c = IsCancelled(fut);
    if (c < 0) return false;
    if (c) return SetCancelled(g, fut);
    PyObject* exc = CallMethod0(fut, S.exception);
    if (exc == nullptr) return false;
    if (exc != Py_None) {
      PyObject* r = CallMethod1(g->outer, S.set_exception, exc);
      Py_DECREF(exc);
      if (r == nullptr) return false;
      Py_DECREF(r);
      g->outer_done_known = true;
      return true;
    }
    Py_DECREF(exc);
  }
  if (g->finished == PyList_GET_SIZE(g->children)) return GatherFinish(g, fut);
  return true;
}

PyObject* GatherCall(PyObject* op, PyObject* const* args, size_t nargsf,
                     PyObject* kwnames) {
  if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != nullptr) {
    PyErr_SetString(PyExc_TypeError, "expected one argument: the future");
    return nullptr;
  }
  if (!GatherOnDone(reinterpret_cast<Gather*>(op), args[0], true)) {
    return nullptr;
  }
  Py_RETURN_NONE;
}

int GatherTraverse(PyObject* op, visitproc visit, void* arg) {
  auto* g = reinterpret_cast<Gather*>(op);
  Py_VISIT(g->outer);
  Py_VISIT(g->children);
  return 0;
}

int GatherClear(PyObject* op) {
  auto* g = reinterpret_cast<Gather*>(op);
  Py_CLEAR(g->outer);
  Py_CLEAR(g->children);
  return 0;
}

void GatherDealloc(PyObject* op) {
  PyObject_GC_UnTrack(op);
  GatherClear(op);
  PyObject_GC_Del(op);
}

PyTypeObject GatherType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0)
    .tp_name = "txaio._txaio_core.Gather",
    .tp_basicsize = sizeof(Gather),
    .tp_dealloc = GatherDealloc,
    .tp_vectorcall_offset = offsetof(Gather, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The done-callback shared by the children of one gather().",
    .tp_traverse = GatherTraverse,
    .tp_clear = GatherClear,
};

// asyncio.gather(*futures, return_exceptions=consume): the fallback for
// anything but a non-empty list of futures on one loop (coroutines, other
// awaitables, mixed loops), so asyncio's own conversions and errors apply.
PyObject* FallbackGather(PyObject* seq, PyObject* consume) {
  PyObject* args = PySequence_Tuple(seq);
  if (args == nullptr) return nullptr;
  PyObject* kw = Py_BuildValue("{OO}", S.return_exceptions, consume);
  if (kw == nullptr) {
    Py_DECREF(args);
    return nullptr;
  }
  PyObject* r = PyObject_Call(g_asyncio_gather, args, kw);
  Py_DECREF(args);
  Py_DECREF(kw);
  return r;
}

PyObject* AioGather(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "aio_gather(futures, consume)");
    return nullptr;
  }
  if (!CheckSetup()) return nullptr;
  int consume = PyObject_IsTrue(args[1]);
  if (consume < 0) return nullptr;
  PyObject* children = PySequence_List(args[0]);
  if (children == nullptr) return nullptr;
  Py_ssize_t n = PyList_GET_SIZE(children);
  PyObject* loop = nullptr;
  bool all_done = true;
  bool futures_on_one_loop = n > 0;
  for (Py_ssize_t i = 0; i < n && futures_on_one_loop; ++i) {
    PyObject* fut = PyList_GET_ITEM(children, i);
    if (!PyObject_TypeCheck(fut, g_future_type)) {
      futures_on_one_loop = false;
      break;
    }
    PyObject* fut_loop = CallMethod0(fut, S.get_loop);
    if (fut_loop == nullptr) goto error;
    if (loop == nullptr) {
      loop = fut_loop;
    } else {
      if (fut_loop != loop) futures_on_one_loop = false;
      Py_DECREF(fut_loop);
    }
    if (all_done) {
      PyObject* d = CallMethod0(fut, S.done);
      if (d == nullptr) goto error;
      all_done = d == Py_True;
      Py_DECREF(d);
    }
  }
  if (!futures_on_one_loop) {
    Py_XDECREF(loop);
    PyObject* r = FallbackGather(children, args[1]);
    Py_DECREF(children);
    return r;
  }
  {
    PyObject* call_args[2] = {children, loop};
    PyObject* kwnames = PyTuple_Pack(1, S.loop);
    if (kwnames == nullptr) goto error;
    PyObject* outer =
        PyObject_Vectorcall(g_gathering_future, call_args, 1, kwnames);
    Py_DECREF(kwnames);
    Py_CLEAR(loop);
    if (outer == nullptr) goto error;
    auto* g = PyObject_GC_New(Gather, &GatherType);
    if (g == nullptr) {
      Py_DECREF(outer);
      goto error;
    }
    g->outer = outer;
    g->children = children;  // takes our reference
    g->finished = 0;
    g->consume = consume;
    g->outer_done_known = false;
    g->vectorcall = GatherCall;
    PyObject_GC_Track(g);
    PyObject* gobj = reinterpret_cast<PyObject*>(g);
    bool ok = true;
    for (Py_ssize_t i = 0; i < n && ok; ++i) {
      PyObject* fut = PyList_GET_ITEM(children, i);
      if (all_done) {
        ok = GatherOnDone(g, fut, false);
      } else {
        PyObject* r = CallMethod1(fut, S.add_done_callback, gobj);
        ok = r != nullptr;
        Py_XDECREF(r);
      }
    }
    PyObject* result = ok ? Py_NewRef(outer) : nullptr;
    Py_DECREF(gobj);
    return result;
  }
error:
  Py_XDECREF(loop);
  Py_DECREF(children);
  return nullptr;
}

PyObject* AioSetup(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 5 || !PyType_Check(args[2])) {
    PyErr_SetString(PyExc_TypeError,
                    "aio_setup(FailedFuture, CancelledError, Future, gather, "
                    "_GatheringFuture)");
    return nullptr;
  }
  Py_XSETREF(g_failed_future_type, Py_NewRef(args[0]));
  Py_XSETREF(g_cancelled_error, Py_NewRef(args[1]));
  Py_XSETREF(g_future_type,
             reinterpret_cast<PyTypeObject*>(Py_NewRef(args[2])));
  Py_XSETREF(g_asyncio_gather, Py_NewRef(args[3]));
  Py_XSETREF(g_gathering_future, Py_NewRef(args[4]));
  Py_RETURN_NONE;
}

PyMethodDef kAioFunctions[] = {
    {"aio_gather", reinterpret_cast<PyCFunction>(AioGather), METH_FASTCALL,
     "aio_gather(futures, consume): txaio.gather under asyncio."},
    {"aio_setup", reinterpret_cast<PyCFunction>(AioSetup), METH_FASTCALL,
     "aio_setup(FailedFuture, CancelledError, Future, gather, "
     "_GatheringFuture): called once by txaio.aio."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

bool AddAioTypes(PyObject* module) {
  for (PyTypeObject* type : {&AioCallbacksType, &AioCancellerType,
                             &GatherType}) {
    if (PyType_Ready(type) < 0) return false;
  }
  if (PyModule_AddType(module, &AioCallbacksType) < 0 ||
      PyModule_AddType(module, &AioCancellerType) < 0) {
    return false;
  }
  return PyModule_AddFunctions(module, kAioFunctions) == 0;
}

}  // namespace txaio_py
