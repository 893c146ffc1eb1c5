// What pybind11 costs on the patterns the txaio extension's hot objects use
// (bindings/python/native), against the raw CPython API each of them is
// written with: the same trivial work declared both ways, so that the
// difference is the binding layer alone. Driven by pybind_cost.py; the
// figures are in docs/python.md ("How the extension is written").
//
// Each pattern, raw_* against pb_*:
//   call1          f(x): a module function of one argument (aio_gather,
//                  the API methods' entry)
//   call_varargs   f(a, b, *args, **kwargs) passed on (as_future,
//                  BatchedTimer.call_later, the log emitters)
//   new_handle     a new untracked object owning a C++ member (the
//                  BatchedCall handle of every batched call_later)
//   cancel         a no-argument method of such an object (BatchedCall's
//                  cancel())
//   new_callback   a new GC-tracked object holding two references (an
//                  AioCallbacks per add_callbacks, a Gather per gather)
//   callback(x)    calling such an object (the done-callback asyncio calls,
//                  the loop runner the framework calls)
//   Base.method(x) a method of a native base class on an instance of a
//                  Python subclass (AioApi/TxApi under txaio's API classes)
#include <pybind11/pybind11.h>

#include <memory>
#include <new>

namespace py = pybind11;

namespace {

// ---------------------------------------------------------------- raw side

PyObject* RawCall1(PyObject*, PyObject* arg) { Py_RETURN_NONE; }

PyObject* RawVarargs(PyObject*, PyObject* const* args, Py_ssize_t nargsf,
                     PyObject* kwnames) {
  if (PyVectorcall_NARGS(nargsf) < 2) {
    PyErr_SetString(PyExc_TypeError, "two arguments at least");
    return nullptr;
  }
  return Py_NewRef(args[0]);
}

struct Handle {
  int generation = 0;
  std::shared_ptr<int> state;  // a C++ member with a destructor
};

struct RawHandle {
  PyObject_HEAD Handle handle;
};

void RawHandleDealloc(PyObject* op) {
  reinterpret_cast<RawHandle*>(op)->handle.~Handle();
  PyObject_Free(op);
}

PyObject* RawHandleCancel(PyObject* op, PyObject*) {
  ++reinterpret_cast<RawHandle*>(op)->handle.generation;
  Py_RETURN_NONE;
}

PyMethodDef kRawHandleMethods[] = {
    {"cancel", RawHandleCancel, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject RawHandleType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "_pybind_cost.RawHandle",
    .tp_basicsize = sizeof(RawHandle),
    .tp_dealloc = RawHandleDealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_methods = kRawHandleMethods,
};

PyObject* RawNewHandle(PyObject*, PyObject*) {
  auto* h = PyObject_New(RawHandle, &RawHandleType);
  if (h == nullptr) return nullptr;
  new (&h->handle) Handle();
  return reinterpret_cast<PyObject*>(h);
}

struct RawCallback {
  PyObject_HEAD vectorcallfunc vectorcall;
  PyObject* callback;
  PyObject* errback;
};

int RawCallbackTraverse(PyObject* op, visitproc visit, void* arg) {
  auto* self = reinterpret_cast<RawCallback*>(op);
  Py_VISIT(self->callback);
  Py_VISIT(self->errback);
  return 0;
}

int RawCallbackClear(PyObject* op) {
  auto* self = reinterpret_cast<RawCallback*>(op);
  Py_CLEAR(self->callback);
  Py_CLEAR(self->errback);
  return 0;
}

void RawCallbackDealloc(PyObject* op) {
  PyObject_GC_UnTrack(op);
  RawCallbackClear(op);
  PyObject_GC_Del(op);
}

PyObject* RawCallbackCall(PyObject* op, PyObject* const* args, size_t nargsf,
                          PyObject*) {
  if (PyVectorcall_NARGS(nargsf) != 1) {
    PyErr_SetString(PyExc_TypeError, "one argument");
    return nullptr;
  }
  Py_RETURN_NONE;
}

PyTypeObject RawCallbackType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "_pybind_cost.RawCallback",
    .tp_basicsize = sizeof(RawCallback),
    .tp_dealloc = RawCallbackDealloc,
    .tp_vectorcall_offset = offsetof(RawCallback, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags =
        Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_traverse = RawCallbackTraverse,
    .tp_clear = RawCallbackClear,
};

PyObject* RawNewCallback(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "two arguments");
    return nullptr;
  }
  auto* cb = PyObject_GC_New(RawCallback, &RawCallbackType);
  if (cb == nullptr) return nullptr;
  cb->vectorcall = RawCallbackCall;
  cb->callback = Py_NewRef(args[0]);
  cb->errback = Py_NewRef(args[1]);
  PyObject_GC_Track(cb);
  return reinterpret_cast<PyObject*>(cb);
}

