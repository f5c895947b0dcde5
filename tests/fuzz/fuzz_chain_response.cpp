// libFuzzer target: the chain client's JSON-RPC response handling (single and batch responses,
// error objects, every typed result and storage value), through the real JsonRpcChainClient
// with a transport that answers every request with the fuzz input.
// Input: one selector byte (method and HTTP status), then the response body. Properties: no
// crash, no exception; an error has a code and a message; a batch result has one entry per sn;
// the batch scanner (ChainClientOptions::fast_parse) yields exactly what the general parser does.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "hunter/adapters/chain_client.hpp"
#include "hunter/core/storage.hpp"

using namespace hunter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t sel = data[0];
  const long status = (sel & 0x80) ? 500 : 200;
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);

  adapters::ChainClientOptions opt;
  opt.acks_chunk = 2;  // 3 sns -> two batch requests
  opt.now_ms = [] { return int64_t{0}; };
  opt.transport = [&](const adapters::HttpCall&) -> Result<adapters::HttpReply> {
    return adapters::HttpReply{status, body, std::chrono::microseconds(1)};
  };
  adapters::JsonRpcChainClient chain({"http://chain.test:1"}, opt);
  const H256 cluster{};
  const crypto::AccountId32 account{};
  auto check = [](const auto& r) {
    if (!r.ok()) FUZZ_CHECK(!r.error().code.empty() && !r.error().message.empty());
  };

  switch ((sel & 0x7f) % 14) {
    case 0:
      check(chain.params());
      break;
    case 1:
      check(chain.bestBlock());
      break;
    case 2:
      check(chain.blockHash(7));
      break;
    case 3:
      check(chain.clusterInfo(cluster));
      break;
    case 4:
      check(chain.queue(cluster));
      break;
    case 5:
      check(chain.nextSn(cluster));
      break;
    case 6: {
      auto r = chain.acks(cluster, {1, 2, 3});
      check(r);
      if (r.ok()) FUZZ_CHECK(r->size() == 3);
      opt.fast_parse = false;
      adapters::JsonRpcChainClient general({"http://chain.test:1"}, opt);
      auto g = general.acks(cluster, {1, 2, 3});
      FUZZ_CHECK(r.ok() == g.ok());
      if (!r.ok()) {
        FUZZ_CHECK(r.error().code == g.error().code && r.error().message == g.error().message);
      } else {
        FUZZ_CHECK(r->size() == g->size());
        for (size_t k = 0; k < r->size() && k < g->size(); ++k) {
          FUZZ_CHECK((*r)[k].has_value() == (*g)[k].has_value());
          if ((*r)[k] && (*g)[k]) FUZZ_CHECK(core::encode(*(*r)[k]) == core::encode(*(*g)[k]));
        }
      }
      break;
    }
    case 7:
      check(chain.accountNextIndex(account));
      break;
    case 8:
      check(chain.account(account));
      break;
    case 9:
      check(chain.hunterRewards(account));
      break;
    case 10:
      check(chain.queryFee(Bytes{1, 2, 3}));
      break;
    case 11:
      check(chain.submit(Bytes{1, 2, 3}));
      break;
    case 12:  // a batch of three methods, then chain_getBlockHash
      check(chain.head(cluster));
      break;
    default:
      check(chain.rawCall("system_health"));
      break;
  }
  auto st = chain.stats();
  FUZZ_CHECK(st.endpoints.size() == 1);
  FUZZ_CHECK(st.endpoints[0].requests >= 1);
  return 0;
}
