// The txaio._txaio_core extension module: registers the native parts.
#include <pybind11/pybind11.h>

#include "bindings/python/native/common.h"
#include "bindings/python/native/py_loop.h"

namespace txaio_py {

Strings S;

bool InitStrings() {
  struct Entry {
    PyObject** slot;
    const char* text;
  };
  const Entry entries[] = {
      {&S.result, "result"},
      {&S.exception, "exception"},
      {&S.cancelled, "cancelled"},
      {&S.done, "done"},
      {&S.get_loop, "get_loop"},
      {&S.set_result, "set_result"},
      {&S.set_exception, "set_exception"},
      {&S.add_done_callback, "add_done_callback"},
      {&S.cancel, "cancel"},
      {&S.cancel_message, "_cancel_message"},
      {&S.make_cancelled_error, "_make_cancelled_error"},
      {&S.cancel_requested, "_cancel_requested"},
      {&S.loop, "loop"},
      {&S.time, "time"},
      {&S.seconds, "seconds"},
      {&S.call_later, "call_later"},
      {&S.callLater, "callLater"},
      {&S.callFromThread, "callFromThread"},
      {&S.call_soon_threadsafe, "call_soon_threadsafe"},
      {&S.active, "active"},
      {&S.format, "format"},
      {&S.log_time, "log_time"},
      {&S.log_level, "log_level"},
      {&S.log_format, "log_format"},
      {&S.log_category, "log_category"},
      {&S.txaio_trace, "txaio_trace"},
      {&S.log_logger, "log_logger"},
      {&S.log_namespace, "log_namespace"},
      {&S.log_source, "log_source"},
      {&S.log_trace, "log_trace"},
      {&S.log_flattened, "log_flattened"},
      {&S.namespace_, "namespace"},
      {&S.source, "source"},
      {&S.observer, "observer"},
      {&S.observers, "_observers"},
      {&S.emit, "emit"},
      {&S.format_map, "format_map"},
      {&S.call_parens, "()"},
      {&S.log_level_attr, "_log_level"},
      {&S.log_levels, "log_levels"},
      {&S.debug, "debug"},
      {&S.callbacks, "callbacks"},
      {&S.canceller_attr, "_canceller"},
      {&S.called, "called"},
      {&S.chained_to, "_chainedTo"},
      {&S.callback, "callback"},
      {&S.addErrback, "addErrback"},
      {&S.addCallbacks, "addCallbacks"},
      {&S.create_future_args, "_create_future"},
      {&S.run_callbacks, "_runCallbacks"},
      {&S.filters, "filters"},
      {&S.handlers, "handlers"},
      {&S.level, "level"},
      {&S.propagate, "propagate"},
      {&S.parent, "parent"},
      {&S.disabled, "disabled"},
      {&S.disable, "disable"},
      {&S.manager, "manager"},
      {&S.write, "write"},
      {&S.encode, "encode"},
      {&S.utf8, "utf8"},
      {&S.return_exceptions, "return_exceptions"},
      {&S.create_future, "create_future"},
      {&S.create_future_full, "_create_future"},
      {&S.create_task, "create_task"},
      {&S.get_event_loop, "get_event_loop"},
  };
  for (const Entry& e : entries) {
    *e.slot = PyUnicode_InternFromString(e.text);
    if (*e.slot == nullptr) return false;
  }
  return true;
}

void AddLoopBindings(pybind11::module_& m);

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
  txaio_py::AddLoopBindings(m);
}
