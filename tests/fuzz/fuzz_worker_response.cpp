// libFuzzer target: the worker client's response parsers (GetClusterInfo, GetClusterMessages,
// SignClusterMessages), through the real HttpWorkerClient with a transport that answers every
// request with the fuzz input.
// Input: one selector byte (method and HTTP status), then the response body. Properties: no
// crash, no exception; an error has a code and a message naming the worker; what is accepted
// keeps the documented promises (at most `limit` messages, ascending and contiguous from at
// least from_sn, next_sn past them; sign results only for asked sns, each once); and the fast
// scanner (WorkerClientOptions::fast_parse) gives exactly what the general parser gives: the same
// messages or results, or the same error.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.hpp"
#include "hunter/adapters/worker_client.hpp"

using namespace hunter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  static const long kStatus[] = {200, 200, 200, 400, 404, 500, 503, 204};
  const long status = kStatus[(sel >> 2) % 8];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);

  adapters::WorkerClientOptions opt;
  opt.sign_batch = 4;  // 8 items -> two requests, both answered with this body
  opt.transport = [&](const adapters::HttpCall&) -> Result<adapters::HttpReply> {
    return adapters::HttpReply{status, body, std::chrono::microseconds(1)};
  };
  adapters::HttpWorkerClient client({"http://worker.test:1"}, opt);
  opt.fast_parse = false;
  adapters::HttpWorkerClient general({"http://worker.test:1"}, opt);
  const H256 cluster{};
  auto named = [](const Error& e) {
    return !e.code.empty() && e.message.find("worker.test") != std::string::npos;
  };

  switch (sel % 3) {
    case 0: {
      auto info = client.info(0);
      if (!info.ok()) FUZZ_CHECK(named(info.error()));
      break;
    }
    case 1: {
      const uint64_t from = 5;
      const uint32_t limit = 16;
      auto r = client.fetch(0, cluster, from, limit);
      auto g = general.fetch(0, cluster, from, limit);
      FUZZ_CHECK(r.ok() == g.ok());
      if (!r.ok())
        FUZZ_CHECK(r.error().code == g.error().code && r.error().message == g.error().message);
      if (r.ok()) {
        FUZZ_CHECK(r->next_sn == g->next_sn && r->messages.size() == g->messages.size());
        for (size_t i = 0; i < r->messages.size(); ++i) {
          FUZZ_CHECK(r->messages[i].msg == g->messages[i].msg);
          FUZZ_CHECK(r->messages[i].hash == g->messages[i].hash);
        }
      }
      if (!r.ok()) {
        FUZZ_CHECK(named(r.error()));
        break;
      }
      FUZZ_CHECK(r->messages.size() <= limit);
      for (size_t i = 0; i < r->messages.size(); ++i) {
        const uint64_t sn = r->messages[i].msg.sn;
        FUZZ_CHECK(i == 0 ? sn >= from : sn == r->messages[i - 1].msg.sn + 1);
      }
      if (!r->messages.empty()) FUZZ_CHECK(r->next_sn > r->messages.back().msg.sn);
      break;
    }
    default: {
      std::vector<core::SignItem> items;
      for (uint64_t sn = 5; sn < 13; ++sn) items.push_back(core::SignItem{sn, H256{}});
      auto rs = client.signAll({0}, cluster, items);
      auto gs = general.signAll({0}, cluster, items);
      FUZZ_CHECK(rs.size() == 1 && gs.size() == 1);
      FUZZ_CHECK(rs[0].ok() == gs[0].ok());
      if (!rs[0].ok()) {
        FUZZ_CHECK(rs[0].error().code == gs[0].error().code);
        FUZZ_CHECK(rs[0].error().message == gs[0].error().message);
      } else {
        FUZZ_CHECK(rs[0]->public_key == gs[0]->public_key);
        FUZZ_CHECK(rs[0]->results.size() == gs[0]->results.size());
        for (size_t i = 0; i < rs[0]->results.size() && i < gs[0]->results.size(); ++i) {
          const auto& a = rs[0]->results[i];
          const auto& b = gs[0]->results[i];
          FUZZ_CHECK(a.sn == b.sn && a.signature == b.signature && a.code == b.code &&
                     a.error == b.error && a.local_hash == b.local_hash);
        }
      }
      if (!rs[0].ok()) {
        FUZZ_CHECK(named(rs[0].error()));
        break;
      }
      std::set<uint64_t> seen;
      for (const auto& res : rs[0]->results) {
        FUZZ_CHECK(res.sn >= 5 && res.sn < 13);
        FUZZ_CHECK(res.signature.has_value() || !res.code.empty());
        seen.insert(res.sn);
      }
      // Both requests get the same body; each must refuse the sns the other asked for, so no
      // sn is ever answered twice.
      FUZZ_CHECK(seen.size() == rs[0]->results.size());
      FUZZ_CHECK(rs[0]->results.size() <= items.size());
      break;
    }
  }
  return 0;
}
