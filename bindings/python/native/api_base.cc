#include "bindings/python/native/api_base.h"

#include "structmember.h"

namespace txaio_py {

bool BindArgs(const char* fname, const char* const* names, int n, int required,
              PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
              PyObject** out) {
  if (nargs > n) {
    PyErr_Format(PyExc_TypeError,
                 "%s() takes at most %d positional arguments (%zd given)",
                 fname, n, nargs);
    return false;
  }
  for (int i = 0; i < n; ++i) out[i] = i < nargs ? args[i] : nullptr;
  Py_ssize_t nkw = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    PyObject* key = PyTuple_GET_ITEM(kwnames, k);
    int i = 0;
    while (i < n && PyUnicode_CompareWithASCIIString(key, names[i]) != 0) ++i;
    if (i == n) {
      PyErr_Format(PyExc_TypeError,
                   "%s() got an unexpected keyword argument '%U'", fname, key);
      return false;
    }
    if (out[i] != nullptr) {
      PyErr_Format(PyExc_TypeError,
                   "%s() got multiple values for argument '%s'", fname,
                   names[i]);
      return false;
    }
    out[i] = args[nargs + k];
  }
  for (int i = 0; i < required; ++i) {
    if (out[i] == nullptr) {
      PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s'",
                   fname, names[i]);
      return false;
    }
  }
  return true;
}

PyObject* CallAsFutureFun(PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames, PyObject** fun) {
  if (nargs > 0) {
    *fun = args[0];
    return PyObject_Vectorcall(args[0], args + 1, nargs - 1, kwnames);
  }
  // as_future(fun=f, ...): take `fun` out of the keywords.
  PyObject* kwargs = PyDict_New();
  if (kwargs == nullptr) return nullptr;
  Py_ssize_t nkw = kwnames == nullptr ? 0 : PyTuple_GET_SIZE(kwnames);
  for (Py_ssize_t k = 0; k < nkw; ++k) {
    if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, k), args[k]) < 0) {
      Py_DECREF(kwargs);
      return nullptr;
    }
  }
  PyObject* f = PyDict_GetItemString(kwargs, "fun");  // borrowed
  if (f == nullptr) {
    Py_DECREF(kwargs);
    PyErr_SetString(PyExc_TypeError,
                    "as_future() missing required argument 'fun'");
    return nullptr;
  }
  Py_INCREF(f);
  PyDict_DelItemString(kwargs, "fun");
  *fun = f;  // kept alive by the caller's keyword arguments
  Py_DECREF(f);
  PyObject* empty = PyTuple_New(0);
  PyObject* r = empty ? PyObject_Call(f, empty, kwargs) : nullptr;
  Py_XDECREF(empty);
  Py_DECREF(kwargs);
  return r;
}

namespace {

PyObject* ApiBaseNew(PyTypeObject* type, PyObject* args, PyObject* kw) {
  PyObject* config;
  static const char* kwlist[] = {"config", nullptr};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O:ApiBase",
                                   const_cast<char**>(kwlist), &config)) {
    return nullptr;
  }
  PyObject* op = type->tp_alloc(type, 0);
  if (op == nullptr) return nullptr;
  reinterpret_cast<ApiBase*>(op)->config = Py_NewRef(config);
  return op;
}

// A heap subclass's own slots (subtype_traverse/subtype_dealloc) visit and
// release the reference each instance holds on its class, since this base
// is a static type; doing it here too would free the class early.
PyMemberDef kApiBaseMembers[] = {
    {"_config", T_OBJECT_EX, offsetof(ApiBase, config), READONLY,
     "the configuration (its .loop is the loop) this API uses"},
    {nullptr, 0, 0, 0, nullptr},
};

}  // namespace

using ApiBaseGc = GcSlots<ApiBase, &ApiBase::config>;

PyTypeObject ApiBaseType = {
    .ob_base = PyVarObject_HEAD_INIT(nullptr, 0).tp_name =
        "txaio._txaio_core.ApiBase",
    .tp_basicsize = sizeof(ApiBase),
    .tp_dealloc = ApiBaseGc::Dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "ApiBase(config): an API object bound to a txaio config.",
    .tp_traverse = ApiBaseGc::Traverse,
    .tp_clear = ApiBaseGc::Clear,
    .tp_members = kApiBaseMembers,
    .tp_new = ApiBaseNew,
};

}  // namespace txaio_py
