#include "examples/uv/echo_server.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace {

void ThrowIfError(int status, const char* what) {
  if (status < 0) {
    throw std::runtime_error(std::string(what) + ": " + uv_strerror(status));
  }
}

// One uv_write of a copy of what was read.
struct WriteRequest {
  uv_write_t req;
  std::string data;
};

}  // namespace

struct EchoServer::Client {
  uv_tcp_t tcp;
  EchoServer* server;
  txaio::BatchedCall idle;
};

EchoServer::EchoServer(txaio::UvLoop& loop, absl::Duration idle_timeout)
    : loop_(loop),
      idle_timeout_(idle_timeout),
      timeouts_(loop, idle_timeout / 10, 1000) {}

EchoServer::~EchoServer() {
  while (!clients_.empty()) drop(**clients_.begin());
  if (listener_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(listener_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
}

int EchoServer::listen(const std::string& ip, int port) {
  if (listener_ != nullptr)
    throw std::logic_error("EchoServer: already listening");
  sockaddr_in addr;
  ThrowIfError(uv_ip4_addr(ip.c_str(), port, &addr), "uv_ip4_addr");
  listener_ = new uv_tcp_t;
  uv_tcp_init(&loop_.uv_loop(), listener_);
  listener_->data = this;
  int status = uv_tcp_bind(listener_, reinterpret_cast<sockaddr*>(&addr), 0);
  if (status == 0) {
    status = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 128,
                       &EchoServer::OnConnection);
  }
  ThrowIfError(status, "listen");
  sockaddr_storage bound;
  int len = sizeof(bound);
  uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

void EchoServer::OnConnection(uv_stream_t* listener, int status) {
  auto* server = static_cast<EchoServer*>(listener->data);
  if (status < 0) return;
  auto* client = new Client{{}, server, {}};
  uv_tcp_init(listener->loop, &client->tcp);
  client->tcp.data = client;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&client->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&client->tcp),
             [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
    return;
  }
  server->clients_.insert(client);
  server->arm(*client);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&client->tcp),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        buf->base = static_cast<char*>(std::malloc(suggested));
        buf->len = buf->base != nullptr ? suggested : 0;
      },
      &EchoServer::OnRead);
}

void EchoServer::OnRead(uv_stream_t* stream, ssize_t nread,
                        const uv_buf_t* buf) {
  auto* client = static_cast<Client*>(stream->data);
  EchoServer* server = client->server;
  if (nread > 0) {
    server->arm(*client);
    auto* write = new WriteRequest{{}, std::string(buf->base, nread)};
    write->req.data = write;
    uv_buf_t out = uv_buf_init(write->data.data(),
                               static_cast<unsigned>(write->data.size()));
    if (uv_write(&write->req, stream, &out, 1, [](uv_write_t* req, int) {
          delete static_cast<WriteRequest*>(req->data);
        }) != 0) {
      delete write;
    }
  } else if (nread < 0) {  // UV_EOF or an error: the client is gone
    server->drop(*client);
  }
  std::free(buf->base);
}

void EchoServer::arm(Client& client) {
  client.idle.cancel();
  client.idle = timeouts_.call_later(idle_timeout_, [this, c = &client] {
    ++dropped_idle_;
    std::printf("dropping a client idle for %s\n",
                absl::FormatDuration(idle_timeout_).c_str());
    std::fflush(stdout);
    drop(*c);
  });
}

void EchoServer::drop(Client& client) {
  client.idle.cancel();
  clients_.erase(&client);
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&client.tcp));
  uv_close(reinterpret_cast<uv_handle_t*>(&client.tcp),
           [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
}
