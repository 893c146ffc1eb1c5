// Twisted's hot paths: TxApi, the base of txaio.tx's API class, with the
// per-call methods in native code so that txaio.create_future & co. are
// bound builtin methods (no Python frame, no *args/**kwargs packing).
//
// Each does what txaio's Python method does, with the same calls on the
// Deferred, except that three pieces of Twisted are done here rather than
// called: building a Deferred (what Deferred.__init__ and, for a fired one,
// Deferred.callback leave in its __dict__ when nothing is chained to it and
// Deferred.debug is off), appending a callback pair to a Deferred that has
// not fired (what addCallbacks does then), and firing one (what callback()
// does before it calls Twisted's _runCallbacks(), which runs the callbacks).
// Anything else (debug Deferreds, subclasses, fired ones, create_future with
// arguments) goes through Twisted's own methods or the Python subclass, and
// so does everything when txaio.tx found at import that writing the fields
// does not give what Twisted's methods give (or TXAIO_CPP_PUBLIC_API is set).
#include <pybind11/pybind11.h>

#include "bindings/python/native/api_base.h"
#include "bindings/python/native/common.h"

namespace py = pybind11;

namespace txaio_py {
namespace {

// Set once by tx_setup() from txaio.tx.
PyTypeObject* g_deferred_type = nullptr;  // twisted's Deferred
PyObject* g_failure_type = nullptr;       // twisted's Failure
PyObject* g_succeed = nullptr;            // defer.succeed
PyObject* g_fail = nullptr;               // defer.fail
PyObject* g_ensure_deferred = nullptr;    // defer.ensureDeferred
PyObject* g_coroutines = nullptr;         // what asyncio.iscoroutine accepts
PyObject* g_failthru = nullptr;           // addCallbacks' default errback
PyObject* g_no_kwargs = nullptr;          // addCallbacks' default keywords
PyObject* g_empty_tuple = nullptr;
// The name of a Deferred's list of callback pairs in its __dict__:
// "callbacks" up to Twisted 25.4, "_callbacks" since 25.5 (where
// `callbacks` became a deprecated read-only property over it).
PyObject* g_callbacks_field = nullptr;
// Whether Deferreds may be built, extended and fired by writing their
// fields (txaio.tx checks at import that this gives what Twisted's own
// methods give); false: Twisted's public methods do it all.
bool g_private = false;

bool CheckSetup() {
  if (g_deferred_type != nullptr) return true;
  PyErr_SetString(PyExc_RuntimeError,
                  "txaio: the Twisted support was not initialised");
  return false;
}

// 1 if Deferred.debug is on (Deferreds then record their creator and
// invoker), 0 if not, -1 on error.
int DeferredDebug() {
  PyObject* debug =
      PyObject_GetAttr(reinterpret_cast<PyObject*>(g_deferred_type), S.debug);
  if (debug == nullptr) return -1;
  int on = PyObject_IsTrue(debug);
  Py_DECREF(debug);
  return on;
}

// A new Deferred: Deferred(canceller) with debugging on, else the instance
// Deferred.__init__ would leave (callbacks=[], _canceller=canceller) built
// without running it. When `fired`, also what callback(result) leaves on a
// Deferred with no callbacks: called, result and a cleared _chainedTo.
PyObject* NewDeferred(PyObject* canceller, PyObject* result, bool fired) {
  int debug = g_private ? DeferredDebug() : 1;
  if (debug < 0) return nullptr;
  if (debug) {
    if (fired) return PyObject_CallOneArg(g_succeed, result);
    return PyObject_CallOneArg(reinterpret_cast<PyObject*>(g_deferred_type),
                               canceller);
  }
  PyObject* d =
      PyBaseObject_Type.tp_new(g_deferred_type, g_empty_tuple, nullptr);
  if (d == nullptr) return nullptr;
  PyObject* callbacks = PyList_New(0);
  bool ok = callbacks != nullptr &&
            PyObject_SetAttr(d, g_callbacks_field, callbacks) == 0 &&
            PyObject_SetAttr(d, S.canceller_attr, canceller) == 0;
  Py_XDECREF(callbacks);
  if (ok && fired) {
    ok = PyObject_SetAttr(d, S.called, Py_True) == 0 &&
         PyObject_SetAttr(d, S.result, result) == 0 &&
         PyObject_SetAttr(d, S.chained_to, Py_None) == 0;
  }
  if (!ok) Py_CLEAR(d);
  return d;
}

// defer.succeed(result), which asserts that `result` is not a Deferred:
// that case goes to Twisted.
PyObject* Succeed(PyObject* result) {
  int is_deferred = PyObject_TypeCheck(result, g_deferred_type);
  if (is_deferred) return PyObject_CallOneArg(g_succeed, result);
  return NewDeferred(Py_None, result, /*fired=*/true);
}

// defer.fail(Failure()) for the error being raised, as an `except
// BaseException:` block would build it: the error is made the handled
// exception while Failure() reads it, then the previous one is restored.
PyObject* FailFromError() {
  PyObject* value = FetchError();
  PyObject* previous = PyErr_GetHandledException();
  PyErr_SetHandledException(value);
  PyObject* failure = PyObject_CallNoArgs(g_failure_type);
  PyErr_SetHandledException(previous);
  Py_XDECREF(previous);
  Py_DECREF(value);
  if (failure == nullptr) return nullptr;
  PyObject* d = PyObject_CallOneArg(g_fail, failure);
  Py_DECREF(failure);
  return d;
}

PyObject* TxCreateFuture(PyObject* op, PyObject* const* args, size_t nargsf,
                         PyObject* kwnames) {
  if (!CheckSetup()) return nullptr;
  Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
  if (nargs != 0 || kwnames != nullptr) {
    // result=, error= or canceller=: the Python implementation.
    PyObject* method = PyObject_GetAttr(op, S.create_future_args);
    if (method == nullptr) return nullptr;
    PyObject* r = PyObject_Vectorcall(method, args, nargs, kwnames);
    Py_DECREF(method);
    return r;
  }
  return NewDeferred(Py_None, nullptr, /*fired=*/false);
}

PyObject* TxCreateFutureSuccess(PyObject*, PyObject* const* args, size_t nargsf,
                                PyObject* kwnames) {
  static const char* const kNames[] = {"result"};
  PyObject* result;
  if (!CheckSetup() ||
      !BindArgs("create_future_success", kNames, 1, 1, args,
                PyVectorcall_NARGS(nargsf), kwnames, &result)) {
    return nullptr;
  }
  return Succeed(result);
}

// future.callback(result) for a Deferred that has not fired, with debugging
// off, and a result that is not a Deferred: what callback() and
// _startRunCallbacks() do then (mark it called, store the result), followed
// by Twisted's own _runCallbacks(). 1 if done, 0 if this does not apply
// (callback() itself then raises or records what it must), -1 on error.
int StartRunCallbacks(PyObject* future, PyObject* result) {
  if (!CheckSetup()) return -1;
  if (!g_private || Py_TYPE(future) != g_deferred_type ||
      PyObject_TypeCheck(result, g_deferred_type)) {
    return 0;
  }
  int debug = DeferredDebug();
  if (debug != 0) return debug < 0 ? -1 : 0;
  PyObject* called = PyObject_GetAttr(future, S.called);
  if (called == nullptr) return -1;
  int fired = PyObject_IsTrue(called);
  Py_DECREF(called);
  if (fired != 0) return fired < 0 ? -1 : 0;
  if (PyObject_SetAttr(future, S.called, Py_True) < 0 ||
      PyObject_SetAttr(future, S.result, result) < 0) {
    return -1;
  }
  PyObject* r = CallMethod0(future, S.run_callbacks);
  if (r == nullptr) return -1;
  Py_DECREF(r);
  return 1;
}

PyObject* TxResolve(PyObject*, PyObject* const* args, size_t nargsf,
                    PyObject* kwnames) {
  static const char* const kNames[] = {"future", "result"};
  PyObject* a[2];
  if (!BindArgs("resolve", kNames, 2, 1, args, PyVectorcall_NARGS(nargsf),
                kwnames, a)) {
    return nullptr;
  }
  PyObject *future = a[0], *result = a[1] ? a[1] : Py_None;
  int started = StartRunCallbacks(future, result);
  if (started < 0) return nullptr;
  if (!started) {
    PyObject* r = CallMethod1(future, S.callback, result);
    if (r == nullptr) return nullptr;
    Py_DECREF(r);
  }
  Py_RETURN_NONE;
}

PyObject* TxIsCalled(PyObject*, PyObject* const* args, size_t nargsf,
                     PyObject* kwnames) {
  static const char* const kNames[] = {"future"};
  PyObject* future;
  if (!BindArgs("is_called", kNames, 1, 1, args, PyVectorcall_NARGS(nargsf),
                kwnames, &future)) {
    return nullptr;
  }
  return PyObject_GetAttr(future, S.called);
}

// future.addCallbacks(callback, errback) for a Deferred that has not fired:
// the pair addCallbacks would append, appended. 1 if done, 0 if the
// Deferred is not one this applies to, -1 on error.
int AppendCallbacks(PyObject* future, PyObject* callback, PyObject* errback) {
  if (!g_private || Py_TYPE(future) != g_deferred_type ||
      !PyCallable_Check(callback) ||
      (errback != Py_None && !PyCallable_Check(errback))) {
    return 0;
  }
  PyObject* called = PyObject_GetAttr(future, S.called);
  if (called == nullptr) return -1;
  int fired = PyObject_IsTrue(called);
  Py_DECREF(called);
  if (fired != 0) return fired < 0 ? -1 : 0;
  PyObject* callbacks = PyObject_GetAttr(future, g_callbacks_field);
  if (callbacks == nullptr) return -1;
  int done = 0;
  if (PyList_CheckExact(callbacks)) {
    PyObject* on_success =
        PyTuple_Pack(3, callback, g_empty_tuple, g_no_kwargs);
    PyObject* on_failure =
        PyTuple_Pack(3, errback == Py_None ? g_failthru : errback,
                     g_empty_tuple, g_no_kwargs);
    PyObject* pair = on_success && on_failure
                         ? PyTuple_Pack(2, on_success, on_failure)
                         : nullptr;
    done = pair != nullptr && PyList_Append(callbacks, pair) == 0 ? 1 : -1;
    Py_XDECREF(on_success);
    Py_XDECREF(on_failure);
    Py_XDECREF(pair);
  }
  Py_DECREF(callbacks);
  return done;
}

PyObject* TxAddCallbacks(PyObject*, PyObject* const* args, size_t nargsf,
                         PyObject* kwnames) {
  static const char* const kNames[] = {"future", "callback", "errback"};
  PyObject* a[3];
  if (!CheckSetup() || !BindArgs("add_callbacks", kNames, 3, 3, args,
                                 PyVectorcall_NARGS(nargsf), kwnames, a)) {
    return nullptr;
  }
  PyObject *future = a[0], *callback = a[1], *errback = a[2];
  PyObject* r;
  if (callback == Py_None) {
    if (errback == Py_None) {
      PyErr_SetString(PyExc_ValueError,
                      "callback and errback cannot both be None");
      return nullptr;
    }
    r = CallMethod1(future, S.addErrback, errback);
  } else {
    int appended = AppendCallbacks(future, callback, errback);
    if (appended < 0) return nullptr;
    if (appended) return Py_NewRef(future);
    PyObject* call[3] = {future, callback, errback};
    r = PyObject_VectorcallMethod(S.addCallbacks, call,
                                  3 | PY_VECTORCALL_ARGUMENTS_OFFSET, nullptr);
  }
  if (r == nullptr) return nullptr;
  Py_DECREF(r);
  return Py_NewRef(future);
}

// maybeDeferred, plus coroutines (a returned coroutine is wrapped with
// ensureDeferred, whether `fun` was an async def or not).
PyObject* TxAsFuture(PyObject*, PyObject* const* args, size_t nargsf,
                     PyObject* kwnames) {
  if (!CheckSetup()) return nullptr;
  PyObject* fun = nullptr;
  PyObject* res =
      CallAsFutureFun(args, PyVectorcall_NARGS(nargsf), kwnames, &fun);
  if (res == nullptr) return fun == nullptr ? nullptr : FailFromError();
  if (PyObject_TypeCheck(res, g_deferred_type)) return res;
  PyObject* d = nullptr;
  int is = PyObject_IsInstance(res, g_failure_type);
  if (is > 0) {
    d = PyObject_CallOneArg(g_fail, res);
  } else if (is == 0) {
    is = PyObject_IsInstance(res, g_coroutines);
    if (is > 0) d = PyObject_CallOneArg(g_ensure_deferred, res);
    if (is == 0) d = NewDeferred(Py_None, res, /*fired=*/true);
  }
  Py_DECREF(res);
  return d;
}

PyMethodDef kTxApiMethods[] = {
    TXAIO_API_METHOD("create_future", TxCreateFuture,
                     "create_future(result=, error=, canceller=None): a "
                     "Deferred."),
    TXAIO_API_METHOD("create_future_success", TxCreateFutureSuccess,
                     "create_future_success(result): a Deferred fired with "
                     "it."),
    TXAIO_API_METHOD("resolve", TxResolve,
                     "resolve(future, result=None): future.callback(result)."),
    TXAIO_API_METHOD("is_called", TxIsCalled,
                     "is_called(future): whether the Deferred has fired."),
    TXAIO_API_METHOD("add_callbacks", TxAddCallbacks,
                     "add_callbacks(future, callback, errback): adds the pair "
                     "(not both None); returns the Deferred."),
    TXAIO_API_METHOD("as_future", TxAsFuture,
                     "as_future(fun, *args, **kwargs): fun's result, exception "
                     "or coroutine as a Deferred."),
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject TxApiType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "txaio._txaio_core.TxApi",
    .tp_basicsize = sizeof(ApiBase),
    // Py_TPFLAGS_HAVE_GC, traverse and clear come from ApiBase.
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "TxApi(config): the native methods of txaio's Twisted API.",
    .tp_methods = kTxApiMethods,
    .tp_base = &ApiBaseType,
};

// Called once by txaio.tx at import (a cold path, so a pybind11 function).
void TxSetup(py::type deferred, py::object failure, py::object succeed,
             py::object fail, py::object ensure_deferred, py::object coroutines,
             py::object failthru, py::object no_kwargs, bool private_fields,
             py::str callbacks_field) {
  if (g_empty_tuple == nullptr) g_empty_tuple = py::tuple().release().ptr();
  g_private = private_fields;
  PyObject* field = callbacks_field.release().ptr();
  PyUnicode_InternInPlace(&field);
  Py_XSETREF(g_callbacks_field, field);
  Py_XSETREF(g_deferred_type,
             reinterpret_cast<PyTypeObject*>(deferred.release().ptr()));
  Py_XSETREF(g_failure_type, failure.release().ptr());
  Py_XSETREF(g_succeed, succeed.release().ptr());
  Py_XSETREF(g_fail, fail.release().ptr());
  Py_XSETREF(g_ensure_deferred, ensure_deferred.release().ptr());
  Py_XSETREF(g_coroutines, coroutines.release().ptr());
  Py_XSETREF(g_failthru, failthru.release().ptr());
  Py_XSETREF(g_no_kwargs, no_kwargs.release().ptr());
}

}  // namespace

bool AddTxTypes(PyObject* module) {
  return PyType_Ready(&TxApiType) == 0 &&
         PyModule_AddType(module, &TxApiType) == 0;
}

void AddTxBindings(py::module_& m) {
  m.def("tx_setup", &TxSetup, py::arg("Deferred"), py::arg("Failure"),
        py::arg("succeed"), py::arg("fail"), py::arg("ensureDeferred"),
        py::arg("coroutine_types"), py::arg("failthru"), py::arg("no_kwargs"),
        py::arg("private"), py::arg("callbacks_field"),
        "Called by txaio.tx at import: Twisted's parts the native TxApi "
        "uses; `private` allows writing Deferreds' fields, the callback "
        "pairs being in the field named `callbacks_field`.");
}

}  // namespace txaio_py
