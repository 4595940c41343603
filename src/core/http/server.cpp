#include "monotube/http/server.hpp"

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <limits>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include "monotube/errors.hpp"
#include "monotube/http/context.hpp"
#include "monotube/http/error_mapping.hpp"
#include "monotube/ids.hpp"
#include "monotube/log.hpp"

namespace monotube::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

// media_origin: where media may also come from (presigned storage URLs), "" = only here.
std::string ContentSecurityPolicy(const std::string& media_origin) {
  std::string extra = media_origin.empty() ? "" : " " + media_origin;
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:" + extra +
         "; media-src 'self' blob:" + extra + "; connect-src 'self'" + extra +
         "; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";
}

// What Shutdown() needs to reach a connection from another thread. Only touched on
// the connection's strand.
struct ConnectionState {
  explicit ConnectionState(Strand s) : strand(std::move(s)) {}
  Strand strand;
  bool busy = false;             // a request is being read, handled or answered
  bool close_requested = false;  // finish the current request, then close
  bool linger = false;           // closing before the request body was read: drain it first
  std::function<void()> cancel;  // aborts pending IO; set while the session runs
  std::function<void()> force_close;
};

std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

// The body of a stream_body route, read as the handler asks for it. Lives in the
// connection's coroutine frame while the handler runs.
template <class Stream>
class StreamedBody final : public BodyReader {
 public:
  StreamedBody(Stream& stream, beast::flat_buffer& buffer, bhttp::request_parser<bhttp::buffer_body>& parser,
               std::chrono::milliseconds read_timeout, std::chrono::milliseconds write_timeout)
      : stream_(stream), buffer_(buffer), parser_(parser), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  asio::awaitable<std::size_t> Read(char* data, std::size_t size) override {
    if (size == 0 || parser_.is_done()) co_return 0;
    if (failure_) RethrowFailure();
    beast::error_code ec;
    if (!continue_sent_) {
      continue_sent_ = true;
      if (beast::iequals(parser_.get()[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> proceed{Status::continue_, 11};
        beast::get_lowest_layer(stream_).expires_after(write_timeout_);
        co_await bhttp::async_write(stream_, proceed, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          failure_ = ec;
          RethrowFailure();
        }
      }
    }
    std::size_t got = 0;
    // A read may consume only framing (a chunk header): go on until data or the end.
    while (got == 0 && !parser_.is_done()) {
      auto& body = parser_.get().body();
      body.data = data;
      body.size = size;
      beast::get_lowest_layer(stream_).expires_after(read_timeout_);
      co_await bhttp::async_read_some(stream_, buffer_, parser_, asio::redirect_error(asio::use_awaitable, ec));
      got = size - parser_.get().body().size;
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) {
        failure_ = ec;
        break;
      }
    }
    if (got > 0) co_return got;  // good bytes first; a failure surfaces on the next call
    if (failure_) RethrowFailure();
    co_return 0;
  }

  bool done() const noexcept override { return parser_.is_done(); }
  std::optional<std::uint64_t> content_length() const noexcept override {
    auto length = parser_.content_length();
    if (!length) return std::nullopt;
    return *length;
  }
  bool failed() const noexcept { return static_cast<bool>(failure_); }

 private:
  [[noreturn]] void RethrowFailure() const {
    if (failure_ == bhttp::error::body_limit)
      throw PayloadTooLarge("body_too_large", "The request body is larger than this endpoint accepts.");
    if (failure_ == beast::error::timeout)
      throw BodyInterrupted("The request body stopped arriving (nothing came for too long).");
    throw BodyInterrupted("The request body ended before it was complete.");
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  std::chrono::milliseconds read_timeout_;
  std::chrono::milliseconds write_timeout_;
  bool continue_sent_ = false;
  beast::error_code failure_;
};

std::string AllowHeader(const std::vector<Verb>& verbs) {
  std::string out;
  for (Verb verb : verbs) {
    if (!out.empty()) out += ", ";
    out += std::string(bhttp::to_string(verb));
  }
  return out;
}

template <class Stream>
auto& Lowest(Stream& stream) {
  return beast::get_lowest_layer(stream);
}

std::pair<std::string, std::string> SplitHostPort(std::string_view host_header) {
  if (host_header.starts_with('[')) {
    auto close = host_header.find(']');
    if (close != std::string_view::npos)
      return {std::string(host_header.substr(0, close + 1)), std::string(host_header.substr(close + 1))};
  }
  auto colon = host_header.rfind(':');
  if (colon == std::string_view::npos) return {std::string(host_header), ""};
  return {std::string(host_header.substr(0, colon)), std::string(host_header.substr(colon))};
}

}  // namespace

class Server::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, ServerOptions options, const Router& router, WorkerPool& workers, Metrics& metrics)
      : io_(io),
        options_(std::move(options)),
        content_security_policy_(ContentSecurityPolicy(options_.media_origin)),
        router_(router),
        workers_(workers),
        metrics_(metrics),
        acceptor_strand_(asio::make_strand(io)),
        acceptor_(acceptor_strand_),
        redirect_acceptor_(acceptor_strand_),
        shutdown_timer_(acceptor_strand_) {}

  void Start() {
    if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) SetUpTls();
    Bind(acceptor_, options_.host, options_.port, "listen");
    if (ssl_ && options_.redirect_enabled) Bind(redirect_acceptor_, options_.redirect_host, options_.redirect_port,
                                                "http_redirect_listen");
    auto self = shared_from_this();
    asio::co_spawn(acceptor_strand_, AcceptLoop(self, acceptor_, false), asio::detached);
    if (redirect_acceptor_.is_open())
      asio::co_spawn(acceptor_strand_, AcceptLoop(self, redirect_acceptor_, true), asio::detached);
    spdlog::info("listening on {}://{}:{}{}", ssl_ ? "https" : "http", options_.host, port(),
                 redirect_acceptor_.is_open() ? fmt::format(" (plain HTTP redirect on port {})", redirect_port()) : "");
  }

  std::uint16_t port() const { return bound_port_; }
  std::uint16_t redirect_port() const { return bound_redirect_port_; }
  bool secure() const { return ssl_.has_value(); }

  void Shutdown(std::function<void()> on_drained) {
    auto self = shared_from_this();
    asio::dispatch(acceptor_strand_, [self, on_drained = std::move(on_drained)]() mutable {
      if (self->stopping_.exchange(true)) return;
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      self->redirect_acceptor_.close(ignored);
      std::vector<std::shared_ptr<ConnectionState>> connections;
      {
        std::lock_guard lock(self->connections_mutex_);
        self->on_drained_ = std::move(on_drained);
        for (auto& [key, state] : self->connections_) connections.push_back(state);
        spdlog::info("shutting down: {} open connection(s), {} ms to finish in-flight requests",
                     connections.size(), self->options_.shutdown_timeout.count());
      }
      for (auto& state : connections) {
        asio::post(state->strand, [state] {
          state->close_requested = true;
          if (!state->busy && state->cancel) state->cancel();
        });
      }
      self->shutdown_timer_.expires_after(self->options_.shutdown_timeout);
      self->shutdown_timer_.async_wait([self](beast::error_code ec) {
        if (ec) return;
        std::vector<std::shared_ptr<ConnectionState>> rest;
        {
          std::lock_guard lock(self->connections_mutex_);
          for (auto& [key, state] : self->connections_) rest.push_back(state);
        }
        if (!rest.empty()) spdlog::warn("shutdown deadline reached: closing {} connection(s)", rest.size());
        for (auto& state : rest)
          asio::post(state->strand, [state] {
            if (state->force_close) state->force_close();
          });
      });
      self->MaybeDrained();
    });
  }

 private:
  void SetUpTls() {
    if (options_.tls_cert_file.empty() || options_.tls_key_file.empty())
      throw ConfigError("tls_cert and tls_key: set both to serve HTTPS, or neither");
    ssl_.emplace(ssl::context::tls_server);
    ssl_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    SSL_CTX_set_min_proto_version(ssl_->native_handle(), TLS1_2_VERSION);
    // Mozilla "intermediate": forward secrecy and AEAD only for TLS 1.2; TLS 1.3 suites are all modern.
    SSL_CTX_set_cipher_list(ssl_->native_handle(),
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    SSL_CTX_set_options(ssl_->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
    beast::error_code ec;
    ssl_->use_certificate_chain_file(options_.tls_cert_file, ec);
    if (ec) throw ConfigError("tls_cert: cannot load a PEM certificate from '" + options_.tls_cert_file + "': " +
                              ec.message());
    ssl_->use_private_key_file(options_.tls_key_file, ssl::context::pem, ec);
    if (ec) throw ConfigError("tls_key: cannot load a PEM private key from '" + options_.tls_key_file + "': " +
                              ec.message());
    if (SSL_CTX_check_private_key(ssl_->native_handle()) != 1)
      throw ConfigError("tls_key: the private key does not match the certificate in tls_cert");
  }

  void Bind(tcp::acceptor& acceptor, const std::string& host, std::uint16_t port, std::string_view setting) {
    beast::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) throw ConfigError(std::string(setting) + ": '" + host + "' is not an IP address");
    tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + " (" + std::string(setting) +
                               "): " + ec.message());
    if (&acceptor == &acceptor_) bound_port_ = acceptor.local_endpoint().port();
    else bound_redirect_port_ = acceptor.local_endpoint().port();
  }

  static asio::awaitable<void> AcceptLoop(std::shared_ptr<Impl> self, tcp::acceptor& acceptor, bool redirect_only) {
    asio::steady_timer backoff(self->acceptor_strand_);
    while (acceptor.is_open()) {
      auto strand = asio::make_strand(self->io_);
      tcp::socket socket(strand);
      beast::error_code ec;
      co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
      if (ec) {
        // Running out of file descriptors must not turn into a busy loop.
        spdlog::warn("accept failed: {}", ec.message());
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto state = std::make_shared<ConnectionState>(strand);
      bool over_limit = false;
      {
        std::lock_guard lock(self->connections_mutex_);
        over_limit = self->connections_.size() >= self->options_.max_connections;
        if (!over_limit) self->connections_.emplace(state.get(), state);
      }
      std::string remote;
      auto remote_endpoint = socket.remote_endpoint(ec);
      if (!ec) remote = remote_endpoint.address().to_string();
      if (over_limit) {
        asio::co_spawn(strand, RefuseConnection(std::move(socket)), asio::detached);
        continue;
      }
      if (self->ssl_ && !redirect_only) {
        asio::co_spawn(strand,
                       RunSession(self, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)),
                                                                             *self->ssl_),
                                  state, std::move(remote), false),
                       asio::detached);
      } else {
        asio::co_spawn(strand,
                       RunSession(self, beast::tcp_stream(std::move(socket)), state, std::move(remote), redirect_only),
                       asio::detached);
      }
    }
  }

  static asio::awaitable<void> RefuseConnection(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(std::chrono::seconds(2));
    auto response = Response::Error(Status::service_unavailable, "too_many_connections",
                                    "The server has too many open connections. Please try again shortly.");
    bhttp::response<bhttp::string_body> message{response.status, 11};
    message.set(bhttp::field::content_type, "application/json");
    message.set(bhttp::field::connection, "close");
    message.set(bhttp::field::retry_after, "1");
    message.body() = response.body;
    message.prepare_payload();
    beast::error_code ec;
    co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  void ConnectionClosed(ConnectionState* state) {
    {
      std::lock_guard lock(connections_mutex_);
      connections_.erase(state);
    }
    MaybeDrained();
  }

  void MaybeDrained() {
    std::function<void()> callback;
    {
      std::lock_guard lock(connections_mutex_);
      if (!stopping_ || !connections_.empty() || !on_drained_) return;
      callback = std::move(on_drained_);
      on_drained_ = nullptr;
    }
    beast::error_code ignored;
    asio::post(acceptor_strand_, [self = shared_from_this()] {
      beast::error_code ec;
      self->shutdown_timer_.cancel();
    });
    asio::post(io_, std::move(callback));
  }

  template <class Stream>
  static asio::awaitable<void> RunSession(std::shared_ptr<Impl> self, Stream stream,
                                          std::shared_ptr<ConnectionState> state, std::string remote,
                                          bool redirect_only) {
    constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
    state->cancel = [&stream] { Lowest(stream).cancel(); };
    state->force_close = [&stream] { Lowest(stream).close(); };
    try {
      co_await self->Serve(stream, *state, remote, redirect_only);
    } catch (const std::exception& e) {
      spdlog::error("connection from {} ended by an unexpected error: {}", remote, e.what());
    }
    beast::error_code ec;
    if constexpr (kTls) {
      Lowest(stream).expires_after(std::chrono::seconds(2));
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    } else {
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      if (state->linger) co_await Linger(stream);
    }
    Lowest(stream).close();
    state->cancel = nullptr;
    state->force_close = nullptr;
    self->ConnectionClosed(state.get());
  }

  // Lingering close (as nginx does): closing a socket that still has unread input makes
  // the kernel send a reset, which can destroy our error answer before the client reads
  // it. After shutting down our side, read and discard what the client still sends, for
  // a bounded time and amount.
  static asio::awaitable<void> Linger(beast::tcp_stream& stream) {
    constexpr auto kTotal = std::chrono::seconds(3);
    constexpr std::size_t kMaxBytes = 64 * 1024 * 1024;
    auto deadline = std::chrono::steady_clock::now() + kTotal;
    std::vector<char> sink(64 * 1024);
    std::size_t drained = 0;
    beast::error_code ec;
    while (!ec && drained < kMaxBytes && std::chrono::steady_clock::now() < deadline) {
      stream.expires_at(deadline);
      drained += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Writes an error answer to a request that could not be read properly, then the
  // connection closes: its remaining bytes can no longer be trusted.
  template <class Stream>
  asio::awaitable<void> WriteEarlyError(Stream& stream, Status status, std::string_view code, std::string_view message,
                                        std::string_view remote) {
    std::string request_id = RandomToken(9);
    log::RequestIdScope scope(request_id);
    auto response = Response::Error(status, code, message);
    bhttp::response<bhttp::string_body> out{status, 11};
    out.set(bhttp::field::content_type, "application/json");
    out.set(bhttp::field::connection, "close");
    out.set("X-Request-Id", request_id);
    out.set(bhttp::field::date, HttpDate());
    out.body() = std::move(response.body);
    out.prepare_payload();
    Lowest(stream).expires_after(std::chrono::seconds(2));
    beast::error_code ec;
    co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    spdlog::info("{} \"-\" {} {}B 0.0ms ({})", remote, static_cast<int>(status), out.body().size(), code);
    metrics_.ObserveRequest("(unparsed)", "-", static_cast<int>(status), 0);
  }

  // 413, then a lingering close: the client may still be sending the body.
  template <class Stream>
  asio::awaitable<void> WriteBodyTooLarge(Stream& stream, ConnectionState& state, std::size_t body_limit,
                                          std::string_view remote) {
    state.linger = true;
    co_await WriteEarlyError(stream, Status::payload_too_large, "body_too_large",
                             fmt::format("The request body is larger than the {} bytes this endpoint accepts.",
                                         body_limit),
                             remote);
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, ConnectionState& state, const std::string& remote, bool redirect_only) {
    constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
    beast::error_code ec;
    if constexpr (kTls) {
      Lowest(stream).expires_after(options_.header_timeout);
      co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        spdlog::debug("TLS handshake with {} failed: {}", remote, ec.message());
        co_return;
      }
    }
    // The buffer bounds what a client can queue ahead of us: pipelined requests wait
    // here (or in the kernel) and are answered strictly one after another.
    beast::flat_buffer buffer(options_.max_header_bytes + 64 * 1024);
    for (std::size_t served = 0;; ++served) {
      state.busy = false;
      if (state.close_requested || stopping_) co_return;
      if (buffer.size() == 0) {
        // Keep-alive: wait for the first byte of the next request.
        Lowest(stream).expires_after(served == 0 ? options_.header_timeout : options_.idle_timeout);
        std::size_t n = co_await stream.async_read_some(buffer.prepare(16 * 1024),
                                                        asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;  // closed, idle timeout, or shutdown of an idle connection
        buffer.commit(n);
      }
      state.busy = true;
      auto started = std::chrono::steady_clock::now();

      bhttp::request_parser<bhttp::empty_body> head;
      head.header_limit(static_cast<std::uint32_t>(options_.max_header_bytes));
      // The body limit depends on the route, known only after the head is parsed; Beast's
      // default (1 MiB) would otherwise reject a larger Content-Length as malformed.
      head.body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: 1.74 compares it as 0
      Lowest(stream).expires_after(options_.header_timeout);
      co_await bhttp::async_read_header(stream, buffer, head, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == beast::error::timeout) {
        co_await WriteEarlyError(stream, Status::request_timeout, "request_timeout",
                                 "The request headers did not arrive in time.", remote);
        co_return;
      }
      if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        co_await WriteEarlyError(stream, Status::request_header_fields_too_large, "headers_too_large",
                                 "The request headers are too large.", remote);
        co_return;
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == ssl::error::stream_truncated)
        co_return;
      if (ec) {
        co_await WriteEarlyError(stream, Status::bad_request, "malformed_request",
                                 "The request could not be understood: it is not valid HTTP/1.1.", remote);
        co_return;
      }

      if (redirect_only) {
        co_await WriteRedirect(stream, head.get(), remote);
        co_return;
      }

      Request request;
      request.method = head.get().method();
      request.target = std::string(head.get().target());
      request.remote_address = remote;
      request.secure = kTls;
      std::string request_id(head.get()["X-Request-Id"]);
      if (!IsSaneRequestId(request_id)) request_id = RandomToken(9);

      bool target_ok = request.target.starts_with('/');
      if (target_ok) {
        auto question = request.target.find('?');
        auto decoded = PercentDecode(std::string_view(request.target).substr(0, question), false);
        if (!decoded) target_ok = false;
        else request.path = std::move(*decoded);
        if (question != std::string::npos) request.query_string = request.target.substr(question + 1);
      }
      if (request.method == Verb::unknown) {
        co_await WriteEarlyError(stream, Status::not_implemented, "unknown_method",
                                 "The request method is not supported.", remote);
        co_return;
      }

      RouteMatch match;
      if (target_ok) match = router_.Match(request.method, request.path);
      std::size_t body_limit = options_.max_body_bytes;
      if (match.route && match.route->options.max_body_bytes != 0) body_limit = match.route->options.max_body_bytes;

      bool keep_alive = false;
      // Streamed bodies: the parser and reader must outlive the handler call below.
      std::optional<bhttp::request_parser<bhttp::buffer_body>> stream_parser;
      std::optional<StreamedBody<Stream>> streamed;
      if (match.route && match.route->options.stream_body) {
        stream_parser.emplace(std::move(head));
        stream_parser->body_limit(body_limit);
        auto length = stream_parser->content_length();
        if (length && *length > body_limit) {
          co_await WriteBodyTooLarge(stream, state, body_limit, remote);
          co_return;
        }
        keep_alive = stream_parser->get().keep_alive();
        request.headers = static_cast<const Fields&>(stream_parser->get());
        streamed.emplace(stream, buffer, *stream_parser, options_.body_timeout, options_.write_timeout);
      } else {
        bhttp::request_parser<bhttp::string_body> parser(std::move(head));
        parser.body_limit(body_limit);
        auto length = parser.content_length();
        if (length && *length > body_limit) {
          co_await WriteBodyTooLarge(stream, state, body_limit, remote);
          co_return;
        }
        if (!parser.is_done()) {
          if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
            bhttp::response<bhttp::empty_body> proceed{Status::continue_, 11};
            Lowest(stream).expires_after(options_.write_timeout);
            co_await bhttp::async_write(stream, proceed, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
          }
          Lowest(stream).expires_after(options_.body_timeout);
          co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
          if (ec == bhttp::error::body_limit) {
            co_await WriteBodyTooLarge(stream, state, body_limit, remote);
            co_return;
          }
          if (ec == beast::error::timeout) {
            co_await WriteEarlyError(stream, Status::request_timeout, "request_timeout",
                                     "The request body did not arrive in time.", remote);
            co_return;
          }
          if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
              ec == asio::error::connection_reset)
            co_return;
          if (ec) {
            co_await WriteEarlyError(stream, Status::bad_request, "malformed_request",
                                     "The request body could not be read: " + ec.message() + ".", remote);
            co_return;
          }
        }
        auto message = parser.release();
        keep_alive = message.keep_alive();
        request.body = std::move(message.body());
        request.headers = std::move(static_cast<Fields&>(message));
      }
      request.client_address = options_.trusted_proxies.ClientAddress(remote, request.Header("X-Forwarded-For"));

      metrics_.RequestStarted();
      RequestContext context(request, request_id, workers_);
      if (streamed) context.body_reader = &*streamed;
      std::string route_label;
      Response response;
      try {
        if (!target_ok) {
          throw InvalidInput("invalid_path", "The request path is not valid.");
        } else if (match.route) {
          route_label = match.route->pattern;
          context.params = std::move(match.params);
          context.route = route_label;
          response = co_await match.route->handler(context);
        } else if (!match.allowed.empty()) {
          route_label = "(method not allowed)";
          if (request.method == Verb::options) {
            response = Response::Empty(Status::no_content);
          } else {
            response = Response::Error(Status::method_not_allowed, "method_not_allowed",
                                       "This resource does not support " + std::string(bhttp::to_string(request.method)) +
                                           ".");
          }
          response.headers.set(bhttp::field::allow, AllowHeader(match.allowed));
        } else if ((request.method == Verb::get || request.method == Verb::head) && router_.fallback() &&
                   !request.path.starts_with("/api/")) {
          route_label = "(static)";
          response = co_await router_.fallback()(context);
        } else {
          route_label = "(not found)";
          response = Response::Error(Status::not_found, "not_found", "There is nothing at this address.");
        }
      } catch (...) {
        response = ErrorToResponse(std::current_exception(), request_id);
      }
      if (route_label.empty()) route_label = "(invalid)";
      if (streamed && !streamed->done()) {
        // The handler answered before the whole body arrived (an error, or it stopped
        // reading): the rest cannot be skipped reliably, so close after the answer.
        keep_alive = false;
        if (!streamed->failed()) state.linger = true;
      }
      if (state.close_requested || stopping_ || served + 1 >= options_.max_requests_per_connection) keep_alive = false;

      std::uint64_t bytes = 0;
      bool written = co_await WriteResponse(stream, request, response, request_id, keep_alive, bytes);
      metrics_.RequestFinished();
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      int status = static_cast<int>(response.status);
      metrics_.ObserveRequest(route_label, bhttp::to_string(request.method), status, seconds);
      {
        log::RequestIdScope scope(request_id);
        spdlog::info("{} \"{} {}\" {} {}B {:.1f}ms{}", remote, bhttp::to_string(request.method), request.path, status,
                     bytes, seconds * 1000, written ? "" : " (client went away)");
      }
      if (!written || !keep_alive) co_return;
    }
  }

  void AddCommonHeaders(bhttp::response_header<>& out, const Request& request, std::string_view request_id) {
    out.set(bhttp::field::date, HttpDate());
    out.set("X-Request-Id", request_id);
    if (out.find("X-Content-Type-Options") == out.end()) out.set("X-Content-Type-Options", "nosniff");
    if (out.find("Referrer-Policy") == out.end()) out.set("Referrer-Policy", "strict-origin-when-cross-origin");
    if (out.find("X-Frame-Options") == out.end()) out.set("X-Frame-Options", "DENY");
    if (out.find("Content-Security-Policy") == out.end())
      out.set("Content-Security-Policy", content_security_policy_);
    if (out.find("Cross-Origin-Opener-Policy") == out.end()) out.set("Cross-Origin-Opener-Policy", "same-origin");
    if (request.secure && options_.hsts_max_age_seconds > 0)
      out.set(bhttp::field::strict_transport_security,
              "max-age=" + std::to_string(options_.hsts_max_age_seconds) + "; includeSubDomains");
  }

  template <class Stream>
  asio::awaitable<bool> WriteResponse(Stream& stream, const Request& request, Response& response,
                                      std::string_view request_id, bool keep_alive, std::uint64_t& bytes) {
    beast::error_code ec;
    bool head_only = request.method == Verb::head || response.status == Status::not_modified ||
                     response.status == Status::no_content;
    std::uint64_t length = response.stream ? response.stream_length : response.body.size();
    if (!response.stream || head_only) {
      bhttp::response<bhttp::string_body> out{response.status, 11};
      static_cast<Fields&>(out) = std::move(response.headers);
      AddCommonHeaders(out.base(), request, request_id);
      out.keep_alive(keep_alive);
      if (head_only) {
        if (response.status != Status::no_content && response.status != Status::not_modified)
          out.content_length(length);
      } else {
        out.body() = std::move(response.body);
        out.prepare_payload();
        bytes = length;
      }
      Lowest(stream).expires_after(options_.write_timeout);
      bhttp::response_serializer<bhttp::string_body> serializer(out);
      if (head_only) co_await bhttp::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
      else co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
      co_return !ec;
    }

    bhttp::response<bhttp::buffer_body> out{response.status, 11};
    static_cast<Fields&>(out) = std::move(response.headers);
    AddCommonHeaders(out.base(), request, request_id);
    out.keep_alive(keep_alive);
    out.content_length(length);
    out.body().data = nullptr;
    out.body().more = true;
    bhttp::response_serializer<bhttp::buffer_body> serializer(out);
    Lowest(stream).expires_after(options_.write_timeout);
    co_await bhttp::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    std::vector<char> chunk(256 * 1024);
    std::uint64_t remaining = length;
    auto source = response.stream;
    while (remaining > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), remaining));
      std::size_t got = 0;
      try {
        got = co_await workers_.Run([&] { return source->Read(chunk.data(), want); });
      } catch (const std::exception& e) {
        log::RequestIdScope scope(request_id);
        spdlog::error("reading the response body failed after {} of {} bytes: {}", length - remaining, length,
                      e.what());
        co_return false;
      }
      if (got == 0 || got > want) {
        log::RequestIdScope scope(request_id);
        spdlog::error("the response body ended after {} of {} promised bytes", length - remaining, length);
        co_return false;  // the connection must close: the length can no longer be honoured
      }
      out.body().data = chunk.data();
      out.body().size = got;
      out.body().more = remaining - got > 0;
      Lowest(stream).expires_after(options_.write_timeout);
      co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) co_return false;
      remaining -= got;
      bytes += got;
    }
    if (!serializer.is_done()) {
      out.body().data = nullptr;
      out.body().size = 0;
      out.body().more = false;
      co_await bhttp::async_write(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
    }
    co_return true;
  }

  template <class Stream, class Header>
  asio::awaitable<void> WriteRedirect(Stream& stream, const Header& head, const std::string& remote) {
    std::string location;
    std::string target(head.target());
    if (!target.starts_with('/')) target = "/";
    if (!options_.public_url.empty() && options_.public_url.starts_with("https://")) {
      std::string base = options_.public_url;
      while (base.ends_with('/')) base.pop_back();
      location = base + target;
    } else {
      auto [host, ignored_port] = SplitHostPort(head[bhttp::field::host]);
      if (host.empty() || host.find_first_of("/\\@ \t\r\n") != std::string::npos) host = "localhost";
      location = "https://" + host + (bound_port_ == 443 ? "" : ":" + std::to_string(bound_port_)) + target;
    }
    bhttp::response<bhttp::string_body> out{Status::permanent_redirect, 11};
    out.set(bhttp::field::location, location);
    out.set(bhttp::field::content_type, "application/json");
    out.set(bhttp::field::connection, "close");
    out.set(bhttp::field::date, HttpDate());
    out.body() = Response::Error(Status::permanent_redirect, "use_https", "This site is served over HTTPS.").body;
    out.prepare_payload();
    Lowest(stream).expires_after(options_.write_timeout);
    beast::error_code ec;
    co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    spdlog::info("{} \"{} {}\" 308 redirect to HTTPS", remote, bhttp::to_string(head.method()), head.target());
  }

  asio::io_context& io_;
  ServerOptions options_;
  std::string content_security_policy_;
  const Router& router_;
  WorkerPool& workers_;
  Metrics& metrics_;
  std::optional<ssl::context> ssl_;
  Strand acceptor_strand_;
  tcp::acceptor acceptor_;
  tcp::acceptor redirect_acceptor_;
  asio::steady_timer shutdown_timer_;
  std::uint16_t bound_port_ = 0;
  std::uint16_t bound_redirect_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex connections_mutex_;
  std::unordered_map<ConnectionState*, std::shared_ptr<ConnectionState>> connections_;
  std::function<void()> on_drained_;
};

Server::Server(asio::io_context& io, ServerOptions options, const Router& router, WorkerPool& workers,
               Metrics& metrics)
    : impl_(std::make_shared<Impl>(io, std::move(options), router, workers, metrics)) {}

Server::~Server() = default;
void Server::Start() { impl_->Start(); }
std::uint16_t Server::port() const { return impl_->port(); }
std::uint16_t Server::redirect_port() const { return impl_->redirect_port(); }
bool Server::secure() const { return impl_->secure(); }
void Server::Shutdown(std::function<void()> on_drained) { impl_->Shutdown(std::move(on_drained)); }

}  // namespace monotube::http
