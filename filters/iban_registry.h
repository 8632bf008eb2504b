#pragma once
// The IBAN formats of the ISO 13616 registry (SWIFT's IBAN Registry): each country's IBAN
// length and BBAN structure, so a candidate is confirmed by its country's exact shape and
// the mod-97 check (ISO 7064 MOD 97-10), and cut at the length its country gives.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chosei {

struct IbanFormat {
  const char* country;  // ISO 3166-1 alpha-2
  int length;           // the whole IBAN, country code and check digits included
  // The BBAN in the registry's notation: runs of <count>!<n|a|c> (digits, upper-case
  // letters, either), e.g. "4!a6!n8!n" for GB.
  const char* bban;
};

// The registry's entry for `country` (upper case), or nullptr.
const IbanFormat* iban_format(std::string_view country);
const std::vector<IbanFormat>& iban_formats();

// Whether `bban` (upper case, no spaces) has the structure `format` gives.
bool bban_matches(const IbanFormat& format, std::string_view bban);

// Bytes of `candidate` (from its start; single spaces or hyphens between characters allowed,
// letters in either case) that form an IBAN of a registry country with its length, BBAN
// structure and mod-97 check; 0 when no such IBAN starts there.
std::size_t iban_prefix_length(std::string_view candidate);

}  // namespace chosei
