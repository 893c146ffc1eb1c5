#include "bindings/python/example/heartbeat.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace txaio {

HeartbeatTracker::~HeartbeatTracker() {
  for (auto& [name, peer] : peers_) {
    peer.deadline.cancel();
    peer.alive.cancel("heartbeat tracker destroyed");
  }
}

Future<void> HeartbeatTracker::watch(const std::string& peer,
                                     double timeout_seconds) {
  if (!(timeout_seconds > 0) || std::isinf(timeout_seconds)) {
    throw std::invalid_argument(absl::StrCat(
        "watch: timeout must be finite and > 0, got ", timeout_seconds));
  }
  auto [it, inserted] = peers_.try_emplace(peer);
  if (!inserted) {
    throw std::invalid_argument(
        absl::StrCat("watch: peer '", peer, "' is already watched"));
  }
  Peer& p = it->second;
  p.alive = api_.create_future<void>();
  p.timeout = absl::Seconds(timeout_seconds);
  arm(peer, p);
  return p.alive;
}

void HeartbeatTracker::arm(const std::string& peer, Peer& p) {
  p.deadline = api_.call_later(p.timeout, [this, peer] {
    auto it = peers_.find(peer);
    if (it == peers_.end()) return;
    Future<void> alive = it->second.alive;
    std::string timeout = absl::FormatDuration(it->second.timeout);
    peers_.erase(it);
    alive.reject(Failure(HeartbeatMissed(absl::StrCat(
        "peer '", peer, "' missed its heartbeat (timeout ", timeout, ")"))));
  });
}

bool HeartbeatTracker::beat(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return false;
  it->second.deadline.cancel();
  arm(peer, it->second);
  return true;
}

bool HeartbeatTracker::stop(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return false;
  Peer p = std::move(it->second);
  peers_.erase(it);
  p.deadline.cancel();
  p.alive.resolve();
  return true;
}

}  // namespace txaio
