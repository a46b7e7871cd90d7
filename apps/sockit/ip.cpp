// sockit ip: the machine's interfaces and gateways (no argument), or everything about an
// address or network given as text: number views, class, range, host count, subnets.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "ip_interfaces.hpp"
#include "output.hpp"
#include "sockit/net/cidr.hpp"

namespace sockit::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxSubnets = 4096;

struct IpArgs {
  std::vector<std::string> inputs;
  int split = -1;
  bool json = false;
};

/// One "label: value" row, values aligned.
std::string row(std::string_view label, std::string_view value) {
  return fmt::format("{:<12}{}\n", std::string(label) + ":", value);
}

std::string class_text(const IpAddress& a) {
  std::string text(address_class_name(classify(a)));
  if (a.is_v4()) text += fmt::format(" (legacy class {})", legacy_class(a.v4()));
  return text;
}

/// All 32 hex digits of an IPv6 address, grouped: "2001:0db8:0000:...".
std::string expanded(const IPv6Address& a) {
  std::string out;
  const auto& b = a.bytes();
  for (std::size_t i = 0; i < 16; i += 2) {
    if (i != 0) out += ':';
    out += fmt::format("{:02x}{:02x}", b[i], b[i + 1]);
  }
  return out;
}

json optional_bool(std::optional<bool> v) {
  return v ? json(*v) : json(nullptr);
}

std::string yes_no(std::optional<bool> v) {
  if (!v) return "n/a";
  return *v ? "yes" : "no";
}

/// The IANA special-purpose row behind the class, every column, and the registry date.
void describe_registry(const IpAddress& a, std::string& text, json& doc) {
  doc["registry_date"] = kSpecialPurposeRegistryDate;
  const SpecialPurposeEntry* entry = special_purpose_entry(a);
  if (entry == nullptr) {
    doc["special_purpose"] = nullptr;
    text += row("iana row", "none");
  } else {
    doc["special_purpose"] = {
        {"block", entry->block},
        {"name", entry->name},
        {"rfc", entry->rfc},
        {"allocated", entry->allocated},
        {"terminated", entry->terminated.empty() ? json(nullptr) : json(entry->terminated)},
        {"source", optional_bool(entry->source)},
        {"destination", optional_bool(entry->destination)},
        {"forwardable", optional_bool(entry->forwardable)},
        {"globally_reachable", optional_bool(entry->globally_reachable)},
        {"reserved_by_protocol", optional_bool(entry->reserved_by_protocol)},
    };
    std::string line = fmt::format("{} {}, {}, allocated {}", entry->block, entry->name, entry->rfc,
                                   entry->allocated);
    if (!entry->terminated.empty()) line += fmt::format(", terminated {}", entry->terminated);
    text += row("iana row", line);
    text += row(
        "iana flags",
        fmt::format("source {}, destination {}, forwardable {}, globally reachable {}, "
                    "reserved-by-protocol {}",
                    yes_no(entry->source), yes_no(entry->destination), yes_no(entry->forwardable),
                    yes_no(entry->globally_reachable), yes_no(entry->reserved_by_protocol)));
  }
  text += row("iana table",
              fmt::format("special-purpose registries as of {}", kSpecialPurposeRegistryDate));
}

void describe_address(const IpAddress& a, std::string& text, json& doc) {
  doc["address"] = a.to_string();
  doc["family"] = a.is_v4() ? "IPv4" : "IPv6";
  doc["class"] = address_class_name(classify(a));
  text += row("address", a.to_string());
  if (a.is_v4()) {
    const IPv4Address v4 = a.v4();
    doc["decimal"] = v4.to_uint();
    doc["hex"] = to_hex(v4);
    doc["binary"] = to_binary(v4);
    doc["legacy_class"] = std::string(1, legacy_class(v4));
    text += row("decimal", std::to_string(v4.to_uint()));
    text += row("hex", to_hex(v4));
    text += row("binary", to_binary(v4));
  } else {
    doc["expanded"] = expanded(a.v6());
    text += row("expanded", expanded(a.v6()));
  }
  text += row("class", class_text(a));
  describe_registry(a, text, doc);
}

