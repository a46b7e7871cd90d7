#include "arguments.hpp"

#include <net/if.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "output.hpp"
#include "sockit/net/address.hpp"

namespace sockit::cli {
namespace {

// Filled while the subcommands are registered (one thread, before parsing); read by the help.
std::map<const CLI::App*, PositionalSpec>& specs() {
  static std::map<const CLI::App*, PositionalSpec> table;
  return table;
}

const PositionalSpec* spec_of(const CLI::App* app) {
  const auto it = specs().find(app);
  return it == specs().end() ? nullptr : &it->second;
}

// "-1" is a (bad) port or count typed as a positional, not an option; "-x" and "--x" are options
// CLI11 did not know.
bool looks_like_option(std::string_view arg) {
  return arg.size() > 1 && arg[0] == '-' && (arg[1] < '0' || arg[1] > '9');
}

// The arguments CLI11 kept aside for `cmd`, checked against `spec`.
std::vector<std::string> collect(const CLI::App& cmd, const PositionalSpec& spec) {
  std::vector<std::string> values;
  for (const std::string& arg : cmd.remaining()) {
    if (looks_like_option(arg))
      throw CLI::ParseError("unknown option " + quote_arg(arg), kExitUsage);
    values.push_back(arg);
  }
  if (values.size() > spec.most) {
    throw CLI::ParseError(fmt::format("unexpected argument {} ({} takes {})",
                                      quote_arg(values[spec.most]), cmd.get_name(), spec.usage),
                          kExitUsage);
  }
  if (values.size() < spec.least)
    throw CLI::ParseError(fmt::format("{} needs {}", cmd.get_name(), spec.usage), kExitUsage);
  return values;
}

class HelpFormatter final : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string out = "Usage: " + name;
    if (!app->get_options([](const CLI::Option* o) { return o->nonpositional(); }).empty())
      out += " [OPTIONS]";
    if (const PositionalSpec* spec = spec_of(app); spec != nullptr && !spec->usage.empty())
      out += " " + spec->usage;
    if (!app->get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); }).empty())
      out += " COMMAND";
    return out + "\n";
  }

  std::string make_positionals(const CLI::App* app) const override {
    const PositionalSpec* spec = spec_of(app);
    if (spec == nullptr || spec->rows.empty()) return {};
    std::string out = "\nArguments:\n";
    const auto width = std::max<std::size_t>(get_column_width(), 4) - 2;
    for (const auto& [name, help] : spec->rows)
      out += fmt::format("  {:<{}}{}\n", name, width, help);
    return out;
  }
};

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// The zone after '%' must name an interface of this machine, by name or by index.
std::string zone_problem(std::string_view whole, std::string_view zone) {
  if (zone.empty())
    return fmt::format("{}: nothing after '%' where the zone goes", show_arg(whole));
  if (all_digits(zone)) {
    char name[IF_NAMESIZE] = {};
    const unsigned long index =
        zone.size() <= 10 ? std::strtoul(std::string(zone).c_str(), nullptr, 10) : 0;
    if (index == 0 || index > 0xffffffffUL ||
        ::if_indextoname(static_cast<unsigned>(index), name) == nullptr)
      return fmt::format("{}: no interface with index {} on this machine", show_arg(whole),
                         show_arg(zone));
    return {};
  }
  if (zone.size() >= IF_NAMESIZE || ::if_nametoindex(std::string(zone).c_str()) == 0)
    return fmt::format("{}: no interface named {} on this machine", show_arg(whole),
                       quote_arg(zone));
  return {};
}

// An IPv6 address, optionally with a zone; `whole` is what the user typed (for the message).
std::string ipv6_problem(std::string_view whole, std::string_view text) {
  const auto pct = text.find('%');
  std::string why;
  if (!IPv6Address::parse(text.substr(0, pct), &why))
    return fmt::format("{}: {}", show_arg(whole), why.empty() ? "not an IPv6 address" : why);
  return pct == std::string_view::npos ? std::string() : zone_problem(whole, text.substr(pct + 1));
}

