#pragma once
// Phone numbers by libphonenumber (Google's metadata for every region's numbering plan):
// its matcher runs over a candidate span for each configured region, as Presidio's
// PhoneRecognizer does, and the spans it confirms are kept (the longest where regions
// disagree). Numbers written with + or an international prefix need no region.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chosei {

struct TextSpan {
  std::size_t begin = 0, end = 0;
};

// Whether the byte at `at` of `text` continues a run of digits: a digit, or a digit and one
// separator, just before it. What starts there is the tail of a longer number.
bool continues_digit_run(std::string_view text, std::size_t at);

class PhoneRecognizer {
 public:
  // `regions`: ISO 3166-1 alpha-2 codes libphonenumber knows ("US", "JP"...); `leniency`:
  // "possible" (a possible length for the region), "valid" (an assigned range),
  // "strict_grouping" or "exact_grouping". Throws std::invalid_argument naming a bad value.
  PhoneRecognizer(std::vector<std::string> regions, const std::string& leniency);
  ~PhoneRecognizer();

  // Phone numbers inside `candidate` (ASCII), offsets relative to it, in order.
  std::vector<TextSpan> find(std::string_view candidate) const;

  static const std::vector<std::string>& leniency_names();

 private:
  std::vector<std::string> regions_;
  int leniency_;
};

}  // namespace chosei
