#include "filters/validators.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace chosei {

namespace {

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d;
}

}  // namespace

bool luhn_valid(std::string_view span) {
  const std::string d = digits_of(span);
  if (d.size() < 12 || d.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = d.rbegin(); it != d.rend(); ++it, twice = !twice) {
    int v = *it - '0';
    if (twice && (v *= 2) > 9) v -= 9;
    sum += v;
  }
  return sum % 10 == 0;
}

bool iban_valid(std::string_view span) {
  std::string s;
  for (char c : span)
    if (c != ' ' && c != '-') s.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  if (s.size() < 15 || s.size() > 34) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])) ||
      !std::isalpha(static_cast<unsigned char>(s[1])) ||
      !std::isdigit(static_cast<unsigned char>(s[2])) ||
      !std::isdigit(static_cast<unsigned char>(s[3])))
    return false;
  std::rotate(s.begin(), s.begin() + 4, s.end());
  int rem = 0;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool jp_my_number_valid(std::string_view span) {
  const std::string d = digits_of(span);
  if (d.size() != 12) return false;
  int sum = 0;
  for (int n = 1; n <= 11; ++n) {  // P_n counts from the digit left of the check digit
    const int p = d[11 - n] - '0', q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const int r = sum % 11, check = r <= 1 ? 0 : 11 - r;
  return check == d[11] - '0';
}

bool us_ssn_valid(std::string_view span) {
  const std::string d = digits_of(span);
  if (d.size() != 9) return false;
  const std::string area = d.substr(0, 3), group = d.substr(3, 2), serial = d.substr(5);
  return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000";
}

bool ipv4_valid(std::string_view span) {
  int octets = 0, value = -1;
  for (std::size_t i = 0; i <= span.size(); ++i) {
    if (i == span.size() || span[i] == '.') {
      if (value < 0 || value > 255) return false;
      ++octets;
      value = -1;
    } else if (span[i] >= '0' && span[i] <= '9') {
      value = (value < 0 ? 0 : value * 10) + (span[i] - '0');
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return octets == 4;
}

bool run_validator(const std::string& name, std::string_view span) {
  if (name == "luhn") return luhn_valid(span);
  if (name == "iban_mod97") return iban_valid(span);
  if (name == "jp_my_number") return jp_my_number_valid(span);
  if (name == "us_ssn") return us_ssn_valid(span);
  if (name == "ipv4") return ipv4_valid(span);
  throw std::invalid_argument("unknown validator \"" + name + "\"");
}

const std::vector<std::string>& validator_names() {
  static const std::vector<std::string> names = {"luhn",   "iban_mod97",  "jp_my_number",
                                                 "us_ssn", "ipv4",        "payment_card",
                                                 "iban",   "phone_number"};
  return names;
}

}  // namespace chosei
