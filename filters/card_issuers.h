#pragma once
// Payment card numbers by ISO/IEC 7812: the issuer identification number ranges of the
// card schemes (Maestro included) with the lengths each issues, and the Luhn check digit.

#include <string_view>
#include <vector>

namespace chosei {

struct CardIssuerRange {
  const char* scheme;
  const char* low;   // the lowest IIN prefix of the range
  const char* high;  // the highest, as many digits as `low`
  int min_length, max_length;
};

const std::vector<CardIssuerRange>& card_issuer_ranges();

// The scheme whose range and lengths fit `digits` (digits only), or nullptr.
const char* card_scheme(std::string_view digits);

// Luhn (ISO/IEC 7812-1 annex B) over `digits` (digits only).
bool luhn_digits_valid(std::string_view digits);

// Bytes of `candidate` taken by the run of digits (single spaces or hyphens between them)
// at its start when that run is a card number: 12-19 digits, in a scheme's range with a
// length it issues, and a valid Luhn digit. 0 when it is not.
std::size_t card_prefix_length(std::string_view candidate);

}  // namespace chosei
