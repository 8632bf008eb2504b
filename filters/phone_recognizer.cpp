#include "filters/phone_recognizer.h"

#include <phonenumbers/phonenumbermatch.h>
#include <phonenumbers/phonenumbermatcher.h>
#include <phonenumbers/phonenumberutil.h>

#include <re2/re2.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace chosei {

namespace {

using i18n::phonenumbers::PhoneNumberMatch;
using i18n::phonenumbers::PhoneNumberMatcher;
using i18n::phonenumbers::PhoneNumberUtil;

// How many numbers one candidate may hold; a candidate is at most a few dozen bytes.
constexpr int kMaxTries = 64;

PhoneNumberMatcher::Leniency parse_leniency(const std::string& name) {
  if (name == "possible") return PhoneNumberMatcher::POSSIBLE;
  if (name == "valid") return PhoneNumberMatcher::VALID;
  if (name == "strict_grouping") return PhoneNumberMatcher::STRICT_GROUPING;
  if (name == "exact_grouping") return PhoneNumberMatcher::EXACT_GROUPING;
  throw std::invalid_argument("leniency \"" + name +
                              "\" is not possible, valid, strict_grouping or exact_grouping");
}

// Dates inside a candidate (a year of 19xx or 20xx with a day and month around it): digits
// libphonenumber would happily read as part of a number under "possible".
std::vector<TextSpan> dates_in(std::string_view candidate) {
  static const RE2 date(
      R"(((?:19|20)\d{2}[-/.][01]?\d[-/.][0-3]?\d|[0-3]?\d[-/.][01]?\d[-/.](?:19|20)\d{2}))");
  std::vector<TextSpan> out;
  re2::StringPiece rest(candidate.data(), candidate.size()), m;
  while (RE2::FindAndConsume(&rest, date, &m)) {
    const auto b = static_cast<std::size_t>(m.data() - candidate.data());
    out.push_back({b, b + m.size()});
  }
  return out;
}

// Digit groups that are far more often something else than a phone number: dotted versions
// and addresses, and short bare runs (an order number, a PIN). A number with + is kept.
bool looks_like_other_number(std::string_view span) {
  static const RE2 dotted(R"(\d{1,3}(?:\.\d{1,3}){2,3})");
  if (!span.empty() && span[0] == '+') return false;
  if (RE2::FullMatch(re2::StringPiece(span.data(), span.size()), dotted)) return true;
  std::size_t digits = 0;
  bool bare = true;
  for (char c : span) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else {
      bare = false;
    }
  }
  return digits < 7 || (bare && digits < 10);
}

void add_longest(std::vector<TextSpan>& spans, TextSpan s) {
  for (auto& t : spans)
    if (s.begin < t.end && t.begin < s.end) {  // overlapping: keep the wider
      if (s.end - s.begin > t.end - t.begin) t = s;
      return;
    }
  spans.push_back(s);
}

}  // namespace

bool continues_digit_run(std::string_view text, std::size_t at) {
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (at >= 1 && digit(at - 1)) return true;
  static constexpr std::string_view kSeparators = " -./()";
  return at >= 2 && kSeparators.find(text[at - 1]) != std::string_view::npos && digit(at - 2);
}

PhoneRecognizer::PhoneRecognizer(std::vector<std::string> regions, const std::string& leniency)
    : regions_(std::move(regions)), leniency_(parse_leniency(leniency)) {
  std::set<std::string> known;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&known);
  for (const auto& r : regions_)
    if (!known.count(r))
      throw std::invalid_argument("region \"" + r +
                                  "\" is not a region libphonenumber knows (ISO 3166-1 alpha-2, "
                                  "upper case)");
  if (regions_.empty()) regions_.push_back("ZZ");  // international format only
}

PhoneRecognizer::~PhoneRecognizer() = default;

std::vector<TextSpan> PhoneRecognizer::find(std::string_view candidate) const {
  // What looks_like_other_number would reject whatever the matcher finds inside: skip the
  // matcher (most digit runs in text are order numbers, years and prices).
  if (looks_like_other_number(candidate)) return {};
  const auto& util = *PhoneNumberUtil::GetInstance();
  const std::string text(candidate);
  std::vector<TextSpan> spans;
  const auto dates = dates_in(candidate);
  auto on_a_date = [&](std::size_t b, std::size_t e) {
    for (const auto& d : dates)
      if (b < d.end && d.begin < e) return true;
    return false;
  };
  for (const auto& region : regions_) {
    PhoneNumberMatcher matcher(util, text, region,
                               static_cast<PhoneNumberMatcher::Leniency>(leniency_), kMaxTries);
    PhoneNumberMatch match;
    while (matcher.HasNext() && matcher.Next(&match)) {
      const auto b = static_cast<std::size_t>(match.start());
      const std::size_t e = b + static_cast<std::size_t>(match.length());
      if (looks_like_other_number(match.raw_string()) || on_a_date(b, e) ||
          continues_digit_run(candidate, b))
        continue;
      // E.164: at most 15 digits, country code included.
      const auto& number = match.number();
      if (std::to_string(number.country_code()).size() +
              std::to_string(number.national_number()).size() >
          15)
        continue;
      add_longest(spans, {b, e});
    }
  }
  std::sort(spans.begin(), spans.end(),
            [](const TextSpan& a, const TextSpan& b) { return a.begin < b.begin; });
  return spans;
}

const std::vector<std::string>& PhoneRecognizer::leniency_names() {
  static const std::vector<std::string> names = {"possible", "valid", "strict_grouping",
                                                 "exact_grouping"};
  return names;
}

}  // namespace chosei
