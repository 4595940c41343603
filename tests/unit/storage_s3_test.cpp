// The S3 backend's parts that need no S3 server: the Signature V4 signer against AWS's
// published examples, the XML reader, the storage URL, and how failures of the network
// or of a server (scripted here) turn into errors. Behaviour against a real server is in
// tests/storage/.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "monotube/errors.hpp"
#include "monotube/storage/s3_storage.hpp"

#include "src/core/storage/s3_signer.hpp"
#include "src/core/storage/s3_xml.hpp"

using namespace monotube;
using namespace monotube::storage;

namespace {

// The credentials and time of the examples in AWS's "Signature Calculations for the
// Authorization Header" and "Query String Authentication" pages for S3.
const s3::Credentials kExampleCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
constexpr std::int64_t kExampleTime = 1369353600;  // 2013-05-24T00:00:00Z

s3::SigningRequest ExampleRequest(std::string method, std::string uri, s3::NameValues query,
                                  std::string payload_hash = std::string(s3::kEmptyPayloadHash)) {
  s3::SigningRequest request;
  request.method = std::move(method);
  request.canonical_uri = std::move(uri);
  request.query = std::move(query);
  request.payload_hash = payload_hash;
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"x-amz-date", "20130524T000000Z"},
                     {"x-amz-content-sha256", payload_hash}};
  return request;
}

