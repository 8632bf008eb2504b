#include "filters/card_issuers.h"

#include <cstring>
#include <string>

namespace chosei {

namespace {

// The schemes' published IIN ranges and lengths (ISO/IEC 7812 registrations as the schemes
// publish them). Overlaps are fine: a number needs one range whose lengths fit.
const std::vector<CardIssuerRange> kRanges = {
    {"uatp", "1", "1", 15, 15},
    {"mir", "2200", "2204", 16, 19},
    {"borica", "2205", "2205", 16, 16},
    {"mastercard", "2221", "2720", 16, 16},
    {"diners", "300", "305", 14, 19},
    {"diners", "3095", "3095", 14, 19},
    {"amex", "34", "34", 15, 15},
    {"amex", "37", "37", 15, 15},
    {"diners", "36", "36", 14, 19},
    {"diners", "38", "39", 14, 19},
    {"jcb", "3528", "3589", 16, 19},
    {"rupay", "353", "353", 16, 16},
    {"rupay", "356", "356", 16, 16},
    {"visa", "4", "4", 13, 19},
    {"maestro", "50", "50", 12, 19},
    {"mastercard", "51", "55", 16, 16},
    {"maestro", "56", "69", 12, 19},
    {"discover", "6011", "6011", 16, 19},
    {"discover", "622126", "622925", 16, 19},
    {"discover", "644", "649", 16, 19},
    {"discover", "65", "65", 16, 19},
    {"unionpay", "62", "62", 16, 19},
    {"unionpay", "81", "81", 16, 19},
    {"rupay", "82", "82", 16, 16},
    {"uzcard", "8600", "8600", 16, 16},
    {"troy", "9792", "9792", 16, 16},
    {"humo", "9860", "9860", 16, 16},
};

bool in_range(const CardIssuerRange& r, std::string_view digits) {
  const std::size_t n = std::strlen(r.low);
  if (digits.size() < n) return false;
  const std::string_view prefix = digits.substr(0, n);
  return prefix >= r.low && prefix <= r.high;
}

}  // namespace

const std::vector<CardIssuerRange>& card_issuer_ranges() { return kRanges; }

const char* card_scheme(std::string_view digits) {
  // The most specific range names the scheme (Discover's 6011 inside Maestro's 6).
  const int len = static_cast<int>(digits.size());
  const CardIssuerRange* best = nullptr;
  for (const auto& r : kRanges)
    if (len >= r.min_length && len <= r.max_length && in_range(r, digits) &&
        (!best || std::strlen(r.low) > std::strlen(best->low)))
      best = &r;
  return best ? best->scheme : nullptr;
}

bool luhn_digits_valid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, twice = !twice) {
    int v = *it - '0';
    if (twice && (v *= 2) > 9) v -= 9;
    sum += v;
  }
  return !digits.empty() && sum % 10 == 0;
}

std::size_t card_prefix_length(std::string_view candidate) {
  // The whole run of digits and single separators: a card number cut short of its run
  // (15 digits of a 16-digit group) would be a different number that happens to check out.
  std::string digits;
  std::size_t end = 0;
  for (std::size_t i = 0; i < candidate.size(); ++i) {
    const char c = candidate[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      end = i + 1;
    } else if (!((c == ' ' || c == '-') && !digits.empty() && i + 1 < candidate.size() &&
                 candidate[i + 1] >= '0' && candidate[i + 1] <= '9')) {
      break;
    }
  }
  if (digits.size() < 12 || digits.size() > 19) return 0;
  return card_scheme(digits) && luhn_digits_valid(digits) ? end : 0;
}

}  // namespace chosei
