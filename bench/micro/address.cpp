// Micro-benchmarks for the value parsers and formatters (the CLI and servers parse addresses
// on every request that names one). Inputs rotate through a few realistic forms so that branch
// prediction does not learn a single string.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <string_view>

#include "sockit/net/address.hpp"
#include "sockit/net/cidr.hpp"

namespace {

constexpr std::array<std::string_view, 4> kV4 = {"192.168.1.10", "10.0.0.1", "255.255.255.255",
                                                 "8.8.4.4"};
constexpr std::array<std::string_view, 4> kV6 = {"2001:db8::1", "fe80::1:2:3:4",
                                                 "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                                                 "::ffff:192.0.2.128"};
constexpr std::array<std::string_view, 4> kCidr = {"192.168.1.0/24", "10.0.0.0/255.0.0.0",
                                                   "2001:db8::/32", "172.16.5.4/12"};

void BM_ParseIPv4(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = sockit::IPv4Address::parse(kV4[i++ % kV4.size()]);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseIPv4);

void BM_ParseIPv6(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = sockit::IPv6Address::parse(kV6[i++ % kV6.size()]);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseIPv6);

void BM_ParseCidr(benchmark::State& state) {
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = sockit::IpNetwork::parse(kCidr[i++ % kCidr.size()]);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ParseCidr);

void BM_IPv4ToString(benchmark::State& state) {
  const auto a = sockit::IPv4Address::parse("192.168.100.200").value();
  for (auto _ : state) {
    auto s = a.to_string();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_IPv4ToString);

void BM_IPv6ToString(benchmark::State& state) {
  const auto a = sockit::IPv6Address::parse("2001:db8:0:0:1:0:0:1").value();
  for (auto _ : state) {
    auto s = a.to_string();
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_IPv6ToString);

}  // namespace
