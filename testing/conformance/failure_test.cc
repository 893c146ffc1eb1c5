// Conformance: Failure and the failure_* functions, as errbacks see them.
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

struct NotAStdException {
  int code;
};

class NetworkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Failure CaptureInCatch() {
  try {
    throw std::runtime_error("captured");
  } catch (...) {
    return create_failure();
  }
}

TEST_F(ConformanceTest, FailureTypeNameIsDemangled) {
  Future<int> f = create_future<int>();
  std::string type;
  add_callbacks(f, nullptr, [&](const Failure& e) { type = e.type_name(); });
  reject(f, std::runtime_error("x"));
  run_until_idle();
  EXPECT_EQ(type, "std::runtime_error");
  EXPECT_EQ(Failure(NetworkError("y")).type_name(),
            "txaio::conformance::(anonymous namespace)::NetworkError");
}

TEST_F(ConformanceTest, FailureMessageIsTypeColonMessage) {
  Future<int> f = create_future<int>();
  std::string message;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { message = failure_message(e); });
  reject(f, std::invalid_argument("bad port 99999"));
  run_until_idle();
  EXPECT_EQ(message, "std::invalid_argument: bad port 99999");
}

TEST_F(ConformanceTest, FailureMessageFlattensNewlines) {
  Failure failure(std::runtime_error("line one\nline two\r\nline three"));
  std::string message = failure_message(failure);
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_EQ(message.find('\r'), std::string::npos);
  EXPECT_TRUE(absl::StartsWith(message, "std::runtime_error: line one"));
  EXPECT_TRUE(absl::EndsWith(message, "line three"));
  // The exception's own message is left as it was.
  EXPECT_EQ(failure.message(), "line one\nline two\r\nline three");
}

TEST_F(ConformanceTest, FailureKeepsTheExceptionItself) {
  Future<int> f = create_future<int>();
  std::string caught;
  bool is_network = false;
  add_callbacks(f, nullptr, [&](const Failure& e) {
    is_network = e.is<NetworkError>();
    try {
      std::rethrow_exception(e.value());
    } catch (const NetworkError& n) {
      caught = n.what();
    }
  });
  reject(f, NetworkError("unreachable"));
  run_until_idle();
  EXPECT_TRUE(is_network);
  EXPECT_EQ(caught, "unreachable");
  Failure base(NetworkError("as base"));
  EXPECT_TRUE(base.is<std::runtime_error>());
  EXPECT_FALSE(base.is<std::logic_error>());
  EXPECT_THROW(base.rethrow(), NetworkError);
}

TEST_F(ConformanceTest, FailureTracebackIsCapturedWhereCreated) {
  Failure failure = CaptureInCatch();
  std::vector<StackFrame> frames = failure_traceback(failure);
  ASSERT_FALSE(frames.empty());
  for (const StackFrame& frame : frames) {
    EXPECT_NE(frame.address, nullptr);
    EXPECT_FALSE(frame.symbol.empty());
  }
  EXPECT_EQ(frames.size(), failure.traceback().size());
}

TEST_F(ConformanceTest, FormatTracebackIsMultiLineEndingWithTheMessage) {
  Failure failure = CaptureInCatch();
  std::string text = failure_format_traceback(failure);
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 3u) << text;
  EXPECT_EQ(lines.back(), "std::runtime_error: captured");
  // One line per frame between the header and the message.
  EXPECT_EQ(lines.size(), failure_traceback(failure).size() + 2) << text;
}

TEST_F(ConformanceTest, FailureOfANonStdExceptionPayload) {
  Failure from_int = create_failure(std::make_exception_ptr(42));
  EXPECT_EQ(from_int.type_name(), "int");
  EXPECT_EQ(from_int.message(), "");
  EXPECT_EQ(failure_message(from_int), "int: ");
  Failure from_struct =
      create_failure(std::make_exception_ptr(NotAStdException{7}));
  EXPECT_EQ(from_struct.type_name(),
            "txaio::conformance::(anonymous namespace)::NotAStdException");
  EXPECT_FALSE(from_struct.is<std::exception>());
  EXPECT_TRUE(from_struct.is<NotAStdException>());
  // A future rejected with it delivers it like any other.
  Future<int> f = create_future<int>();
  int code = 0;
  add_callbacks(f, nullptr, [&](const Failure& e) {
    try {
      e.rethrow();
    } catch (const NotAStdException& n) {
      code = n.code;
    }
  });
  reject(f, from_struct);
  run_until_idle();
  EXPECT_EQ(code, 7);
}

TEST_F(ConformanceTest, CallbackThrowingANonStdExceptionReachesItsErrback) {
  Future<int> f = create_future<int>();
  std::string seen;
  add_callbacks(
      f, [](int v) { throw v; },
      [&](const Failure& e) { seen = failure_message(e); });
  resolve(f, 3);
  run_until_idle();
  EXPECT_EQ(seen, "int: ");
}

TEST_F(ConformanceTest, CreateFailureOutsideCatchThrowsLogicError) {
  EXPECT_THROW(create_failure(), std::logic_error);
  EXPECT_THROW(create_failure(std::exception_ptr()), std::invalid_argument);
  EXPECT_THROW(Failure(std::exception_ptr()), std::invalid_argument);
}

TEST_F(ConformanceTest, CreateFailureInsideCatchWrapsTheCurrentException) {
  Failure failure = [] {
    try {
      throw std::out_of_range("index 9");
    } catch (...) {
      return create_failure();
    }
  }();
  EXPECT_EQ(failure_message(failure), "std::out_of_range: index 9");
  EXPECT_TRUE(failure.is<std::out_of_range>());
}

TEST_F(ConformanceTest, FailureCopiesShareTheSameException) {
  Failure a(std::runtime_error("shared"));
  Failure b = a;
  EXPECT_EQ(a.value(), b.value());
  EXPECT_EQ(failure_message(a), failure_message(b));
}

}  // namespace
}  // namespace txaio::conformance
