// The registry of backends by name: how an application, the C ABI, the demo
// and the conformance suite pick an event loop without naming its type.
//
//   std::unique_ptr<txaio::RunnableLoop> loop = txaio::make_loop("glib");
//   txaio::use_loop(std::shared_ptr<txaio::Loop>(std::move(loop)));
//
// A backend registers itself from its own .cc file with a namespace-scope
// LoopRegistration; its cc_library is alwayslink so that linking the library
// is enough. Which names exist therefore depends on which backends the
// program links.
#ifndef TXAIO_CORE_LOOP_REGISTRY_H_
#define TXAIO_CORE_LOOP_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/runnable_loop.h"

namespace txaio {

// Makes a new loop of the backend registered as `name` ("asio", "uv", ...),
// owning its underlying event loop. Throws std::invalid_argument naming the
// registered backends if there is no such name.
std::unique_ptr<RunnableLoop> make_loop(std::string_view name);

// The registered backends' names, sorted.
std::vector<std::string> loop_names();

// Makes a loop of the named backend, selects it as the default loop
// (use_loop()) and returns it for the application to run.
RunnableLoop& use_loop_named(std::string_view name);

// Makes a backend's loops.
using LoopFactory = std::function<std::unique_ptr<RunnableLoop>()>;

// Registers `factory` under `name` for the program's lifetime, at static
// initialisation. A second registration of one name throws std::logic_error.
class LoopRegistration {
 public:
  LoopRegistration(std::string_view name, LoopFactory factory);
  LoopRegistration(const LoopRegistration&) = delete;
  LoopRegistration& operator=(const LoopRegistration&) = delete;
};

}  // namespace txaio

#endif  // TXAIO_CORE_LOOP_REGISTRY_H_
