// Conformance: a model-based test. Random sequences of operations (create,
// resolve, reject, cancel, add_callbacks with callbacks that throw or not,
// call_soon, call_later, cancel a timer, drop futures, run_until_idle,
// advance) are applied to the backend's loop and to a small executable
// reference model of txaio's semantics; after every run the callbacks that
// ran, their order, their values or failures, the futures' states and the
// unhandled-failure reports must match the model's.
//
// The model: completing a future (or adding a pair to a completed one) puts
// one dispatch on a FIFO ready queue beside call_soon tasks, unless one is
// queued already; a dispatch runs every pair added so far, in order; a
// callback sees the value, an errback the failure; a callback that throws
// hands its exception to the errback of its pair, or to the unhandled
// handler; resolving a cancelled future is a no-op, a settled one throws; a
// failure no errback saw is reported once when the future is dropped; a run
// runs the ready queue first, then timers due by the new time in (deadline,
// scheduling order). On a clock that moves only when told the model is
// exact; on a real clock a timer due between the asked-for end of an
// advance() and the clock's reading after it may or may not have run yet.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/conformance/fixture.h"

namespace txaio::conformance {
namespace {

// What the implementation did, in order.
using Events = std::vector<std::string>;

enum class Kind { kCallback, kErrback, kBoth, kThrowingBoth, kThrowingOnly };

struct ModelPair {
  int id;
  Kind kind;
};

struct ModelFuture {
  enum Status { kPending, kSucceeded, kFailed, kCancelled } status = kPending;
  int value = 0;
  std::string failure;  // failure_message of its failure
  std::vector<ModelPair> pairs;
  bool queued = false;
  bool seen = false;  // an errback saw the failure
  bool dropped = false;
};

struct ModelTimer {
  int id;
  absl::Duration deadline;
  int64_t seq;
  bool done = false;  // ran or cancelled
};

// A ready-queue entry: a task id (>= 0) or a future's dispatch (-1 - index).
using ReadyEntry = int;

class Model {
 public:
  std::vector<ModelFuture> futures;
  std::deque<ReadyEntry> ready;
  std::vector<ModelTimer> timers;
  Events unhandled;

  void Schedule(int f) {
    ModelFuture& m = futures[f];
    if (!m.queued && !m.pairs.empty()) {
      m.queued = true;
      ready.push_back(-1 - f);
    }
  }

  // Runs the ready queue (nothing the callbacks do schedules more).
  void RunReady(Events& out) {
    while (!ready.empty()) {
      ReadyEntry entry = ready.front();
      ready.pop_front();
      if (entry >= 0) {
        out.push_back(absl::StrCat("task ", entry));
        continue;
      }
      ModelFuture& m = futures[-1 - entry];
      m.queued = false;
      for (const ModelPair& pair : m.pairs) RunPair(m, pair, out);
      m.pairs.clear();
    }
  }

  void RunPair(ModelFuture& m, const ModelPair& pair, Events& out) {
    const bool has_errback =
        pair.kind != Kind::kCallback && pair.kind != Kind::kThrowingOnly;
    const bool has_callback = pair.kind != Kind::kErrback;
    if (m.status == ModelFuture::kSucceeded) {
      if (!has_callback) return;
      out.push_back(absl::StrCat("cb ", pair.id, " = ", m.value));
      if (pair.kind == Kind::kThrowingBoth) {
        out.push_back(
            absl::StrCat("eb ", pair.id, " ", ThrownMessage(pair.id)));
      } else if (pair.kind == Kind::kThrowingOnly) {
        unhandled.push_back(ThrownMessage(pair.id));
      }
      return;
    }
    if (!has_errback) return;
    m.seen = true;
    out.push_back(absl::StrCat("eb ", pair.id, " ", m.failure));
  }

  static std::string ThrownMessage(int id) {
    return failure_message(
        Failure(std::runtime_error(absl::StrCat("thrown by ", id))));
  }
};

class ModelTest : public ConformanceTest {
 protected:
  struct Real {
    Future<int> future;
  };

