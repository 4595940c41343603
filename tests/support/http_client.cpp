#include "support/http_client.hpp"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace monotube::test {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

}  // namespace

std::string HttpResult::Header(const std::string& name) const {
  auto it = headers.find(Lower(name));
  return it == headers.end() ? "" : it->second;
}

nlohmann::json HttpResult::Json() const { return nlohmann::json::parse(body); }

std::optional<HttpResult> ParseResponse(const std::string& text, std::size_t* consumed, bool head_request) {
  auto head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  HttpResult result;
  std::size_t line_end = text.find("\r\n");
  std::string status_line = text.substr(0, line_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) throw std::runtime_error("bad status line");
  result.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end + 2;
  while (pos < head_end) {
    std::size_t end = text.find("\r\n", pos);
    std::string line = text.substr(pos, end - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      result.headers[Lower(line.substr(0, colon))] = value;
    }
    pos = end + 2;
  }
  std::size_t body_start = head_end + 4;
  std::size_t length = 0;
  if (auto it = result.headers.find("content-length"); it != result.headers.end()) length = std::stoull(it->second);
  if (head_request || result.status == 304 || result.status == 204 || result.status / 100 == 1) length = 0;
  if (text.size() < body_start + length) return std::nullopt;
  result.body = text.substr(body_start, length);
  if (consumed) *consumed = body_start + length;
  return result;
}

HttpResult HttpRequest(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, const Headers& headers) {
  RawConnection connection(port);
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
    if (Lower(name) == "content-length" || Lower(name) == "transfer-encoding") has_length = true;
  }
  if (!has_length && (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH"))
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  // Like a real client, read the answer even when the server stopped taking the body
  // (an early 413 closes the connection while we may still be writing).
  connection.TrySend(request);
  auto response = connection.ReadResponse(std::chrono::seconds(30), method == "HEAD");
  if (!response) throw std::runtime_error("no complete response to " + method + " " + target);
  if (method == "HEAD") response->body.clear();
  return *response;
}

RawConnection::RawConnection(std::uint16_t port) : socket_(io_) {
  socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
}

void RawConnection::Send(const std::string& bytes) {
  boost::asio::write(socket_, boost::asio::buffer(bytes));
}

bool RawConnection::TrySend(const std::string& bytes) noexcept {
  boost::system::error_code ec;
  boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
  return !ec;
}

std::optional<HttpResult> RawConnection::ReadResponse(std::chrono::milliseconds timeout, bool head_request) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::size_t consumed = 0;
    if (auto parsed = ParseResponse(pending_, &consumed, head_request)) {
      pending_.erase(0, consumed);
      return parsed;
    }
    if (closed_) {
      // The peer closed: a response without Content-Length ends here.
      auto head_end = pending_.find("\r\n\r\n");
      if (head_end == std::string::npos) return std::nullopt;
      auto parsed = ParseResponse(pending_.substr(0, head_end + 4), &consumed, true);
      // With a Content-Length the complete response would have parsed above: it was cut short.
      if (!parsed || !parsed->Header("Content-Length").empty()) return std::nullopt;
      parsed->body = pending_.substr(head_end + 4);
      pending_.clear();
      return parsed;
    }
    if (!ReadMore(deadline)) return std::nullopt;
  }
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    if (!ReadMore(deadline)) return false;
  }
  return true;
}

bool RawConnection::ReadMore(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd fd{socket_.native_handle(), POLLIN, 0};
  if (::poll(&fd, 1, static_cast<int>(left.count())) <= 0) return true;  // the caller re-checks the deadline
  char buffer[65536];
  boost::system::error_code ec;
  std::size_t n = socket_.read_some(boost::asio::buffer(buffer), ec);
  if (ec) closed_ = true;
  pending_.append(buffer, n);
  return true;
}

}  // namespace monotube::test
