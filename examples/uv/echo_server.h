// EchoServer: a TCP echo server written with libuv's own API that drops
// clients idle for longer than a timeout, the timeouts kept in a txaio
// BatchedTimer on the same UvLoop (one loop timer per bucket, O(1) re-arm on
// every read, whatever the number of clients).
//
// Everything runs on the thread running the UvLoop: libuv's callbacks
// (accept, read, write) and the timer's calls alike, so neither needs a
// lock.
//
//   txaio::UvLoop loop;
//   EchoServer server(loop, absl::Seconds(30));
//   int port = server.listen("127.0.0.1", 0);
//   loop.run();
#ifndef TXAIO_EXAMPLES_UV_ECHO_SERVER_H_
#define TXAIO_EXAMPLES_UV_ECHO_SERVER_H_

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "backends/uv/uv_loop.h"
#include "core/batched_timer.h"

class EchoServer {
 public:
  // Serves on `loop`'s uv_loop_t. A client that sends nothing for
  // `idle_timeout` is disconnected within one bucket (idle_timeout / 10)
  // after that.
  EchoServer(txaio::UvLoop& loop, absl::Duration idle_timeout);
  // Closes every handle; the loop must then run once (any uv_run) before it
  // is closed, so that libuv can finish closing them.
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Listens on `ip`:`port` (0: any free port) and returns the port bound.
  // Throws std::runtime_error with libuv's message if it cannot.
  int listen(const std::string& ip, int port);

  // Clients connected now, and clients dropped for idling so far.
  size_t clients() const { return clients_.size(); }
  size_t dropped_idle() const { return dropped_idle_; }

 private:
  struct Client;

  static void OnConnection(uv_stream_t* listener, int status);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  // (Re)arms the client's idle timeout: cancel and call_later, both O(1).
  void arm(Client& client);
  // Stops reading and closes the client's socket; it is freed once libuv
  // has closed it.
  void drop(Client& client);

  txaio::UvLoop& loop_;
  absl::Duration idle_timeout_;
  txaio::BatchedTimer timeouts_;
  uv_tcp_t* listener_ = nullptr;  // freed by its close callback
  absl::flat_hash_set<Client*> clients_;
  size_t dropped_idle_ = 0;
};

#endif  // TXAIO_EXAMPLES_UV_ECHO_SERVER_H_
