// Conformance: futures, the callback rule, resolve/reject/cancel and their
// bad uses.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

TEST_F(ConformanceTest, ResolvedValueReachesCallback) {
  Future<int> f = create_future<int>();
  int seen = 0;
  add_callbacks(
      f, [&](const int& v) { seen = v; }, nullptr);
  resolve(f, 42);
  EXPECT_TRUE(is_called(f));
  run_until_idle();
  EXPECT_EQ(seen, 42);
}

TEST_F(ConformanceTest, NewFutureIsPendingAndValid) {
  Future<int> f = create_future<int>();
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(is_called(f));
  EXPECT_FALSE(f.succeeded());
  EXPECT_FALSE(f.is_cancelled());
  EXPECT_EQ(f.failure(), nullptr);
  EXPECT_EQ(&f.loop(), &loop());
  EXPECT_FALSE(Future<int>().valid());
}

TEST_F(ConformanceTest, CallbackNeverRunsInsideResolve) {
  Future<int> f = create_future<int>();
  bool ran = false;
  add_callbacks(
      f, [&](int) { ran = true; }, nullptr);
  resolve(f, 1);
  EXPECT_FALSE(ran) << "callbacks must run from the loop, not inline";
  run_until_idle();
  EXPECT_TRUE(ran);
}

TEST_F(ConformanceTest, CallbackOnCalledFutureNeverRunsInsideAddCallbacks) {
  Future<int> f = create_future<int>();
  resolve(f, 7);
  run_until_idle();
  int seen = 0;
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  EXPECT_EQ(seen, 0) << "callbacks must run from the loop, not inline";
  run_until_idle();
  EXPECT_EQ(seen, 7);
}

TEST_F(ConformanceTest, ErrbackNeverRunsInsideReject) {
  Future<int> f = create_future<int>();
  std::string seen;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { seen = failure_message(e); });
  reject(f, std::runtime_error("nope"));
  EXPECT_EQ(seen, "");
  run_until_idle();
  EXPECT_EQ(seen, "std::runtime_error: nope");
}

TEST_F(ConformanceTest, CallbacksAreNotChained) {
  Future<int> f = create_future<int>();
  std::vector<int> seen;
  // What a callback returns is ignored: the next one sees the same value.
  add_callbacks(
      f,
      [&](int v) {
        seen.push_back(v);
        return v * 100;
      },
      nullptr);
  add_callbacks(
      f, [&](int v) { seen.push_back(v); }, nullptr);
  add_callbacks(
      f, [&](int v) { seen.push_back(v); }, nullptr);
  resolve(f, 5);
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{5, 5, 5}));
}

TEST_F(ConformanceTest, ErrbacksAreNotChained) {
  Future<int> f = create_future<int>();
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    add_callbacks(f, nullptr,
                  [&](const Failure& e) { seen.push_back(e.message()); });
  }
  reject(f, std::runtime_error("same"));
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"same", "same", "same"}));
}

TEST_F(ConformanceTest, PairsRunInTheOrderAdded) {
  Future<int> f = create_future<int>();
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    add_callbacks(
        f, [&order, i](int) { order.push_back(i); }, nullptr);
  }
  resolve(f, 0);
  run_until_idle();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(ConformanceTest, PairAddedFromCallbackRunsLaterWithSameValue) {
  Future<int> f = create_future<int>();
  std::vector<std::string> events;
  add_callbacks(
      f,
      [&](int v) {
        events.push_back("outer " + std::to_string(v));
        add_callbacks(
            f, [&](int w) { events.push_back("inner " + std::to_string(w)); },
            nullptr);
        events.push_back("outer done");
      },
      nullptr);
  add_callbacks(
      f, [&](int v) { events.push_back("second " + std::to_string(v)); },
      nullptr);
  resolve(f, 3);
  run_until_idle();
  EXPECT_EQ(events, (std::vector<std::string>{"outer 3", "outer done",
                                              "second 3", "inner 3"}));
}

