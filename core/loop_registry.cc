#include "core/loop_registry.h"

#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/api.h"

namespace txaio {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, LoopFactory, std::less<>> factories;
};

// Never destroyed: registrations happen during static initialisation and
// lookups may happen during static destruction.
Registry& TheRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

}  // namespace

LoopRegistration::LoopRegistration(std::string_view name, LoopFactory factory) {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  if (!registry.factories.emplace(std::string(name), std::move(factory))
           .second) {
    throw std::logic_error(absl::StrCat("txaio: two backends registered as \"",
                                        std::string(name), "\""));
  }
}

std::vector<std::string> loop_names() {
  Registry& registry = TheRegistry();
  std::lock_guard<std::mutex> lock(registry.mutex);
  std::vector<std::string> names;
  for (const auto& [name, factory] : registry.factories) names.push_back(name);
  return names;
}

std::unique_ptr<RunnableLoop> make_loop(std::string_view name) {
  LoopFactory factory;
  {
    Registry& registry = TheRegistry();
    std::lock_guard<std::mutex> lock(registry.mutex);
    auto it = registry.factories.find(name);
    if (it != registry.factories.end()) factory = it->second;
  }
  if (!factory) {
    std::vector<std::string> names = loop_names();
    throw std::invalid_argument(absl::StrCat(
        "txaio: no backend named \"", std::string(name),
        "\" is linked; linked: ",
        names.empty() ? std::string("none") : absl::StrJoin(names, ", ")));
  }
  return factory();
}

RunnableLoop& use_loop_named(std::string_view name) {
  std::shared_ptr<RunnableLoop> loop = make_loop(name);
  RunnableLoop& result = *loop;
  use_loop(std::move(loop));
  return result;
}

}  // namespace txaio
