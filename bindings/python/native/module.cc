// The txaio._txaio_core extension module: registers the native parts.
#include <pybind11/pybind11.h>

#include "bindings/python/native/common.h"
#include "bindings/python/native/py_loop.h"

namespace txaio_py {

void AddLoopBindings(pybind11::module_& m);
void AddAioBindings(pybind11::module_& m);
void AddTxBindings(pybind11::module_& m);

namespace {

PyObject* NoOp(PyObject*, PyObject* const*, Py_ssize_t, PyObject*) {
  Py_RETURN_NONE;
}

PyMethodDef kModuleFunctions[] = {
    {"no_op", reinterpret_cast<PyCFunction>(NoOp),
     METH_FASTCALL | METH_KEYWORDS,
     "Accepts any arguments and does nothing: what a logger's disabled "
     "levels are bound to."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

}  // namespace txaio_py

PYBIND11_MODULE(_txaio_core, m) {
  m.doc() = "txaio-cpp's native core for the txaio Python package.";
  if (!txaio_py::InitStrings() || !txaio_py::InitLoopTypes() ||
      !txaio_py::AddAioTypes(m.ptr()) ||
      !txaio_py::AddBatchedTimerTypes(m.ptr()) ||
      !txaio_py::AddLogTypes(m.ptr()) || !txaio_py::AddTxTypes(m.ptr()) ||
      PyModule_AddFunctions(m.ptr(), txaio_py::kModuleFunctions) < 0) {
    throw pybind11::error_already_set();
  }
  // The pybind11-bound functions translate C++ exceptions as the CPython-API
  // parts do, through the one helper (a PythonError raised from the loop's
  // clock comes out as itself, not as a RuntimeError with its text);
  // pybind11's own exceptions go on to pybind11's translator.
  pybind11::register_local_exception_translator([](std::exception_ptr p) {
    try {
      std::rethrow_exception(p);
    } catch (const pybind11::error_already_set&) {
      throw;
    } catch (const pybind11::builtin_exception&) {
      throw;
    } catch (...) {
      txaio_py::SetErrorFromCurrentException();
    }
  });
  txaio_py::AddLoopBindings(m);
  txaio_py::AddAioBindings(m);
  txaio_py::AddTxBindings(m);
}
