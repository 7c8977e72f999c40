// Socket.IO packet codec costs on the broadcast path: a bridge message becomes one EVENT text
// (once per broadcast, not per recipient), and the decoder handles what clients send.
#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "bridge_fixture.hpp"
#include "sio/packet.hpp"

namespace {

using pulseboard::bench::bridge_data;
using pulseboard::bench::bridge_message;
namespace sio = pulseboard::sio;

// The whole per-broadcast step: parse {room,event,data}, re-serialize data, write the EVENT.
void BM_EncodeEventFromBridgeMessage(benchmark::State& state) {
  const std::string message = bridge_message(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    boost::system::error_code ec;
    auto value = boost::json::parse(message, ec);
    const auto& object = value.as_object();
    const auto data = boost::json::serialize(object.at("data"));
    auto text = sio::encode_event("/", object.at("event").as_string(), data);
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}
BENCHMARK(BM_EncodeEventFromBridgeMessage)->Arg(100)->Arg(1024);

// encode_event alone, with the data already serialized.
void BM_EncodeEvent(benchmark::State& state) {
  const std::string data = bridge_data(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto text = sio::encode_event("/", "metrics-update", data);
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_EncodeEvent)->Arg(100)->Arg(1024);

// A client's EVENT as the server decodes it (text after the Engine.IO '4').
void BM_DecodeEvent(benchmark::State& state) {
  const std::string text =
      "2[\"metrics-update\"," + bridge_data(static_cast<std::size_t>(state.range(0))) + "]";
  sio::Decoder decoder;
  for (auto _ : state) {
    if (decoder.add_text(text) != sio::Decoder::Status::packet) {
      state.SkipWithError("decoder rejected the event");
      break;
    }
    auto packet = decoder.take();
    benchmark::DoNotOptimize(packet);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_DecodeEvent)->Arg(100)->Arg(1024);

// The CONNECT with auth that every client sends once.
void BM_DecodeConnect(benchmark::State& state) {
  const std::string text = R"(0{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsb2FkZ2VuIn0.c2ln"})";
  sio::Decoder decoder;
  for (auto _ : state) {
    if (decoder.add_text(text) != sio::Decoder::Status::packet) {
      state.SkipWithError("decoder rejected the connect");
      break;
    }
    auto packet = decoder.take();
    benchmark::DoNotOptimize(packet);
  }
}
BENCHMARK(BM_DecodeConnect);

}  // namespace