std::string SignatureOf(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

// A loopback socket: listening (and never accepting) or closed again, for a port where
// nothing answers.
class Socket {
 public:
  explicit Socket(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    if (listening) {
      REQUIRE(::listen(fd_, 16) == 0);
    } else {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// An HTTP server that answers each connection with the next scripted response (the last
// one repeats) and closes it, recording the request lines it saw.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> responses)
      : socket_(true), responses_(std::move(responses)), thread_([this] { Run(); }) {}
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
  }
  std::uint16_t port() const { return socket_.port(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Run() {
    std::size_t next = 0;
    while (!stop_) {
      pollfd ready{socket_.fd(), POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      int client = ::accept4(socket_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::string request = ReadRequest(client);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request.substr(0, request.find("\r\n")));
      }
      const std::string& response = responses_[std::min(next++, responses_.size() - 1)];
      (void)!::write(client, response.data(), response.size());
      ::close(client);
    }
  }

  static std::string ReadRequest(int client) {
    std::string data;
    char buffer[65536];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t wanted = std::string::npos;
    while (std::chrono::steady_clock::now() < deadline &&
           (wanted == std::string::npos || data.size() < wanted)) {
      pollfd ready{client, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      data.append(buffer, static_cast<std::size_t>(n));
      std::size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos && wanted == std::string::npos) {
        std::size_t length = 0;
        std::size_t header = data.find("\r\nContent-Length: ");
        if (header != std::string::npos && header < end) length = std::stoul(data.substr(header + 18));
        wanted = end + 4 + length;
      }
    }
    return data;
  }

  Socket socket_;
  std::vector<std::string> responses_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string HttpResponse(const std::string& status, const std::string& body,
                         const std::string& headers = "") {
  return "HTTP/1.1 " + status +
         "\r\nContent-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + headers + "\r\n" + body;
}

std::string S3ErrorBody(const std::string& code, const std::string& message, const std::string& extra = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" + message +
         "</Message>" + extra + "</Error>";
}

S3Options LocalOptions(std::uint16_t port) {
  S3Options options;
  options.bucket = "videos";
  options.endpoint = "http://127.0.0.1:" + std::to_string(port);
  options.access_key = "AKIDEXAMPLE";
  options.secret_key = "secret-Zq81x";
  options.retry_backoff = std::chrono::milliseconds(5);
  return options;
}

std::string UnavailableMessage(const std::function<void()>& action) {
  try {
    action();
  } catch (const Unavailable& error) {
    CHECK(error.code() == "storage_unavailable");
    return error.what();
  }
  FAIL("expected Unavailable");
  return {};
}

}  // namespace

TEST_CASE("SigV4 reproduces the S3 GET object example of the AWS documentation", "[storage][s3]") {
  s3::SigningRequest request = ExampleRequest("GET", "/test.txt", {});
  request.headers.emplace_back("Range", "bytes=0-9");
  std::string signed_headers;
  CHECK(s3::CanonicalRequest(request, &signed_headers) ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(signed_headers == "host;range;x-amz-content-sha256;x-amz-date");
  CHECK(s3::AuthorizationHeader(request, kExampleCredentials, "us-east-1", kExampleTime) ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("SigV4 reproduces the S3 PUT object, lifecycle and list examples of the AWS documentation",
          "[storage][s3]") {
  const std::string payload = "Welcome to Amazon S3.";
  CHECK(s3::Sha256Hex(payload) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  s3::SigningRequest put =
      ExampleRequest("PUT", "/" + s3::UriEncode("test$file.text", true), {}, s3::Sha256Hex(payload));
  CHECK(put.canonical_uri == "/test%24file.text");
  put.headers.emplace_back("Date", "Fri, 24 May 2013 00:00:00 GMT");
  put.headers.emplace_back("x-amz-storage-class", "REDUCED_REDUNDANCY");
  CHECK(SignatureOf(s3::AuthorizationHeader(put, kExampleCredentials, "us-east-1", kExampleTime)) ==
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

  s3::SigningRequest lifecycle = ExampleRequest("GET", "/", {{"lifecycle", ""}});
  CHECK(SignatureOf(s3::AuthorizationHeader(lifecycle, kExampleCredentials, "us-east-1", kExampleTime)) ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

  // Parameters given out of order: the canonical query sorts them.
  s3::SigningRequest list = ExampleRequest("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}});
  CHECK(s3::CanonicalQueryString(list.query) == "max-keys=2&prefix=J");
  CHECK(SignatureOf(s3::AuthorizationHeader(list, kExampleCredentials, "us-east-1", kExampleTime)) ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("SigV4 reproduces the S3 presigned URL example of the AWS documentation", "[storage][s3]") {
  s3::SigningRequest request;
  request.method = "GET";
  request.canonical_uri = "/test.txt";
  request.headers = {{"host", "examplebucket.s3.amazonaws.com"}};
  CHECK(s3::PresignedQuery(request, kExampleCredentials, "us-east-1", kExampleTime, 86400) ==
        "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("SigV4 encodes URIs and canonical headers as AWS specifies", "[storage][s3]") {
  CHECK(s3::UriEncode("videos/a b/c~d_e-f.g", true) == "videos/a%20b/c~d_e-f.g");
  CHECK(s3::UriEncode("a/b", false) == "a%2Fb");
  CHECK(s3::UriEncode("+*=&?%é", false) == "%2B%2A%3D%26%3F%25%C3%A9");
  CHECK(s3::PercentDecode("http%3A%2F%2Fhost%3a9000%zz%") == "http://host:9000%zz%");
  CHECK(s3::AmzDate(kExampleTime) == "20130524T000000Z");
  CHECK(s3::Md5Base64("") == "1B2M2Y8AsgTpgAmY7PhCfg==");

  s3::SigningRequest request;
  request.method = "GET";
  request.canonical_uri = "/";
  request.headers = {{"Host", "h"}, {"X-Amz-Meta-A", "  two   spaces  "}, {"x-amz-meta-a", "second"}};
  request.payload_hash = "UNSIGNED-PAYLOAD";
  std::string signed_headers;
  CHECK(s3::CanonicalRequest(request, &signed_headers) ==
        "GET\n/\n\nhost:h\nx-amz-meta-a:two spaces,second\n\nhost;x-amz-meta-a\nUNSIGNED-PAYLOAD");
}

TEST_CASE("The S3 XML reader finds elements by name and decodes entities", "[storage][s3]") {
  const std::string xml =
      "<?xml version=\"1.0\"?><ListBucketResult><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a&amp;b&lt;c&gt;&quot;&apos;&#38;&#x41;&#233;&bogus;</Key><Size>5</Size>"
      "<ETag>&quot;abc&quot;</ETag></Contents>"
      "<Contents><Key>second</Key><Size>0</Size><ETag/></Contents>"
      "<NextContinuationToken>t/o+k=</NextContinuationToken></ListBucketResult>";
  std::vector<std::string_view> contents = s3xml::Elements(xml, "Contents");
  REQUIRE(contents.size() == 2);
  CHECK(s3xml::Text(contents[0], "Key") == "a&b<c>\"'&Aé&bogus;");
  CHECK(s3xml::Text(contents[0], "ETag") == "\"abc\"");
  CHECK(s3xml::Text(contents[1], "ETag") == "");
  CHECK(s3xml::Text(xml, "Key") == "a&b<c>\"'&Aé&bogus;");  // not <KeyCount>
  CHECK(s3xml::Text(xml, "KeyCount") == "2");
  CHECK(s3xml::Text(xml, "NextContinuationToken") == "t/o+k=");
  CHECK_FALSE(s3xml::Text(xml, "Missing"));
  CHECK(s3xml::Elements("<Error><Code>x", "Code").empty());  // unterminated
  CHECK(s3xml::Escape("<a & 'b'>\"") == "&lt;a &amp; &apos;b&apos;&gt;&quot;");
}

TEST_CASE("ParseS3StorageUrl reads bucket, endpoint, region and addressing style", "[storage][s3]") {
  S3Options minio = ParseS3StorageUrl("s3://videos?endpoint=http://127.0.0.1:9000", "access", "secret");
  CHECK(minio.bucket == "videos");
  CHECK(minio.endpoint == "http://127.0.0.1:9000");
  CHECK(minio.region == "us-east-1");
  CHECK(minio.path_style);
  CHECK(minio.access_key == "access");
  CHECK(minio.secret_key == "secret");
  CHECK(S3Storage(minio).Describe() == "S3 bucket videos at http://127.0.0.1:9000");

  S3Options aws = ParseS3StorageUrl("s3://my-videos/?region=eu-west-1", "a", "s");
  CHECK(aws.endpoint.empty());
  CHECK(aws.region == "eu-west-1");
  CHECK_FALSE(aws.path_style);
  CHECK(S3Storage(aws).Describe() == "S3 bucket my-videos at https://my-videos.s3.eu-west-1.amazonaws.com");

  S3Options path = ParseS3StorageUrl("s3://my.videos?path_style=true", "a", "s");
  CHECK(S3Storage(path).Describe() == "S3 bucket my.videos at https://s3.us-east-1.amazonaws.com");

  S3Options encoded = ParseS3StorageUrl(
      "s3://videos?endpoint=https%3A%2F%2Fminio.internal%3A9000%2F&path_style=false&", "a", "s");
  CHECK(encoded.endpoint == "https://minio.internal:9000");
  CHECK_FALSE(encoded.path_style);
  CHECK(S3Storage(encoded).Describe() == "S3 bucket videos at https://videos.minio.internal:9000");
  CHECK(ParseS3StorageUrl("s3://videos?endpoint=http://[::1]:9000", "a", "s").endpoint ==
        "http://[::1]:9000");
}

TEST_CASE("ParseS3StorageUrl refuses bad URLs with a message naming storage_url and no secret",
          "[storage][s3]") {
  auto message_of = [](const std::string& url, const std::string& access = "access",
                       const std::string& secret = "secret-Zq81x") {
    try {
      ParseS3StorageUrl(url, access, secret);
    } catch (const ConfigError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  struct Case {
    std::string url;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"s3://?endpoint=http://h:9000", "names no bucket"},
           {"s3://", "names no bucket"},
           {"s3://ab", "3 to 63"},
           {"s3://Videos", "lower-case"},
           {"s3://-videos", "start and end"},
           {"s3://vid..eos", "two dots"},
           {"s3://192.168.1.1", "IP address"},
           {"s3://videos/prefix", "path after the S3 bucket"},
           {"s3://videos?endpoint=ftp://h", "http:// or https://"},
           {"s3://videos?endpoint=h:9000", "http:// or https://"},
           {"s3://videos?endpoint=http://", "no host"},
           {"s3://videos?endpoint=http://h:9000/path", "no path"},
           {"s3://videos?endpoint=http://h:99999", "invalid port"},
           {"s3://videos?endpoint=http://user:hunter2@h:9000", "must not carry credentials"},
           {"s3://videos?region=US_EAST", "region"},
           {"s3://videos?path_style=yes", "true or false"},
           {"s3://videos?colour=blue", "unknown S3 URL parameter \"colour\""},
           {"s3://videos?secret_key=hunter2", "unknown S3 URL parameter"},
           {"s3://videos?x%20y=hunter2", "(not shown)"},
           {"s3://videos?region=a&region=b", "given twice"},
           {"s3://my.videos", "path_style=true"},
           {"s3://AKIA:hunter2@videos?endpoint=http://h", "credentials do not belong"},
           {"s3://videos#x", "fragment"},
       }) {
    INFO("url: " << c.url);
    std::string message = message_of(c.url);
    CHECK_THAT(message, Catch::StartsWith("storage_url: ") && Catch::Contains(c.says));
    CHECK_THAT(message, !Catch::Contains("hunter2") && !Catch::Contains("Zq81x"));
  }
  CHECK_THAT(message_of("s3://videos?endpoint=http://h:9000", "", "secret"),
             Catch::Contains("MONOTUBE_S3_ACCESS_KEY"));
  CHECK_THAT(message_of("s3://videos?endpoint=http://h:9000", "access", ""),
             Catch::Contains("MONOTUBE_S3_SECRET_KEY"));
}

TEST_CASE("S3Storage reports an endpoint where nothing listens as unavailable, quickly", "[storage][s3]") {
  std::uint16_t port = Socket(false).port();
  S3Options options = LocalOptions(port);
  options.max_attempts = 2;
  S3Storage storage(options);
  auto started = std::chrono::steady_clock::now();
  CHECK_THAT(UnavailableMessage([&] { storage.Stat("videos/x/original"); }),
             Catch::Contains("could not be reached"));
  CHECK_THAT(UnavailableMessage([&] { storage.Put("videos/x/original", "data"); }),
             Catch::Contains("could not be reached"));
  CHECK_THAT(UnavailableMessage([&] { storage.OpenReader("videos/x/original"); }),
             Catch::Contains("could not be reached"));
  CHECK_THAT(UnavailableMessage([&] { storage.List(""); }), Catch::Contains("could not be reached"));
  CHECK_THAT(
      UnavailableMessage([&] { storage.CheckHealth(); }),
      Catch::StartsWith("S3 bucket videos at http://127.0.0.1:" + std::to_string(port) + " is not usable"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
}

TEST_CASE("S3Storage gives up on a server that accepts but never answers", "[storage][s3]") {
  Socket silent(true);  // the kernel completes connections; nobody reads or answers
  S3Options options = LocalOptions(silent.port());
  options.stall_timeout = std::chrono::seconds(1);
  options.max_attempts = 2;
  S3Storage storage(options);
  auto started = std::chrono::steady_clock::now();
  CHECK_THAT(UnavailableMessage([&] { storage.Stat("videos/x/original"); }),
             Catch::Contains("did not answer in time"));
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(15));
}

TEST_CASE("S3Storage retries SlowDown and 5xx answers of requests that are safe to repeat", "[storage][s3]") {
  const std::string slow_down =
      HttpResponse("503 Slow Down", S3ErrorBody("SlowDown", "Please reduce your request rate."));
  const std::string head_ok =
      HttpResponse("200 OK", "", "ETag: \"abc\"\r\nLast-Modified: Wed, 12 Oct 2009 17:50:00 GMT\r\n");
  SECTION("then succeeds") {
    // A HEAD answer carries the object's length without a body: Content-Length: 0 here
    // stands for an empty object.
    ScriptedServer server({slow_down, slow_down, head_ok});
    S3Storage storage(LocalOptions(server.port()));
    std::optional<ObjectInfo> info = storage.Stat("videos/x/original");
    REQUIRE(info);
    CHECK(info->size == 0);
    CHECK(info->etag == "abc");
    CHECK(info->modified_ms == 1255369800000);
    CHECK(server.requests() == std::vector<std::string>(3, "HEAD /videos/videos/x/original HTTP/1.1"));
  }
  SECTION("until the attempts run out") {
    ScriptedServer server({HttpResponse("500 Internal Server Error", S3ErrorBody("InternalError", "Oops."))});
    S3Storage storage(LocalOptions(server.port()));
    CHECK_THAT(UnavailableMessage([&] { storage.GetString("videos/x/original"); }),
               Catch::Contains("answered 500 InternalError"));
    CHECK(server.requests().size() == 3);
  }
  SECTION("but never a request that is not safe to repeat") {
    ScriptedServer server({slow_down});
    S3Options options = LocalOptions(server.port());
    options.part_size = 4;  // the fifth byte starts a multipart upload
    S3Storage storage(options);
    auto writer = storage.OpenWriter("videos/x/original");
    writer->Write("1234", 4);
    CHECK_THROWS_AS(writer->Write("5", 1), Unavailable);
    CHECK(server.requests() == std::vector<std::string>{"POST /videos/videos/x/original?uploads= HTTP/1.1"});
    CHECK_THROWS_AS(writer->Write("6", 1), std::logic_error);  // the failed writer is finished
  }
}

TEST_CASE("S3Storage errors carry the S3 code and message, never the secret or the raw answer",
          "[storage][s3]") {
  ScriptedServer server({HttpResponse(
      "403 Forbidden",
      S3ErrorBody("SignatureDoesNotMatch", "The request signature we calculated does not match.",
                  "<StringToSign>AWS4-HMAC-SHA256 secret-Zq81x</StringToSign>"))});
  S3Storage storage(LocalOptions(server.port()));
  std::string message = UnavailableMessage([&] { storage.Put("videos/x/original", "data"); });
  CHECK_THAT(message, Catch::Contains("SignatureDoesNotMatch") && Catch::Contains("secret key"));
  CHECK_THAT(message, !Catch::Contains("StringToSign") && !Catch::Contains("Zq81x") && !Catch::Contains("<"));
  CHECK(server.requests().size() == 1);  // a refusal is not retried
}

TEST_CASE("S3Storage readers notice an object that changed after it was opened", "[storage][s3]") {
  // HEAD: ten bytes, version "v1"; then the GET of those bytes meets a changed object.
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n";
  char buffer[16];
  SECTION("it shrank: the range is no longer satisfiable") {
    ScriptedServer server(
        {head, HttpResponse("416 Requested Range Not Satisfiable",
                            S3ErrorBody("InvalidRange", "The requested range is not satisfiable"),
                            "Content-Range: bytes */4\r\n")});
    S3Storage storage(LocalOptions(server.port()));
    auto reader = storage.OpenReader("videos/x/original", ByteRange::From(6));
    CHECK(reader->size() == 4);
    try {
      reader->Read(buffer, sizeof buffer);
      FAIL("the read must fail");
    } catch (const RangeNotSatisfiable& error) {
      CHECK(error.total_size() == 4);
    }
  }
  SECTION("it was replaced: If-Match fails") {
    ScriptedServer server(
        {head, HttpResponse("412 Precondition Failed", S3ErrorBody("PreconditionFailed", "x"))});
    S3Storage storage(LocalOptions(server.port()));
    auto reader = storage.OpenReader("videos/x/original");
    CHECK_THROWS_WITH(reader->Read(buffer, sizeof buffer), Catch::Contains("changed while being read"));
  }
  SECTION("the server ignored the range and sent more") {
    ScriptedServer server({head, HttpResponse("200 OK", std::string(4096, 'x'))});
    S3Storage storage(LocalOptions(server.port()));
    auto reader = storage.OpenReader("videos/x/original", ByteRange::Between(2, 5));
    CHECK_THROWS(reader->Read(buffer, sizeof buffer));
  }
}
