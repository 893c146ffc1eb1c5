// txaio on an application's own Qt event loop: a QTcpServer answers lines
// (Qt signals only), and a client whose requests are txaio futures, resolved
// from QTcpSocket's readyRead signal and failed by a txaio timeout, is driven
// by a C++20 coroutine. app.exec() runs it all; QCoreApplication only, no GUI.
//
//   echo_client [--timeout=SECONDS]
//
// The server upper-cases each line except "silent", which it never answers,
// so the session's third request times out. Exit status 0 if the session
// went as expected, 1 otherwise.
#include <QtCore/qcoreapplication.h>
#include <QtCore/qtimer.h>
#include <QtNetwork/qhostaddress.h>
#include <QtNetwork/qtcpserver.h>
#include <QtNetwork/qtcpsocket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "backends/qt/qt_loop.h"
#include "core/coroutine.h"
#include "core/txaio.h"

namespace {

struct TimeoutError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The server: plain Qt, signals and lambdas.
class UpperServer {
 public:
  UpperServer() {
    QObject::connect(&server_, &QTcpServer::newConnection, &server_, [this] {
      while (QTcpSocket* peer = server_.nextPendingConnection()) {
        QObject::connect(peer, &QTcpSocket::readyRead, peer, [peer] {
          while (peer->canReadLine()) {
            QByteArray line = peer->readLine().trimmed();
            if (line != "silent") peer->write(line.toUpper() + "\n");
          }
        });
        QObject::connect(peer, &QTcpSocket::disconnected, peer,
                         &QObject::deleteLater);
      }
    });
    if (!server_.listen(QHostAddress::LocalHost, 0)) {
      throw std::runtime_error("listen: " +
                               server_.errorString().toStdString());
    }
  }
  quint16 port() const { return server_.serverPort(); }

 private:
  QTcpServer server_;
};

// The client: each request is a txaio future, completed from Qt's signals
// or failed by a txaio timeout.
class LineClient {
 public:
  LineClient() {
    QObject::connect(&socket_, &QTcpSocket::connected, &socket_, [this] {
      Complete(connected_, [](auto& f) { txaio::resolve(f); });
    });
    QObject::connect(&socket_, &QTcpSocket::errorOccurred, &socket_, [this] {
      const std::string error = socket_.errorString().toStdString();
      Complete(connected_, [&](auto& f) {
        txaio::reject(f, std::runtime_error("connect: " + error));
      });
      while (!pending_.empty()) FailFront(std::runtime_error(error));
    });
    QObject::connect(&socket_, &QTcpSocket::readyRead, &socket_, [this] {
      while (socket_.canReadLine()) {
        std::string reply = socket_.readLine().trimmed().toStdString();
        if (pending_.empty()) continue;  // a reply after its timeout
        Pending request = std::move(pending_.front());
        pending_.pop_front();
        request.timeout.cancel();
        txaio::resolve(request.reply, std::move(reply));
      }
    });
  }

  txaio::Future<void> connect_to(quint16 port) {
    connected_ = txaio::create_future<void>();
    socket_.connectToHost(QHostAddress::LocalHost, port);
    return *connected_;
  }

  // Sends `line`; the future gets the reply line, or TimeoutError after
  // `timeout_s`. A timed-out request closes the connection: a late reply
  // must not be taken for the next request's.
  txaio::Future<std::string> request(const std::string& line,
                                     double timeout_s) {
    Pending request{txaio::create_future<std::string>(), {}};
    txaio::Future<std::string> reply = request.reply;
    request.timeout = txaio::call_later(timeout_s, [this, timeout_s] {
      FailFront(
          TimeoutError("no reply within " + std::to_string(timeout_s) + " s"));
      socket_.abort();
    });
    pending_.push_back(std::move(request));
    socket_.write(QByteArray::fromStdString(line + "\n"));
    return reply;
  }

 private:
  struct Pending {
    txaio::Future<std::string> reply;
    txaio::DelayedCall timeout;
  };

  template <typename F>
  void Complete(std::optional<txaio::Future<void>>& f, F complete) {
    if (f && !f->is_called()) complete(*f);
  }
  template <typename E>
  void FailFront(E error) {
    Pending request = std::move(pending_.front());
    pending_.pop_front();
    request.timeout.cancel();
    txaio::reject(request.reply, std::move(error));
  }

  QTcpSocket socket_;
  std::optional<txaio::Future<void>> connected_;
  std::deque<Pending> pending_;
};

// Library-style code: only txaio and the client's futures.
txaio::Future<int> Session(LineClient& client, quint16 port, double timeout_s) {
  co_await client.connect_to(port);
  std::printf("connected to port %u\n", port);
  int answered = 0;
  int timed_out = 0;
  for (const char* line : {"hello", "txaio on qt", "silent"}) {
    const int64_t start = txaio::perf_counter_ns();
    try {
      std::string reply = co_await client.request(line, timeout_s);
      std::printf("request '%s' -> '%s' (%.3f s)\n", line, reply.c_str(),
                  (txaio::perf_counter_ns() - start) / 1e9);
      ++answered;
    } catch (const TimeoutError& e) {
      std::printf("request '%s' -> timeout: %s (%.3f s)\n", line, e.what(),
                  (txaio::perf_counter_ns() - start) / 1e9);
      ++timed_out;
    }
  }
  co_return answered == 2 && timed_out == 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  double timeout_s = 0.5;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--timeout=", 10) == 0) {
      char* end = nullptr;
      timeout_s = std::strtod(argv[i] + 10, &end);
      if (end == argv[i] + 10 || *end != '\0' || !(timeout_s >= 0)) {
        std::fprintf(stderr, "echo_client: bad --timeout: %s\n", argv[i] + 10);
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: echo_client [--timeout=SECONDS]\n");
      return 2;
    }
  }
  QCoreApplication app(argc, argv);
  auto loop = std::make_shared<txaio::QtLoop>(app);
  txaio::use_loop(loop);
  int status = 1;
  {
    UpperServer server;
    LineClient client;
    txaio::Future<int> session = Session(client, server.port(), timeout_s);
    txaio::add_callbacks(
        session,
        [&](int result) {
          status = result;
          QCoreApplication::quit();
        },
        [&](const txaio::Failure& failure) {
          std::printf("session failed: %s\n",
                      txaio::failure_message(failure).c_str());
          QCoreApplication::quit();
        });
    app.exec();  // Qt's own loop: txaio's work runs in it
  }
  std::printf("session %s\n", status == 0 ? "ok" : "FAILED");
  txaio::use_loop(nullptr);
  return status;
}
