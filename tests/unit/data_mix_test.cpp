// mix / mix_share: general examples blended into a domain's SFT data at their share, drawn
// without replacement by the seed, spread evenly.

#include <gtest/gtest.h>

#include <set>

#include "sft/data_mix.h"

namespace chosei {
namespace {

std::vector<SftExample> numbered(int n, TokenId first) {
  std::vector<SftExample> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out[i].ids = {first + i}, out[i].labels = {first + i};
  return out;
}

bool is_general(const SftExample& e) { return e.ids[0] >= 1000; }

TEST(DataMix, GeneralExamplesMakeTheirShareSpreadEvenlyAndSeeded) {
  auto mix = mix_general_examples(numbered(80, 0), numbered(500, 1000), 0.2, 7);
  EXPECT_EQ(mix.general, 20);
  ASSERT_EQ(mix.examples.size(), 100u);
  EXPECT_DOUBLE_EQ(mix.share, 0.2);
  // Every domain example once, in its order; the general ones distinct.
  std::vector<TokenId> domain;
  std::set<TokenId> general;
  for (const auto& e : mix.examples) {
    if (is_general(e))
      general.insert(e.ids[0]);
    else
      domain.push_back(e.ids[0]);
  }
  EXPECT_EQ(general.size(), 20u);
  for (std::size_t i = 0; i < domain.size(); ++i) EXPECT_EQ(domain[i], static_cast<TokenId>(i));
  // Evenly: each tenth of the run holds two of them.
  for (int tenth = 0; tenth < 10; ++tenth) {
    int count = 0;
    for (int i = tenth * 10; i < tenth * 10 + 10; ++i) count += is_general(mix.examples[i]);
    EXPECT_EQ(count, 2) << "tenth " << tenth;
  }
  // Drawn from the whole file, the same for a seed, other for another.
  auto again = mix_general_examples(numbered(80, 0), numbered(500, 1000), 0.2, 7);
  auto other = mix_general_examples(numbered(80, 0), numbered(500, 1000), 0.2, 8);
  std::vector<TokenId> a, b, c;
  for (std::size_t i = 0; i < 100; ++i) {
    a.push_back(mix.examples[i].ids[0]);
    b.push_back(again.examples[i].ids[0]);
    c.push_back(other.examples[i].ids[0]);
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_GT(*general.rbegin(), 1100);
}

TEST(DataMix, ASmallGeneralFileIsUsedWholeAndTheShareSaysSo) {
  auto mix = mix_general_examples(numbered(60, 0), numbered(5, 1000), 0.25, 1);
  EXPECT_EQ(mix.general, 5);
  EXPECT_EQ(mix.examples.size(), 65u);
  EXPECT_NEAR(mix.share, 5.0 / 65.0, 1e-12);
  EXPECT_THROW(mix_general_examples(numbered(4, 0), numbered(4, 1000), 1.0, 1),
               std::invalid_argument);
}

}  // namespace
}  // namespace chosei
