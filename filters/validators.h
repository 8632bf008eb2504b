#pragma once
// Checksum validators that confirm a regex candidate before it counts as a match (the way
// Microsoft Presidio's recognizers do), cutting false positives on random digit runs.

#include <string>
#include <string_view>
#include <vector>

namespace chosei {

// Luhn mod-10 over the digits of `span` (spaces and hyphens ignored): payment card numbers.
bool luhn_valid(std::string_view span);
// ISO 13616 IBAN: country code, check digits, mod-97 of the rearranged number equals 1.
bool iban_valid(std::string_view span);
// Japanese My Number (12 digits): the check digit of the Ministry's ordinance
// (weights 6,5,4,3,2,7,6,5,4,3,2 over the first 11 digits, mod 11).
bool jp_my_number_valid(std::string_view span);
// US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000.
bool us_ssn_valid(std::string_view span);
// Dotted IPv4 with every octet at most 255.
bool ipv4_valid(std::string_view span);

// Runs the whole-span validator named `name` ("luhn", "iban_mod97", "jp_my_number", "us_ssn",
// "ipv4"). The recognizers that cut a candidate (span_recognizer.h) are not run here.
bool run_validator(const std::string& name, std::string_view span);
// Every name a rule's "validator" may give: the whole-span validators above and the
// recognizers "payment_card", "iban" and "phone_number".
const std::vector<std::string>& validator_names();

}  // namespace chosei
