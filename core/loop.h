// Loop: the seam between txaio's core and an event loop (txaio's reactor or
// asyncio loop), in the spirit of LevelDB's Env.
//
// Core code only ever talks to a Loop. A backend (backends/asio,
// backends/manual, ...) implements it, usually by deriving from LoopBase
// (core/loop_base.h), which keeps the ready queue and the timers in the core
// so that every backend schedules, orders and cancels calls the same way.
//
// Thread rule: call_soon_threadsafe() may be called from any thread; every
// other member, and everything done with a DelayedCall, only from the thread
// running the loop.
#ifndef TXAIO_CORE_LOOP_H_
#define TXAIO_CORE_LOOP_H_

#include <cstddef>
#include <memory>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace txaio {

// A unit of work for the loop. Tasks run once.
using Task = absl::AnyInvocable<void() &&>;

class Loop;

namespace internal {
class TimerEntry;

// A coroutine suspended on one of a loop's futures (core/coroutine.h's
// awaiter derives from this). While suspended it is linked into that loop's
// list, so that destroying the loop destroys its frame (see
// Loop::destroy_suspended_coroutines): nothing could resume it any more,
// since a future whose loop is gone may not be completed. Loop thread only,
// like the future itself.
class SuspendedCoroutine {
 public:
  SuspendedCoroutine(const SuspendedCoroutine&) = delete;
  SuspendedCoroutine& operator=(const SuspendedCoroutine&) = delete;

 protected:
  // `destroy` destroys the suspended coroutine's frame (and so this object,
  // which lives in it); it is called unlinked.
  explicit SuspendedCoroutine(void (*destroy)(SuspendedCoroutine&))
      : destroy_(destroy) {}
  ~SuspendedCoroutine() { unlink(); }

  inline void link(Loop& loop);
  void unlink() {
    if (loop_ == nullptr) return;
    (prev_ != nullptr ? prev_->next_ : loop_head()) = next_;
    if (next_ != nullptr) next_->prev_ = prev_;
    prev_ = next_ = nullptr;
    loop_ = nullptr;
  }
  bool linked() const { return loop_ != nullptr; }

 private:
  friend class txaio::Loop;
  inline SuspendedCoroutine*& loop_head();

  void (*destroy_)(SuspendedCoroutine&);
  Loop* loop_ = nullptr;
  SuspendedCoroutine* prev_ = nullptr;
  SuspendedCoroutine* next_ = nullptr;
};

// Work that is its own ready-queue entry: a future's callback dispatch (the
// future's state). The loop holds a counted reference on it from
// dispatch_soon() until it calls exactly one of run() or discard(), so
// queueing one needs neither a Task around it nor an allocation of its own.
class ReadyEntry {
 public:
  // Runs the work on the loop thread, then gives back the loop's reference
  // (also when it throws).
  virtual void run() = 0;
  // Gives back the loop's reference without running: the loop is being
  // destroyed, or could not queue the dispatch.
  virtual void discard() = 0;

 protected:
  ~ReadyEntry() = default;
};

}  // namespace internal

// A handle on a call scheduled by call_later (Twisted's IDelayedCall, asyncio's
// TimerHandle). Copies refer to the same call. A default-constructed handle
// refers to no call and is never active.
class DelayedCall {
 public:
  DelayedCall() = default;
  explicit DelayedCall(std::shared_ptr<internal::TimerEntry> entry);

  // Cancels the call if it has not run yet and releases what the call
  // captured. Returns true if this cancelled it; cancelling twice, after the
  // call ran, or after the loop was destroyed is a no-op returning false.
  bool cancel();

  // True while the call is scheduled and has neither run nor been cancelled.
  bool active() const;

  // When the call is (or was) due, on its loop's clock (Loop::now()).
  absl::Duration when() const;

 private:
  std::shared_ptr<internal::TimerEntry> entry_;
};

class Loop {
 public:
  // In debug builds every loop alive is registered, so that a future used
  // after its loop was destroyed aborts naming the rule
  // (core/internal/misuse.h); release builds keep no registry.
  Loop();
  Loop(const Loop&);
  // Keeps this loop's own list of suspended coroutines.
  Loop& operator=(const Loop&) { return *this; }
  // Every loop destroys the coroutines still suspended on its futures when
  // it is destroyed (see destroy_suspended_coroutines()). LoopBase does it
  // first thing in its destructor; a Loop not derived from LoopBase must call
  // destroy_suspended_coroutines() at the start of its own, since by the time
  // this destructor runs the derived loop is gone: debug builds abort here
  // if it did not, release builds leak the frames.
  virtual ~Loop();

  // The framework's name: "asio", "manual", ... (what txaio calls
  // using_twisted/using_asyncio).
  virtual std::string_view framework() const = 0;

  // Monotonic time on this loop's clock, as a duration since the clock's
  // epoch. The manual loop's clock starts at zero and moves only when told.
  virtual absl::Duration now() const = 0;

  // Runs `task` on the loop soon, after the tasks already queued, never
  // inline. Loop thread only.
  virtual void call_soon(Task task) = 0;

  // call_soon() for a future's dispatch (see internal::ReadyEntry), in the
  // same order as tasks. Takes over the reference the caller took for the
  // loop; if it throws, it has already called dispatch.discard(). Loop thread
  // only. The default wraps the dispatch in a Task; LoopBase queues it as it
  // is.
  virtual void dispatch_soon(internal::ReadyEntry& dispatch);

  // call_soon() for any thread: the only member safe to call from a thread
  // that is not running the loop.
  virtual void call_soon_threadsafe(Task task) = 0;

  // Runs `task` once `delay` has passed on this loop's clock: never before,
  // calls due at the same time in the order they were scheduled. `delay` must
  // be finite and not negative (otherwise std::invalid_argument).
  virtual DelayedCall call_later(absl::Duration delay, Task task) = 0;

  // Number of calls scheduled with call_later that have neither run nor
  // been cancelled. Loop thread only.
  virtual size_t pending_timers() const = 0;

 protected:
  // Destroys the frames of the coroutines (returning Future<T>, see
  // core/coroutine.h) suspended on this loop's futures, so that their
  // locals' destructors run, as a destroyed asyncio loop drops its tasks.
  // Each one's own future, if still pending, is cancelled. Called by the
  // destructor of the most derived loop while the loop still works: the
  // destructors may use it (complete futures, schedule calls), and what they
  // schedule is dropped with the rest of the loop's work.
  void destroy_suspended_coroutines();

 private:
  friend class internal::SuspendedCoroutine;
  internal::SuspendedCoroutine* suspended_ = nullptr;
};

namespace internal {

inline SuspendedCoroutine*& SuspendedCoroutine::loop_head() {
  return loop_->suspended_;
}

inline void SuspendedCoroutine::link(Loop& loop) {
  unlink();
  loop_ = &loop;
  next_ = loop.suspended_;
  if (next_ != nullptr) next_->prev_ = this;
  loop.suspended_ = this;
}

}  // namespace internal

}  // namespace txaio

#endif  // TXAIO_CORE_LOOP_H_