  void Check(const Events& expected_ready, absl::Duration must_by,
             absl::Duration may_by, const std::string& where) {
    // Timers: every one due by `must_by` ran; none due after `may_by` did;
    // in between, whatever the implementation reports, checked for order.
    Events expected = expected_ready;
    std::vector<ModelTimer*> due;
    for (ModelTimer& t : model_.timers) {
      if (!t.done && t.deadline <= may_by) due.push_back(&t);
    }
    std::sort(due.begin(), due.end(), [](ModelTimer* a, ModelTimer* b) {
      return a->deadline != b->deadline ? a->deadline < b->deadline
                                        : a->seq < b->seq;
    });
    // How many of the optional ones ran: the implementation's count.
    size_t observed_timers = 0;
    for (const std::string& e : events_) {
      if (e.rfind("timer ", 0) == 0) ++observed_timers;
    }
    size_t required = 0;
    for (ModelTimer* t : due) {
      if (t->deadline <= must_by) ++required;
    }
    ASSERT_GE(observed_timers, required) << where;
    ASSERT_LE(observed_timers, due.size()) << where;
    for (size_t i = 0; i < observed_timers; ++i) {
      expected.push_back(absl::StrCat("timer ", due[i]->id));
      due[i]->done = true;
    }
    ASSERT_EQ(events_, expected) << where;
    events_.clear();
    // Futures' states.
    for (size_t i = 0; i < real_.size(); ++i) {
      if (!real_[i].has_value()) continue;
      const ModelFuture& m = model_.futures[i];
      const Future<int>& f = real_[i]->future;
      ASSERT_EQ(f.is_called(), m.status != ModelFuture::kPending)
          << where << " future " << i;
      ASSERT_EQ(f.is_cancelled(), m.status == ModelFuture::kCancelled)
          << where << " future " << i;
      ASSERT_EQ(f.succeeded(), m.status == ModelFuture::kSucceeded)
          << where << " future " << i;
    }
    const Events reported(unhandled().begin() + unhandled_base_,
                          unhandled().end());
    ASSERT_EQ(reported, model_.unhandled) << where;
  }

  void AddPair(int f, Kind kind) {
    const int id = next_id_++;
    auto record_value = [this, id, kind](int v) {
      events_.push_back(absl::StrCat("cb ", id, " = ", v));
      if (kind == Kind::kThrowingBoth || kind == Kind::kThrowingOnly) {
        throw std::runtime_error(absl::StrCat("thrown by ", id));
      }
    };
    auto record_failure = [this, id](const Failure& e) {
      events_.push_back(absl::StrCat("eb ", id, " ", failure_message(e)));
    };
    Future<int>& future = real_[f]->future;
    switch (kind) {
      case Kind::kCallback:
      case Kind::kThrowingOnly:
        future.add_callbacks(record_value, nullptr);
        break;
      case Kind::kErrback:
        future.add_callbacks(nullptr, record_failure);
        break;
      case Kind::kBoth:
      case Kind::kThrowingBoth:
        future.add_callbacks(record_value, record_failure);
        break;
    }
    model_.futures[f].pairs.push_back({id, kind});
    if (model_.futures[f].status != ModelFuture::kPending) model_.Schedule(f);
  }

