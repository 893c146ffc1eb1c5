// libFuzzer target: random sequences of C ABI calls (bindings/c/txaio.h) on
// manual loops, interpreted from the input. Futures are created, resolved,
// rejected, cancelled, copied, gathered and destroyed; callbacks, cancellers
// and tasks re-enter the API (resolve or destroy other futures, schedule
// more work, try a nested run or destroying their own loop); loops are run,
// advanced (with bad durations too) and destroyed while handles remain;
// stale, borrowed and foreign pointers are passed where handles go; worker
// threads post with call_soon_threadsafe. Checked: no crash, leak or
// sanitizer report; every status is a known one; the rules' statuses
// (USAGE for a nested run or destroying a running loop, INVALID_HANDLE for
// a destroyed, borrowed or foreign handle); and every state and value
// destructor runs exactly once by the end.
#include <fuzzer/FuzzedDataProvider.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "bindings/c/txaio.h"

namespace {

constexpr int kSlots = 8;

#define REQUIRE(cond)              \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// Every status a call returns must be one txaio.h defines.
txaio_status Known(txaio_status s) {
  REQUIRE(s >= TXAIO_OK && s <= TXAIO_ERR_USAGE);
  return s;
}

struct Harness;
Harness* g_h = nullptr;

// Live states and values: each is a counter cell freed by its destructor.
// (Atomic: worker threads make states for call_soon_threadsafe.)
std::atomic<int> g_live{0};
void* NewCell() {
  ++g_live;
  return std::malloc(1);
}
void FreeCell(void* p) {
  REQUIRE(p != nullptr);
  --g_live;
  std::free(p);
}

// Posts 4 tasks with txaio_loop_call_soon_threadsafe to `loop`.
void PostFromThisThread(txaio_loop* loop);

// Worker threads that post to a loop with call_soon_threadsafe. Made once
// and kept: under ASan, making and joining two threads cost about a fifth
// of the CPU time of the average input. Post() starts n of them posting at
// once and returns when they are done, as a join would.
class Workers {
 public:
  static constexpr int kMax = 2;

  static Workers& Get() {
    static Workers* workers = new Workers;  // never destroyed: threads run on
    return *workers;
  }

  void Post(txaio_loop* loop, int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    loop_ = loop;
    wanted_ = n;
    pending_ = n;
    ++generation_;
    start_.notify_all();
    done_.wait(lock, [this] { return pending_ == 0; });
    loop_ = nullptr;
  }

 private:
  Workers() {
    for (int i = 0; i < kMax; ++i) std::thread([this, i] { Run(i); }).detach();
  }

  void Run(int index) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      start_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      if (index >= wanted_) continue;
      txaio_loop* loop = loop_;
      lock.unlock();
      PostFromThisThread(loop);
      lock.lock();
      if (--pending_ == 0) done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  uint64_t generation_ = 0;
  int wanted_ = 0;
  int pending_ = 0;
  txaio_loop* loop_ = nullptr;
};

struct Harness {
  FuzzedDataProvider& in;
  // Whether worker threads are made and joined per post (1 input in 8,
  // chosen by its size, so that a finding reproduces from its input):
  // covers a thread exiting, its thread-locals destroyed, while what it
  // allocated lives on in the loop. The others use the kept Workers.
  bool fresh_threads = false;
  txaio_loop* loops[2] = {nullptr, nullptr};
  txaio_future* futures[kSlots] = {};
  txaio_failure* failures[4] = {};
  txaio_delayed_call* calls[4] = {};
  txaio_batched_timer* timer = nullptr;
  txaio_batched_call* batched[4] = {};
  // Pointers that are no (longer a) handle: destroyed handles, a value.
  std::vector<void*> stale;
  std::vector<txaio_loop*> active;  // loops inside a run* call, innermost last
  int depth = 0;                    // callbacks running (re-entry is bounded)
  int budget = 0;                   // re-entrant actions left

  // A loop slot's loop, made first if the slot is empty.
  txaio_loop* Loop() {
    txaio_loop*& loop = loops[in.ConsumeBool() ? 1 : 0];
    if (loop == nullptr)
      REQUIRE(Known(txaio_loop_new_manual(&loop)) == TXAIO_OK);
    return loop;
  }
  int Slot() { return in.ConsumeIntegralInRange<int>(0, kSlots - 1); }

