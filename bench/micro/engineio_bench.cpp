// Engine.IO payload costs: a long-polling POST body with several packets, and single packets as
// they arrive in WebSocket frames.
#include <benchmark/benchmark.h>

#include <string>

#include "engineio/packet.hpp"

namespace {

namespace eio = pulseboard::eio;

std::string polling_body(int packets) {
  std::string body;
  for (int i = 0; i < packets; ++i) {
    eio::append_to_payload(body,
                           eio::Packet{eio::PacketType::message,
                                       "2[\"metrics-update\",{\"t\":1718000000123456789,\"seq\":" +
                                           std::to_string(i) + "}]",
                                       false});
  }
  eio::append_to_payload(body, eio::Packet{eio::PacketType::pong, "", false});
  return body;
}

void BM_DecodePollingPayload(benchmark::State& state) {
  const std::string body = polling_body(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto packets = eio::decode_payload(body);
    if (!packets) {
      state.SkipWithError("payload rejected");
      break;
    }
    benchmark::DoNotOptimize(packets);
  }
  state.SetItemsProcessed(state.iterations() * (state.range(0) + 1));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodePollingPayload)->Arg(1)->Arg(16);

// A polling body with a base64 binary attachment, as legacy and polling clients send it.
void BM_DecodePollingPayloadBinary(benchmark::State& state) {
  std::string body;
  eio::append_to_payload(body,
                         eio::Packet{eio::PacketType::message,
                                     "51-[\"upload\",{\"_placeholder\":true,\"num\":0}]", false});
  eio::append_to_payload(
      body, eio::Packet{eio::PacketType::message,
                        std::string(static_cast<std::size_t>(state.range(0)), '\x7f'), true});
  for (auto _ : state) {
    auto packets = eio::decode_payload(body);
    if (!packets) {
      state.SkipWithError("payload rejected");
      break;
    }
    benchmark::DoNotOptimize(packets);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodePollingPayloadBinary)->Arg(1024);

void BM_DecodeWebSocketText(benchmark::State& state) {
  const std::string frame = "3";  // the pong every client sends per ping interval
  for (auto _ : state) {
    auto packet = eio::decode_text(frame);
    benchmark::DoNotOptimize(packet);
  }
}
BENCHMARK(BM_DecodeWebSocketText);

}  // namespace