  void RunRandom(uint32_t seed, int steps) {
    std::mt19937 rng(seed);
    auto pick = [&rng](int n) {
      return std::uniform_int_distribution<int>(0, n - 1)(rng);
    };
    std::vector<DelayedCall> calls;
    for (int step = 0; step < steps; ++step) {
      const std::string where = absl::StrCat("seed ", seed, " step ", step);
      // A live future, or -1.
      auto live_future = [&]() {
        std::vector<int> live;
        for (size_t i = 0; i < real_.size(); ++i) {
          if (real_[i].has_value()) live.push_back(static_cast<int>(i));
        }
        return live.empty() ? -1 : live[pick(static_cast<int>(live.size()))];
      };
      switch (pick(12)) {
        case 0:
        case 1:
          real_.push_back(Real{Future<int>(loop())});
          model_.futures.emplace_back();
          break;
        case 2: {
          int f = live_future();
          if (f < 0) break;
          AddPair(f, static_cast<Kind>(pick(5)));
          break;
        }
        case 3: {
          int f = live_future();
          if (f < 0) break;
          ModelFuture& m = model_.futures[f];
          const int v = step;
          bool threw = false;
          try {
            real_[f]->future.resolve(v);
          } catch (const AlreadyCalledError&) {
            threw = true;
          }
          ASSERT_EQ(threw, m.status == ModelFuture::kSucceeded ||
                               m.status == ModelFuture::kFailed)
              << where;
          if (m.status == ModelFuture::kPending) {
            m.status = ModelFuture::kSucceeded;
            m.value = v;
            model_.Schedule(f);
          }
          break;
        }
        case 4: {
          int f = live_future();
          if (f < 0) break;
          ModelFuture& m = model_.futures[f];
          Failure failure(
              std::runtime_error(absl::StrCat("rejected at ", step)));
          bool threw = false;
          try {
            real_[f]->future.reject(failure);
          } catch (const AlreadyCalledError&) {
            threw = true;
          }
          ASSERT_EQ(threw, m.status == ModelFuture::kSucceeded ||
                               m.status == ModelFuture::kFailed)
              << where;
          if (m.status == ModelFuture::kPending) {
            m.status = ModelFuture::kFailed;
            m.failure = failure_message(failure);
            model_.Schedule(f);
          }
          break;
        }
        case 5: {
          int f = live_future();
          if (f < 0) break;
          ModelFuture& m = model_.futures[f];
          const std::string message = absl::StrCat("cancelled at ", step);
          bool was_pending = real_[f]->future.cancel(message);
          ASSERT_EQ(was_pending, m.status == ModelFuture::kPending) << where;
          if (m.status == ModelFuture::kPending) {
            m.status = ModelFuture::kCancelled;
            m.failure = failure_message(Failure(CancelledError(message)));
            model_.Schedule(f);
          }
          break;
        }
        case 6: {
          const int id = next_id_++;
          loop().call_soon(
              [this, id] { events_.push_back(absl::StrCat("task ", id)); });
          model_.ready.push_back(id);
          break;
        }
        case 7: {
          const int id = next_id_++;
          DelayedCall call = loop().call_later(
              absl::Milliseconds(pick(20)),
              [this, id] { events_.push_back(absl::StrCat("timer ", id)); });
          model_.timers.push_back({id, call.when(), next_seq_++});
          calls.push_back(call);
          break;
        }
        case 8: {
          if (calls.empty()) break;
          const int i = pick(static_cast<int>(calls.size()));
          // Cancelling returns whether the timer was still pending.
          bool cancelled = calls[i].cancel();
          ASSERT_EQ(cancelled, !model_.timers[i].done) << where;
          model_.timers[i].done = true;
          break;
        }
        case 9: {
          // Drop a future: a failure no errback saw is reported now, unless
          // a dispatch is still queued (it holds the future until it ran).
          int f = live_future();
          if (f < 0) break;
          real_[f].reset();
          model_.futures[f].dropped = true;
          ReportIfDropped(f);
          break;
        }
        case 10: {
          Events ready;
          model_.RunReady(ready);
          run_until_idle();
          ReportDropped();
          Check(ready, /*must_by=*/-absl::InfiniteDuration(),
                /*may_by=*/loop().now(), where + " run_until_idle");
          break;
        }
        default: {
          Events ready;
          model_.RunReady(ready);
          const absl::Duration delta = absl::Milliseconds(pick(15));
          const absl::Duration start = loop().now();
          advance(delta);
          ReportDropped();
          Check(ready, /*must_by=*/start + delta, /*may_by=*/loop().now(),
                where + " advance");
          break;
        }
      }
      if (HasFatalFailure()) return;
    }
    // Cancel what is left, drop every future, run to the end.
    for (DelayedCall& call : calls) call.cancel();
    for (ModelTimer& t : model_.timers) t.done = true;
    for (size_t f = 0; f < real_.size(); ++f) {
      if (real_[f].has_value()) {
        real_[f].reset();
        model_.futures[f].dropped = true;
      }
    }
    Events ready;
    model_.RunReady(ready);
    run_until_idle();
    ReportDropped();
    Check(ready, -absl::InfiniteDuration(), -absl::InfiniteDuration(),
          absl::StrCat("seed ", seed, " end"));
  }

  // The model's report for a dropped future whose failure no errback saw,
  // once no dispatch holds it.
  void ReportIfDropped(int f) {
    ModelFuture& m = model_.futures[f];
    if (!m.dropped || m.queued) return;
    if (m.status == ModelFuture::kFailed && !m.seen) {
      model_.unhandled.push_back(m.failure);
    }
    m.dropped = false;
    m.status = ModelFuture::kSucceeded;  // reported once only
    m.seen = true;
  }
  void ReportDropped() {
    for (size_t f = 0; f < model_.futures.size(); ++f) ReportIfDropped(f);
  }

  Model model_;
  std::vector<std::optional<Real>> real_;
  Events events_;
  int next_id_ = 0;
  int64_t next_seq_ = 0;
  size_t unhandled_base_ = 0;  // reports from earlier seeds
};

TEST_F(ModelTest, RandomOperationSequencesMatchTheModel) {
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    RunRandom(seed, 150);
    if (HasFatalFailure()) return;
    // Each seed starts from an empty model and a quiet loop.
    model_ = Model();
    real_.clear();
    events_.clear();
    unhandled_base_ = unhandled().size();
  }
}

}  // namespace
}  // namespace txaio::conformance
