// HeartbeatTracker: an example library written once against txaio's core
// API (core/ only, no event loop, no Python), then used from Python on
// asyncio and on Twisted through the binding's Loop adapter.
//
// Each watched peer must beat() within its timeout, again and again; the
// future watch() returned fails with HeartbeatMissed when one does not, and
// is resolved by stop(). One core DelayedCall per peer, re-armed on beat().
//
//   txaio::HeartbeatTracker tracker(loop);
//   txaio::Future<void> alive = tracker.watch("peer-1", 5.0);
//   ...
//   tracker.beat("peer-1");   // on every message from the peer
//   tracker.stop("peer-1");   // `alive` resolves
#ifndef TXAIO_BINDINGS_PYTHON_EXAMPLE_HEARTBEAT_H_
#define TXAIO_BINDINGS_PYTHON_EXAMPLE_HEARTBEAT_H_

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "core/api.h"
#include "core/future.h"
#include "core/loop.h"

namespace txaio {

// The failure of a watch() whose peer missed a heartbeat.
class HeartbeatMissed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HeartbeatTracker {
 public:
  // `loop` must outlive the tracker; use it from the loop's thread only.
  explicit HeartbeatTracker(Loop& loop) : api_(loop) {}
  HeartbeatTracker(const HeartbeatTracker&) = delete;
  HeartbeatTracker& operator=(const HeartbeatTracker&) = delete;
  // Cancels every watch still running (their futures fail with
  // CancelledError).
  ~HeartbeatTracker();

  // Starts watching `peer`, which must then beat() every `timeout_seconds`
  // (finite, > 0, else std::invalid_argument). Watching a peer already
  // watched is std::invalid_argument.
  Future<void> watch(const std::string& peer, double timeout_seconds);

  // Records a heartbeat from `peer`; false if it is not watched.
  bool beat(const std::string& peer);

  // Stops watching `peer` and resolves its future; false if not watched.
  bool stop(const std::string& peer);

  // How many peers are watched.
  size_t watching() const { return peers_.size(); }

 private:
  struct Peer {
    Future<void> alive;
    absl::Duration timeout;
    DelayedCall deadline;
  };
  void arm(const std::string& peer, Peer& p);

  Api api_;
  absl::flat_hash_map<std::string, Peer> peers_;
};

}  // namespace txaio

#endif  // TXAIO_BINDINGS_PYTHON_EXAMPLE_HEARTBEAT_H_