TEST_F(ConformanceTest, ErrbackOnlyPairIgnoresSuccess) {
  Future<int> f = create_future<int>();
  bool errback_ran = false;
  int seen = 0;
  add_callbacks(f, nullptr, [&](const Failure&) { errback_ran = true; });
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  resolve(f, 9);
  run_until_idle();
  EXPECT_FALSE(errback_ran);
  EXPECT_EQ(seen, 9);
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, AddCallbacksWithBothNullThrowsInvalidArgument) {
  Future<int> f = create_future<int>();
  EXPECT_THROW(add_callbacks(f, nullptr, nullptr), std::invalid_argument);
  Future<void> v = create_future<void>();
  EXPECT_THROW(add_callbacks(v, nullptr, nullptr), std::invalid_argument);
  // The rejected call left nothing behind: resolving runs no callback.
  resolve(f, 1);
  resolve(v);
  run_until_idle();
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, ResolveTwiceThrowsAlreadyCalledError) {
  Future<int> f = create_future<int>();
  std::vector<int> seen;
  add_callbacks(
      f, [&](int v) { seen.push_back(v); }, nullptr);
  resolve(f, 1);
  EXPECT_THROW(resolve(f, 2), AlreadyCalledError);
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{1})) << "the first value must stand";
  EXPECT_EQ(f.value(), 1);
}

TEST_F(ConformanceTest, RejectAfterResolveThrowsAlreadyCalledError) {
  Future<int> f = create_future<int>();
  resolve(f, 1);
  EXPECT_THROW(reject(f, std::runtime_error("late")), AlreadyCalledError);
  EXPECT_TRUE(f.succeeded());
  EXPECT_EQ(f.failure(), nullptr);
}

TEST_F(ConformanceTest, ResolveAfterRejectThrowsAlreadyCalledError) {
  Future<int> f = create_future<int>();
  std::string seen;
  add_callbacks(f, nullptr, [&](const Failure& e) { seen = e.message(); });
  reject(f, std::runtime_error("first"));
  EXPECT_THROW(resolve(f, 2), AlreadyCalledError);
  EXPECT_THROW(reject(f, std::runtime_error("second")), AlreadyCalledError);
  run_until_idle();
  EXPECT_EQ(seen, "first");
}

TEST_F(ConformanceTest, ResolveAfterCancelIsANoOp) {
  Future<int> f = create_future<int>();
  std::string seen;
  add_callbacks(
      f, [&](int) { seen = "value"; },
      [&](const Failure& e) { seen = e.type_name(); });
  EXPECT_TRUE(cancel(f));
  EXPECT_NO_THROW(resolve(f, 5));
  EXPECT_TRUE(f.is_cancelled());
  run_until_idle();
  EXPECT_EQ(seen, "txaio::CancelledError");
}

TEST_F(ConformanceTest, RejectAfterCancelIsANoOp) {
  Future<void> f = create_future<void>();
  std::vector<std::string> seen;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { seen.push_back(failure_message(e)); });
  EXPECT_TRUE(cancel(f, "stop"));
  EXPECT_NO_THROW(reject(f, std::runtime_error("late")));
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"txaio::CancelledError: stop"}));
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, CancelAfterResolveIsANoOpReturningFalse) {
  Future<int> f = create_future<int>();
  int seen = 0;
  bool errback_ran = false;
  add_callbacks(
      f, [&](int v) { seen = v; }, [&](const Failure&) { errback_ran = true; });
  resolve(f, 11);
  EXPECT_FALSE(cancel(f));
  EXPECT_FALSE(f.is_cancelled());
  run_until_idle();
  EXPECT_EQ(seen, 11);
  EXPECT_FALSE(errback_ran);
}

TEST_F(ConformanceTest, CancelTwiceReturnsFalseTheSecondTime) {
  Future<int> f = create_future<int>();
  int errbacks = 0;
  add_callbacks(f, nullptr, [&](const Failure&) { ++errbacks; });
  EXPECT_TRUE(cancel(f));
  EXPECT_FALSE(cancel(f));
  run_until_idle();
  EXPECT_EQ(errbacks, 1);
}

