// The workbench's HTTP/1.1 server (Boost.Beast): accepts connections on one or two io threads and
// hands every complete request to Workbench::handle. It enforces the transport's limits, so that a
// hostile or broken client costs one connection and never the server: request bodies beyond
// --max-body get 413, headers beyond 16 KiB 431, malformed HTTP 400, a request that does not arrive
// within --read-timeout 408, an idle kept-alive connection is closed after --idle-timeout, and
// connections beyond --max-connections get 503. Error replies close the connection after a short
// lingering read, so a client still sending its body reads the status instead of a reset.
#pragma once
#include <memory>

namespace commsim::serve {

class Workbench;
struct ServeOptions;

// Checks --bind before anything is created (the data directory included): an IP address, and a
// token of at least 16 characters for one beyond loopback. Throws InputError.
void check_bind_address(const ServeOptions& options);

class HttpServer {
 public:
  // Binds workbench.options().bind:port (port 0: a free port). Throws RuntimeFailure naming the
  // address when it cannot (in use, not an address of this machine).
  explicit HttpServer(Workbench& workbench);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Serves until SIGINT or SIGTERM (or stop()), on options().io_threads threads.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commsim::serve
