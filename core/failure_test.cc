// Unit tests of Failure's capture: type, message, stack.
#include "core/failure.h"

#include <stdexcept>
#include <string>

#include "absl/base/attributes.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace txaio {
namespace {

// Counts what() calls, to show a Failure reads the message only once.
class CountingError : public std::exception {
 public:
  explicit CountingError(int* calls) : calls_(calls) {}
  const char* what() const noexcept override {
    ++*calls_;
    return "counted";
  }

 private:
  int* calls_;
};

ABSL_ATTRIBUTE_NOINLINE Failure FailInsideNamedFunction() {
  try {
    throw std::runtime_error("deep");
  } catch (...) {
    return create_failure();
  }
}

TEST(FailureTest, MessageIsReadOnceAtCreation) {
  int calls = 0;
  Failure failure{CountingError(&calls)};
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(failure.message(), "counted");
  EXPECT_EQ(failure_message(failure),
            "txaio::(anonymous namespace)::CountingError: counted");
  failure_format_traceback(failure);
  EXPECT_EQ(calls, 1) << "reading the message must not touch the exception";
}

TEST(FailureTest, TracebackNamesTheFunctionThatCreatedIt) {
  Failure failure = FailInsideNamedFunction();
  bool found = false;
  for (const StackFrame& frame : failure_traceback(failure)) {
    found = found || absl::StrContains(frame.symbol, "FailInsideNamedFunction");
  }
  EXPECT_TRUE(found) << failure_format_traceback(failure);
  EXPECT_TRUE(absl::StrContains(failure_format_traceback(failure),
                                "FailInsideNamedFunction"));
}

TEST(FailureTest, FormatTracebackHasAHeaderAndNumberedFrames) {
  Failure failure = FailInsideNamedFunction();
  std::string text = failure_format_traceback(failure);
  EXPECT_TRUE(absl::StartsWith(text, "Traceback (most recent call first):\n"))
      << text;
  EXPECT_TRUE(absl::StrContains(text, "\n  #0 ")) << text;
  EXPECT_TRUE(absl::EndsWith(text, "std::runtime_error: deep\n")) << text;
}

TEST(FailureTest, CopiesShareTheCapture) {
  Failure a = FailInsideNamedFunction();
  Failure b = a;
  EXPECT_EQ(a.value(), b.value());
  EXPECT_EQ(&a.type_name(), &b.type_name()) << "one shared record, not a copy";
  Failure moved = std::move(b);
  EXPECT_EQ(moved.message(), "deep");
}

TEST(FailureTest, NonClassPayloadsGetTheirTypeNames) {
  Failure literal = [] {
    try {
      throw "a C string";
    } catch (...) {
      return create_failure();
    }
  }();
  EXPECT_EQ(literal.type_name(), "char const*");
  EXPECT_EQ(literal.message(), "");
  EXPECT_EQ(Failure(std::make_exception_ptr(3.5)).type_name(), "double");
}

}  // namespace
}  // namespace txaio