void describe_v4_network(const IPv4Network& n, std::string& text, json& doc) {
  doc["network"] = n.to_string();
  doc["netmask"] = n.netmask().to_string();
  doc["wildcard"] = n.hostmask().to_string();
  doc["broadcast"] = n.broadcast().to_string();
  doc["first_host"] = n.first_host().to_string();
  doc["last_host"] = n.last_host().to_string();
  doc["host_count"] = n.host_count();
  doc["address_count"] = n.address_count();
  doc["address_count_log2"] = 32 - n.prefix_length();
  text += row("network", n.to_string());
  text += row("netmask", fmt::format("{} = {}", n.netmask().to_string(), n.prefix_length()));
  text += row("wildcard", n.hostmask().to_string());
  text += row("broadcast", n.broadcast().to_string());
  text +=
      row("hosts", fmt::format("{} - {}", n.first_host().to_string(), n.last_host().to_string()));
  text += row("host count", std::to_string(n.host_count()));
}

void describe_v6_network(const IPv6Network& n, std::string& text, json& doc) {
  doc["network"] = n.to_string();
  doc["netmask"] = n.netmask().to_string();
  doc["first_host"] = n.first_host().to_string();
  doc["last_host"] = n.last_host().to_string();
  // A JSON number only where every reader holds it exactly (2^53, a double's integer range);
  // above that null, and the count is still exact as a power of two: address_count_log2.
  constexpr std::uint64_t kExactInJson = std::uint64_t{1} << 53;
  const auto count = n.address_count();
  doc["address_count"] = count && *count <= kExactInJson ? json(*count) : json(nullptr);
  doc["address_count_log2"] = 128 - n.prefix_length();
  text += row("network", n.to_string());
  text += row("netmask", fmt::format("{} = {}", n.netmask().to_string(), n.prefix_length()));
  text +=
      row("hosts", fmt::format("{} - {}", n.first_host().to_string(), n.last_host().to_string()));
  text += row("addresses", n.address_count_string());
}

template <class Network>
Status describe_split(const Network& n, int new_prefix, std::string& text, json& doc,
                      std::string& why) {
  auto subnets = n.split(new_prefix, kMaxSubnets, &why);
  if (!subnets) return fail(subnets.error());
  text += row("subnets", fmt::format("{} x /{}", subnets->size(), new_prefix));
  doc["subnets"] = json::array();
  for (const auto& s : *subnets) {
    doc["subnets"].push_back(s.to_string());
    text += fmt::format("  {:<20} {} - {}\n", s.to_string(), s.first_host().to_string(),
                        s.last_host().to_string());
  }
  return {};
}

/// Whether `mask` makes `sockit ip ADDRESS MASK` one network: a prefix length ("24", "/24"), or
/// a contiguous netmask of the address's family (254.0.0.0 is /7, 255.255.255.255 is /32,
/// fe00:: is /7, 0.0.0.0 and :: are /0). Anything else is described as an address of its own.
bool is_mask_for(std::string_view address, std::string_view mask) {
  if (address.find('/') != std::string_view::npos) return false;
  std::string_view digits = mask;
  if (digits.starts_with('/')) digits.remove_prefix(1);
  if (!digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return true;
  }
  const bool v6 = address.find(':') != std::string_view::npos;
  if (v6 != (mask.find(':') != std::string_view::npos)) return false;
  if (v6) {
    auto m = IPv6Address::parse(mask);
    return m && m->zone().empty() && prefix_from_netmask(*m).has_value();
  }
  auto m = IPv4Address::parse(mask);
  return m && prefix_from_netmask(*m).has_value();
}

