// Unit tests of Failure's capture: type, message, stack.
#include "core/failure.h"

#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

ABSL_ATTRIBUTE_NOINLINE Failure FailFromAnExceptionObject() {
  Failure failure{std::invalid_argument("never thrown")};
  ABSL_BLOCK_TAIL_CALL_OPTIMIZATION();
  return failure;
}

ABSL_ATTRIBUTE_NOINLINE Failure FailInsideNamedFunction() {
  try {
    throw std::runtime_error("deep");
  } catch (...) {
    return create_failure();
  }
}

// The line of its throw, for the file:line check.
int thrower_line = 0;

template <typename T>
ABSL_ATTRIBUTE_NOINLINE void TemplatedThrower(T value) {
  thrower_line = __LINE__ + 1;
  throw std::out_of_range("bad value " + std::to_string(value));
}

ABSL_ATTRIBUTE_NOINLINE std::exception_ptr ThrowElsewhere() {
  try {
    TemplatedThrower<int>(7);
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

TEST(FailureTest, TracebackStartsAtTheThrowWithFileLineAndTemplateArguments) {
  Failure failure(ThrowElsewhere());  // made after the catch block is left
  std::vector<StackFrame> frames = failure_traceback(failure);
  std::string text = failure_format_traceback(failure);
  ASSERT_GE(frames.size(), 2u) << text;
  EXPECT_EQ(frames[0].symbol,
            "void txaio::(anonymous namespace)::"
            "TemplatedThrower<int>(int)")
      << text;
  EXPECT_TRUE(absl::StrContains(frames[1].symbol, "ThrowElsewhere")) << text;
#ifdef TXAIO_TEST_HAS_LINE_INFO  // see core/BUILD
  EXPECT_TRUE(absl::EndsWith(frames[0].file, "core/failure_test.cc")) << text;
  EXPECT_EQ(frames[0].line, thrower_line) << text;
  EXPECT_TRUE(absl::StrContains(
      text, absl::StrCat("core/failure_test.cc:", thrower_line, "\n")))
      << text;
#else
  EXPECT_EQ(frames[0].line, 0) << "stripped: no line, and no made-up one";
#endif
}

TEST(FailureTest, TracebackCrossesThreadsWithTheExceptionPtr) {
  std::exception_ptr error;
  std::thread worker([&] { error = ThrowElsewhere(); });
  worker.join();
  Failure failure(error);
  std::vector<StackFrame> frames = failure_traceback(failure);
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(absl::StrContains(frames[0].symbol, "TemplatedThrower<int>"))
      << failure_format_traceback(failure);
}

TEST(FailureTest, ANeverThrownExceptionShowsWhereTheFailureWasMade) {
  Failure failure = FailFromAnExceptionObject();
  bool found = false;
  for (const StackFrame& frame : failure_traceback(failure)) {
    found =
        found || absl::StrContains(frame.symbol, "FailFromAnExceptionObject");
  }
  EXPECT_TRUE(found) << failure_format_traceback(failure);
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
