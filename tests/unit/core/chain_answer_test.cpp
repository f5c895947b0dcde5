// The one vocabulary of the chain's answers: every text of docs/protocol.md §4.2 classifies to
// its enum, and the texts written from the enums classify back to them.
#include <gtest/gtest.h>

#include "hunter/core/chain_answer.hpp"

using namespace hunter;
using namespace hunter::core;

TEST(ChainAnswer, EveryInvalidTransactionTextHasItsKind) {
  struct Case {
    const char* data;
    Rejection kind;
  };
  for (auto c :
       {Case{"Transaction is outdated", Rejection::kOutdated},
        Case{"Transaction will be valid in the future", Rejection::kFuture},
        Case{"Transaction has a bad signature", Rejection::kBadSignature},
        Case{"Transaction has an ancient birth block", Rejection::kAncientBirth},
        Case{"Inability to pay some fees (e.g. account balance too low)", Rejection::kCannotPay}}) {
    EXPECT_EQ(classify(makeError("1010", c.data)).kind, c.kind) << c.data;
    EXPECT_EQ(invalidTransactionData(c.kind), c.data);
    EXPECT_EQ(classify(makeError("1010", std::string(invalidTransactionData(c.kind)))).kind,
              c.kind);
  }
  EXPECT_EQ(classify(makeError("1010", "Transaction is outdated!")).kind, Rejection::kInvalidOther);
}

TEST(ChainAnswer, CustomErrorsOneToEightAndNothingElse) {
  for (int n = 1; n <= 8; ++n) {
    auto e = static_cast<CustomError>(n);
    EXPECT_EQ(customErrorData(e), "Custom error: " + std::to_string(n));
    auto a = classify(makeError("1010", customErrorData(e)));
    EXPECT_EQ(a.kind, Rejection::kCustom);
    ASSERT_TRUE(a.custom.has_value());
    EXPECT_EQ(*a.custom, e);
    EXPECT_EQ(gatherAgainAfter(e), n >= 2 && n <= 6) << n;
  }
  for (const char* bad : {"Custom error: 0", "Custom error: 9", "Custom error: 2x",
                          "Custom error: ", "Custom error: -1"}) {
    EXPECT_EQ(classify(makeError("1010", bad)).kind, Rejection::kInvalidOther) << bad;
  }
}

TEST(ChainAnswer, CodesAndTransport) {
  EXPECT_EQ(classify(makeError("1001", "Extrinsic has invalid format")).kind,
            Rejection::kBadFormat);
  EXPECT_EQ(classify(makeError("1013", "Transaction Already Imported")).kind,
            Rejection::kAlreadyImported);
  EXPECT_EQ(classify(makeError("1014", "Priority is too low")).kind, Rejection::kPriorityTooLow);
  EXPECT_EQ(classify(makeError("1016", "Immediately Dropped")).kind, Rejection::kPoolFull);
  EXPECT_EQ(classify(makeError("-32602", "Invalid params")).kind, Rejection::kOther);
  for (const char* t :
       {"timeout", "unreachable", "transport", "response_too_large", "bad_response", "http_503"}) {
    EXPECT_EQ(classify(makeError(t, "x")).kind, Rejection::kTransport) << t;
    EXPECT_TRUE(isTransport(makeError(t, "x")));
  }
  EXPECT_EQ(reasonLabel(makeError("1010", "Custom error: 6")), "Custom error: 6");
  EXPECT_EQ(reasonLabel(makeError("1014", "Priority is too low")), "1014");
}
