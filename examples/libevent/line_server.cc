#include "examples/libevent/line_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>

struct LineServer::Client {
  bufferevent* bev;
  LineServer* server;
  txaio::DelayedCall deadline;
};

LineServer::LineServer(txaio::LibeventLoop& loop, absl::Duration line_timeout)
    : loop_(loop), line_timeout_(line_timeout) {}

LineServer::~LineServer() {
  while (!clients_.empty()) drop(**clients_.begin());
  if (listener_ != nullptr) evconnlistener_free(listener_);
}

int LineServer::listen(const std::string& ip, int port) {
  if (listener_ != nullptr) {
    throw std::logic_error("LineServer: already listening");
  }
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    throw std::runtime_error("LineServer: not an IPv4 address: " + ip);
  }
  listener_ =
      evconnlistener_new_bind(&loop_.base(), &LineServer::OnAccept, this,
                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                              reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  if (listener_ == nullptr) {
    throw std::runtime_error("LineServer: cannot listen on " + ip + ":" +
                             std::to_string(port));
  }
  sockaddr_in bound = {};
  socklen_t length = sizeof(bound);
  getsockname(evconnlistener_get_fd(listener_),
              reinterpret_cast<sockaddr*>(&bound), &length);
  return ntohs(bound.sin_port);
}

void LineServer::OnAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int,
                          void* arg) {
  auto* server = static_cast<LineServer*>(arg);
  bufferevent* bev =
      bufferevent_socket_new(&server->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
  if (bev == nullptr) {
    evutil_closesocket(fd);
    return;
  }
  auto* client = new Client{bev, server, {}};
  server->clients_.insert(client);
  bufferevent_setcb(bev, &LineServer::OnRead, nullptr, &LineServer::OnEvent,
                    client);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
  server->arm(*client);
}

void LineServer::OnRead(bufferevent* bev, void* arg) {
  auto* client = static_cast<Client*>(arg);
  evbuffer* input = bufferevent_get_input(bev);
  size_t length;
  while (char* line = evbuffer_readln(input, &length, EVBUFFER_EOL_CRLF)) {
    for (size_t i = 0; i < length; ++i) {
      line[i] =
          static_cast<char>(std::toupper(static_cast<unsigned char>(line[i])));
    }
    bufferevent_write(bev, line, length);
    bufferevent_write(bev, "\n", 1);
    std::free(line);
    client->server->arm(*client);
  }
}

void LineServer::OnEvent(bufferevent*, short what, void* arg) {
  auto* client = static_cast<Client*>(arg);
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) client->server->drop(*client);
}

void LineServer::OnDrained(bufferevent*, void* arg) {
  auto* client = static_cast<Client*>(arg);
  client->server->drop(*client);
}

void LineServer::arm(Client& client) {
  client.deadline.cancel();
  client.deadline = loop_.call_later(line_timeout_, [this, c = &client] {
    ++timed_out_;
    // Tell the client, and drop it once that is written (OnDrained).
    static const char kTimeout[] = "timeout\n";
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_setcb(c->bev, nullptr, &LineServer::OnDrained,
                      &LineServer::OnEvent, c);
    bufferevent_write(c->bev, kTimeout, sizeof(kTimeout) - 1);
  });
}

void LineServer::drop(Client& client) {
  client.deadline.cancel();
  clients_.erase(&client);
  bufferevent_free(client.bev);
  delete &client;
}
