#pragma once
// Who the client is when the server sits behind load balancers: the connection's peer
// address unless that peer is a trusted proxy, in which case X-Forwarded-For is walked
// from the right past every trusted proxy. Never trusts the header from anyone else, so
// a client cannot pick its own address to dodge per-address rate limits.
// Immutable after Parse; safe to share between threads.
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace monotube::http {

class TrustedProxies {
 public:
  // Comma-separated IP addresses or CIDR blocks, e.g. "10.0.0.0/8, 127.0.0.1, fd00::/8".
  // Throws std::invalid_argument naming the entry that is not one.
  static TrustedProxies Parse(std::string_view list);

  bool empty() const noexcept { return v4_.empty() && v6_.empty(); }
  bool Contains(std::string_view address) const;

  // The client's address for a request from peer carrying this X-Forwarded-For value.
  std::string ClientAddress(const std::string& peer, std::string_view forwarded_for) const;

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

}  // namespace monotube::http
