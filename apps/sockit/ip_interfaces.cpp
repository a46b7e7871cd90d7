#include "ip_interfaces.hpp"

#include <string>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "output.hpp"
#include "sockit/net/interfaces.hpp"

namespace sockit::cli {
namespace {

using nlohmann::json;

json address_json(const InterfaceAddress& a) {
  json doc{{"address", a.address.to_string()},
           {"prefix", a.prefix_length},
           {"family", a.address.is_v4() ? "IPv4" : "IPv6"},
           {"class", address_class_name(classify(a.address))},
           {"network", a.network().to_string()}};
  if (a.broadcast_or_peer) doc["broadcast_or_peer"] = a.broadcast_or_peer->to_string();
  return doc;
}

std::string address_line(const InterfaceAddress& a, bool point_to_point) {
  std::string line =
      fmt::format("    {} {}/{}  {}", a.address.is_v4() ? "inet" : "inet6", a.address.to_string(),
                  a.prefix_length, address_class_name(classify(a.address)));
  if (a.broadcast_or_peer) {
    line +=
        fmt::format("  {} {}", point_to_point ? "peer" : "brd", a.broadcast_or_peer->to_string());
  }
  return line + "\n";
}

json gateway_json(const std::optional<DefaultGateway>& g) {
  if (!g) return nullptr;
  return {{"gateway", g->gateway.to_string()}, {"interface", g->interface}, {"metric", g->metric}};
}

std::string gateway_line(std::string_view family, const std::optional<DefaultGateway>& g) {
  if (!g) return fmt::format("default gateway ({}): none\n", family);
  return fmt::format("default gateway ({}): {} via {} (metric {})\n", family,
                     g->gateway.to_string(), g->interface, g->metric);
}

}  // namespace

int run_interfaces(bool as_json) {
  auto interfaces = list_interfaces();
  if (!interfaces) return report_error(interfaces.error(), "cannot list interfaces");
  auto gw4 = default_gateway_v4();
  if (!gw4) return report_error(gw4.error(), "cannot read /proc/net/route");
  auto gw6 = default_gateway_v6();
  if (!gw6) return report_error(gw6.error(), "cannot read /proc/net/ipv6_route");

  if (as_json) {
    json doc{{"interfaces", json::array()},
             {"gateways", {{"ipv4", gateway_json(*gw4)}, {"ipv6", gateway_json(*gw6)}}}};
    for (const auto& i : *interfaces) {
      json entry{{"name", i.name},
                 {"index", i.index},
                 {"flags", flags_to_string(i.flags)},
                 {"addresses", json::array()}};
      if (i.mac) entry["mac"] = format_mac(*i.mac);
      for (const auto& a : i.addresses)
        entry["addresses"].push_back(address_json(a));
      doc["interfaces"].push_back(entry);
    }
    print_json(doc);
    return kExitOk;
  }
  std::string text;
  for (const auto& i : *interfaces) {
    text += fmt::format("{}: {}  <{}>", i.index, i.name, flags_to_string(i.flags));
    if (i.mac) text += "  mac " + format_mac(*i.mac);
    text += "\n";
    for (const auto& a : i.addresses)
      text += address_line(a, i.flags.point_to_point);
  }
  text += gateway_line("IPv4", *gw4);
  text += gateway_line("IPv6", *gw6);
  print(text);
  return kExitOk;
}

}  // namespace sockit::cli