TEST_F(ConformanceTest, CancelMessageReachesErrbackAsCancelledError) {
  Future<int> f = create_future<int>();
  bool is_cancelled_error = false;
  std::string message;
  add_callbacks(
      f, [](int) { FAIL() << "callback must not run"; },
      [&](const Failure& e) {
        is_cancelled_error = e.is<CancelledError>();
        message = failure_message(e);
      });
  EXPECT_TRUE(cancel(f, "timed out"));
  EXPECT_TRUE(is_called(f));
  EXPECT_TRUE(f.is_cancelled());
  run_until_idle();
  EXPECT_TRUE(is_cancelled_error);
  EXPECT_EQ(message, "txaio::CancelledError: timed out");
}

TEST_F(ConformanceTest, CancelWithoutMessageSaysCancelled) {
  Future<int> f = create_future<int>();
  std::string message;
  add_callbacks(f, nullptr, [&](const Failure& e) { message = e.message(); });
  cancel(f);
  run_until_idle();
  EXPECT_EQ(message, "cancelled");
  EXPECT_THROW(f.value(), CancelledError);
}

TEST_F(ConformanceTest, CancelledFutureDroppedUnseenIsNotReported) {
  {
    Future<int> f = create_future<int>();
    cancel(f, "nobody cares");
  }
  run_until_idle();
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, CancellerRunsWithTheCancelledFuture) {
  int calls = 0;
  bool same_future = false;
  Future<int> f;
  f = create_future<int>([&](Future<int>& cancelled) {
    ++calls;
    same_future = cancelled == f;
  });
  EXPECT_EQ(calls, 0);
  EXPECT_TRUE(cancel(f, "bye"));
  EXPECT_EQ(calls, 1) << "the canceller runs during cancel()";
  EXPECT_TRUE(same_future);
  EXPECT_FALSE(cancel(f));
  EXPECT_EQ(calls, 1);
}

TEST_F(ConformanceTest, CancellerMayResolveTheFuture) {
  Future<int> f = create_future<int>(
      [](Future<int>& cancelled) { resolve(cancelled, -1); });
  int seen = 0;
  bool errback_ran = false;
  add_callbacks(
      f, [&](int v) { seen = v; }, [&](const Failure&) { errback_ran = true; });
  EXPECT_TRUE(cancel(f));
  EXPECT_TRUE(f.succeeded());
  EXPECT_FALSE(f.is_cancelled());
  run_until_idle();
  EXPECT_EQ(seen, -1);
  EXPECT_FALSE(errback_ran);
}

TEST_F(ConformanceTest, CancellerMayRejectTheFuture) {
  Future<int> f = create_future<int>([](Future<int>& cancelled) {
    reject(cancelled, std::out_of_range("gave up"));
  });
  std::string seen;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { seen = failure_message(e); });
  EXPECT_TRUE(cancel(f));
  run_until_idle();
  EXPECT_EQ(seen, "std::out_of_range: gave up");
}

TEST_F(ConformanceTest, ThrowingCancellerIsReportedAndFutureStillCancelled) {
  Future<int> f = create_future<int>(
      [](Future<int>&) { throw std::runtime_error("canceller broke"); });
  bool cancelled_error = false;
  add_callbacks(f, nullptr, [&](const Failure& e) {
    cancelled_error = e.is<CancelledError>();
  });
  EXPECT_NO_THROW(cancel(f));
  EXPECT_TRUE(f.is_cancelled());
  run_until_idle();
  EXPECT_TRUE(cancelled_error);
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: canceller broke"}));
}

TEST_F(ConformanceTest, CancellerThatCancelsAgainSettlesOnce) {
  bool inner_result = true;
  Future<int> f = create_future<int>([&](Future<int>& cancelled) {
    inner_result = cancel(cancelled, "inner");
  });
  std::vector<std::string> seen;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { seen.push_back(e.message()); });
  EXPECT_TRUE(cancel(f, "outer"));
  EXPECT_TRUE(inner_result) << "the canceller no longer guards the future";
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"inner"}));
}

