// LineServer: a line-based TCP server written with libevent's own
// bufferevents (it answers every line upper-cased) that gives each client a
// deadline for its next complete line, kept as a txaio call_later on the
// same LibeventLoop. A client that sends nothing, or half a line, past the
// deadline is told "timeout" and disconnected.
//
// Everything runs on the thread running the LibeventLoop: libevent's
// callbacks and txaio's timers alike, so neither needs a lock.
//
//   txaio::LibeventLoop loop;
//   LineServer server(loop, absl::Seconds(10));
//   int port = server.listen("127.0.0.1", 0);
//   loop.run();
#ifndef TXAIO_EXAMPLES_LIBEVENT_LINE_SERVER_H_
#define TXAIO_EXAMPLES_LIBEVENT_LINE_SERVER_H_

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include <cstddef>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "backends/libevent/libevent_loop.h"
#include "core/loop.h"

class LineServer {
 public:
  // Serves on `loop`'s event_base; a client gets `line_timeout` after it
  // connects, and again after each complete line, to send the next one.
  LineServer(txaio::LibeventLoop& loop, absl::Duration line_timeout);
  // Frees the listener and every client's bufferevent (closing its socket).
  ~LineServer();
  LineServer(const LineServer&) = delete;
  LineServer& operator=(const LineServer&) = delete;

  // Listens on `ip`:`port` (0: any free port) and returns the port bound.
  // Throws std::runtime_error if it cannot.
  int listen(const std::string& ip, int port);

  // Clients connected now, and clients disconnected for missing a deadline.
  size_t clients() const { return clients_.size(); }
  size_t timed_out() const { return timed_out_; }

 private:
  struct Client;

  static void OnAccept(evconnlistener* listener, evutil_socket_t fd,
                       sockaddr* address, int length, void* arg);
  static void OnRead(bufferevent* bev, void* arg);
  static void OnEvent(bufferevent* bev, short what, void* arg);
  // Once a timed-out client's "timeout" is written: drops it.
  static void OnDrained(bufferevent* bev, void* arg);
  // (Re)sets the client's deadline for its next complete line.
  void arm(Client& client);
  // Frees the client's bufferevent (closing its socket) and the client.
  void drop(Client& client);

  txaio::LibeventLoop& loop_;
  absl::Duration line_timeout_;
  evconnlistener* listener_ = nullptr;
  absl::flat_hash_set<Client*> clients_;
  size_t timed_out_ = 0;
};

#endif  // TXAIO_EXAMPLES_LIBEVENT_LINE_SERVER_H_
