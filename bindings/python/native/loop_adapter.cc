// PyLoop: a txaio::Loop that runs txaio-cpp's core on Python's event loop
// (an asyncio loop or the Twisted reactor), with no thread and no polling:
// wake_up() is the loop's call_soon_threadsafe / reactor.callFromThread and
// wake_at() one call_later / callLater re-armed as the earliest core timer
// changes. Also binds the example HeartbeatTracker, whose futures come back
// to Python as native futures (asyncio Future / Twisted Deferred).
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <string_view>

#include "bindings/python/example/heartbeat.h"
#include "core/failure.h"
#include "core/future.h"
#include "core/loop_base.h"

namespace py = pybind11;

namespace txaio_py {
namespace {

class PyLoop : public txaio::LoopBase,
               public std::enable_shared_from_this<PyLoop> {
 public:
  // `loop` is an asyncio event loop, or (twisted) a reactor.
  PyLoop(py::object loop, bool twisted)
      : loop_(std::move(loop)),
        twisted_(twisted),
        threadsafe_(py::hasattr(loop_, twisted ? "callFromThread"
                                               : "call_soon_threadsafe")) {}

  ~PyLoop() override {
    py::gil_scoped_acquire gil;
    if (timer_ && timer_active()) timer_.attr("cancel")();
  }

  std::string_view framework() const override {
    return twisted_ ? "twisted" : "asyncio";
  }

  absl::Duration now() const override {
    py::gil_scoped_acquire gil;
    double seconds = loop_.attr(twisted_ ? "seconds" : "time")().cast<double>();
    return absl::Seconds(seconds);
  }

  const py::object& py_loop() const { return loop_; }
  bool twisted() const { return twisted_; }

 protected:
  void wake_up() override {
    py::gil_scoped_acquire gil;
    if (threadsafe_) {
      loop_.attr(twisted_ ? "callFromThread" : "call_soon_threadsafe")(
          runner());
    } else {
      // A test clock (twisted.internet.task.Clock): single-threaded, so
      // the next turn is enough.
      loop_.attr("callLater")(0.0, runner());
    }
  }

  void wake_at(absl::Duration deadline) override {
    py::gil_scoped_acquire gil;
    if (timer_ && timer_active()) timer_.attr("cancel")();
    double delay = absl::ToDoubleSeconds(deadline - now());
    timer_ = loop_.attr(twisted_ ? "callLater" : "call_later")(
        delay > 0 ? delay : 0.0, runner());
  }

 private:
  // A Python callable running run_once() if this loop still exists.
  py::cpp_function runner() {
    std::weak_ptr<PyLoop> weak = weak_from_this();
    return py::cpp_function([weak] {
      if (std::shared_ptr<PyLoop> self = weak.lock()) self->run_once();
    });
  }

  bool timer_active() const {
    // Twisted's DelayedCall.cancel() raises once it ran; asyncio's is
    // always safe.
    return !twisted_ || timer_.attr("active")().cast<bool>();
  }

  py::object loop_;
  bool twisted_;
  bool threadsafe_;  // whether the loop can be woken from other threads
  py::object timer_;  // the pending call_later for wake_at(), if any
};

// A native future (asyncio Future / Deferred) completed from a core future.
py::object NativeFuture(PyLoop& loop, txaio::Future<void> future) {
  py::object native;
  if (loop.twisted()) {
    native = py::module_::import("twisted.internet.defer").attr("Deferred")();
  } else {
    native = loop.py_loop().attr("create_future")();
  }
  bool twisted = loop.twisted();
  future.add_callbacks(
      [native, twisted] {
        py::gil_scoped_acquire gil;
        if (twisted) {
          if (!native.attr("called").cast<bool>()) {
            native.attr("callback")(py::none());
          }
        } else if (!native.attr("done")().cast<bool>()) {
          native.attr("set_result")(py::none());
        }
      },
      [native, twisted](const txaio::Failure& failure) {
        py::gil_scoped_acquire gil;
        py::object error =
            py::module_::import("builtins")
                .attr(failure.type_name().find("CancelledError") !=
                              std::string::npos
                          ? "RuntimeError"
                          : "TimeoutError")(txaio::failure_message(failure));
        if (twisted) {
          if (!native.attr("called").cast<bool>()) {
            native.attr("errback")(
                py::module_::import("twisted.python.failure")
                    .attr("Failure")(error));
          }
        } else if (!native.attr("done")().cast<bool>()) {
          native.attr("set_exception")(error);
        }
      });
  return native;
}

// The Python face of HeartbeatTracker: its loop is a PyLoop.
class PyHeartbeatTracker {
 public:
  explicit PyHeartbeatTracker(std::shared_ptr<PyLoop> loop)
      : loop_(std::move(loop)), tracker_(*loop_) {}

  py::object watch(const std::string& peer, double timeout) {
    return NativeFuture(*loop_, tracker_.watch(peer, timeout));
  }
  bool beat(const std::string& peer) { return tracker_.beat(peer); }
  bool stop(const std::string& peer) { return tracker_.stop(peer); }
  size_t watching() const { return tracker_.watching(); }

 private:
  std::shared_ptr<PyLoop> loop_;  // outlives tracker_
  txaio::HeartbeatTracker tracker_;
};

}  // namespace

void AddLoopBindings(py::module_& m) {
  py::class_<PyLoop, std::shared_ptr<PyLoop>>(
      m, "PyLoop",
      "PyLoop(loop, twisted): txaio-cpp's core Loop on an asyncio loop or "
      "the Twisted reactor.")
      .def(py::init<py::object, bool>(), py::arg("loop"), py::arg("twisted"))
      .def_property_readonly("framework", [](const PyLoop& l) {
        return std::string(l.framework());
      })
      .def("now", [](const PyLoop& l) {
        return absl::ToDoubleSeconds(l.now());
      }, "The loop's clock, in seconds, as the core sees it.")
      .def_property_readonly("pending_timers", &PyLoop::pending_timers);

  py::class_<PyHeartbeatTracker>(
      m, "HeartbeatTracker",
      "HeartbeatTracker(loop): the C++ example library; watch() returns a "
      "native future that fails with TimeoutError when a peer misses a "
      "heartbeat and resolves on stop().")
      .def(py::init<std::shared_ptr<PyLoop>>(), py::arg("loop"))
      .def("watch", &PyHeartbeatTracker::watch, py::arg("peer"),
           py::arg("timeout"))
      .def("beat", &PyHeartbeatTracker::beat, py::arg("peer"))
      .def("stop", &PyHeartbeatTracker::stop, py::arg("peer"))
      .def_property_readonly("watching", &PyHeartbeatTracker::watching);
}

}  // namespace txaio_py
