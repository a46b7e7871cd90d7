// Micro-benchmarks for the HTTP/1.1 codec: parsing a typical browser-like request (about 300
// bytes, 8 header fields), the same request pipelined 64 KiB at a time, a request arriving in
// two reads (the re-entry cost), and writing a plaintext response head with its Date.
#include <benchmark/benchmark.h>

#include <string>

#include "sockit/codec/http.hpp"
#include "sockit/codec/http_writer.hpp"

namespace {

using sockit::HttpParseStatus;
using sockit::HttpRequestParser;

// 8 header fields, about 300 bytes: what curl or a browser sends for a small static file.
const std::string kRequest =
    "GET /static/css/site.css?v=20261206 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101\r\n"
    "Accept: text/css,*/*;q=0.1\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.example.com/\r\n"
    "Connection: keep-alive\r\n"
    "If-None-Match: \"5f1a-2c4\"\r\n"
    "\r\n";

std::int64_t times(benchmark::State& state, std::size_t n) {
  return state.iterations() * static_cast<std::int64_t>(n);
}

benchmark::Counter per_request(double requests) {
  return benchmark::Counter(requests, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_HttpParseRequest(benchmark::State& state) {
  HttpRequestParser parser;
  for (auto _ : state) {
    auto r = parser.parse(kRequest);
    if (r.status != HttpParseStatus::done) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(r.head.headers.data());
  }
  state.SetBytesProcessed(times(state, kRequest.size()));
  state.counters["request_bytes"] = static_cast<double>(kRequest.size());
  state.counters["per_request"] = per_request(static_cast<double>(state.iterations()));
}
BENCHMARK(BM_HttpParseRequest);

// Pipelined requests in one buffer: the parser walks from message to message.
void BM_HttpParsePipelined(benchmark::State& state) {
  std::string batch;
  while (batch.size() + kRequest.size() <= 64 * 1024)
    batch += kRequest;
  const std::size_t count = batch.size() / kRequest.size();
  HttpRequestParser parser;
  for (auto _ : state) {
    std::string_view rest = batch;
    for (std::size_t i = 0; i < count; ++i) {
      auto r = parser.parse(rest);
      if (r.status != HttpParseStatus::done) state.SkipWithError("parse failed");
      rest.remove_prefix(r.consumed);
    }
    benchmark::DoNotOptimize(rest.data());
  }
  state.SetBytesProcessed(times(state, batch.size()));
  state.counters["per_request"] = per_request(static_cast<double>(times(state, count)));
}
BENCHMARK(BM_HttpParsePipelined);

// The head in two reads, cut in the middle of a field line: need_more, then done.
void BM_HttpParseTwoReads(benchmark::State& state) {
  HttpRequestParser parser;
  const std::string_view first = std::string_view(kRequest).substr(0, kRequest.size() / 2);
  for (auto _ : state) {
    if (parser.parse(first).status != HttpParseStatus::need_more) state.SkipWithError("cut");
    auto r = parser.parse(kRequest);
    benchmark::DoNotOptimize(r.head.headers.data());
  }
  state.SetBytesProcessed(times(state, kRequest.size()));
}
BENCHMARK(BM_HttpParseTwoReads);

void BM_HttpWriteResponseHead(benchmark::State& state) {
  const sockit::HttpHeader fields[] = {{"Server", "sockit"}, {"Content-Type", "text/plain"}};
  std::string out;
  out.reserve(256);
  for (auto _ : state) {
    out.clear();
    auto ok = sockit::write_response_head(out, 200, fields, {sockit::HttpBodyKind::length, 13});
    out += "Hello, World!";
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_HttpWriteResponseHead);

}  // namespace
