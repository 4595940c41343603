#pragma once
// The HTTP/1.1 (+TLS) server: a listener, one coroutine per connection, limits on
// every connection, and graceful shutdown. Handlers come from a Router.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "monotube/http/client_address.hpp"
#include "monotube/http/router.hpp"
#include "monotube/metrics.hpp"
#include "monotube/worker_pool.hpp"

namespace monotube::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080;                    // 0 = any free port
  std::string tls_cert_file;                    // both set = HTTPS
  std::string tls_key_file;
  std::string redirect_host;                    // plain-HTTP listener that redirects to HTTPS
  std::uint16_t redirect_port = 0;              // used only with TLS and redirect_enabled
  bool redirect_enabled = false;
  std::string public_url;                       // base of redirect targets when set
  std::int64_t hsts_max_age_seconds = 31536000;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;     // default; routes may raise it
  std::chrono::milliseconds header_timeout{10'000};   // whole request head must arrive in this
  std::chrono::milliseconds idle_timeout{60'000};     // keep-alive wait for the next request
  std::chrono::milliseconds body_timeout{60'000};     // whole body of a normal request
  std::chrono::milliseconds write_timeout{60'000};    // a response write making no progress
  std::chrono::milliseconds shutdown_timeout{10'000}; // in-flight requests get this long
  std::size_t max_requests_per_connection = 1000;
  std::size_t max_connections = 10'000;
  TrustedProxies trusted_proxies;               // whose X-Forwarded-For is believed
  std::string media_origin;                     // "https://bucket.s3…": the page may load media from there too
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, const Router& router, WorkerPool& workers,
         Metrics& metrics);
  ~Server();

  // Binds and starts accepting; throws std::runtime_error naming the address on failure.
  void Start();
  std::uint16_t port() const;           // the bound port (useful with port 0)
  std::uint16_t redirect_port() const;  // 0 when there is no redirect listener
  bool secure() const;

  // Stops accepting, closes idle connections, lets in-flight requests finish (with
  // "Connection: close") until shutdown_timeout, then closes the rest. on_drained
  // runs on an IO thread once no connection is left.
  void Shutdown(std::function<void()> on_drained);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace monotube::http