TEST_F(ConformanceTest, EmptyFutureThrowsLogicErrorInsteadOfCrashing) {
  Future<int> empty;
  EXPECT_FALSE(empty.valid());
  EXPECT_TRUE(empty == Future<int>());
  EXPECT_THROW(is_called(empty), std::logic_error);
  EXPECT_THROW(resolve(empty, 1), std::logic_error);
  EXPECT_THROW(reject(empty, std::runtime_error("x")), std::logic_error);
  EXPECT_THROW(cancel(empty), std::logic_error);
  EXPECT_THROW(add_callbacks(
                   empty, [](int) {}, nullptr),
               std::logic_error);
  EXPECT_THROW(empty.value(), std::logic_error);
  EXPECT_THROW(empty.failure(), std::logic_error);
  EXPECT_THROW(empty.loop(), std::logic_error);
  Future<void> empty_void;
  EXPECT_THROW(resolve(empty_void), std::logic_error);
}

TEST_F(ConformanceTest, CancellerDoesNotRunAfterResolve) {
  bool ran = false;
  Future<int> f = create_future<int>([&](Future<int>&) { ran = true; });
  resolve(f, 1);
  EXPECT_FALSE(cancel(f));
  EXPECT_FALSE(ran);
}

TEST_F(ConformanceTest, CallbackThrowingGoesToSamePairsErrback) {
  Future<int> f = create_future<int>();
  std::string first_errback;
  int second_value = 0;
  bool second_errback_ran = false;
  add_callbacks(
      f, [](int) { throw std::logic_error("callback broke"); },
      [&](const Failure& e) { first_errback = failure_message(e); });
  add_callbacks(
      f, [&](int v) { second_value = v; },
      [&](const Failure&) { second_errback_ran = true; });
  resolve(f, 4);
  EXPECT_NO_THROW(run_until_idle());
  EXPECT_EQ(first_errback, "std::logic_error: callback broke");
  EXPECT_EQ(second_value, 4) << "other pairs still see the value";
  EXPECT_FALSE(second_errback_ran);
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, CallbackThrowingWithoutErrbackIsReportedUnhandled) {
  Future<int> f = create_future<int>();
  int later = 0;
  add_callbacks(
      f, [](int) { throw std::runtime_error("no errback"); }, nullptr);
  add_callbacks(
      f, [&](int v) { later = v; }, nullptr);
  resolve(f, 2);
  EXPECT_NO_THROW(run_until_idle());
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: no errback"}));
  EXPECT_EQ(later, 2);
}

TEST_F(ConformanceTest, ErrbackThrowingIsReportedUnhandled) {
  Future<int> f = create_future<int>();
  bool next_errback_ran = false;
  add_callbacks(f, nullptr, [](const Failure&) {
    throw std::runtime_error("errback broke");
  });
  add_callbacks(f, nullptr, [&](const Failure&) { next_errback_ran = true; });
  reject(f, std::runtime_error("original"));
  EXPECT_NO_THROW(run_until_idle());
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: errback broke"}));
  EXPECT_TRUE(next_errback_ran);
}

TEST_F(ConformanceTest, ErrbackThrowingAfterCallbackThrewIsReportedOnce) {
  Future<int> f = create_future<int>();
  add_callbacks(
      f, [](int) { throw std::runtime_error("callback"); },
      [](const Failure&) { throw std::runtime_error("errback"); });
  resolve(f, 1);
  run_until_idle();
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: errback"}));
}

TEST_F(ConformanceTest, FailedFutureDroppedWithoutErrbackIsReportedOnce) {
  {
    Future<int> f = create_future<int>();
    // A callback-only pair does not handle the failure.
    add_callbacks(
        f, [](int) {}, nullptr);
    reject(f, std::runtime_error("lost"));
    run_until_idle();
  }
  run_until_idle();
  EXPECT_EQ(unhandled(),
            (std::vector<std::string>{"std::runtime_error: lost"}));
}

TEST_F(ConformanceTest, FailedFutureWithAnErrbackIsNotReported) {
  {
    Future<int> f = create_future<int>();
    add_callbacks(
        f, [](int) {}, nullptr);
    add_callbacks(f, nullptr, [](const Failure&) {});
    reject(f, std::runtime_error("handled"));
    run_until_idle();
  }
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, FailureReadFromTheFutureCountsAsHandled) {
  {
    Future<int> f = create_future<int>();
    reject(f, std::runtime_error("read"));
    ASSERT_NE(f.failure(), nullptr);
    EXPECT_EQ(f.failure()->message(), "read");
  }
  EXPECT_TRUE(unhandled().empty());
}

