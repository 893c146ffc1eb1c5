// The error side of the conventions (conventions.h): the per-thread message
// behind txaio_last_error(), status names, and the ABI's version.
#include <string>

#include "bindings/c/conventions.h"
#include "bindings/c/txaio.h"

namespace txaio::c_api {
namespace {

thread_local std::string t_last_error;

}  // namespace

txaio_status Fail(txaio_status status, const char* function,
                  const char* reason) noexcept {
  try {
    t_last_error.assign(function);
    t_last_error.append(": ");
    t_last_error.append(reason);
  } catch (...) {
    t_last_error.clear();  // out of memory: the status still tells
  }
  return status;
}

}  // namespace txaio::c_api

using txaio::c_api::RawEnum;

extern "C" {

const char* txaio_last_error(void) {
  return txaio::c_api::t_last_error.c_str();
}

const char* txaio_status_name(txaio_status status) {
  switch (RawEnum(status)) {
    case TXAIO_OK:
      return "TXAIO_OK";
    case TXAIO_ERR_INVALID_HANDLE:
      return "TXAIO_ERR_INVALID_HANDLE";
    case TXAIO_ERR_INVALID_ARGUMENT:
      return "TXAIO_ERR_INVALID_ARGUMENT";
    case TXAIO_ERR_ALREADY_CALLED:
      return "TXAIO_ERR_ALREADY_CALLED";
    case TXAIO_ERR_PENDING:
      return "TXAIO_ERR_PENDING";
    case TXAIO_ERR_FAILED:
      return "TXAIO_ERR_FAILED";
    case TXAIO_ERR_CANCELLED:
      return "TXAIO_ERR_CANCELLED";
    case TXAIO_ERR_UNSUPPORTED:
      return "TXAIO_ERR_UNSUPPORTED";
    case TXAIO_ERR_NO_MEMORY:
      return "TXAIO_ERR_NO_MEMORY";
    case TXAIO_ERR_INTERNAL:
      return "TXAIO_ERR_INTERNAL";
    case TXAIO_ERR_USAGE:
      return "TXAIO_ERR_USAGE";
  }
  return "TXAIO_UNKNOWN_STATUS";
}

const char* txaio_version(void) {
#define TXAIO_STR2(x) #x
#define TXAIO_STR(x) TXAIO_STR2(x)
  return TXAIO_STR(TXAIO_VERSION_MAJOR) "." TXAIO_STR(
      TXAIO_VERSION_MINOR) "." TXAIO_STR(TXAIO_VERSION_PATCH);
#undef TXAIO_STR
#undef TXAIO_STR2
}

}  // extern "C"
