// The worker and chain reply parsers on the usual replies, with the scanner
// (WorkerClientOptions / ChainClientOptions::fast_parse) and without it: a 4,096-message
// GetClusterMessages reply (256-byte payloads), a 512-item SignClusterMessages reply and a
// 1,024-item state_getStorage batch of ACKs. Run by hand:
//   build-bench/bench/hunter_bench_parse
// items_per_second counts messages, signatures or ACKs.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "hunter/adapters/chain_client.hpp"
#include "hunter/adapters/worker_client.hpp"
#include "hunter/core/message.hpp"
#include "hunter/core/storage.hpp"
#include "hunter/crypto/keys.hpp"

namespace {

using namespace hunter;

H256 filled(uint8_t b) {
  H256 h{};
  h.fill(b);
  return h;
}

std::string messagesReply(size_t n) {
  std::string out = "{\"messages\":[";
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ',';
    out += "{\"destination\":\"" + toHex(Bytes(19, 0x70)) + "\",\"hash\":\"" + toHex(filled(1)) +
           "\",\"payload\":\"" + toHex(Bytes(256, static_cast<uint8_t>(i))) +
           "\",\"prev_hash\":\"" + toHex(filled(2)) + "\",\"sn\":" + std::to_string(i) +
           ",\"state_root\":\"" + toHex(filled(3)) + "\"}";
  }
  return out + "],\"next_sn\":" + std::to_string(n) + "}";
}

// A client of one worker that answers every request with `body` (which must outlive it).
adapters::HttpWorkerClient answering(const std::string& body, bool fast_parse) {
  adapters::WorkerClientOptions o;
  o.fast_parse = fast_parse;
  o.transport = [&body](const adapters::HttpCall&) -> Result<adapters::HttpReply> {
    return adapters::HttpReply{200, body, std::chrono::microseconds(1)};
  };
  return adapters::HttpWorkerClient({"http://w"}, o);
}

void BM_Messages(benchmark::State& state) {
  const size_t n = 4096;
  const std::string body = messagesReply(n);
  auto client = answering(body, state.range(0) != 0);
  for (auto _ : state) {
    auto r = client.fetch(0, filled(9), 0, static_cast<uint32_t>(n));
    if (!r.ok() || r->messages.size() != n) std::abort();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Messages)->Arg(0)->Arg(1)->ArgName("fast");

void BM_Sign(benchmark::State& state) {
  const size_t n = 512;
  const auto key = crypto::SecretKey::generate();
  std::string body = "{\"public_key\":\"" + toHex(key.publicKey()) + "\",\"results\":[";
  std::vector<core::SignItem> items;
  for (size_t i = 0; i < n; ++i) {
    if (i) body += ',';
    body += "{\"signature\":\"" + toHex(core::signMessageHash(key, filled(4))) +
            "\",\"sn\":" + std::to_string(i) + "}";
    items.push_back({i, filled(4)});
  }
  body += "]}";
  auto client = answering(body, state.range(0) != 0);
  for (auto _ : state) {
    auto r = client.signAll({0}, filled(9), items);
    if (!r[0].ok() || r[0]->results.size() != n) std::abort();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Sign)->Arg(0)->Arg(1)->ArgName("fast");

void BM_Acks(benchmark::State& state) {
  const size_t n = 1024;
  core::AckRecord ack;
  ack.hash = filled(5);
  ack.hunter = filled(6);
  ack.reward = 1000;
  const std::string hex = toHex(span(core::encode(ack)));
  std::vector<uint64_t> sns;
  for (size_t i = 0; i < n; ++i) sns.push_back(i);
  uint64_t first = 1;  // the ids of the next request
  adapters::ChainClientOptions o;
  o.fast_parse = state.range(0) != 0;
  o.acks_chunk = n;
  o.transport = [&](const adapters::HttpCall&) -> Result<adapters::HttpReply> {
    std::string body = "[";
    for (size_t i = 0; i < n; ++i) {
      if (i) body += ',';
      body += "{\"id\":" + std::to_string(first + i) + ",\"jsonrpc\":\"2.0\",\"result\":\"" + hex +
              "\"}";
    }
    first += n;
    return adapters::HttpReply{200, body + "]", std::chrono::microseconds(1)};
  };
  adapters::JsonRpcChainClient client({"http://c"}, o);
  for (auto _ : state) {
    auto r = client.acks(filled(9), sns);
    if (!r.ok() || r->size() != n) std::abort();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Acks)->Arg(0)->Arg(1)->ArgName("fast");

}  // namespace

BENCHMARK_MAIN();
