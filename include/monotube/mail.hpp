#pragma once
// Outgoing e-mail (password resets and other notices), plain text in UTF-8.
//
// MakeMailer picks the implementation from the configuration: SmtpMailer when smtp_url
// is set, else LogMailer, which writes each message (recipient, subject, body) to the
// log at info level so that a developer without a mail server can still follow a reset
// link. Both validate the message the same way: a recipient that is not a plain
// address, or a CR/LF (or any control character) in a header value, is InvalidInput,
// so header injection is impossible.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace monotube {

struct Config;

struct MailMessage {
  std::string to;       // a bare address: name@example.com
  std::string subject;  // UTF-8, one line
  std::string text;     // UTF-8 body; any line endings
};

// Thread-safe: Send may be called from many threads at once. Send blocks (network IO),
// so call it on a worker thread, never on an IO thread.
class Mailer {
 public:
  virtual ~Mailer() = default;
  // Throws InvalidInput for a malformed message, Unavailable("mail_unavailable") when
  // the message could not be handed to the mail server.
  virtual void Send(const MailMessage& message) = 0;
};

// "Display Name <address>" or a bare address.
struct Mailbox {
  std::string display_name;  // UTF-8, may be empty
  std::string address;
};

struct SmtpMailerOptions {
  // smtp://[user:password@]host[:port] (STARTTLS when the server offers it) or
  // smtps://… (TLS from the start). user and password are URL-encoded, used for AUTH.
  std::string url;
  std::string from;  // a mailbox as ParseMailbox accepts
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  // the whole exchange
};

// Sends through libcurl's SMTP client, one connection per message. On failure the
// curl detail goes to the log; the exception's message is for a person.
class SmtpMailer final : public Mailer {
 public:
  // Throws InvalidInput for a URL that is not smtp:// or smtps:// or a malformed `from`.
  explicit SmtpMailer(SmtpMailerOptions options);
  void Send(const MailMessage& message) override;

 private:
  SmtpMailerOptions options_;
  Mailbox from_;
  std::string server_;  // scheme://host:port without credentials, for the log
};

class LogMailer final : public Mailer {
 public:
  explicit LogMailer(std::string from);
  void Send(const MailMessage& message) override;

 private:
  Mailbox from_;
};

// SmtpMailer when config.smtp_url is set, else LogMailer; the sender is config.mail_from
// or DefaultMailFrom(config.public_url).
std::unique_ptr<Mailer> MakeMailer(const Config& config);

// "monotube <no-reply@HOST>" with HOST the host name of public_url; "localhost" when
// public_url is empty or names an IP address.
std::string DefaultMailFrom(std::string_view public_url);

// addr-spec without comments or quoted local parts: dot-atom "@" domain name, ASCII only,
// at most 254 characters. Deliberately narrower than RFC 5322.
bool IsValidEmailAddress(std::string_view address);

// Throws InvalidInput for anything but "Name <address>", "\"Name\" <address>" or "address".
Mailbox ParseMailbox(std::string_view text);

// The complete RFC 5322 message with CRLF line endings: Date, From, To, Subject
// (RFC 2047 encoded when not plain ASCII), Message-ID, MIME-Version, a UTF-8 text/plain
// body in quoted-printable. Throws InvalidInput as Mailer::Send does. Exposed for tests.
std::string ComposeMessage(const MailMessage& message, const Mailbox& from,
                           std::chrono::system_clock::time_point date);

}  // namespace monotube
