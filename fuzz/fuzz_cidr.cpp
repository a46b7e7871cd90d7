// Fuzzes IPv4Network/IPv6Network/IpNetwork parsing and the arithmetic on what was accepted.
// Invariants: failures are invalid_address or invalid_prefix with a reason; an accepted network
// survives to_string -> parse; its mask gives back its prefix; it contains its network, first
// and last host; the counts match the prefix; a bounded split tiles the network exactly; the
// two-part form ("addr", "mask") agrees with "addr/mask".
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sockit/net/cidr.hpp"

using sockit::Errc;
using sockit::IpNetwork;
using sockit::IPv4Network;
using sockit::IPv6Network;

namespace {

constexpr std::size_t kMaxSplit = 64;

template <class R>
void check_failure(const R& r, const std::string& why) {
  SOCKIT_FUZZ_CHECK(r.error() == Errc::invalid_address || r.error() == Errc::invalid_prefix);
  SOCKIT_FUZZ_CHECK(!why.empty());
}

void check_v4(const IPv4Network& n, std::uint8_t extra) {
  const int p = n.prefix_length();
  SOCKIT_FUZZ_CHECK(p >= 0 && p <= 32);
  const auto again = IPv4Network::parse(n.to_string());
  SOCKIT_FUZZ_CHECK(again && *again == n && !again->has_host_bits());
  SOCKIT_FUZZ_CHECK(sockit::prefix_from_netmask(n.netmask()) == p);
  SOCKIT_FUZZ_CHECK((n.netmask().to_uint() ^ n.hostmask().to_uint()) == 0xffffffffu);
  SOCKIT_FUZZ_CHECK(n.contains(n.address()) && n.contains(n.network()) &&
                    n.contains(n.broadcast()));
  SOCKIT_FUZZ_CHECK(n.contains(n.first_host()) && n.contains(n.last_host()));
  SOCKIT_FUZZ_CHECK(n.first_host() <= n.last_host());
  SOCKIT_FUZZ_CHECK(n.address_count() == (std::uint64_t{1} << (32 - p)));
  const std::uint64_t hosts = p == 32 ? 1 : p == 31 ? 2 : n.address_count() - 2;
  SOCKIT_FUZZ_CHECK(n.host_count() == hosts);
  SOCKIT_FUZZ_CHECK(n.last_host().to_uint() - n.first_host().to_uint() + 1 == hosts);
  SOCKIT_FUZZ_CHECK(n.contains(n) && n.contains(*again));

  const int new_prefix = p + extra % 8;
  const auto parts = n.split(new_prefix, kMaxSplit);
  if (parts) {
    SOCKIT_FUZZ_CHECK(new_prefix <= 32);
    SOCKIT_FUZZ_CHECK(parts->size() == (std::size_t{1} << (new_prefix - p)));
    std::uint64_t next = n.network().to_uint();
    for (const auto& part : *parts) {
      SOCKIT_FUZZ_CHECK(part.prefix_length() == new_prefix && n.contains(part));
      SOCKIT_FUZZ_CHECK(part.network().to_uint() == next);
      next += part.address_count();
    }
    SOCKIT_FUZZ_CHECK(next == std::uint64_t{n.broadcast().to_uint()} + 1);
  } else {
    SOCKIT_FUZZ_CHECK(new_prefix > 32 || (std::size_t{1} << (new_prefix - p)) > kMaxSplit);
  }
}

void check_v6(const IPv6Network& n, std::uint8_t extra) {
  const int p = n.prefix_length();
  SOCKIT_FUZZ_CHECK(p >= 0 && p <= 128 && n.host_bits() == 128 - p);
  const auto again = IPv6Network::parse(n.to_string());
  SOCKIT_FUZZ_CHECK(again && *again == n && !again->has_host_bits());
  SOCKIT_FUZZ_CHECK(sockit::prefix_from_netmask(n.netmask()) == p);
  SOCKIT_FUZZ_CHECK(n.contains(n.address()) && n.contains(n.network()));
  SOCKIT_FUZZ_CHECK(n.contains(n.first_host()) && n.contains(n.last_host()));
  SOCKIT_FUZZ_CHECK(n.first_host().bytes() <= n.last_host().bytes());
  const std::string count = n.address_count_string();
  SOCKIT_FUZZ_CHECK(!count.empty() && count.find_first_not_of("0123456789") == std::string::npos);
  if (const auto c = n.address_count()) {
    SOCKIT_FUZZ_CHECK(p >= 65 && *c == (std::uint64_t{1} << (128 - p)));
    SOCKIT_FUZZ_CHECK(count == std::to_string(*c));
  } else {
    SOCKIT_FUZZ_CHECK(p < 65);
  }
  const int new_prefix = p + extra % 8;
  const auto parts = n.split(new_prefix, kMaxSplit);
  if (parts) {
    SOCKIT_FUZZ_CHECK(new_prefix <= 128);
    SOCKIT_FUZZ_CHECK(parts->size() == (std::size_t{1} << (new_prefix - p)));
    SOCKIT_FUZZ_CHECK(parts->front().network().bytes() == n.network().bytes());
    SOCKIT_FUZZ_CHECK(parts->back().last_host().bytes() == n.last_host().bytes());
    for (const auto& part : *parts)
      SOCKIT_FUZZ_CHECK(part.prefix_length() == new_prefix && n.contains(part));
  } else {
    SOCKIT_FUZZ_CHECK(new_prefix > 128 || (std::size_t{1} << (new_prefix - p)) > kMaxSplit);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t extra = data[0];
  const std::string_view text = sockit::fuzz::as_text(data + 1, size - 1);

  std::string why;
  const auto v4 = IPv4Network::parse(text, &why);
  if (v4) {
    check_v4(*v4, extra);
  } else {
    check_failure(v4, why);
  }
  why.clear();
  const auto v6 = IPv6Network::parse(text, &why);
  if (v6) {
    check_v6(*v6, extra);
  } else {
    check_failure(v6, why);
  }
  SOCKIT_FUZZ_CHECK(!(v4 && v6));

  const auto either = IpNetwork::parse(text);
  if (either && either->is_v4()) SOCKIT_FUZZ_CHECK(v4 && either->v4() == *v4);
  if (either && either->is_v6()) SOCKIT_FUZZ_CHECK(v6 && either->v6() == *v6);
  if (either) SOCKIT_FUZZ_CHECK(IpNetwork::parse(either->to_string()) == *either);

  // The two-part form: the text cut at its first '\n' into address and mask.
  if (const auto cut = text.find('\n'); cut != std::string_view::npos) {
    const auto address = text.substr(0, cut);
    const auto mask = text.substr(cut + 1);
    const std::string joined = std::string(address) + "/" + std::string(mask);
    if (const auto a = IPv4Network::parse(address, mask)) {
      const auto b = IPv4Network::parse(joined);
      SOCKIT_FUZZ_CHECK(b && *b == *a && b->address() == a->address());
    }
    if (const auto a = IPv6Network::parse(address, mask)) {
      const auto b = IPv6Network::parse(joined);
      SOCKIT_FUZZ_CHECK(b && *b == *a && b->address() == a->address());
    }
  }
  return 0;
}
