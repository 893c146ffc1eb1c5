// LineServer over real loopback sockets: a client that sends its lines in
// time is answered and stays, one that stops halfway through a line is told
// "timeout" and disconnected once its deadline has passed (never before).
#include "examples/libevent/line_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "backends/libevent/libevent_loop.h"
#include "gtest/gtest.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = std::chrono::milliseconds(500);

// A blocking client socket with a receive timeout, so a broken server fails
// the test instead of hanging it.
class Client {
 public:
  explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv = {5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ =
        connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }

  bool send_text(const std::string& text) {
    return send(fd_, text.data(), text.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(text.size());
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
  bool at_eof(std::chrono::milliseconds timeout) {
    pollfd p = {fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char c;
    return recv(fd_, &c, 1, MSG_DONTWAIT) == 0;
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(LineServerTest, LateClientIsToldAndDroppedPromptOneStays) {
  std::promise<int> port_promise;
  std::atomic<txaio::LibeventLoop*> server_loop{nullptr};
  size_t timed_out = 0;
  size_t still_connected = 0;
  // The server: a LibeventLoop and its bufferevents, all on their own thread.
  std::thread server_thread([&] {
    txaio::LibeventLoop loop;
    LineServer server(loop, absl::FromChrono(kTimeout));
    try {
      server_loop = &loop;
      port_promise.set_value(server.listen("127.0.0.1", 0));
    } catch (...) {
      port_promise.set_exception(std::current_exception());
      return;
    }
    loop.run();  // until the test calls stop()
    timed_out = server.timed_out();
    still_connected = server.clients();
  });
  const int port = port_promise.get_future().get();

  Client prompt(port);
  Client late(port);
  ASSERT_TRUE(prompt.connected());
  ASSERT_TRUE(late.connected());
  ASSERT_TRUE(late.send_text("hello\n"));
  ASSERT_EQ(late.read_line(), "HELLO\n");
  ASSERT_TRUE(late.send_text("half a li"));  // and nothing more
  const Clock::time_point late_since = Clock::now();

  // The prompt client sends a line every 100 ms for 1.5 s (three timeouts);
  // meanwhile the late client waits for what the server tells it.
  std::string told;
  Clock::duration late_lasted{};
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(prompt.send_text("line " + std::to_string(i) + "\n"));
    ASSERT_EQ(prompt.read_line(), "LINE " + std::to_string(i) + "\n")
        << "the prompt client was dropped";
    if (told.empty() && late.readable(std::chrono::milliseconds(100))) {
      told = late.read_line();
      late_lasted = Clock::now() - late_since;
    } else if (!told.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  if (told.empty() && late.readable(std::chrono::seconds(3))) {
    told = late.read_line();
    late_lasted = Clock::now() - late_since;
  }
  EXPECT_EQ(told, "timeout\n");
  EXPECT_GE(late_lasted, kTimeout) << "told before its deadline";
  EXPECT_TRUE(late.at_eof(std::chrono::seconds(3)));
  ASSERT_TRUE(prompt.send_text("still here\n"));
  EXPECT_EQ(prompt.read_line(), "STILL HERE\n");

  server_loop.load()->stop();
  server_thread.join();
  EXPECT_EQ(timed_out, 1u);
  EXPECT_EQ(still_connected, 1u);
}

}  // namespace
