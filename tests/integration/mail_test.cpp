#include "monotube/mail.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "monotube/config.hpp"
#include "monotube/errors.hpp"

#include "support/smtp_server.hpp"

using monotube::InvalidInput;
using monotube::MailMessage;
using monotube::SmtpMailer;
using monotube::SmtpMailerOptions;
using monotube::Unavailable;
using monotube::test::SmtpServer;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

SmtpMailerOptions Options(const std::string& url, std::string from = "monotube <no-reply@example.com>") {
  SmtpMailerOptions options;
  options.url = url;
  options.from = std::move(from);
  options.connect_timeout = 2s;
  options.timeout = 5s;
  return options;
}

// Lines of the raw message: CRLF only, 7-bit, within RFC 5322's recommended 78 characters.
void CheckWireFormat(const std::string& raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') REQUIRE((i > 0 && raw[i - 1] == '\r'));
    if (raw[i] == '\r') REQUIRE((i + 1 < raw.size() && raw[i + 1] == '\n'));
    REQUIRE(static_cast<unsigned char>(raw[i]) < 0x80);
  }
  std::size_t start = 0;
  while (start < raw.size()) {
    auto end = raw.find("\r\n", start);
    if (end == std::string::npos) end = raw.size();
    INFO("line: " << raw.substr(start, end - start));
    CHECK(end - start <= 78);
    start = end + 2;
  }
}

// A listener that completes the TCP handshake but never says a word.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Captures what spdlog's default logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    spdlog::set_level(spdlog::level::info);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("SmtpMailer delivers a well-formed message with non-ASCII subject and body", "[mail]") {
  SmtpServer server;
  SmtpMailer mailer(Options(server.url(), "Vidéo Zoë <no-reply@video.example.com>"));
  MailMessage message{
      "alice@example.com", "Réinitialisez votre mot de passe — 日本語の件名 ✓ (a long one, folded)",
      "Bonjour Zoë,\n\nOuvrez https://video.example.com/reset?token=abc_DEF-123 pour continuer.\n"
      "Ünïcödé ✓ 日本語\n"};
  mailer.Send(message);

  auto mail = server.WaitForMessage("alice@example.com", 5s);
  CHECK(mail.defects.empty());
  CHECK(mail.envelope_from == "no-reply@video.example.com");
  CHECK(mail.envelope_to == std::vector<std::string>{"alice@example.com"});
  CHECK(mail.Header("Subject") == message.subject);
  CHECK(mail.Header("From") == "Vidéo Zoë <no-reply@video.example.com>");
  CHECK(mail.Header("To") == "alice@example.com");
  CHECK(mail.Header("MIME-Version") == "1.0");
  CHECK(mail.Header("Content-Type") == "text/plain; charset=\"utf-8\"");
  CHECK(mail.Header("Content-Transfer-Encoding") == "quoted-printable");
  REQUIRE(mail.Header("Date"));
  CHECK(std::regex_match(
      *mail.Header("Date"),
      std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000)")));
  REQUIRE(mail.Header("Message-ID"));
  CHECK(std::regex_match(*mail.Header("Message-ID"),
                         std::regex(R"(<[A-Za-z0-9_-]{20,}@video\.example\.com>)")));
  CHECK(mail.body == message.text);
  std::smatch link;
  REQUIRE(std::regex_search(mail.body, link, std::regex(R"(https://\S+/reset\?token=\S+)")));
  CHECK(link.str() == "https://video.example.com/reset?token=abc_DEF-123");
  CheckWireFormat(mail.raw);
  CHECK(mail.raw_headers.find("\r\nSubject: =?UTF-8?B?") != std::string::npos);
  CHECK(mail.raw_headers.ends_with("\r\n"));
}

TEST_CASE("SmtpMailer keeps a plain ASCII subject readable", "[mail]") {
  SmtpServer server;
  SmtpMailer(Options(server.url())).Send({"bob@example.com", "Reset your password", "Hello\n"});
  auto mail = server.WaitForMessage("bob@example.com", 5s);
  CHECK(mail.raw_headers.find("\r\nSubject: Reset your password\r\n") != std::string::npos);
  CHECK(mail.raw_headers.find("\r\nFrom: \"monotube\" <no-reply@example.com>\r\n") != std::string::npos);
  CHECK(mail.body == "Hello\n");
}

