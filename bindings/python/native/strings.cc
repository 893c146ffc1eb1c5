// The extension's interned attribute names (common.h): module state that
// PyLoop (loop_adapter.cc) shares with the rest of the extension, kept apart
// from module.cc so that //bindings/python:py_loop links without the module
// (the C++ conformance suite on PyLoop, testing/python/py_conformance_test.cc).
#include "bindings/python/native/common.h"

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

}  // namespace txaio_py