std::string bracketed_problem(std::string_view text) {
  if (const auto close = text.find("]:");
      close != std::string_view::npos && all_digits(text.substr(close + 2))) {
    return fmt::format("{}: give the host and the port as two arguments: {} {}", show_arg(text),
                       show_arg(text.substr(0, close + 1)), show_arg(text.substr(close + 2)));
  }
  if (text.size() < 2 || text.back() != ']')
    return fmt::format("{}: missing ']' after the IPv6 address", show_arg(text));
  const std::string_view inside = text.substr(1, text.size() - 2);
  const auto pct = inside.find('%');
  const bool ipv6_chars = inside.substr(0, pct).find_first_not_of("0123456789abcdefABCDEF:.") ==
                              std::string_view::npos &&
                          inside.find(':') != std::string_view::npos;
  if (!ipv6_chars) return fmt::format("{}: only an IPv6 address goes in brackets", show_arg(text));
  return ipv6_problem(text, inside);
}

}  // namespace

void take_positionals(CLI::App& cmd, PositionalSpec spec, std::vector<std::string>& out) {
  cmd.allow_extras();
  specs()[&cmd] = spec;
  cmd.parse_complete_callback([&cmd, spec, &out] { out = collect(cmd, spec); });
}

void take_positionals(CLI::App& cmd, PositionalSpec spec, std::vector<std::string*> slots) {
  cmd.allow_extras();
  spec.most = slots.size();
  specs()[&cmd] = spec;
  cmd.parse_complete_callback([&cmd, spec, slots] {
    const std::vector<std::string> values = collect(cmd, spec);
    for (std::size_t i = 0; i < values.size(); ++i)
      *slots[i] = values[i];
  });
}

void tame_list_options(CLI::App& app) {
  for (CLI::Option* opt : app.get_options({})) {
    if (!opt->get_positional() && opt->get_allow_extra_args()) opt->allow_extra_args(false);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    tame_list_options(*sub);
}

std::shared_ptr<CLI::Formatter> make_help_formatter() {
  return std::make_shared<HelpFormatter>();
}

std::string port_problem(std::string_view text, PortUse use) {
  const char* range = use == PortUse::bind ? "0 to 65535" : "1 to 65535";
  if (all_digits(text) && text.size() > 1 && text.front() == '0')
    return fmt::format("invalid port {}: a port has no leading zeros", quote_arg(text));
  const bool in_range = all_digits(text) && text.size() <= 5 &&
                        std::strtoul(std::string(text).c_str(), nullptr, 10) <= 65535 &&
                        (use == PortUse::bind || text != "0");
  if (in_range) return {};
  return fmt::format("invalid port {}: must be a number from {}", quote_arg(text), range);
}

std::string host_problem(std::string_view text) {
  constexpr std::size_t kMaxName = 253;  // RFC 1035's limit on a whole name, dots included
  if (text.empty()) return "a host cannot be empty";
  if (std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
      })) {
    return fmt::format("{}: a host name cannot hold control characters", quote_arg(text));
  }
  if (text.front() == '[') return bracketed_problem(text);
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    if (colon != 0 && text.find(':', colon + 1) == std::string_view::npos &&
        all_digits(text.substr(colon + 1))) {
      return fmt::format("{}: give the host and the port as two arguments: {} {}", show_arg(text),
                         show_arg(text.substr(0, colon)), show_arg(text.substr(colon + 1)));
    }
    return ipv6_problem(text, text);
  }
  // Only digits and dots cannot be a DNS name (no top-level domain is all digits): it is an
  // IPv4 address or a mistake, never a question for the resolver.
  if (text.find_first_not_of("0123456789.") == std::string_view::npos) {
    std::string why;
    if (!IPv4Address::parse(text, &why))
      return fmt::format("{}: {}", show_arg(text), why.empty() ? "not an IPv4 address" : why);
    return {};
  }
  if (text.size() > kMaxName)
    return fmt::format("{}: a host name has at most {} characters", quote_arg(text), kMaxName);
  return {};
}

std::string numeric_host_problem(std::string_view text) {
  // host_problem() has already checked every form an address can take: a '[' or ':' is IPv6,
  // digits and dots alone are IPv4. Whatever else passed it is a name for the resolver.
  const bool address = text.find_first_of("[:") != std::string_view::npos ||
                       text.find_first_not_of("0123456789.") == std::string_view::npos;
  if (address) return {};
  return fmt::format("-n: {} is a name; -n takes only numeric addresses", quote_arg(text));
}

}  // namespace sockit::cli
