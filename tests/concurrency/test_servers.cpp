// 1,000 concurrent clients against every model and every stateless service, every byte checked.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using test::Script;

constexpr std::size_t kClients = 1000;
constexpr int kRounds = 4;

// Bytes that differ per client and per round, so that a crossed or reordered reply shows.
std::string payload(std::size_t client, int round, std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>('!' + (client * 7 + static_cast<std::size_t>(round) * 13 + i) % 90);
  }
  return s;
}

std::vector<Script> echo_scripts() {
  std::vector<Script> scripts(kClients);
  for (std::size_t c = 0; c < kClients; ++c) {
    for (int r = 0; r < kRounds; ++r) {
      const std::string p = payload(c, r, 64);
      scripts[c].steps.emplace_back(p, p);
    }
    const std::string big = payload(c, kRounds, 32 * 1024);  // more than one read's worth
    scripts[c].steps.emplace_back(big, big);
  }
  return scripts;
}

std::vector<Script> greet_scripts() {
  std::vector<Script> scripts(kClients);
  for (std::size_t c = 0; c < kClients; ++c) {
    scripts[c].greeting = "Welcome to the Server\n";
    for (int r = 0; r < kRounds; ++r) {
      const std::string text = "client " + std::to_string(c) + " round " + std::to_string(r);
      scripts[c].steps.emplace_back(text + "\n", "Hello I am server: " + text + "\n");
    }
  }
  return scripts;
}

std::vector<Script> discard_scripts() {
  std::vector<Script> scripts(kClients);
  for (std::size_t c = 0; c < kClients; ++c)
    scripts[c].steps.emplace_back(payload(c, 0, 4096), "");
  return scripts;
}

class ModelService : public ::testing::TestWithParam<std::tuple<Model, std::string>> {};

TEST_P(ModelService, Serves1000ConcurrentClientsEveryByteChecked) {
  const auto [model, name] = GetParam();
  auto service = make_service(name);
  ASSERT_TRUE(service);
  ServerOptions options;
  options.model = model;
  options.threads = model == Model::pool ? 8 : 2;
  if (name == "greet") options.codec = codec_factory(Framing::line);
  test::ServerThread server(**service, options);
  ASSERT_NE(server.port(), 0);

  const auto scripts = name == "echo"    ? echo_scripts()
                       : name == "greet" ? greet_scripts()
                                         : discard_scripts();
  const auto outcome = test::run_clients(server.port(), scripts, 4, std::chrono::seconds(20));
  EXPECT_EQ(outcome.ok, kClients) << outcome.first_error;
  EXPECT_EQ(outcome.failed, 0u) << outcome.first_error;

  // Every client has closed: the server lets go of every connection.
  for (int i = 0; i < 200 && server.stats().connections != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.connections, 0u);
  EXPECT_EQ(stats.accepted, kClients);
  EXPECT_EQ(stats.refused, 0u);
  if (name == "discard") {
    EXPECT_EQ(stats.bytes_in, kClients * 4096);
  }
  if (name == "greet") {
    EXPECT_EQ(stats.messages, kClients * kRounds);
  }
}

std::string param_name(const ::testing::TestParamInfo<std::tuple<Model, std::string>>& info) {
  return std::string(model_name(std::get<0>(info.param))) + "_" + std::get<1>(info.param);
}

INSTANTIATE_TEST_SUITE_P(AllModels, ModelService,
                         ::testing::Combine(::testing::Values(Model::thread, Model::pool,
                                                              Model::loop, Model::reactors),
                                            ::testing::Values("echo", "greet", "discard")),
                         param_name);

}  // namespace
}  // namespace sockit