TEST_F(ConformanceTest, ValueAccessorFollowsTheState) {
  Future<int> pending = create_future<int>();
  EXPECT_THROW(pending.value(), std::logic_error);
  Future<int> failed = create_future<int>();
  reject(failed, std::overflow_error("too big"));
  EXPECT_THROW(failed.value(), std::overflow_error);
  Future<int> ok = create_future<int>();
  resolve(ok, 8);
  EXPECT_EQ(ok.value(), 8);
}

TEST_F(ConformanceTest, RejectAcceptsFailureExceptionPtrAndException) {
  Future<int> a = create_future<int>();
  Future<int> b = create_future<int>();
  Future<int> c = create_future<int>();
  reject(a, Failure(std::runtime_error("a")));
  reject(b, std::make_exception_ptr(std::range_error("b")));
  reject(c, std::invalid_argument("c"));
  std::vector<std::string> seen;
  for (Future<int>* f : {&a, &b, &c}) {
    add_callbacks(*f, nullptr, [&](const Failure& e) {
      seen.push_back(failure_message(e));
    });
  }
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"std::runtime_error: a",
                                            "std::range_error: b",
                                            "std::invalid_argument: c"}));
}

TEST_F(ConformanceTest, RejectWithNoErrorUsesTheExceptionBeingHandled) {
  Future<int> f = create_future<int>();
  try {
    throw std::domain_error("current");
  } catch (...) {
    reject(f);
  }
  std::string seen;
  add_callbacks(f, nullptr,
                [&](const Failure& e) { seen = failure_message(e); });
  run_until_idle();
  EXPECT_EQ(seen, "std::domain_error: current");
}

TEST_F(ConformanceTest, RejectWithNoErrorOutsideCatchThrowsLogicError) {
  Future<int> f = create_future<int>();
  EXPECT_THROW(reject(f), std::logic_error);
  EXPECT_FALSE(is_called(f));
}

TEST_F(ConformanceTest, CreateFutureWithResultAndErrorThrowsInvalidArgument) {
  EXPECT_THROW(create_future<int>(1, Failure(std::runtime_error("x"))),
               std::invalid_argument);
  EXPECT_THROW(
      create_future<void>(std::monostate(), Failure(std::runtime_error("x"))),
      std::invalid_argument);
}

TEST_F(ConformanceTest, CreateFutureWithResultIsAlreadyResolved) {
  Future<std::string> f = create_future<std::string>("ready", std::nullopt);
  EXPECT_TRUE(is_called(f));
  EXPECT_TRUE(f.succeeded());
  std::string seen;
  add_callbacks(
      f, [&](const std::string& v) { seen = v; }, nullptr);
  EXPECT_EQ(seen, "");
  run_until_idle();
  EXPECT_EQ(seen, "ready");
}

TEST_F(ConformanceTest, CreateFutureWithErrorIsAlreadyFailed) {
  Future<int> f =
      create_future<int>(std::nullopt, Failure(std::runtime_error("early")));
  EXPECT_TRUE(is_called(f));
  EXPECT_FALSE(f.succeeded());
  std::string seen;
  add_callbacks(f, nullptr, [&](const Failure& e) { seen = e.message(); });
  run_until_idle();
  EXPECT_EQ(seen, "early");
}

TEST_F(ConformanceTest, CreateFutureWithNeitherIsPendingAndKeepsCanceller) {
  bool cancelled = false;
  Future<int> f = create_future<int>(std::nullopt, std::nullopt,
                                     [&](Future<int>&) { cancelled = true; });
  EXPECT_FALSE(is_called(f));
  cancel(f);
  EXPECT_TRUE(cancelled);
}