  double Seconds() {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
      case 0:
        return -1.0;
      case 1:
        return NAN;
      case 2:
        return INFINITY;
      case 3:
        return 1e10;
      case 4:
        return 1e9;
      case 5:
        return 0.0;
      default:
        return in.ConsumeIntegralInRange<int>(0, 2000) / 1000.0;
    }
  }

  void DestroyFuture(int i) {
    if (futures[i] == nullptr) return;
    REQUIRE(Known(txaio_future_destroy(futures[i])) == TXAIO_OK);
    stale.push_back(futures[i]);
    futures[i] = nullptr;
  }

  void SetFuture(int i, txaio_future* f) {
    DestroyFuture(i);
    futures[i] = f;
  }

  bool Running(txaio_loop* loop) const {
    for (txaio_loop* l : active) {
      if (l == loop) return true;
    }
    return false;
  }

  // Runs a run* call on `loop`: USAGE exactly when it is already running.
  template <typename F>
  txaio_status Run(txaio_loop* loop, F&& run) {
    const bool nested = loop != nullptr && Running(loop);
    active.push_back(loop);
    txaio_status s = Known(run());
    active.pop_back();
    // (A bad argument is reported before the nesting.)
    if (nested)
      REQUIRE(s == TXAIO_ERR_USAGE || s == TXAIO_ERR_INVALID_ARGUMENT);
    if (s == TXAIO_ERR_USAGE) REQUIRE(nested);
    return s;
  }

  // One action; `inside` when run from a callback.
  void Step(bool inside);
};

// ---- callbacks: each may run one more action, bounded.

void Reenter() {
  Harness& h = *g_h;
  if (h.budget <= 0 || h.depth > 3 || h.in.remaining_bytes() == 0) return;
  --h.budget;
  ++h.depth;
  h.Step(/*inside=*/true);
  --h.depth;
}

void Task(void* state) {
  REQUIRE(state != nullptr);
  Reenter();
}

txaio_failure* Callback(void* state, void* value) {
  (void)value;
  REQUIRE(state != nullptr);
  Reenter();
  Harness& h = *g_h;
  if (h.in.remaining_bytes() > 0 &&
      h.in.ConsumeIntegralInRange<int>(0, 3) == 0) {
    txaio_failure* f = nullptr;
    Known(txaio_failure_new(7, "callback failed", &f));
    return f;
  }
  return nullptr;
}

void Errback(void* state, const txaio_failure* failure) {
  REQUIRE(state != nullptr);
  const char* text = nullptr;
  REQUIRE(Known(txaio_failure_message(failure, &text)) == TXAIO_OK);
  // Borrowed: destroying it is refused.
  REQUIRE(Known(txaio_failure_destroy(const_cast<txaio_failure*>(failure))) ==
          TXAIO_ERR_INVALID_HANDLE);
  Reenter();
}

void Canceller(void* state, txaio_future* future) {
  REQUIRE(state != nullptr);
  REQUIRE(Known(txaio_future_destroy(future)) == TXAIO_ERR_INVALID_HANDLE);
  Harness& h = *g_h;
  if (h.in.remaining_bytes() > 0 && h.in.ConsumeBool()) {
    Known(txaio_future_resolve(future, NewCell(), FreeCell));
  }
  Reenter();
}

txaio_failure* Batched(void* state) {
  REQUIRE(state != nullptr);
  Reenter();
  return nullptr;
}

void BatchErrors(void* state, const txaio_failure* const* failures,
                 size_t count) {
  REQUIRE(state != nullptr);
  for (size_t i = 0; i < count; ++i) REQUIRE(failures[i] != nullptr);
}

void Unhandled(void* state, const txaio_failure* failure) {
  (void)state;
  REQUIRE(failure != nullptr);
}

