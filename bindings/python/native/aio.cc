// asyncio's hot paths: the add_callbacks record, the canceller record and
// gather over futures.
#include <pybind11/pybind11.h>

#include <cstddef>
#include <initializer_list>

#include "bindings/python/native/api_base.h"
#include "bindings/python/native/common.h"
#include "structmember.h"

namespace py = pybind11;

namespace txaio_py {
namespace {

// Set once by aio_setup() from txaio.aio.
PyObject* g_failed_future_type = nullptr;  // txaio.aio.FailedFuture
PyObject* g_cancelled_error = nullptr;     // asyncio.CancelledError
PyTypeObject* g_future_type = nullptr;     // asyncio.Future
PyObject* g_asyncio_gather = nullptr;      // the fallback for non-futures
PyObject* g_gathering_future = nullptr;    // asyncio.tasks._GatheringFuture
// Whether asyncio's and CPython's private parts may be used (the native
// gather, create_future without its frame); txaio.aio checks their shape at
// import. False: asyncio.gather and loop.create_future() themselves.
bool g_private = false;
PyObject* g_coroutine_types = nullptr;     // what asyncio.iscoroutine accepts
PyObject* g_base_create_future = nullptr;  // BaseEventLoop.create_future
PyObject* g_asyncio = nullptr;             // the asyncio module
PyObject* g_loop_kwnames = nullptr;        // ("loop",)

bool CheckSetup() {
  if (g_failed_future_type != nullptr) return true;
  PyErr_SetString(PyExc_RuntimeError,
                  "txaio: the asyncio support was not initialised");
  return false;
}

// Builds FailedFuture(type, value, traceback) from the error being raised
// and clears it.
PyObject* FailureFromError() {
  PyObject* value = FetchError();
  PyObject* tb = PyException_GetTraceback(value);
  PyObject* failure = PyObject_CallFunctionObjArgs(
      g_failed_future_type, reinterpret_cast<PyObject*>(Py_TYPE(value)), value,
      tb ? tb : Py_None, nullptr);
  Py_XDECREF(tb);
  Py_DECREF(value);
  return failure;
}

// ---------------------------------------------------------------------------
// AioCallbacks: add_callbacks(future, callback, errback) as one done-callback
// object. Called with the future: callback(result), or errback(failure) if
// the future failed, was cancelled, or the callback raised an Exception.

struct AioCallbacks {
  PyObject_HEAD PyObject* callback;  // or None
  PyObject* errback;                 // or None
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

// A new AioCallbacks of `type` (ValueError if both are None).
PyObject* NewAioCallbacks(PyTypeObject* type, PyObject* callback,
                          PyObject* errback) {
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

PyObject* AioCallbacksNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject *callback, *errback;
  static const char* kwlist[] = {"callback", "errback", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO:AioCallbacks",
                                   const_cast<char**>(kwlist), &callback,
                                   &errback)) {
    return nullptr;
  }
  return NewAioCallbacks(type, callback, errback);
}

using AioCallbacksGc =
    GcSlots<AioCallbacks, &AioCallbacks::callback, &AioCallbacks::errback>;

PyTypeObject AioCallbacksType = CallableType<AioCallbacks, AioCallbacksGc>(
    "txaio._txaio_core.AioCallbacks",
    "AioCallbacks(callback, errback): txaio.add_callbacks' "
    "done-callback for an asyncio future.",
    AioCallbacksNew);

// ---------------------------------------------------------------------------
// AioCanceller: create_future(canceller=...)'s done-callback, calling
// canceller(future) if the future was cancelled.

struct AioCanceller {
  PyObject_HEAD PyObject* canceller;
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

using AioCancellerGc = GcSlots<AioCanceller, &AioCanceller::canceller>;

PyTypeObject AioCancellerType = CallableType<AioCanceller, AioCancellerGc>(
    "txaio._txaio_core.AioCanceller",
    "AioCanceller(canceller): calls canceller(future) when the "
    "future it is added to is cancelled.",
    AioCancellerNew);

// ---------------------------------------------------------------------------
// AioApi: the base of txaio.aio's API class, with the per-call hot methods
// in native code so that txaio.create_future & co. are bound builtin
// methods: no Python frame, no *args/**kwargs packing, no attribute chain.
// Each does what txaio's Python method does, call for call on the loop and
// the future; anything unusual (create_future with arguments) is handed to
// the Python subclass.

using AioApi = ApiBase;

// The loop to use (a new reference): config.loop if it is true, else
// asyncio.get_event_loop(), looked up on each call as txaio does.
PyObject* ApiLoop(AioApi* self) {
  if (!CheckSetup()) return nullptr;
  PyObject* loop = PyObject_GetAttr(self->config, S.loop);
  if (loop == nullptr) return nullptr;
  int set = PyObject_IsTrue(loop);
  if (set != 0) {
    if (set < 0) Py_CLEAR(loop);
    return loop;
  }
  Py_DECREF(loop);
  PyObject* get = PyObject_GetAttr(g_asyncio, S.get_event_loop);
  if (get == nullptr) return nullptr;
  loop = PyObject_CallNoArgs(get);
  Py_DECREF(get);
  return loop;
}

// loop.create_future(). For asyncio's own implementation, which is
// `Future(loop=self)`, the future is built here without its Python frame.
// The lookup is the interpreter's own for `loop.create_future()` (no bound
// method object; an attribute set on the loop instance still wins).
PyObject* LoopCreateFuture(PyObject* loop) {
  if (!g_private) return CallMethod0(loop, S.create_future);
  PyObject* method = nullptr;
  int unbound = _PyObject_GetMethod(loop, S.create_future, &method);
  if (method == nullptr) return nullptr;
  PyObject* f;
  if (unbound && method == g_base_create_future) {
    f = PyObject_Vectorcall(reinterpret_cast<PyObject*>(g_future_type), &loop,
                            0, g_loop_kwnames);
  } else if (unbound) {
    f = PyObject_CallOneArg(method, loop);
  } else {
    f = PyObject_CallNoArgs(method);
  }
  Py_DECREF(method);
  return f;
}

PyObject* ApiNewFuture(AioApi* self) {
  PyObject* loop = ApiLoop(self);
  if (loop == nullptr) return nullptr;
  PyObject* f = LoopCreateFuture(loop);
  Py_DECREF(loop);
  return f;
}

// A new future on self's loop with `result` set.
PyObject* ApiResolvedFuture(AioApi* self, PyObject* result) {
  PyObject* f = ApiNewFuture(self);
  if (f == nullptr) return nullptr;
  PyObject* r = CallMethod1(f, S.set_result, result);
  if (r == nullptr) {
    Py_DECREF(f);
    return nullptr;
  }
  Py_DECREF(r);
  return f;
}

PyObject* ApiCreateFuture(PyObject* op, PyObject* const* args, size_t nargsf,
                          PyObject* kwnames) {
  auto* self = reinterpret_cast<AioApi*>(op);
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs != 0 || kwnames != nullptr) {
    // result=, error= or canceller=: the Python implementation.
    Py_ssize_t nkw = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject** full = static_cast<PyObject**>(
        PyMem_Malloc((1 + nargs + nkw) * sizeof(PyObject*)));
    if (full == nullptr) return PyErr_NoMemory();
    full[0] = op;
    for (Py_ssize_t i = 0; i < nargs + nkw; ++i) full[1 + i] = args[i];
    PyObject* r = PyObject_VectorcallMethod(S.create_future_full, full,
                                            1 + nargs, kwnames);
    PyMem_Free(full);
    return r;
  }
  return ApiNewFuture(self);
}

PyObject* ApiCreateFutureSuccess(PyObject* op, PyObject* const* args,
                                 size_t nargsf, PyObject* kwnames) {
  static const char* const kNames[] = {"result"};
  PyObject* result;
  if (!BindArgs("create_future_success", kNames, 1, 1, args,
                PyVectorcall_NARGS(nargsf), kwnames, &result)) {
    return nullptr;
  }
  return ApiResolvedFuture(reinterpret_cast<AioApi*>(op), result);
}

PyObject* ApiResolve(PyObject*, PyObject* const* args, size_t nargsf,
                     PyObject* kwnames) {
  static const char* const kNames[] = {"future", "result"};
  PyObject* a[2];
  if (!BindArgs("resolve", kNames, 2, 1, args, PyVectorcall_NARGS(nargsf),
                kwnames, a)) {
    return nullptr;
  }
  PyObject* r = CallMethod1(a[0], S.set_result, a[1] ? a[1] : Py_None);
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  Py_RETURN_NONE;
}

PyObject* ApiIsCalled(PyObject*, PyObject* const* args, size_t nargsf,
                      PyObject* kwnames) {
  static const char* const kNames[] = {"future"};
  PyObject* future;
  if (!BindArgs("is_called", kNames, 1, 1, args, PyVectorcall_NARGS(nargsf),
                kwnames, &future)) {
    return nullptr;
  }
  return CallMethod0(future, S.done);
}

PyObject* ApiAddCallbacks(PyObject*, PyObject* const* args, size_t nargsf,
                          PyObject* kwnames) {
  static const char* const kNames[] = {"future", "callback", "errback"};
  PyObject* a[3];
  if (!BindArgs("add_callbacks", kNames, 3, 3, args, PyVectorcall_NARGS(nargsf),
                kwnames, a)) {
    return nullptr;
  }
  PyObject* record = NewAioCallbacks(&AioCallbacksType, a[1], a[2]);
  if (record == nullptr) return nullptr;
  PyObject* r = CallMethod1(a[0], S.add_done_callback, record);
  Py_DECREF(record);
  return r;
}

PyObject* ApiAsFuture(PyObject* op, PyObject* const* args, size_t nargsf,
                      PyObject* kwnames) {
  auto* self = reinterpret_cast<AioApi*>(op);
  if (!CheckSetup()) return nullptr;
  PyObject* fun = nullptr;
  PyObject* res =
      CallAsFutureFun(args, PyVectorcall_NARGS(nargsf), kwnames, &fun);
  if (res == nullptr) {
    if (fun == nullptr || !PyErr_ExceptionMatches(PyExc_Exception)) {
      return nullptr;
    }
    PyObject* value = FetchError();
    // A failure to make the future replaces fun's error, as in txaio.
    PyObject* f = ApiNewFuture(self);
    PyObject* r = f ? CallMethod1(f, S.set_exception, value) : nullptr;
    Py_DECREF(value);
    if (r == nullptr) {
      Py_XDECREF(f);
      return nullptr;
    }
    Py_DECREF(r);
    return f;
  }
  int is = PyObject_IsInstance(res, reinterpret_cast<PyObject*>(g_future_type));
  if (is != 0) {
    if (is < 0) Py_CLEAR(res);
    return res;
  }
  is = PyObject_IsInstance(res, g_coroutine_types);
  if (is != 0) {
    PyObject* task = nullptr;
    if (is > 0) {
      PyObject* loop = ApiLoop(self);
      if (loop != nullptr) {
        task = CallMethod1(loop, S.create_task, res);
        Py_DECREF(loop);
      }
    }
    Py_DECREF(res);
    return task;
  }
  if (PyAsyncGen_CheckExact(res)) {
    Py_DECREF(res);
    PyErr_Format(PyExc_RuntimeError,
                 "as_future() received an async generator function; does "
                 "'%S' use 'yield' when you meant 'await'?",
                 fun);
    return nullptr;
  }
  PyObject* f = ApiResolvedFuture(self, res);
  Py_DECREF(res);
  return f;
}

PyMethodDef kAioApiMethods[] = {
    TXAIO_API_METHOD("create_future", ApiCreateFuture,
                     "create_future(result=, error=, canceller=): a new "
                     "future on the loop."),
    TXAIO_API_METHOD("create_future_success", ApiCreateFutureSuccess,
                     "create_future_success(result): a future resolved "
                     "with result."),
    TXAIO_API_METHOD("as_future", ApiAsFuture,
                     "as_future(fun, *args, **kwargs): fun's result as a "
                     "future (a coroutine becomes a Task)."),
    TXAIO_API_METHOD("resolve", ApiResolve,
                     "resolve(future, result=None): sets the result."),
    TXAIO_API_METHOD("is_called", ApiIsCalled,
                     "is_called(future): whether the future is done."),
    TXAIO_API_METHOD("add_callbacks", ApiAddCallbacks,
                     "add_callbacks(future, callback, errback): adds a "
                     "callback and/or an errback (not both None)."),
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject AioApiType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "txaio._txaio_core.AioApi",
    .tp_basicsize = sizeof(AioApi),
    // Py_TPFLAGS_HAVE_GC, traverse and clear come from ApiBase.
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "AioApi(config): the native methods of txaio's asyncio API.",
    .tp_methods = kAioApiMethods,
    .tp_base = &ApiBaseType,
};

// ---------------------------------------------------------------------------
// Gather: asyncio.gather(*futures, return_exceptions=consume) for futures,
// with the per-child done-callback in native code and no loop round trip
// when every child is done already. It follows asyncio's _done_callback
// step for step, so outcomes, exception retrieval and cancellation match.

struct Gather {
  PyObject_HEAD PyObject* outer;  // the _GatheringFuture
  PyObject* children;             // list, one entry per argument
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

using GatherGc = GcSlots<Gather, &Gather::outer, &Gather::children>;

PyTypeObject GatherType = CallableType<Gather, GatherGc>(
    "txaio._txaio_core.Gather",
    "The done-callback shared by the children of one gather().");

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

// gather(futures, consume): new reference, or null with an error set.
PyObject* AioGather(PyObject* const* args) {
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
  if (!futures_on_one_loop || !g_private) {
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

// Called once by txaio.aio at import (a cold path, so a pybind11 function).
void AioSetup(py::object failed_future, py::object cancelled_error,
              py::type future, py::object gather, py::object gathering_future,
              py::object coroutine_types, py::object base_create_future,
              py::module_ asyncio, bool private_parts) {
  if (g_loop_kwnames == nullptr) {
    g_loop_kwnames = py::make_tuple(py::handle(S.loop)).release().ptr();
  }
  g_private = private_parts;
  Py_XSETREF(g_failed_future_type, failed_future.release().ptr());
  Py_XSETREF(g_cancelled_error, cancelled_error.release().ptr());
  Py_XSETREF(g_future_type,
             reinterpret_cast<PyTypeObject*>(future.release().ptr()));
  Py_XSETREF(g_asyncio_gather, gather.release().ptr());
  Py_XSETREF(g_gathering_future, gathering_future.release().ptr());
  Py_XSETREF(g_coroutine_types, coroutine_types.release().ptr());
  Py_XSETREF(g_base_create_future, base_create_future.release().ptr());
  Py_XSETREF(g_asyncio, asyncio.release().ptr());
}

}  // namespace

bool AddAioTypes(PyObject* module) {
  for (PyTypeObject* type :
       {&AioCallbacksType, &AioCancellerType, &AioApiType, &GatherType}) {
    if (PyType_Ready(type) < 0) return false;
  }
  return PyModule_AddType(module, &AioCallbacksType) == 0 &&
         PyModule_AddType(module, &AioApiType) == 0 &&
         PyModule_AddType(module, &AioCancellerType) == 0;
}

void AddAioBindings(py::module_& m) {
  // Once per gather of many futures: pybind11's dispatch (about 0.5 us,
  // docs/python.md) is under 1% of a gather over 1000.
  m.def(
      "aio_gather",
      [](py::handle futures, py::handle consume) {
        PyObject* args[2] = {futures.ptr(), consume.ptr()};
        PyObject* r = AioGather(args);
        if (r == nullptr) throw py::error_already_set();
        return py::reinterpret_steal<py::object>(r);
      },
      py::arg("futures"), py::arg("consume"),
      "aio_gather(futures, consume): txaio.gather under asyncio.");
  m.def("aio_setup", &AioSetup, py::arg("FailedFuture"),
        py::arg("CancelledError"), py::arg("Future"), py::arg("gather"),
        py::arg("GatheringFuture"), py::arg("coroutine_types"),
        py::arg("base_create_future"), py::arg("asyncio"), py::arg("private"),
        "Called once by txaio.aio at import: asyncio's parts the native "
        "code uses; `private` allows its private parts.");
}

}  // namespace txaio_py