TEST_F(ConformanceTest, CreateFutureSuccessAndError) {
  auto ok = create_future_success(std::string("fine"));
  static_assert(std::is_same_v<decltype(ok), Future<std::string>>);
  Future<void> done = create_future_success();
  Future<double> bad =
      create_future_error<double>(Failure(std::runtime_error("bad")));
  EXPECT_TRUE(ok.succeeded());
  EXPECT_TRUE(done.succeeded());
  EXPECT_TRUE(is_called(bad));
  std::vector<std::string> seen;
  add_callbacks(
      ok, [&](const std::string& v) { seen.push_back(v); }, nullptr);
  add_callbacks(
      done, [&] { seen.push_back("void"); }, nullptr);
  add_callbacks(bad, nullptr,
                [&](const Failure& e) { seen.push_back(e.message()); });
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"fine", "void", "bad"}));
}

TEST_F(ConformanceTest, VoidFutureResolvesAndRejects) {
  Future<void> ok = create_future<void>();
  Future<void> bad = create_future<void>();
  int callbacks = 0;
  std::string failure;
  add_callbacks(
      ok, [&] { ++callbacks; }, nullptr);
  add_callbacks(
      bad, [&] { ++callbacks; },
      [&](const Failure& e) { failure = e.message(); });
  resolve(ok);
  reject(bad, std::runtime_error("void failed"));
  EXPECT_THROW(resolve(ok), AlreadyCalledError);
  run_until_idle();
  EXPECT_EQ(callbacks, 1);
  EXPECT_EQ(failure, "void failed");
}

TEST_F(ConformanceTest, MoveOnlyValueIsSeenByEveryCallback) {
  Future<std::unique_ptr<int>> f = create_future<std::unique_ptr<int>>();
  std::vector<int> seen;
  for (int i = 0; i < 2; ++i) {
    add_callbacks(
        f, [&](const std::unique_ptr<int>& p) { seen.push_back(*p); }, nullptr);
  }
  resolve(f, std::make_unique<int>(77));
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<int>{77, 77}));
  ASSERT_NE(f.value(), nullptr);
  EXPECT_EQ(*f.value(), 77);
}

TEST_F(ConformanceTest, StringValueIsNotCopiedAway) {
  Future<std::string> f = create_future<std::string>();
  std::string big(1000, 'x');
  std::vector<std::string> seen;
  add_callbacks(
      f, [&](const std::string& v) { seen.push_back(v); }, nullptr);
  add_callbacks(
      f, [&](const std::string& v) { seen.push_back(v); }, nullptr);
  resolve(f, big);
  run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{big, big}));
}

TEST_F(ConformanceTest, CopiesOfAFutureShareOneState) {
  Future<int> f = create_future<int>();
  Future<int> copy = f;
  EXPECT_TRUE(copy == f);
  EXPECT_FALSE(copy == create_future<int>());
  int seen = 0;
  add_callbacks(
      copy, [&](int v) { seen = v; }, nullptr);
  resolve(f, 13);
  EXPECT_TRUE(is_called(copy));
  run_until_idle();
  EXPECT_EQ(seen, 13);
}

TEST_F(ConformanceTest, IsFutureTellsFuturesFromValues) {
  Future<int> f = create_future<int>();
  Future<void> v = create_future<void>();
  EXPECT_TRUE(is_future(f));
  EXPECT_TRUE(is_future(v));
  EXPECT_FALSE(is_future(42));
  EXPECT_FALSE(is_future(std::string("no")));
  static_assert(is_future_v<Future<std::string>>);
  static_assert(!is_future_v<int>);
}

TEST_F(ConformanceTest, CallbacksRunOnTheFuturesOwnLoopOnly) {
  std::unique_ptr<TestLoop> other = MakeTestLoop();
  Future<int> f = with_config(other->loop()).create_future<int>();
  EXPECT_EQ(&f.loop(), &other->loop());
  int seen = 0;
  add_callbacks(
      f, [&](int v) { seen = v; }, nullptr);
  resolve(f, 21);
  run_until_idle();
  EXPECT_EQ(seen, 0) << "the default loop must not run another loop's work";
  other->run_until_idle();
  EXPECT_EQ(seen, 21);
}

}  // namespace
}  // namespace txaio::conformance
