#include "sim/serve/http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "commsim/version.hpp"
#include "sim/core/error.hpp"
#include "sim/serve/workbench.hpp"

namespace commsim::serve {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kLingerBytes = 16 * 1024 * 1024;  // an error reply reads and drops at most this much
constexpr auto kLingerTime = std::chrono::seconds(2);

struct Shared {
  Workbench& workbench;
  std::atomic<int> connections{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& shared)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(shared) {
    ++shared_.connections;
  }
  ~Session() { --shared_.connections; }

  void start() {
    if (shared_.connections > shared_.workbench.options().max_connections) {
      reply_error(503, "too many connections (--max-connections " +
                           std::to_string(shared_.workbench.options().max_connections) + "); try again");
      return;
    }
    wait_for_request();
  }

 private:
  const ServeOptions& options() const { return shared_.workbench.options(); }

  // A deadline for the pending operation: when it passes, the socket's operations are cancelled
  // (not the socket closed), so the session can still answer 408.
  // The generation tells a deadline that fired just as its operation finished from the current one.
  void arm(std::chrono::steady_clock::duration after) {
    timed_out_ = false;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), generation = ++generation_](beast::error_code ec) {
      if (ec || generation != self->generation_) return;  // cancelled or stale: finished in time
      self->timed_out_ = true;
      beast::error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  // Between requests: wait until the client sends something (idle timeout on a kept-alive
  // connection; a new connection must start its request within the read timeout).
  void wait_for_request() {
    if (buffer_.size() > 0) return read_request();  // a pipelined request is already here
    arm(std::chrono::seconds(answered_ ? options().idle_timeout_s : options().read_timeout_s));
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      ++self->generation_;
      self->timer_.cancel();
      if (self->timed_out_) {
        // A connection that never sent a request is told why it is closed; a kept-alive one that
        // simply went quiet is closed as HTTP expects.
        if (!self->answered_) return self->reply_error(408, "no request within the read timeout; connection closed");
        return self->close();
      }
      if (ec) return self->close();
      self->read_request();
    });
  }

  void read_request() {
    parser_.emplace();
    parser_->body_limit(options().max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    arm(std::chrono::seconds(options().read_timeout_s));
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      ++self->generation_;
      self->timer_.cancel();
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (timed_out_)
      return reply_error(408, "the request did not arrive within the read timeout (" +
                                  std::to_string(options().read_timeout_s) + " s)");
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit)
      return reply_error(413, "the request body is larger than this server accepts (" +
                                  std::to_string(options().max_body_bytes) + " bytes, --max-body)");
    if (ec == http::error::header_limit) return reply_error(431, "the request headers are larger than 16 KiB");
    if (ec == net::error::connection_reset || ec == net::error::eof || ec == net::error::broken_pipe ||
        ec == net::error::operation_aborted)
      return close();
    if (ec) return reply_error(400, "malformed HTTP request: " + ec.message());

    const auto& req = parser_->get();
    // CONNECT's "host:port" and absolute URLs ask for a proxy, which this is not: the request breaks
    // this server's HTTP, so the 400 closes the connection like every transport error.
    if (req.target().empty() || req.target().front() != '/')
      return reply_error(400, "the request target must be a path starting with '/' (this server is not a proxy)");
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.host = std::string(req[http::field::host]);
    request.authorization = std::string(req[http::field::authorization]);
    request.content_type = std::string(req[http::field::content_type]);
    request.body = req.body();
    const bool head = req.method() == http::verb::head;
    if (head) request.method = "GET";
    send(shared_.workbench.handle(request), req.keep_alive(), head, req.version());
  }

  template <class Message>
  void set_headers(Message& res, const HttpResponse& r, bool keep_alive) {
    res.set(http::field::server, std::string("commsim/") + kVersion);
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    if (!r.download_name.empty()) res.set(http::field::content_disposition, "attachment; filename=\"" + r.download_name + "\"");
    res.keep_alive(keep_alive);
  }

  void send(HttpResponse r, bool keep_alive, bool head, unsigned version) {
    if (r.status >= 400) keep_alive = keep_alive && r.status < 500 && r.status != 413 && r.status != 408;
    size_t head_length = 0;
    if (!r.file_path.empty()) {
      http::file_body::value_type file;
      beast::error_code ec;
      file.open(r.file_path.c_str(), beast::file_mode::scan, ec);
      if (ec) {
        r = error_response(500, "cannot read the run's file: " + ec.message());
      } else if (!head) {
        auto res = std::make_shared<http::response<http::file_body>>(
            std::piecewise_construct, std::make_tuple(std::move(file)), std::make_tuple(http::status::ok, version));
        set_headers(*res, r, keep_alive);
        res->prepare_payload();
        return write(res, keep_alive, static_cast<size_t>(res->body().size()));
      } else {
        head_length = static_cast<size_t>(file.size());
      }
    }
    if (head) {  // the headers of the GET, with its length, and no body
      auto res = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(r.status), version);
      set_headers(*res, r, keep_alive);
      res->content_length(r.file_path.empty() ? r.body.size() : head_length);
      return write(res, keep_alive, 0);
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    set_headers(*res, r, keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    const size_t size = res->body().size();
    write(res, keep_alive, size);
  }

  // Writes a response; a client that reads too slowly is cut off (30 s plus 1 s per MiB).
  template <class Message>
  void write(std::shared_ptr<Message> res, bool keep_alive, size_t size) {
    arm(std::chrono::seconds(30 + static_cast<long>(size >> 20)));
    http::async_write(socket_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      ++self->generation_;
      self->timer_.cancel();
      if (ec || self->timed_out_) return self->close();
      self->answered_ = true;
      if (keep_alive) return self->wait_for_request();
      self->linger();
    });
  }

  // An error reply (JSON, like the API's) that closes the connection.
  void reply_error(int status, const std::string& message) {
    HttpResponse r = error_response(status, message);
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    send(std::move(r), false, false, 11);
  }

  // After the last response: stop sending, then read and drop what the client still sends (for at
  // most 2 s / 16 MiB) before closing, so its unread data does not turn into a reset that would
  // hide the response from it.
  void linger() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm(kLingerTime);
    drain();
  }

  void drain() {
    socket_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (ec || self->timed_out_ || self->drained_ > kLingerBytes) return self->close();
      self->drain();
    });
  }

  void close() {
    beast::error_code ignored;
    ++generation_;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  Shared& shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool timed_out_ = false, answered_ = false;
  unsigned generation_ = 0;
  std::array<char, 16384> scratch_{};
  size_t drained_ = 0;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(Workbench& w)
      : shared{w}, io(std::max(1, w.options().io_threads)), acceptor(io), signals(io), retry(io) {}
  Shared shared;
  net::io_context io;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer retry;

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), shared)->start();
        return accept();
      }
      // Errors of one accept (out of file descriptors, a reset) do not stop the server; a short
      // pause keeps a persistent one (EMFILE) from spinning.
      retry.expires_after(std::chrono::milliseconds(50));
      retry.async_wait([this](beast::error_code) { accept(); });
    });
  }
};

