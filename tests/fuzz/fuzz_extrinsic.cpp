// libFuzzer target: the signed-extrinsic decoder (what the devnet's pool and `hunter extrinsic
// decode` run on bytes from anyone) and the call decoder.
// Input: one selector byte, then the bytes. Properties: no crash, no exception; a decoded
// extrinsic's call re-encodes to its call bytes, and its signature check answers without
// crashing (it must fail: the fuzzer does not know a key).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "hunter/codec/scale.hpp"
#include "hunter/core/extrinsic.hpp"

using namespace hunter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto x = core::decodeExtrinsic(in);
    if (!x.ok()) {
      FUZZ_CHECK(!x.error().code.empty() && !x.error().message.empty());
      return 0;
    }
    FUZZ_CHECK(core::encodeCall(x->call) == x->call_bytes);
    FUZZ_CHECK(x->call.batch || x->call.items.size() == 1);
    core::ChainParams params{1, 1, H256{}};
    (void)core::verifyExtrinsicSignature(*x, params, H256{});
    (void)core::txHash(in);
  } else {
    codec::Decoder d(in);
    auto call = core::decodeCall(d);
    if (call.ok()) {
      Bytes again = core::encodeCall(*call);
      FUZZ_CHECK(again.size() == d.position());
      FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
    }
  }
  return 0;
}
