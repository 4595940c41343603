#include "support/smtp_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace monotube::test {
namespace {

using Clock = std::chrono::steady_clock;

// Debian's interpreter, where python3-aiosmtpd is installed; "python3" in PATH may be
// another one (pyenv, a virtualenv) without it.
constexpr const char* kPython = "/usr/bin/python3";
constexpr auto kStartTimeout = std::chrono::seconds(15);
constexpr int kStartAttempts = 5;
constexpr auto kPollInterval = std::chrono::milliseconds(20);

// The handler writes each message before answering 250: the raw bytes to NNNNNN.eml,
// then what Python's email package makes of them to NNNNNN.json, each renamed into
// place so that a reader never sees half a file.
constexpr const char* kServerScript = R"PY(
import asyncio, email, email.policy, json, os, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

directory, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def write_atomically(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


class Handler:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(directory, "%06d" % self.count)
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        try:
            body = message.get_content().replace("\r\n", "\n")
        except Exception as error:
            body = None
            message.defects.append(error)
        info = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": [[name, str(value)] for name, value in message.items()],
            "body": body,
            "defects": [repr(defect) for defect in message.defects],
        }
        write_atomically(base + ".eml", raw)
        write_atomically(base + ".json", json.dumps(info).encode("utf-8"))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok)


async def main():
    handler = Handler()
    options = {}
    if user:
        options = dict(auth_required=True, auth_require_tls=False, authenticator=authenticate)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **options), "127.0.0.1", port)
    await server.serve_forever()


asyncio.run(main())
)PY";

// A port that was free a moment ago; the caller retries when another process wins it.
std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

bool Accepting(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool connected = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string> ReceivedMail::Header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (EqualsIgnoringCase(key, name)) return value;
  return std::nullopt;
}

SmtpServer::SmtpServer(SmtpServerOptions options) {
  const auto script = dir_ / "smtp_server.py";
  std::ofstream(script) << kServerScript;
  const auto mail_dir = dir_ / "mail";
  std::filesystem::create_directory(mail_dir);
  const auto log = dir_ / "server.log";

  for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
    port_ = FreePort();
    BackgroundProcessOptions process;
    process.argv = {kPython,          script.string(), mail_dir.string(), std::to_string(port_),
                    options.username, options.password};
    process.output_file = log;
    process_ = std::make_unique<BackgroundProcess>(process);
    const auto deadline = Clock::now() + kStartTimeout;
    while (Clock::now() < deadline && process_->Running()) {
      if (Accepting(port_)) return;
      std::this_thread::sleep_for(kPollInterval);
    }
    process_->Stop();  // it died (most likely the port was taken meanwhile) or never listened
  }
  throw std::runtime_error("the test SMTP server (" + std::string(kPython) +
                           " with python3-aiosmtpd) did not start; its output:\n" + ReadFile(log));
}

SmtpServer::~SmtpServer() { Stop(); }

void SmtpServer::Stop() {
  if (process_) process_->Stop();
}

std::string SmtpServer::url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

std::vector<ReceivedMail> SmtpServer::Messages() const {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "mail"))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());

  std::vector<ReceivedMail> out;
  for (const auto& file : files) {
    auto info = nlohmann::json::parse(ReadFile(file));
    ReceivedMail mail;
    mail.envelope_from = info.at("mail_from").get<std::string>();
    mail.envelope_to = info.at("rcpt_tos").get<std::vector<std::string>>();
    for (const auto& header : info.at("headers"))
      mail.headers.emplace_back(header.at(0).get<std::string>(), header.at(1).get<std::string>());
    if (!info.at("body").is_null()) mail.body = info.at("body").get<std::string>();
    mail.defects = info.at("defects").get<std::vector<std::string>>();
    auto raw_file = file;
    mail.raw = ReadFile(raw_file.replace_extension(".eml"));
    auto blank = mail.raw.find("\r\n\r\n");
    mail.raw_headers = mail.raw.substr(0, blank == std::string::npos ? std::string::npos : blank + 2);
    out.push_back(std::move(mail));
  }
  return out;
}

ReceivedMail SmtpServer::WaitForMessage(std::string_view to, std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (auto& mail : Messages())
      for (const auto& recipient : mail.envelope_to)
        if (EqualsIgnoringCase(recipient, to)) return std::move(mail);
    if (Clock::now() >= deadline)
      throw std::runtime_error("no mail for " + std::string(to) + " arrived within " +
                               std::to_string(timeout.count()) + " ms");
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace monotube::test
