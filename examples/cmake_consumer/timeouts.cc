// A request with a timeout, on txaio-cpp's Asio backend: the usual pattern of
// a protocol library (a handshake that must finish in time).
#include <cstdio>
#include <string>

#include "backends/asio/asio_loop.h"
#include "core/txaio.h"

namespace {

// A reply that arrives after `latency` seconds.
txaio::Future<std::string> Request(const std::string& what, double latency) {
  txaio::Future<std::string> reply = txaio::create_future<std::string>();
  txaio::call_later(
      latency, [reply, what]() mutable { reply.resolve("reply to " + what); });
  return reply;
}

// Cancels `reply` unless it comes within `timeout` seconds; the timer is
// cancelled as soon as the reply is called either way.
void WithTimeout(txaio::Future<std::string>& reply, double timeout) {
  txaio::DelayedCall timer = txaio::call_later(
      timeout, [reply]() mutable { reply.cancel("timed out"); });
  reply.add_callbacks(
      [timer](const std::string&) mutable { timer.cancel(); },
      [timer](const txaio::Failure&) mutable { timer.cancel(); });
}

}  // namespace

int main() {
  txaio::AsioLoop& loop = txaio::use_asio();
  std::vector<txaio::Future<std::string>> replies;
  for (auto [what, latency] :
       {std::pair{"fast", 0.01}, std::pair{"slow", 0.5}}) {
    txaio::Future<std::string> reply = Request(what, latency);
    WithTimeout(reply, 0.1);
    reply.add_callbacks(
        [](const std::string& text) { std::printf("ok: %s\n", text.c_str()); },
        [what](const txaio::Failure& failure) {
          std::printf("%s failed: %s\n", what,
                      txaio::failure_message(failure).c_str());
        });
    replies.push_back(reply);
  }
  txaio::Future<std::vector<txaio::Outcome<std::string>>> all =
      txaio::gather(replies);
  loop.run_until_complete(all);
  return replies[0].succeeded() && replies[1].is_cancelled() ? 0 : 1;
}