namespace {

net::ip::address bind_address(const ServeOptions& o) {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(o.bind == "localhost" ? "127.0.0.1" : o.bind, ec);
  if (ec)
    throw InputError(SourcePos{"command line", 0, 0}, "--bind", "'" + o.bind + "' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
  if (!address.is_loopback() && o.token.size() < 16)
    throw InputError(SourcePos{"command line", 0, 0}, "--bind",
                     "serving " + o.bind + " lets other machines in: give a token of at least 16 characters "
                     "(environment variable COMMSIM_SERVE_TOKEN, or --token), which clients send as "
                     "'Authorization: Bearer TOKEN'");
  return address;
}

}  // namespace

void check_bind_address(const ServeOptions& options) { bind_address(options); }

HttpServer::HttpServer(Workbench& workbench) : impl_(std::make_unique<Impl>(workbench)) {
  const ServeOptions& o = workbench.options();
  beast::error_code ec;
  const net::ip::address address = bind_address(o);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  auto& acceptor = impl_->acceptor;
  const std::string where = o.bind + ":" + std::to_string(o.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw RuntimeFailure("cannot listen on " + where + ": " + ec.message());
  workbench.set_port(port());
  // Taken over before the address is printed: a SIGTERM right after it then stops the server cleanly
  // (asio keeps a signal that arrives before run() waits for it).
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
}

HttpServer::~HttpServer() = default;

int HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::run() {
  impl_->signals.async_wait([this](beast::error_code, int) { stop(); });
  impl_->accept();
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->shared.workbench.options().io_threads; ++i) threads.emplace_back([this] { impl_->io.run(); });
  impl_->io.run();
  for (auto& t : threads) t.join();
}

void HttpServer::stop() {
  net::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->signals.cancel(ignored);
    impl_->io.stop();
  });
}

}  // namespace commsim::serve
