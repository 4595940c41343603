// HTTPS with a real certificate made by openssl: TLS 1.2+ only, HSTS, and the plain
// HTTP listener that redirects.
#include <catch2/catch.hpp>

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "support/test_app.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct Certificate {
  monotube::test::TempDir dir;
  std::string cert = (dir.path() / "cert.pem").string();
  std::string key = (dir.path() / "key.pem").string();
  Certificate() {
    std::string command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
                          "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout '" +
                          key + "' -out '" + cert + "' >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
  }
};

// GET over TLS with the given highest protocol version; throws when the handshake fails.
bhttp::response<bhttp::string_body> TlsGet(std::uint16_t port, const std::string& target, int max_version,
                                           const std::string& ca_file) {
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(context.native_handle(), max_version);
  SSL_CTX_set_security_level(context.native_handle(), 0);  // let the client offer old versions
  context.load_verify_file(ca_file);
  context.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
  beast::get_lowest_layer(stream).connect({asio::ip::make_address("127.0.0.1"), port});
  stream.handshake(asio::ssl::stream_base::client);
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
  request.set(bhttp::field::host, "127.0.0.1");
  bhttp::write(stream, request);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(stream, buffer, response);
  return response;
}

}  // namespace

TEST_CASE("HTTPS serves with HSTS, refuses TLS 1.1, and plain HTTP redirects", "[http][tls]") {
  Certificate certificate;
  monotube::test::TestApp app(monotube::test::Configured([&](monotube::Config& c) {
    c.tls_cert = certificate.cert;
    c.tls_key = certificate.key;
  }));
  auto response = TlsGet(app.port(), "/healthz", TLS1_3_VERSION, certificate.cert);
  REQUIRE(response.result_int() == 200);
  REQUIRE(std::string(response[bhttp::field::strict_transport_security]).starts_with("max-age=31536000"));
  REQUIRE(TlsGet(app.port(), "/healthz", TLS1_2_VERSION, certificate.cert).result_int() == 200);
  REQUIRE_THROWS(TlsGet(app.port(), "/healthz", TLS1_1_VERSION, certificate.cert));

  // Plain HTTP on the TLS port is not answered as if it were fine.
  monotube::test::RawConnection plain(app.port());
  plain.TrySend("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto plain_answer = plain.ReadResponse(std::chrono::seconds(3));
  REQUIRE((!plain_answer || plain_answer->status != 200));
}

TEST_CASE("The plain-HTTP listener redirects every path to HTTPS", "[http][tls]") {
  Certificate certificate;
  // Find a free port for the redirect listener (it needs a fixed one in real use).
  std::uint16_t redirect_port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    redirect_port = probe.local_endpoint().port();
  }
  monotube::test::TestApp app(monotube::test::Configured([&](monotube::Config& c) {
    c.tls_cert = certificate.cert;
    c.tls_key = certificate.key;
    c.http_redirect_host = "127.0.0.1";
    c.http_redirect_port = redirect_port;
  }));
  REQUIRE(app.app().redirect_port() == redirect_port);
  auto redirected = monotube::test::HttpRequest(redirect_port, "GET", "/watch/abc?t=10");
  REQUIRE(redirected.status == 308);
  REQUIRE(redirected.Header("Location") ==
          "https://127.0.0.1:" + std::to_string(app.port()) + "/watch/abc?t=10");
}

TEST_CASE("A key that does not match the certificate stops the start with a clear message", "[http][tls][config]") {
  Certificate first, second;
  try {
    monotube::test::TestApp app(monotube::test::Configured([&](monotube::Config& c) {
      c.tls_cert = first.cert;
      c.tls_key = second.key;
    }));
    FAIL("the server started with a mismatched key");
  } catch (const monotube::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("tls_key"));
  }
}
