#include "monotube/http/client_address.hpp"

#include "monotube/http/message.hpp"

#include <stdexcept>

#include <boost/asio/ip/address.hpp>

namespace monotube::http {
namespace asio_ip = boost::asio::ip;
namespace {

bool ParseAddress(std::string_view text, asio_ip::address& out) {
  boost::system::error_code ec;
  out = asio_ip::make_address(std::string(text), ec);
  if (ec) return false;
  // An IPv4 client seen through a dual-stack socket arrives as ::ffff:a.b.c.d.
  if (out.is_v6() && out.to_v6().is_v4_mapped())
    out = asio_ip::make_address_v4(asio_ip::v4_mapped, out.to_v6());
  return true;
}

}  // namespace

TrustedProxies TrustedProxies::Parse(std::string_view list) {
  TrustedProxies proxies;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view entry = TrimWhitespace(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    boost::system::error_code ec;
    std::string text(entry);
    if (text.find('/') == std::string::npos) {
      asio_ip::address address;
      if (!ParseAddress(text, address)) throw std::invalid_argument("'" + text + "' is not an IP address or CIDR block");
      text += address.is_v4() ? "/32" : "/128";
    }
    if (text.find(':') == std::string::npos) {
      auto network = asio_ip::make_network_v4(text, ec);
      if (ec) throw std::invalid_argument("'" + std::string(entry) + "' is not an IP address or CIDR block");
      proxies.v4_.push_back(network.canonical());
    } else {
      auto network = asio_ip::make_network_v6(text, ec);
      if (ec) throw std::invalid_argument("'" + std::string(entry) + "' is not an IP address or CIDR block");
      proxies.v6_.push_back(network.canonical());
    }
  }
  return proxies;
}

bool TrustedProxies::Contains(std::string_view text) const {
  asio_ip::address address;
  if (!ParseAddress(text, address)) return false;
  if (address.is_v4()) {
    asio_ip::network_v4 single(address.to_v4(), 32);
    for (const auto& network : v4_)
      if (single == network || single.is_subnet_of(network)) return true;
    return false;
  }
  asio_ip::network_v6 single(address.to_v6(), 128);
  for (const auto& network : v6_)
    if (single == network || single.is_subnet_of(network)) return true;
  return false;
}

std::string TrustedProxies::ClientAddress(const std::string& peer, std::string_view forwarded_for) const {
  if (empty() || !Contains(peer)) return peer;
  std::string client = peer;
  // Right to left: each hop appended the address it saw; stop at the first one we do not trust.
  while (!forwarded_for.empty()) {
    auto comma = forwarded_for.rfind(',');
    std::string_view entry =
        TrimWhitespace(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    asio_ip::address address;
    if (!ParseAddress(entry, address)) break;  // garbage: keep the last address we could trust
    client = address.to_string();
    if (!Contains(client)) break;
  }
  return client;
}

}  // namespace monotube::http
