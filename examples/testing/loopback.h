// Test helpers for the example servers: a blocking loopback client, and a
// server run on a thread of its own with a loop of its own, as an
// application would run it.
#ifndef TXAIO_EXAMPLES_TESTING_LOOPBACK_H_
#define TXAIO_EXAMPLES_TESTING_LOOPBACK_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace txaio_examples {

// A blocking client socket connected to 127.0.0.1:`port`, with a 5 s receive
// timeout so that a broken server fails the test instead of hanging it.
class LoopbackClient {
 public:
  explicit LoopbackClient(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv = {5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  LoopbackClient(const LoopbackClient&) = delete;
  LoopbackClient& operator=(const LoopbackClient&) = delete;
  ~LoopbackClient() { close(fd_); }

  bool connected() const { return connected_; }

  // Sends all of `text`; false if the connection is gone.
  bool send_text(const std::string& text) {
    return send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(text.size());
  }

  // Reads exactly `n` bytes ("" on end of file or timeout first).
  std::string read_bytes(size_t n) {
    std::string got;
    char buf[256];
    while (got.size() < n) {
      ssize_t r = recv(fd_, buf, std::min(sizeof(buf), n - got.size()), 0);
      if (r <= 0) return "";
      got.append(buf, r);
    }
    return got;
  }

  // Reads up to and including the next '\n' ("" on end of file or timeout).
  std::string read_line() {
    std::string line;
    char c;
    while (recv(fd_, &c, 1, 0) == 1) {
      line += c;
      if (c == '\n') return line;
    }
    return "";
  }

  // True once there is something to read, waiting up to `timeout`.
  bool readable(std::chrono::milliseconds timeout) {
    pollfd p = {fd_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  }

  // True if the server has closed the connection (after anything it sent
  // first), waiting up to `timeout` for it.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    if (!readable(timeout)) return false;
    char c;
    return recv(fd_, &c, 1, MSG_DONTWAIT) == 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// Runs a `Server` (constructed from a `LoopType&`, with `int listen(ip,
// port)`) on a new thread that owns a `LoopType` and runs it until stop().
// The constructor returns once the server listens (rethrowing listen()'s
// error); `finish` sees the server after the run and before it is destroyed,
// on the server's thread, to read its figures.
template <class LoopType, class Server>
class ServerThread {
 public:
  using Make = std::function<std::unique_ptr<Server>(LoopType&)>;
  using Finish = std::function<void(Server&)>;

  ServerThread(Make make, Finish finish)
      : thread_([this, make = std::move(make), finish = std::move(finish)] {
          Run(make, finish);
        }) {
    try {
      port_number_ = port_promise_.get_future().get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;
  ~ServerThread() { stop(); }

  int port() const { return port_number_; }

  // Ends the loop's run (call_soon_threadsafe semantics: from any thread)
  // and waits for the thread, which has run `finish` when this returns.
  void stop() {
    if (!thread_.joinable()) return;
    loop_.load()->stop();
    thread_.join();
  }

 private:
  void Run(const Make& make, const Finish& finish) {
    LoopType loop;
    {
      std::unique_ptr<Server> server;
      try {
        server = make(loop);
        loop_ = &loop;
        port_promise_.set_value(server->listen("127.0.0.1", 0));
      } catch (...) {
        port_promise_.set_exception(std::current_exception());
        return;
      }
      loop.run();  // until stop()
      finish(*server);
    }
    // What the server closed as it went (libuv closes handles on a later
    // iteration) finishes before the loop is destroyed.
    loop.run_until_idle();
  }

  std::promise<int> port_promise_;
  int port_number_ = 0;
  std::atomic<LoopType*> loop_{nullptr};
  std::thread thread_;  // last: starts once the members above exist
};

}  // namespace txaio_examples

#endif  // TXAIO_EXAMPLES_TESTING_LOOPBACK_H_
