// sockit resolve HOST: every address a name has (A and AAAA), with timing.
#include <CLI/CLI.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/net/address.hpp"
#include "sockit/net/resolver.hpp"

namespace sockit::cli {
namespace {

struct ResolveArgs {
  std::string host;
  FamilyFlags family;
  double timeout_s = 10.0;
  bool json = false;
};

std::string family_name(const IpAddress& a) {
  return a.is_v4() ? "IPv4" : "IPv6";
}

int run_resolve(const ResolveArgs& args) {
  // getaddrinfo() reads an empty name as "this machine" and answers with loopback: a typo, not a
  // question anyone asks resolve.
  if (args.host.empty()) return usage_error("resolve needs a host name or address, not ''");
  if (auto why = host_problem(args.host); !why.empty()) return usage_error(why);
  ResolveOptions options;
  options.family = args.family.hint();
  options.deadline = Deadline::after_or_never(to_millis(args.timeout_s));
  const auto start = Clock::now();
  auto endpoints = resolve(args.host, "", options);
  const auto elapsed = Clock::now() - start;
  if (!endpoints) return report_error(endpoints.error(), "cannot resolve " + show_arg(args.host));

  // A literal address also gets its name, when the resolver knows one.
  std::string name;
  if (auto literal = IpAddress::parse(args.host)) {
    // The name is a bonus: a slow PTR lookup must not hold up the answer for long.
    const Deadline bonus = earliest(options.deadline, Deadline::after(Millis(2000)));
    if (auto found = reverse_lookup(*literal, bonus)) name = *found;
  }
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  if (args.json) {
    nlohmann::json doc{
        {"host", args.host}, {"elapsed_ms", ms}, {"addresses", nlohmann::json::array()}};
    if (!name.empty()) doc["name"] = name;
    for (const auto& ep : *endpoints) {
      doc["addresses"].push_back({{"address", ep.address().to_string()},
                                  {"family", family_name(ep.address())},
                                  {"class", address_class_name(classify(ep.address()))}});
    }
    print_json(doc);
    return kExitOk;
  }
  std::string out = fmt::format("{}: {} address{} in {}\n", args.host, endpoints->size(),
                                endpoints->size() == 1 ? "" : "es", format_duration(elapsed));
  std::size_t width = 0;
  for (const auto& ep : *endpoints)
    width = std::max(width, ep.address().to_string().size());
  for (const auto& ep : *endpoints) {
    out += fmt::format("  {:<{}}  {}  {}\n", ep.address().to_string(), width,
                       family_name(ep.address()), address_class_name(classify(ep.address())));
  }
  if (!name.empty()) out += fmt::format("  name: {}\n", name);
  print(out);
  return kExitOk;
}

}  // namespace

void add_resolve_command(CLI::App& app) {
  auto args = std::make_shared<ResolveArgs>();
  CLI::App* cmd =
      app.add_subcommand("resolve", "Look up every address of a host name (A and AAAA)");
  take_positionals(*cmd, {"HOST", 1, 1, {{"HOST", "Host name or address"}}}, {&args->host});
  args->family.add_to(*cmd);
  cmd->add_option("-w,--timeout", args->timeout_s, "Give up after this many seconds (0 = never)")
      ->default_val(10.0)
      ->check(seconds_check());
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  cmd->footer(
      "Examples:\n"
      "  sockit resolve localhost\n"
      "  sockit resolve -4 www.python.org\n"
      "  sockit resolve --json example.com\n"
      "  sockit resolve 127.0.0.1        (a literal also shows its name)");
  cmd->callback([args] {
    set_json_errors(args->json);
    finish(run_resolve(*args));
  });
}

}  // namespace sockit::cli
