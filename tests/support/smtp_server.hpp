#pragma once
// A real SMTP server for tests: Debian's python3-aiosmtpd on 127.0.0.1 and a free port,
// run as a BackgroundProcess. Every message it accepts is stored (raw bytes plus what
// Python's email package decodes from them) before the server answers "250", so a
// message that Mailer::Send delivered is visible at once. Not thread-safe: one test
// owns it; the server itself serves any number of concurrent clients.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "monotube/process.hpp"

#include "support/temp_dir.hpp"

namespace monotube::test {

struct ReceivedMail {
  std::string envelope_from;             // MAIL FROM
  std::vector<std::string> envelope_to;  // RCPT TO
  std::string raw;                       // the message exactly as received after DATA (CRLF)
  std::string raw_headers;               // the header block of `raw`, up to the blank line
  // Headers as Python's email package reads them: unfolded, RFC 2047 words decoded.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                  // the decoded body text (quoted-printable undone), "\n" line ends
  std::vector<std::string> defects;  // what the email package found malformed; empty when well-formed

  // The first header of that name (case-insensitive), decoded.
  std::optional<std::string> Header(std::string_view name) const;
};

struct SmtpServerOptions {
  // When set, the server requires AUTH (PLAIN or LOGIN) with these, without TLS.
  std::string username;
  std::string password;
};

class SmtpServer {
 public:
  // Starts the server and returns once it accepts connections; throws std::runtime_error
  // (with the server's output) when it cannot start.
  explicit SmtpServer(SmtpServerOptions options = {});
  ~SmtpServer();  // stops the server
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const;  // "smtp://127.0.0.1:PORT"

  // Every message received so far, in arrival order.
  std::vector<ReceivedMail> Messages() const;
  // The first message with `to` among its envelope recipients; polls until `timeout`,
  // then throws std::runtime_error.
  ReceivedMail WaitForMessage(std::string_view to,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // Stops the server now (connections are refused afterwards); idempotent.
  void Stop();

 private:
  TempDir dir_{"monotube-smtp"};
  std::uint16_t port_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
};

}  // namespace monotube::test