struct RawBase {
  PyObject_HEAD PyObject* config;
};

int RawBaseTraverse(PyObject* op, visitproc visit, void* arg) {
  Py_VISIT(reinterpret_cast<RawBase*>(op)->config);
  return 0;
}

int RawBaseClear(PyObject* op) {
  Py_CLEAR(reinterpret_cast<RawBase*>(op)->config);
  return 0;
}

void RawBaseDealloc(PyObject* op) {
  PyObject_GC_UnTrack(op);
  RawBaseClear(op);
  Py_TYPE(op)->tp_free(op);
}

PyObject* RawBaseNew(PyTypeObject* type, PyObject* args, PyObject*) {
  PyObject* config = Py_None;
  if (!PyArg_ParseTuple(args, "|O", &config)) return nullptr;
  PyObject* op = type->tp_alloc(type, 0);
  if (op != nullptr) reinterpret_cast<RawBase*>(op)->config = Py_NewRef(config);
  return op;
}

PyObject* RawBaseMethod(PyObject*, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  if (nargs != 1 || kwnames != nullptr) {
    PyErr_SetString(PyExc_TypeError, "one argument");
    return nullptr;
  }
  return Py_NewRef(args[0]);
}

PyMethodDef kRawBaseMethods[] = {
    {"method", reinterpret_cast<PyCFunction>(RawBaseMethod),
     METH_FASTCALL | METH_KEYWORDS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject RawBaseType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "_pybind_cost.RawBase",
    .tp_basicsize = sizeof(RawBase),
    .tp_dealloc = RawBaseDealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_traverse = RawBaseTraverse,
    .tp_clear = RawBaseClear,
    .tp_methods = kRawBaseMethods,
    .tp_new = RawBaseNew,
};

PyMethodDef kRawFunctions[] = {
    {"raw_call1", RawCall1, METH_O, nullptr},
    {"raw_call_varargs", reinterpret_cast<PyCFunction>(RawVarargs),
     METH_FASTCALL | METH_KEYWORDS, nullptr},
    {"raw_new_handle", RawNewHandle, METH_NOARGS, nullptr},
    {"raw_new_callback", reinterpret_cast<PyCFunction>(RawNewCallback),
     METH_FASTCALL, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

// ------------------------------------------------------------ pybind11 side

struct PbHandle {
  Handle handle;
  void cancel() { ++handle.generation; }
};

// What AioCallbacks would be as a pybind11 class: two references the GC
// must see, so traverse and clear are added with custom_type_setup.
struct PbCallback {
  py::object callback;
  py::object errback;
};

struct PbBase {
  py::object config;
};

}  // namespace

PYBIND11_MODULE(_pybind_cost, m) {
  for (PyTypeObject* type : {&RawHandleType, &RawCallbackType, &RawBaseType}) {
    if (PyType_Ready(type) < 0) throw py::error_already_set();
  }
  if (PyModule_AddType(m.ptr(), &RawBaseType) < 0 ||
      PyModule_AddFunctions(m.ptr(), kRawFunctions) < 0) {
    throw py::error_already_set();
  }

  m.def("pb_call1", [](py::handle) {});
  m.def("pb_call_varargs", [](py::handle a, py::handle, py::args, py::kwargs) {
    return py::reinterpret_borrow<py::object>(a);
  });
  py::class_<PbHandle>(m, "PbHandle").def("cancel", &PbHandle::cancel);
  m.def("pb_new_handle", [] { return PbHandle(); });
  py::class_<PbCallback>(
      m, "PbCallback", py::custom_type_setup([](PyHeapTypeObject* heap_type) {
        auto* type = &heap_type->ht_type;
        type->tp_flags |= Py_TPFLAGS_HAVE_GC;
        type->tp_traverse = [](PyObject* self, visitproc visit, void* arg) {
          auto& v = py::cast<PbCallback&>(py::handle(self));
          Py_VISIT(v.callback.ptr());
          Py_VISIT(v.errback.ptr());
          return 0;
        };
        type->tp_clear = [](PyObject* self) {
          auto& v = py::cast<PbCallback&>(py::handle(self));
          v.callback = py::object();
          v.errback = py::object();
          return 0;
        };
      }))
      .def("__call__", [](PbCallback&, py::handle) {});
  m.def("pb_new_callback", [](py::object callback, py::object errback) {
    return PbCallback{std::move(callback), std::move(errback)};
  });
  py::class_<PbBase>(m, "PbBase")
      .def(py::init([](py::object config) { return PbBase{config}; }),
           py::arg("config") = py::none())
      .def("method", [](PbBase&, py::object x) { return x; });
}