void Harness::Step(bool inside) {
  txaio_loop* loop = Loop();
  const int op = in.ConsumeIntegralInRange<int>(0, 27);
  static const bool trace = std::getenv("TXAIO_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "op %d on loop %p%s (live %d)\n", op,
                 static_cast<void*>(loop), inside ? " inside" : "",
                 g_live.load());
  }
  switch (op) {
    case 0: {
      txaio_future* f = nullptr;
      if (in.ConsumeBool()) {
        REQUIRE(Known(txaio_future_new(loop, Canceller, NewCell(), FreeCell,
                                       &f)) == TXAIO_OK);
      } else {
        REQUIRE(Known(txaio_future_new(loop, nullptr, nullptr, nullptr, &f)) ==
                TXAIO_OK);
      }
      SetFuture(Slot(), f);
      break;
    }
    case 1: {
      txaio_future* f = nullptr;
      REQUIRE(Known(txaio_future_new_success(loop, NewCell(), FreeCell, &f)) ==
              TXAIO_OK);
      SetFuture(Slot(), f);
      break;
    }
    case 2: {
      txaio_failure* failure = failures[in.ConsumeIntegralInRange<int>(0, 3)];
      txaio_future* f = nullptr;
      if (Known(txaio_future_new_error(loop, failure, &f)) == TXAIO_OK) {
        SetFuture(Slot(), f);
      }
      break;
    }
    case 3:
      Known(txaio_future_resolve(futures[Slot()], NewCell(), FreeCell));
      break;
    case 4:
      Known(txaio_future_reject(
          futures[Slot()], failures[in.ConsumeIntegralInRange<int>(0, 3)]));
      break;
    case 5: {
      int was = -1;
      Known(txaio_future_cancel(futures[Slot()], "fuzz", &was));
      break;
    }
    case 6: {
      const int kind = in.ConsumeIntegralInRange<int>(0, 2);
      Known(txaio_future_add_callbacks(
          futures[Slot()], kind == 1 ? nullptr : Callback,
          kind == 2 ? nullptr : Errback, NewCell(), FreeCell));
      break;
    }
    case 7:
      DestroyFuture(Slot());
      break;
    case 8: {
      txaio_future* copy = nullptr;
      if (Known(txaio_future_copy(futures[Slot()], &copy)) == TXAIO_OK) {
        SetFuture(Slot(), copy);
      }
      break;
    }
    case 9: {
      size_t ran = 0;
      Run(loop, [&] { return txaio_loop_run_until_idle(loop, &ran); });
      break;
    }
    case 10: {
      const double seconds = Seconds();
      Run(loop, [&] { return txaio_loop_advance(loop, seconds); });
      break;
    }
    case 11:
      Known(txaio_loop_call_soon(loop, Task, NewCell(), FreeCell));
      break;
    case 12: {
      const int i = in.ConsumeIntegralInRange<int>(0, 3);
      txaio_delayed_call* call = nullptr;
      if (Known(txaio_call_later(loop, Seconds(), Task, NewCell(), FreeCell,
                                 &call)) == TXAIO_OK) {
        if (calls[i] != nullptr) {
          REQUIRE(Known(txaio_delayed_call_destroy(calls[i])) == TXAIO_OK);
        }
        calls[i] = call;
      }
      break;
    }
    case 13: {
      const int i = in.ConsumeIntegralInRange<int>(0, 3);
      int cancelled = 0;
      Known(txaio_delayed_call_cancel(calls[i], &cancelled));
      if (calls[i] != nullptr && in.ConsumeBool()) {
        REQUIRE(Known(txaio_delayed_call_destroy(calls[i])) == TXAIO_OK);
        stale.push_back(calls[i]);
        calls[i] = nullptr;
      }
      break;
    }
    case 14: {
      txaio_future* inputs[kSlots];
      size_t n = 0;
      for (int i = 0; i < kSlots; ++i) {
        if (futures[i] != nullptr && in.ConsumeBool()) inputs[n++] = futures[i];
      }
      txaio_future* g = nullptr;
      if (Known(txaio_gather(loop, inputs, n, in.ConsumeBool() ? 1 : 0, &g)) ==
          TXAIO_OK) {
        SetFuture(Slot(), g);
      }
      break;
    }
    case 15: {
      txaio_future* f = futures[Slot()];
      void* value = nullptr;
      if (Known(txaio_future_result(f, &value)) == TXAIO_OK &&
          value != nullptr) {
        // Maybe gather results, maybe a 1-byte cell: only a registered
        // results handle may be read.
        size_t size = 0;
        if (Known(txaio_gather_results_size(
                static_cast<const txaio_gather_results*>(value), &size)) ==
            TXAIO_OK) {
          for (size_t i = 0; i < size; ++i) {
            void* v = nullptr;
            const txaio_failure* failure = nullptr;
            REQUIRE(Known(txaio_gather_results_get(
                        static_cast<const txaio_gather_results*>(value), i, &v,
                        &failure)) == TXAIO_OK);
          }
        }
        stale.push_back(value);  // borrowed: no handle of any type
      }
      txaio_failure* failure = nullptr;
      if (Known(txaio_future_failure(f, &failure)) == TXAIO_OK) {
        REQUIRE(Known(txaio_failure_destroy(failure)) == TXAIO_OK);
      }
      txaio_future_state state;
      Known(txaio_future_state_get(f, &state));
      break;
    }
    case 16: {
      const int i = in.ConsumeIntegralInRange<int>(0, 3);
      if (failures[i] != nullptr) {
        REQUIRE(Known(txaio_failure_destroy(failures[i])) == TXAIO_OK);
        stale.push_back(failures[i]);
        failures[i] = nullptr;
      }
      REQUIRE(Known(txaio_failure_new(i, "fuzz", &failures[i])) == TXAIO_OK);
      break;
    }
    case 17: {
      if (timer == nullptr) {
        Known(txaio_batched_timer_new(loop, Seconds(),
                                      in.ConsumeIntegral<int8_t>(), &timer));
        if (timer != nullptr) {
          REQUIRE(Known(txaio_batched_timer_set_error_handler(
                      timer, BatchErrors, NewCell(), FreeCell)) == TXAIO_OK);
        }
        break;
      }
      const int i = in.ConsumeIntegralInRange<int>(0, 3);
      txaio_batched_call* call = nullptr;
      if (Known(txaio_batched_timer_call_later(timer, Seconds(), Batched,
                                               NewCell(), FreeCell, &call)) ==
          TXAIO_OK) {
        if (batched[i] != nullptr)
          Known(txaio_batched_call_destroy(batched[i]));
        batched[i] = call;
      }
      break;
    }
    case 18: {
      const int i = in.ConsumeIntegralInRange<int>(0, 3);
      int cancelled = 0;
      Known(txaio_batched_call_cancel(batched[i], &cancelled));
      break;
    }
    case 19: {
      if (inside)
        break;  // a thread joined from a callback is fine too, but slow
      const int n = in.ConsumeIntegralInRange<int>(1, Workers::kMax);
      if (!fresh_threads) {
        Workers::Get().Post(loop, n);
        break;
      }
      std::vector<std::thread> threads;
      for (int t = 0; t < n; ++t) {
        threads.emplace_back([loop] { PostFromThisThread(loop); });
      }
      for (std::thread& t : threads) t.join();
      break;
    }
    case 20: {
      const double seconds = Seconds();
      if (!(seconds >= 0 && seconds <= 1e9)) {
        REQUIRE(Known(txaio_loop_run_for(loop, seconds)) ==
                TXAIO_ERR_INVALID_ARGUMENT);
        break;
      }
      Run(loop, [&] { return txaio_loop_run_for(loop, seconds); });
      break;
    }
    case 21: {
      txaio_future* f = futures[Slot()];
      if (f == nullptr) break;
      Run(loop, [&] { return txaio_loop_run_until_complete(loop, f); });
      break;
    }
    case 22:
      Run(loop, [&] { return txaio_loop_run(loop); });
      break;
    case 23: {
      // Destroying a loop: refused while it runs; otherwise the handle goes
      // and the loop lives on while futures and timers hold it.
      const int which = in.ConsumeBool() ? 1 : 0;
      txaio_loop* doomed = loops[which];
      txaio_status s = Known(txaio_loop_destroy(doomed));
      if (doomed != nullptr && Running(doomed)) {
        REQUIRE(s == TXAIO_ERR_USAGE);
      } else {
        REQUIRE(s == TXAIO_OK);
        if (doomed != nullptr) stale.push_back(doomed);
        loops[which] = nullptr;
      }
      break;
    }
    case 24: {
      // A pointer that is no live handle, passed as each handle type.
      if (stale.empty()) break;
      void* p = stale[in.ConsumeIntegralInRange<size_t>(0, stale.size() - 1)];
      size_t n = 0;
      int flag = 0;
      // Stale addresses may have been reused by new handles: only the
      // statuses' range is checked, and nothing is destroyed through them.
      Known(txaio_gather_results_size(
          static_cast<const txaio_gather_results*>(p), &n));
      Known(txaio_future_is_called(static_cast<const txaio_future*>(p), &flag));
      Known(txaio_delayed_call_active(static_cast<const txaio_delayed_call*>(p),
                                      &flag));
      Known(txaio_batched_timer_pending(
          static_cast<const txaio_batched_timer*>(p), &n));
      Known(txaio_loop_pending_timers(static_cast<const txaio_loop*>(p), &n));
      break;
    }
    case 25: {
      txaio_future* f = nullptr;
      if (Known(txaio_sleep(loop, Seconds(), &f)) == TXAIO_OK) {
        SetFuture(Slot(), f);
      }
      break;
    }
    case 26: {
      if (timer != nullptr) {
        REQUIRE(Known(txaio_batched_timer_destroy(timer)) == TXAIO_OK);
        stale.push_back(timer);
        timer = nullptr;
      }
      break;
    }
    default: {
      // A stop: a later run returns at once.
      Known(txaio_loop_stop(loop));
      break;
    }
  }
}

