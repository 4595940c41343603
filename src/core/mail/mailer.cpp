#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <curl/curl.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include "monotube/config.hpp"
#include "monotube/errors.hpp"
#include "monotube/ids.hpp"
#include "monotube/mail.hpp"
#include "monotube/text.hpp"
#include "src/core/base/curl_support.hpp"

namespace monotube {
namespace {

constexpr std::size_t kMaxAddressBytes = 254;
constexpr std::size_t kMaxSubjectBytes = 900;  // keeps the header under RFC 5322's 998
// An RFC 2047 encoded word may be 75 characters; 39 bytes give "=?UTF-8?B?" + 52 + "?=",
// which keeps "Subject: " plus one word within the recommended 78.
constexpr std::size_t kEncodedWordBytes = 39;
constexpr std::size_t kQuotedPrintableLine = 76;

bool IsAtext(unsigned char c) { return std::isalnum(c) || std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr; }

bool IsValidDomain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  while (true) {
    auto dot = domain.find('.');
    std::string_view label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (unsigned char c : label)
      if (!std::isalnum(c) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}


bool IsPlainAscii(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// A header value must be one line: no CR, LF or other control character, valid UTF-8.
void CheckHeaderText(std::string_view value, std::string_view what) {
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      throw InvalidInput("invalid_mail", std::string(what) + " must be a single line of text");
  if (!IsValidUtf8(value)) throw InvalidInput("invalid_mail", std::string(what) + " is not valid UTF-8 text");
}

void ValidateMessage(const MailMessage& message) {
  CheckHeaderText(message.to, "the recipient");
  if (!IsValidEmailAddress(message.to))
    throw InvalidInput("invalid_email", "'" + message.to + "' is not a valid e-mail address");
  CheckHeaderText(message.subject, "the subject");
  if (message.subject.size() > kMaxSubjectBytes)
    throw InvalidInput("invalid_mail", "the subject is too long");
  if (!IsValidUtf8(message.text)) throw InvalidInput("invalid_mail", "the message text is not valid UTF-8");
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// RFC 2047 "B" encoded words, split only between UTF-8 characters, folded onto
// continuation lines.
std::string EncodeWords(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    std::size_t take = std::min(text.size(), kEncodedWordBytes);
    while (take < text.size() && (static_cast<unsigned char>(text[take]) & 0xc0) == 0x80) --take;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(0, take)) + "?=";
    text.remove_prefix(take);
  }
  return out;
}

// Plain ASCII that fits on the header line stays readable; anything else is encoded.
// "=?" in plain text would be taken for an encoded word, so it is encoded too.
std::string HeaderText(std::string_view text, std::size_t name_length) {
  if (IsPlainAscii(text) && text.find("=?") == std::string_view::npos && name_length + 2 + text.size() <= 78)
    return std::string(text);
  return EncodeWords(text);
}

std::string FormatMailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  std::string name =
      IsPlainAscii(mailbox.display_name) && mailbox.display_name.find("=?") == std::string::npos
          ? "\"" + mailbox.display_name + "\""
          : EncodeWords(mailbox.display_name);
  return name + " <" + mailbox.address + ">";
}

std::string FormatDate(std::chrono::system_clock::time_point date) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(date);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  // Formatted by hand: strftime's names depend on the locale.
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[utc.tm_wday],
                utc.tm_mday, kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buffer;
}

// Quoted-printable (RFC 2045) with CRLF line ends: 7-bit safe whatever the relays, every
// line within 76 characters. A "." or "From " at the start of a line is encoded as well,
// so neither SMTP dot-stuffing nor mbox "From " quoting can touch the text.
std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t line_length = 0;
  auto emit = [&](std::string_view token) {
    if (line_length + token.size() > kQuotedPrintableLine - 1) {
      out += "=\r\n";
      line_length = 0;
    }
    if (line_length == 0 && token == ".") token = "=2E";
    out += token;
    line_length += token.size();
  };
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t end = text.find_first_of("\r\n", i);
    std::string_view line = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    for (std::size_t k = 0; k < line.size(); ++k) {
      auto c = static_cast<unsigned char>(line[k]);
      bool last = k + 1 == line.size();
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      if (k == 0 && line.starts_with("From ")) literal = false;
      if (literal) {
        char ch = static_cast<char>(c);
        emit(std::string_view(&ch, 1));
      } else {
        char escaped[3] = {'=', kHex[c >> 4], kHex[c & 0xf]};
        emit(std::string_view(escaped, 3));
      }
    }
    if (end == std::string_view::npos) break;
    out += "\r\n";
    line_length = 0;
    i = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::string DomainOf(std::string_view address) { return std::string(address.substr(address.rfind('@') + 1)); }

// scheme://host:port of the URL, without credentials, for the log.
std::string DescribeServer(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), &curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    throw InvalidInput("invalid_smtp_url", "smtp_url is not a valid URL");
  auto part = [&](CURLUPart which, unsigned flags) {
    char* value = nullptr;
    std::string out;
    if (curl_url_get(parsed.get(), which, &value, flags) == CURLUE_OK && value) out = value;
    curl_free(value);
    return out;
  };
  return part(CURLUPART_SCHEME, 0) + "://" + part(CURLUPART_HOST, 0) + ":" +
         part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

}  // namespace

bool IsValidEmailAddress(std::string_view address) {
  if (address.size() > kMaxAddressBytes) return false;
  auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = address.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  for (unsigned char c : local)
    if (c != '.' && !IsAtext(c)) return false;
  return IsValidDomain(address.substr(at + 1));
}

