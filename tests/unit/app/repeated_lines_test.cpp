// Repeated identical warnings are counted and summarised, not repeated.
#include "hunter/app/repeated_lines.hpp"

#include <gtest/gtest.h>

using hunter::app::RepeatedLines;

TEST(RepeatedLines, TheFirstLineIsLoggedAndRepeatsWithinTheWindowAreCounted) {
  RepeatedLines r(60'000);
  EXPECT_EQ(r.admit("chain unreachable: timeout", 0), "chain unreachable: timeout");
  for (int i = 1; i <= 599; ++i) EXPECT_FALSE(r.admit("chain unreachable: timeout", i * 100));
  EXPECT_EQ(r.admit("another error", 100), "another error") << "other texts are not held up";
  EXPECT_TRUE(r.due(59'999).empty()) << "the window is not over";
  auto lines = r.due(60'000);
  ASSERT_EQ(lines.size(), 1u) << "'another error' did not repeat: no summary for it";
  EXPECT_EQ(lines[0].text, "chain unreachable: timeout (repeated 599 more times in the last 60 s)");
  EXPECT_EQ(lines[0].level, "warn");
  EXPECT_TRUE(r.due(120'000).empty()) << "each summary once";
  EXPECT_EQ(r.admit("chain unreachable: timeout", 120'001), "chain unreachable: timeout")
      << "after the window, the next occurrence is logged again";
}

TEST(RepeatedLines, ARepeatAfterTheWindowCarriesTheCountWhenNotYetSummarised) {
  RepeatedLines r(10'000);
  ASSERT_TRUE(r.admit("x", 0));
  EXPECT_FALSE(r.admit("x", 5'000));
  EXPECT_EQ(r.admit("x", 10'000), "x (repeated 1 more time in the last 10 s)");
  EXPECT_FALSE(r.admit("x", 10'001));
}

TEST(RepeatedLines, ManyDistinctTextsStayBounded) {
  RepeatedLines r(60'000);
  for (size_t i = 0; i < RepeatedLines::kMaxTracked + 10; ++i) {
    EXPECT_TRUE(r.admit("line " + std::to_string(i), static_cast<int64_t>(i)));
  }
  EXPECT_TRUE(r.admit("line 0", 2000)) << "the oldest text was forgotten, so it is logged again";
  EXPECT_FALSE(r.admit("line 1030", 2001)) << "a recent one is still counted";
}