TEST_CASE("SmtpMailer: long lines, dot lines and awkward text survive", "[mail]") {
  std::string long_line;
  for (int i = 0; i < 120; ++i) long_line += "word" + std::to_string(i) + (i % 10 == 9 ? "é " : " ");
  long_line += "https://video.example.com/" + std::string(300, 'x');
  const std::string text = long_line + "\n.\n.hidden line\n..two dots\nFrom the start of a line\n" +
                           "trailing spaces   \ntrailing tab\t\n= equals =3D sign\n\n\nblank lines above\n" +
                           "CRLF line\r\nCR line\rlast line\n";
  const std::string decoded =
      long_line + "\n.\n.hidden line\n..two dots\nFrom the start of a line\n" +
      "trailing spaces   \ntrailing tab\t\n= equals =3D sign\n\n\nblank lines above\n" +
      "CRLF line\nCR line\nlast line\n";
  SmtpServer server;
  SmtpMailer(Options(server.url())).Send({"carol@example.com", "Long", text});
  auto mail = server.WaitForMessage("carol@example.com", 5s);
  CHECK(mail.defects.empty());
  CHECK(mail.body == decoded);
  CheckWireFormat(mail.raw);
}

TEST_CASE("SmtpMailer uses the credentials in the URL", "[mail]") {
  monotube::test::SmtpServerOptions auth;
  auth.username = "mailer@example.com";
  auth.password = "p@ss:word/1";
  SmtpServer server(auth);
  const std::string host = "127.0.0.1:" + std::to_string(server.port());

  SmtpMailer(Options("smtp://mailer%40example.com:p%40ss%3Aword%2F1@" + host))
      .Send({"dan@example.com", "Hi", "x\n"});
  CHECK(server.WaitForMessage("dan@example.com", 5s).body == "x\n");

  LogCapture log;
  try {
    SmtpMailer(Options("smtp://mailer%40example.com:wrong-secret@" + host))
        .Send({"eve@example.com", "Hi", "x\n"});
    FAIL("a wrong password must fail");
  } catch (const Unavailable& e) {
    CHECK(e.code() == "mail_unavailable");
  }
  CHECK(log.text().find("wrong-secret") == std::string::npos);  // the log names the server, not the URL
  CHECK(log.text().find(host) != std::string::npos);
  CHECK(server.Messages().size() == 1);
}

TEST_CASE("SmtpMailer fails fast with Unavailable when the server is down or silent", "[mail]") {
  std::string url;
  {
    SmtpServer stopped;
    url = stopped.url();
  }
  LogCapture log;
  auto start = Clock::now();
  try {
    SmtpMailer(Options(url)).Send({"frank@example.com", "Hi", "x\n"});
    FAIL("expected Unavailable");
  } catch (const Unavailable& e) {
    CHECK(e.code() == "mail_unavailable");
    CHECK(e.status() == 503);
    // The curl detail is for the log, never for the person.
    CHECK(std::string(e.what()) == "The e-mail could not be sent right now. Please try again later.");
  }
  CHECK(Clock::now() - start < 2s);
  CHECK(log.text().find("frank@example.com") != std::string::npos);
  CHECK(log.text().find("onnect") != std::string::npos);  // "Couldn't connect to server" or similar

  SilentServer silent;
  auto options = Options(silent.url());
  options.timeout = 1s;
  start = Clock::now();
  CHECK_THROWS_AS(SmtpMailer(options).Send({"grace@example.com", "Hi", "x\n"}), Unavailable);
  CHECK(Clock::now() - start < 3s);
}