Mailbox ParseMailbox(std::string_view text) {
  auto invalid = [&] {
    std::string message = "'";  // appended piecewise: GCC 12 warns falsely on "…" + std::string(…)
    message.append(text).append(
        "' is not a sender like 'monotube <no-reply@example.com>' or 'no-reply@example.com'");
    return InvalidInput("invalid_email", message);
  };
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f)
      throw InvalidInput("invalid_email", "a mail sender must be a single line of text");
  if (!IsValidUtf8(text)) throw invalid();
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  std::string_view rest = trim(text);
  Mailbox mailbox;
  if (rest.ends_with('>')) {
    auto open = rest.rfind('<');
    if (open == std::string_view::npos) throw invalid();
    mailbox.address = std::string(rest.substr(open + 1, rest.size() - open - 2));
    std::string_view name = trim(rest.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    if (name.find_first_of("\"\\<>") != std::string_view::npos) throw invalid();
    mailbox.display_name = std::string(name);
  } else {
    mailbox.address = std::string(rest);
  }
  if (!IsValidEmailAddress(mailbox.address)) throw invalid();
  return mailbox;
}

std::string DefaultMailFrom(std::string_view public_url) {
  std::string host;
  if (auto scheme = public_url.find("://"); scheme != std::string_view::npos) {
    std::string_view authority = public_url.substr(scheme + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    if (!authority.starts_with('[')) host = std::string(authority.substr(0, authority.find(':')));
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool ip_address = !host.empty() && host.find_first_not_of("0123456789.") == std::string::npos;
  if (host.empty() || ip_address || !IsValidDomain(host)) host = "localhost";
  return "monotube <no-reply@" + host + ">";
}

std::string ComposeMessage(const MailMessage& message, const Mailbox& from,
                           std::chrono::system_clock::time_point date) {
  ValidateMessage(message);
  std::string out;
  out += "Date: " + FormatDate(date) + "\r\n";
  out += "From: " + FormatMailbox(from) + "\r\n";
  out += "To: " + message.to + "\r\n";
  out += "Subject: " + HeaderText(message.subject, std::strlen("Subject")) + "\r\n";
  out += "Message-ID: <" + RandomToken(18) + "@" + DomainOf(from.address) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  // RFC 3834: automatic replies (vacation notices) must not answer this message.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  out += QuotedPrintable(message.text);
  return out;
}

SmtpMailer::SmtpMailer(SmtpMailerOptions options) : options_(std::move(options)) {
  if (!(options_.url.starts_with("smtp://") || options_.url.starts_with("smtps://")))
    throw InvalidInput("invalid_smtp_url", "smtp_url must start with smtp:// or smtps://");
  from_ = ParseMailbox(options_.from);
  curl::EnsureInitialized();
  server_ = DescribeServer(options_.url);
}

void SmtpMailer::Send(const MailMessage& message) {
  const std::string payload = ComposeMessage(message, from_, std::chrono::system_clock::now());
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
      curl_slist_append(nullptr, ("<" + message.to + ">").c_str()), &curl_slist_free_all);
  if (!recipients) throw std::bad_alloc();
  const std::string mail_from = "<" + from_.address + ">";
  curl::Upload upload{payload};
  char error[CURL_ERROR_SIZE] = "";

  CURL* handle = curl.get();
  curl::SetOption(handle, CURLOPT_URL, options_.url.c_str());
  curl::SetOption(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  // smtp://: STARTTLS whenever the server offers it; smtps:// is TLS from the start. With
  // credentials, TLS is required (a man in the middle could hide the STARTTLS offer and
  // read the password), except to a server on this machine.
  bool has_credentials = options_.url.find('@') != std::string::npos;
  bool loopback = server_.find("://127.") != std::string::npos || server_.find("://localhost") != std::string::npos ||
                  server_.find("://[::1]") != std::string::npos;
  curl::SetOption(handle, CURLOPT_USE_SSL,
            static_cast<long>(has_credentials && !loopback ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  curl::SetOption(handle, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl::SetOption(handle, CURLOPT_MAIL_RCPT, recipients.get());
  curl::SetOption(handle, CURLOPT_UPLOAD, 1L);
  curl::SetOption(handle, CURLOPT_READFUNCTION, &curl::ReadUpload);
  curl::SetOption(handle, CURLOPT_READDATA, &upload);
  curl::SetOption(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl::SetOption(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl::SetOption(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  // Signals for timeouts are not thread-safe; worker threads send mail concurrently.
  curl::SetOption(handle, CURLOPT_NOSIGNAL, 1L);
  curl::SetOption(handle, CURLOPT_ERRORBUFFER, error);

  CURLcode rc = curl_easy_perform(handle);
  if (rc != CURLE_OK) {
    long reply = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply);
    spdlog::warn("mail to {} via {} failed: {} ({}; last SMTP reply {})", message.to, server_,
                 curl_easy_strerror(rc), error[0] ? error : "no detail", reply);
    throw Unavailable("mail_unavailable", "The e-mail could not be sent right now. Please try again later.");
  }
  spdlog::info("mail sent to {} via {}", message.to, server_);
}

LogMailer::LogMailer(std::string from) : from_(ParseMailbox(from)) {}

void LogMailer::Send(const MailMessage& message) {
  ValidateMessage(message);
  spdlog::info("mail not sent (smtp_url is not set), logged instead:\nFrom: {}\nTo: {}\nSubject: {}\n\n{}",
               FormatMailbox(from_), message.to, message.subject, message.text);
}

std::unique_ptr<Mailer> MakeMailer(const Config& config) {
  std::string from = config.mail_from.empty() ? DefaultMailFrom(config.public_url) : config.mail_from;
  if (config.smtp_url.empty()) return std::make_unique<LogMailer>(std::move(from));
  SmtpMailerOptions options;
  options.url = config.smtp_url;
  options.from = std::move(from);
  return std::make_unique<SmtpMailer>(std::move(options));
}

}  // namespace monotube