/// Parses one query (address, network, or address + mask) and appends its description.
/// Returns an exit code; invalid text is reported with its reason.
int describe(const std::string& input, const std::string& mask, const IpArgs& args,
             std::string& text, json& doc) {
  std::string why;
  const std::string shown = mask.empty() ? input : input + " " + mask;
  const bool is_network = !mask.empty() || input.find('/') != std::string::npos;
  if (!is_network) {
    auto a = IpAddress::parse(input, &why);
    if (!a)
      return usage_error(
          fmt::format("{}: {}", cli::show_arg(input), why.empty() ? a.error().message() : why));
    if (args.split >= 0) return usage_error("--split needs a network (ADDRESS/PREFIX)");
    describe_address(*a, text, doc);
    return kExitOk;
  }
  std::string m = mask;
  if (m.starts_with('/')) m.erase(0, 1);
  const bool v6 = input.find(':') != std::string::npos;
  Result<IpNetwork> net = fail(Errc::invalid_prefix);
  if (v6) {
    auto n = mask.empty() ? IPv6Network::parse(input, &why) : IPv6Network::parse(input, m, &why);
    if (n)
      net = IpNetwork(*n);
    else
      net = fail(n.error());
  } else {
    auto n = mask.empty() ? IPv4Network::parse(input, &why) : IPv4Network::parse(input, m, &why);
    if (n)
      net = IpNetwork(*n);
    else
      net = fail(n.error());
  }
  if (!net)
    return usage_error(
        fmt::format("{}: {}", cli::show_arg(shown), why.empty() ? net.error().message() : why));
  Status split_ok;
  if (net->is_v4()) {
    describe_address(net->v4().address(), text, doc);
    describe_v4_network(net->v4(), text, doc);
    if (args.split >= 0) split_ok = describe_split(net->v4(), args.split, text, doc, why);
  } else {
    describe_address(net->v6().address(), text, doc);
    describe_v6_network(net->v6(), text, doc);
    if (args.split >= 0) split_ok = describe_split(net->v6(), args.split, text, doc, why);
  }
  if (!split_ok) {
    return usage_error(
        fmt::format("--split {}: {}", args.split, why.empty() ? split_ok.error().message() : why));
  }
  return kExitOk;
}

int run_queries(const IpArgs& args) {
  std::vector<std::pair<std::string, std::string>> queries;
  const auto& in = args.inputs;
  if (in.size() == 2 && is_mask_for(in[0], in[1])) {
    queries.emplace_back(in[0], in[1]);
  } else {
    for (const auto& s : in)
      queries.emplace_back(s, "");
  }
  std::string text;
  json docs = json::array();
  for (const auto& [input, mask] : queries) {
    if (!text.empty()) text += "\n";
    json doc;
    if (int code = describe(input, mask, args, text, doc); code != kExitOk) return code;
    docs.push_back(doc);
  }
  if (args.json) {
    print_json(docs.size() == 1 ? docs[0] : docs);
  } else {
    print(text);
  }
  return kExitOk;
}

}  // namespace

void add_ip_command(CLI::App& app) {
  auto args = std::make_shared<IpArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ip", "Show this machine's interfaces, or explain an IP address or network");
  take_positionals(*cmd,
                   {"[ADDRESS ...]",
                    0,
                    std::numeric_limits<std::size_t>::max(),
                    {{"ADDRESS", "ADDRESS, ADDRESS/PREFIX, or ADDRESS NETMASK (IPv4 or IPv6)"}}},
                   args->inputs);
  cmd->add_option("--split", args->split, "Split the network into subnets of this prefix length")
      ->check(CLI::Range(0, 128));
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  cmd->footer(
      "Examples:\n"
      "  sockit ip                          interfaces, addresses, default gateways\n"
      "  sockit ip 10.1.2.3                 dot-decimal, number, hex, binary, class\n"
      "  sockit ip 192.168.1.0/24           network, broadcast, host range, host count\n"
      "  sockit ip 172.16.5.4 255.255.0.0   address with a netmask (contiguous, or it is\n"
      "                                     described as a second address)\n"
      "  sockit ip 192.168.1.0/24 --split 26\n"
      "  sockit ip 2001:db8::1/64\n"
      "  sockit ip --json 10.0.0.0/8");
  cmd->callback([args] {
    set_json_errors(args->json);
    finish(args->inputs.empty() ? run_interfaces(args->json) : run_queries(*args));
  });
}

}  // namespace sockit::cli
