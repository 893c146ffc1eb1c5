// Internal to the txaio Python extension: what the native API base classes
// of both frameworks (AioApi, TxApi) share: the instance layout and
// argument binding (their methods take vectorcall arguments and must bind
// them as a Python function would).
#ifndef TXAIO_BINDINGS_PYTHON_NATIVE_API_BASE_H_
#define TXAIO_BINDINGS_PYTHON_NATIVE_API_BASE_H_

#include "bindings/python/native/common.h"

namespace txaio_py {

// An API object: the txaio._Config (whose .loop is the loop, or None) it
// was made for. ApiBase(config) is the Python-visible base type; AioApi
// and TxApi derive from it, adding only methods.
struct ApiBase {
  PyObject_HEAD PyObject* config;
};
extern PyTypeObject ApiBaseType;

// A PyMethodDef entry for a METH_FASTCALL | METH_KEYWORDS method.
#define TXAIO_API_METHOD(name, fn, doc)                                    \
  {                                                                        \
    name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(fn)), \
        METH_FASTCALL | METH_KEYWORDS, doc                                 \
  }

// Binds vectorcall arguments to the parameters `names` (n of them, the
// first `required` mandatory) as Python would for a plain function: out[i]
// is a borrowed reference, or nullptr for an absent optional parameter.
// False with a TypeError set on a mismatch.
bool BindArgs(const char* fname, const char* const* names, int n, int required,
              PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
              PyObject** out);

// Calls fun(*args, **kwargs) for as_future(fun, *args, **kwargs): the
// arguments after `fun` are passed on as they came, without packing them.
// Sets *fun (borrowed) once `fun` was found, so a caller can tell fun's own
// error from a bad call to as_future.
PyObject* CallAsFutureFun(PyObject* const* args, Py_ssize_t nargs,
                          PyObject* kwnames, PyObject** fun);

}  // namespace txaio_py

#endif  // TXAIO_BINDINGS_PYTHON_NATIVE_API_BASE_H_
