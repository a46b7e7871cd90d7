// Micro-benchmarks for the byte Buffer and the sans-I/O codecs.
//
// Decoders are fed 64 KiB at a time (what one read_into() drains from a busy socket) and
// drained completely; the "per_frame" counter is the time per decoded frame.
#include <benchmark/benchmark.h>

#include <string>

#include "sockit/codec/length_prefix.hpp"
#include "sockit/codec/line.hpp"
#include "sockit/core/buffer.hpp"

namespace {

using sockit::Buffer;
using sockit::Decoded;

constexpr std::size_t kBatchBytes = 64 * 1024;

benchmark::Counter per_frame(double frames) {
  return benchmark::Counter(frames, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Drains every frame; returns how many there were (a failure would show up as a wrong count).
template <class Decoder>
std::size_t drain(Decoder& d) {
  std::size_t frames = 0;
  for (Decoded r = d.next(); r.is_frame(); r = d.next()) {
    benchmark::DoNotOptimize(r.frame.data());
    ++frames;
  }
  return frames;
}

void BM_LineDecode64(benchmark::State& state) {
  auto mode = static_cast<sockit::LineMode>(state.range(0));
  std::string batch;
  std::string line(62, 'x');
  while (batch.size() + 64 <= kBatchBytes) {
    batch += line;
    batch += mode == sockit::LineMode::lf ? "\nx" : "\r\n";  // 64 bytes per line either way
  }
  sockit::LineDecoder d(1024, mode);
  std::size_t frames = 0;
  for (auto _ : state) {
    d.feed(batch);
    frames += drain(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.counters["per_frame"] = per_frame(static_cast<double>(frames));
}
BENCHMARK(BM_LineDecode64)
    ->Arg(static_cast<int>(sockit::LineMode::lf))
    ->Arg(static_cast<int>(sockit::LineMode::crlf));

void BM_LengthPrefixDecode(benchmark::State& state) {
  auto payload_size = static_cast<std::size_t>(state.range(0));
  std::string payload(payload_size, 'p');
  std::string batch;
  while (batch.size() + payload_size + 4 <= kBatchBytes) {
    if (!sockit::encode_frame(batch, payload)) state.SkipWithError("encode failed");
  }
  sockit::LengthPrefixDecoder d(1u << 20);
  std::size_t frames = 0;
  for (auto _ : state) {
    d.feed(batch);
    frames += drain(d);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.counters["per_frame"] = per_frame(static_cast<double>(frames));
}
BENCHMARK(BM_LengthPrefixDecode)->Arg(64)->Arg(4096);

// One frame per feed: the small-read worst case (a 64-byte message per recv()).
void BM_LengthPrefixDecodeOneFramePerFeed(benchmark::State& state) {
  std::string frame;
  if (!sockit::encode_frame(frame, std::string(60, 'p'))) state.SkipWithError("encode failed");
  sockit::LengthPrefixDecoder d(1u << 20);
  for (auto _ : state) {
    d.feed(frame);
    benchmark::DoNotOptimize(drain(d));
  }
}
BENCHMARK(BM_LengthPrefixDecodeOneFramePerFeed);

void BM_BufferAppendConsume(benchmark::State& state) {
  std::string chunk(static_cast<std::size_t>(state.range(0)), 'b');
  Buffer buf;
  for (auto _ : state) {
    buf.append(chunk);
    benchmark::DoNotOptimize(buf.view().data());
    buf.consume(chunk.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chunk.size()));
}
BENCHMARK(BM_BufferAppendConsume)->Arg(64)->Arg(4096);

// A partial message stays behind after every consume, so appends must compact, not grow.
void BM_BufferAppendConsumeCarryOver(benchmark::State& state) {
  std::string chunk(64, 'c');
  Buffer buf;
  buf.append(std::string_view("carry"));
  for (auto _ : state) {
    buf.append(chunk);
    buf.consume(chunk.size());
    benchmark::DoNotOptimize(buf.view().data());
  }
}
BENCHMARK(BM_BufferAppendConsumeCarryOver);

}  // namespace