TEST_CASE("Mailers reject header injection and malformed addresses", "[mail]") {
  SmtpServer server;
  SmtpMailer smtp(Options(server.url()));
  monotube::LogMailer log_mailer("monotube <no-reply@example.com>");
  const std::vector<MailMessage> bad = {
      {"alice@example.com\r\nBcc: evil@example.com", "Hi", "x"},
      {"alice@example.com\nBcc: evil@example.com", "Hi", "x"},
      {"alice@example.com", "Hi\r\nBcc: evil@example.com", "x"},
      {"alice@example.com", "Hi\nBcc: evil@example.com", "x"},
      {"alice@example.com", "Hi\rthere", "x"},
      {"alice@example.com", std::string("nul\0byte", 8), "x"},
      {"alice@example.com", "bad utf-8 \xff", "x"},
      {"alice@example.com", std::string(1000, 'a'), "x"},
      {"alice@example.com", "Hi", "bad utf-8 \xc3\x28"},
      {"not an address", "Hi", "x"},
      {"alice@example.com, bob@example.com", "Hi", "x"},
      {"<alice@example.com>", "Hi", "x"},
      {"alice@@example.com", "Hi", "x"},
      {"alice@example..com", "Hi", "x"},
      {".alice@example.com", "Hi", "x"},
      {"alice@-example.com", "Hi", "x"},
      {"ålice@example.com", "Hi", "x"},
      {"", "Hi", "x"},
      {"alice@" + std::string(250, 'a') + ".com", "Hi", "x"},
  };
  for (const auto& message : bad) {
    INFO("to: " << message.to << " subject: " << message.subject);
    CHECK_THROWS_AS(smtp.Send(message), InvalidInput);
    CHECK_THROWS_AS(log_mailer.Send(message), InvalidInput);
  }
  CHECK(server.Messages().empty());

  CHECK_THROWS_AS(SmtpMailer(Options(server.url(), "monotube <no-reply@example.com>\r\nBcc: x@example.com")),
                  InvalidInput);
  CHECK_THROWS_AS(SmtpMailer(Options(server.url(), "no address here")), InvalidInput);
  CHECK_THROWS_AS(SmtpMailer(Options("http://127.0.0.1:25")), InvalidInput);
  CHECK_THROWS_AS(monotube::LogMailer("Name <bad>"), InvalidInput);

  CHECK(monotube::IsValidEmailAddress("first.last+tag@sub.example.co.uk"));
  CHECK(monotube::IsValidEmailAddress("o'neil@localhost"));
  CHECK_FALSE(monotube::IsValidEmailAddress("first last@example.com"));
  CHECK_FALSE(monotube::IsValidEmailAddress("a\"b@example.com"));
}

TEST_CASE("SmtpMailer is safe to use from many threads", "[mail]") {
  SmtpServer server;
  SmtpMailer mailer(Options(server.url()));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        mailer.Send({"user" + std::to_string(i) + "@example.com", "Hi " + std::to_string(i),
                     "n=" + std::to_string(i) + "\n"});
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(failures == 0);
  for (int i = 0; i < 8; ++i)
    CHECK(server.WaitForMessage("user" + std::to_string(i) + "@example.com", 5s).body ==
          "n=" + std::to_string(i) + "\n");
  CHECK(server.Messages().size() == 8);
}

TEST_CASE("LogMailer writes the whole message to the log", "[mail]") {
  LogCapture log;
  monotube::LogMailer("monotube <no-reply@example.com>")
      .Send({"alice@example.com", "Réinitialiser", "Open https://video.example.com/reset?token=xyz\n"});
  auto text = log.text();
  CHECK(text.find("To: alice@example.com") != std::string::npos);
  CHECK(text.find("Subject: Réinitialiser") != std::string::npos);
  CHECK(text.find("https://video.example.com/reset?token=xyz") != std::string::npos);
  CHECK(text.find("smtp_url is not set") != std::string::npos);
}

TEST_CASE("MakeMailer follows smtp_url, mail_from and public_url", "[mail]") {
  monotube::Config config;
  auto log_mailer = monotube::MakeMailer(config);
  CHECK(dynamic_cast<monotube::LogMailer*>(log_mailer.get()) != nullptr);

  SmtpServer server;
  config.smtp_url = server.url();
  config.public_url = "https://Video.Example.org:8443/base/";
  auto smtp = monotube::MakeMailer(config);
  REQUIRE(dynamic_cast<SmtpMailer*>(smtp.get()) != nullptr);
  smtp->Send({"hank@example.com", "Hi", "x\n"});
  CHECK(server.WaitForMessage("hank@example.com", 5s).Header("From") ==
        "monotube <no-reply@video.example.org>");

  config.mail_from = "Support <support@example.net>";
  monotube::MakeMailer(config)->Send({"ivy@example.com", "Hi", "x\n"});
  auto mail = server.WaitForMessage("ivy@example.com", 5s);
  CHECK(mail.Header("From") == "Support <support@example.net>");
  CHECK(mail.envelope_from == "support@example.net");

  CHECK(monotube::DefaultMailFrom("") == "monotube <no-reply@localhost>");
  CHECK(monotube::DefaultMailFrom("http://127.0.0.1:8080") == "monotube <no-reply@localhost>");
  CHECK(monotube::DefaultMailFrom("http://[::1]:8080/") == "monotube <no-reply@localhost>");
  CHECK(monotube::DefaultMailFrom("https://user:pw@tube.example.com") ==
        "monotube <no-reply@tube.example.com>");
  CHECK(monotube::DefaultMailFrom("http://localhost:8080") == "monotube <no-reply@localhost>");
}
