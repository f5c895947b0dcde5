// libFuzzer target: the SCALE decoder and every storage-value decoder built on it.
// Input: one selector byte, then the bytes to decode. Properties: no crash, no exception, no
// allocation beyond the input, and whatever decodes re-encodes to exactly the bytes it consumed
// (the decoder accepts only canonical encodings).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "hunter/codec/scale.hpp"
#include "hunter/core/message.hpp"
#include "hunter/core/storage.hpp"

using namespace hunter;

namespace {

template <class T, class Decode>
void roundTrip(ByteSpan in, Decode decode) {
  auto v = decode(in);
  if (!v.ok()) {
    FUZZ_CHECK(!v.error().code.empty());
    return;
  }
  T value = *v;
  Bytes again = core::encode(value);
  FUZZ_CHECK(again == Bytes(in.begin(), in.end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan in(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0: {  // Compact<u128>: canonical only
      codec::Decoder d(in);
      auto v = d.compact();
      if (v.ok()) {
        Bytes again = codec::encodeCompact(*v);
        FUZZ_CHECK(again.size() == d.position());
        FUZZ_CHECK(std::equal(again.begin(), again.end(), in.begin()));
      }
      break;
    }
    case 1: {  // a stream of primitives, as a careless caller might read them
      codec::Decoder d(in);
      for (int i = 0; i < 64 && !d.empty(); ++i) {
        const size_t before = d.remaining();
        bool ok = true;
        switch (i % 7) {
          case 0:
            ok = d.u8().ok();
            break;
          case 1:
            ok = d.u32().ok();
            break;
          case 2:
            ok = d.compactU64().ok();
            break;
          case 3:
            ok = d.bytes(1u << 16).ok();
            break;
          case 4:
            ok = d.length(4096, 65).ok();
            break;
          case 5:
            ok = d.boolean().ok();
            break;
          default:
            ok = d.u128v().ok();
            break;
        }
        FUZZ_CHECK(d.remaining() <= before);
        if (!ok) break;
      }
      break;
    }
    case 2: {  // ClusterMessage, the whole input
      auto m = core::decodeClusterMessage(in);
      if (m.ok()) {
        FUZZ_CHECK(core::encode(*m) == Bytes(in.begin(), in.end()));
        (void)core::validateMessageRules(*m);
        (void)core::messageHash(*m);
      }
      break;
    }
    case 3:
      roundTrip<core::ClusterInfo>(in, [](ByteSpan b) { return core::decodeClusterInfo(b); });
      break;
    case 4:
      roundTrip<core::QueueState>(in, [](ByteSpan b) { return core::decodeQueueState(b); });
      break;
    case 5:
      roundTrip<core::AckRecord>(in, [](ByteSpan b) { return core::decodeAckRecord(b); });
      break;
    case 6:
      roundTrip<core::AccountInfo>(in, [](ByteSpan b) { return core::decodeAccountInfo(b); });
      break;
    case 7: {
      auto v = core::decodeU128(in);
      if (v.ok()) FUZZ_CHECK(core::encodeU128(*v) == Bytes(in.begin(), in.end()));
      break;
    }
    default: {  // MessageOrigin followed by anything
      codec::Decoder d(in);
      auto o = core::decodeOrigin(d);
      if (o.ok()) {
        codec::Encoder e;
        core::encode(e, *o);
        FUZZ_CHECK(e.size() == d.position());
        FUZZ_CHECK(std::equal(e.data().begin(), e.data().end(), in.begin()));
      }
      break;
    }
  }
  return 0;
}
