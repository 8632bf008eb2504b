#include "filters/iban_registry.h"

#include <algorithm>
#include <cctype>

namespace chosei {

namespace {

// SWIFT IBAN Registry (release 99, 2025): country, IBAN length, BBAN structure.
const std::vector<IbanFormat> kFormats = {
    {"AD", 24, "4!n4!n12!c"},
    {"AE", 23, "3!n16!n"},
    {"AL", 28, "8!n16!c"},
    {"AT", 20, "5!n11!n"},
    {"AZ", 28, "4!a20!c"},
    {"BA", 20, "3!n3!n8!n2!n"},
    {"BE", 16, "3!n7!n2!n"},
    {"BG", 22, "4!a4!n2!n8!c"},
    {"BH", 22, "4!a14!c"},
    {"BI", 27, "5!n5!n11!n2!n"},
    {"BR", 29, "8!n5!n10!n1!a1!c"},
    {"BY", 28, "4!c4!n16!c"},
    {"CH", 21, "5!n12!c"},
    {"CR", 22, "4!n14!n"},
    {"CY", 28, "3!n5!n16!c"},
    {"CZ", 24, "4!n6!n10!n"},
    {"DE", 22, "8!n10!n"},
    {"DJ", 27, "5!n5!n11!n2!n"},
    {"DK", 18, "4!n9!n1!n"},
    {"DO", 28, "4!c20!n"},
    {"EE", 20, "2!n2!n11!n1!n"},
    {"EG", 29, "4!n4!n17!n"},
    {"ES", 24, "4!n4!n1!n1!n10!n"},
    {"FI", 18, "3!n11!n"},
    {"FK", 18, "2!a12!n"},
    {"FO", 18, "4!n9!n1!n"},
    {"FR", 27, "5!n5!n11!c2!n"},
    {"GB", 22, "4!a6!n8!n"},
    {"GE", 22, "2!a16!n"},
    {"GI", 23, "4!a15!c"},
    {"GL", 18, "4!n9!n1!n"},
    {"GR", 27, "3!n4!n16!c"},
    {"GT", 28, "4!c20!c"},
    {"HN", 28, "4!a20!n"},
    {"HR", 21, "7!n10!n"},
    {"HU", 28, "3!n4!n1!n15!n1!n"},
    {"IE", 22, "4!a6!n8!n"},
    {"IL", 23, "3!n3!n13!n"},
    {"IQ", 23, "4!a3!n12!n"},
    {"IS", 26, "4!n2!n6!n10!n"},
    {"IT", 27, "1!a5!n5!n12!c"},
    {"JO", 30, "4!a4!n18!c"},
    {"KW", 30, "4!a22!c"},
    {"KZ", 20, "3!n13!c"},
    {"LB", 28, "4!n20!c"},
    {"LC", 32, "4!a24!c"},
    {"LI", 21, "5!n12!c"},
    {"LT", 20, "5!n11!n"},
    {"LU", 20, "3!n13!c"},
    {"LV", 21, "4!a13!c"},
    {"LY", 25, "3!n3!n15!n"},
    {"MC", 27, "5!n5!n11!c2!n"},
    {"MD", 24, "2!c18!c"},
    {"ME", 22, "3!n13!n2!n"},
    {"MK", 19, "3!n10!c2!n"},
    {"MN", 20, "4!n12!n"},
    {"MR", 27, "5!n5!n11!n2!n"},
    {"MT", 31, "4!a5!n18!c"},
    {"MU", 30, "4!a2!n2!n12!n3!n3!a"},
    {"NI", 28, "4!a20!n"},
    {"NL", 18, "4!a10!n"},
    {"NO", 15, "4!n6!n1!n"},
    {"OM", 23, "3!n16!c"},
    {"PK", 24, "4!a16!c"},
    {"PL", 28, "8!n16!n"},
    {"PS", 29, "4!a21!c"},
    {"PT", 25, "4!n4!n11!n2!n"},
    {"QA", 29, "4!a21!c"},
    {"RO", 24, "4!a16!c"},
    {"RS", 22, "3!n13!n2!n"},
    {"RU", 33, "9!n5!n15!c"},
    {"SA", 24, "2!n18!c"},
    {"SC", 31, "4!a2!n2!n16!n3!a"},
    {"SD", 18, "2!n12!n"},
    {"SE", 24, "3!n16!n1!n"},
    {"SI", 19, "5!n8!n2!n"},
    {"SK", 24, "4!n6!n10!n"},
    {"SM", 27, "1!a5!n5!n12!c"},
    {"SO", 23, "4!n3!n12!n"},
    {"ST", 25, "4!n4!n11!n2!n"},
    {"SV", 28, "4!a20!n"},
    {"TL", 23, "3!n14!n2!n"},
    {"TN", 24, "2!n3!n13!n2!n"},
    {"TR", 26, "5!n1!n16!c"},
    {"UA", 29, "6!n19!c"},
    {"VA", 22, "3!n15!n"},
    {"VG", 24, "4!a16!n"},
    {"XK", 20, "4!n10!n2!n"},
    {"YE", 30, "4!a4!n18!c"},
};

bool fits(char kind, char c) {
  const bool digit = c >= '0' && c <= '9', letter = c >= 'A' && c <= 'Z';
  return kind == 'n' ? digit : kind == 'a' ? letter : digit || letter;
}

// ISO 7064 MOD 97-10 over the IBAN rearranged (BBAN, then country and check digits).
bool mod97_is_one(std::string_view iban) {
  int rem = 0;
  for (std::size_t k = 0; k < iban.size(); ++k) {
    const char c = iban[(k + 4) % iban.size()];
    rem = c <= '9' ? (rem * 10 + (c - '0')) % 97 : (rem * 100 + (c - 'A' + 10)) % 97;
  }
  return rem == 1;
}

}  // namespace

const std::vector<IbanFormat>& iban_formats() { return kFormats; }

const IbanFormat* iban_format(std::string_view country) {
  for (const auto& f : kFormats)
    if (country == f.country) return &f;
  return nullptr;
}

bool bban_matches(const IbanFormat& format, std::string_view bban) {
  std::size_t at = 0;
  for (const char* p = format.bban; *p;) {
    int count = 0;
    while (*p >= '0' && *p <= '9') count = count * 10 + (*p++ - '0');
    if (*p == '!') ++p;
    const char kind = *p++;
    for (int i = 0; i < count; ++i, ++at)
      if (at >= bban.size() || !fits(kind, bban[at])) return false;
  }
  return at == bban.size();
}

std::size_t iban_prefix_length(std::string_view candidate) {
  std::string iban;  // upper case, separators dropped
  std::size_t i = 0;
  const IbanFormat* format = nullptr;
  while (i < candidate.size()) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(candidate[i])));
    if ((c == ' ' || c == '-') && !iban.empty() && i + 1 < candidate.size() &&
        std::isalnum(static_cast<unsigned char>(candidate[i + 1]))) {
      ++i;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c))) break;
    iban.push_back(c);
    ++i;
    if (iban.size() == 2 && !(format = iban_format(iban))) return 0;
    if (format && static_cast<int>(iban.size()) == format->length) break;
  }
  if (!format || static_cast<int>(iban.size()) != format->length) return 0;
  // Glued to more letters or digits, it is part of some longer token, not this IBAN.
  if (i < candidate.size() && std::isalnum(static_cast<unsigned char>(candidate[i]))) return 0;
  if (!fits('n', iban[2]) || !fits('n', iban[3])) return 0;
  if (!bban_matches(*format, std::string_view(iban).substr(4)) || !mod97_is_one(iban)) return 0;
  return i;
}

}  // namespace chosei
