#pragma once
// A small blocking HTTP/1.1 client for tests: well-formed requests through Beast, and
// a raw connection for sending whatever bytes a hostile client would.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

namespace monotube::test {

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& name) const;  // "" when absent
  nlohmann::json Json() const;                          // throws when the body is not JSON
};

using Headers = std::vector<std::pair<std::string, std::string>>;

HttpResult HttpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {});

// Parses the first complete HTTP response in text; nullopt when incomplete. A response
// to HEAD carries Content-Length but no body: pass head_request = true for those.
std::optional<HttpResult> ParseResponse(const std::string& text, std::size_t* consumed = nullptr,
                                        bool head_request = false);

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  void Send(const std::string& bytes);  // throws if the peer has closed
  bool TrySend(const std::string& bytes) noexcept;
  // Reads until one full response has arrived (or the deadline passes / the peer closes).
  std::optional<HttpResult> ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                         bool head_request = false);
  // True when the server closed the connection within the timeout.
  bool WaitClosed(std::chrono::milliseconds timeout);

 private:
  // Waits for bytes (or the close) until deadline and appends them to pending_;
  // false once the deadline has passed.
  bool ReadMore(std::chrono::steady_clock::time_point deadline);

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string pending_;
  bool closed_ = false;
};

}  // namespace monotube::test