void PostFromThisThread(txaio_loop* loop) {
  for (int k = 0; k < 4; ++k) {
    REQUIRE(Known(txaio_loop_call_soon_threadsafe(loop, Task, NewCell(),
                                                  FreeCell)) == TXAIO_OK);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool once = [] {
    txaio_set_unhandled_failure_handler(Unhandled, nullptr, nullptr);
    return true;
  }();
  (void)once;
  FuzzedDataProvider in(data, size);
  Harness h{in};
  h.fresh_threads = size % 8 == 7;
  g_h = &h;
  g_live = 0;
  h.budget = 64;
  int steps = 0;
  while (in.remaining_bytes() > 0 && steps++ < 200) h.Step(/*inside=*/false);
  // Runs what is left (a bounded number of rounds), then releases it all.
  for (txaio_loop* loop : h.loops) {
    if (loop != nullptr) {
      h.budget = 0;
      size_t ran = 0;
      txaio_status s = Known(txaio_loop_run_until_idle(loop, &ran));
      if (std::getenv("TXAIO_FUZZ_TRACE") != nullptr) {
        std::fprintf(stderr, "final run: %s, %zu ran (live %d)\n",
                     txaio_status_name(s), ran, g_live.load());
      }
    }
  }
  for (int i = 0; i < kSlots; ++i) h.DestroyFuture(i);
  for (txaio_failure*& f : h.failures) {
    if (f != nullptr) REQUIRE(Known(txaio_failure_destroy(f)) == TXAIO_OK);
  }
  for (txaio_delayed_call*& c : h.calls) {
    if (c != nullptr) REQUIRE(Known(txaio_delayed_call_destroy(c)) == TXAIO_OK);
  }
  for (txaio_batched_call*& c : h.batched) {
    if (c != nullptr) Known(txaio_batched_call_destroy(c));
  }
  if (h.timer != nullptr) {
    REQUIRE(Known(txaio_batched_timer_destroy(h.timer)) == TXAIO_OK);
  }
  for (txaio_loop*& loop : h.loops) {
    if (loop != nullptr) REQUIRE(Known(txaio_loop_destroy(loop)) == TXAIO_OK);
  }
  // Every state and value was destroyed exactly once.
  if (g_live != 0 && std::getenv("TXAIO_FUZZ_TRACE") != nullptr) {
    std::fprintf(stderr, "live at the end: %d\n", g_live.load());
  }
  REQUIRE(g_live == 0);
  g_h = nullptr;
  return 0;
}
