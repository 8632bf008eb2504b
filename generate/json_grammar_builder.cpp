#include "generate/json_grammar_builder.h"

namespace chosei::json_grammar_detail {

std::int32_t JsonGrammarBuilder::repeat(const Seq& item, std::int64_t min, std::int64_t max,
                                        const std::string& at) {
  if (min > kMaxRepeat || max > kMaxRepeat)
    throw JsonSchemaError(
        at, "a length or count above " + std::to_string(kMaxRepeat) + " is not supported");
  Seq head;
  for (std::int64_t i = 0; i < min; ++i) head.insert(head.end(), item.begin(), item.end());
  std::int32_t tail;
  if (max == kUnbounded) {  // tail ::= item tail | (empty)
    tail = g_.rule(fresh("repeat"));
    g_.add(tail, cat({item, ref(tail)}));
    g_.add(tail, {});
  } else {  // opt_k ::= item opt_{k-1} | (empty), opt_0 ::= (empty)
    tail = rule(fresh("repeat-0"), {{}});
    for (std::int64_t k = 1; k <= max - min; ++k) {
      const auto next = g_.rule(fresh("repeat-" + std::to_string(k)));
      g_.add(next, cat({item, ref(tail)}));
      g_.add(next, {});
      tail = next;
    }
  }
  return rule(fresh("repeated"), {cat({head, ref(tail)})});
}

std::int32_t JsonGrammarBuilder::utf8_char() {
  const E cont = Grammar::range(0x80, 0xBF);
  auto r = g_.rule("utf8-multibyte");
  g_.add(r, {Grammar::range(0xC2, 0xDF), cont});
  g_.add(r, {Grammar::range(0xE0, 0xE0), Grammar::range(0xA0, 0xBF), cont});
  g_.add(r, {Grammar::range(0xE1, 0xEC), cont, cont});
  g_.add(r, {Grammar::range(0xED, 0xED), Grammar::range(0x80, 0x9F), cont});
  g_.add(r, {Grammar::range(0xEE, 0xEF), cont, cont});
  g_.add(r, {Grammar::range(0xF0, 0xF0), Grammar::range(0x90, 0xBF), cont, cont});
  g_.add(r, {Grammar::range(0xF1, 0xF3), cont, cont, cont});
  g_.add(r, {Grammar::range(0xF4, 0xF4), Grammar::range(0x80, 0x8F), cont, cont});
  return r;
}

// A number: optional minus (not when `natural`), no leading zeros, at most 16 integer
// digits, then (unless `integer`) a fraction and an exponent.
std::int32_t JsonGrammarBuilder::number_rule(bool natural, bool integer) {
  const auto digits15 = repeat(ref(digit_), 0, 15, "");
  const auto whole =
      rule(fresh("integer-part"), {lit("0"), cat({one(Grammar::range('1', '9')), ref(digits15)})});
  Seq body = natural ? ref(whole) : Seq{};
  if (!natural) {
    const auto sign = rule(fresh("sign"), {{}, lit("-")});
    body = cat({ref(sign), ref(whole)});
  }
  if (integer) return rule(fresh(natural ? "natural" : "integer"), {body});
  const auto frac_digits = repeat(ref(digit_), 1, 15, "");
  const auto frac = rule(fresh("fraction"), {{}, cat({lit("."), ref(frac_digits)})});
  const auto exp_digits = repeat(ref(digit_), 1, 2, "");  // below 1e116: never infinite
  const auto exp_sign = rule(fresh("exponent-sign"), {{}, lit("+"), lit("-")});
  const auto exp = rule(fresh("exponent"),
                        {{}, cat({one(Grammar::bytes("eE")), ref(exp_sign), ref(exp_digits)})});
  return rule(fresh("number"), {cat({body, ref(frac), ref(exp)})});
}

void JsonGrammarBuilder::build_common() {
  const auto indent = g_.rule("indent");
  g_.add(indent, {});
  g_.add(indent, cat({lit(" "), ref(indent)}));
  ws_ = rule("ws", {{}, lit(" "), cat({lit("\n"), ref(indent)})});
  digit_ = rule("digit", {one(Grammar::range('0', '9'))});
  const auto hex = Grammar::bytes("0123456789abcdefABCDEF");
  // \u escapes never name a lone surrogate (D800-DFFF), which strict parsers refuse.
  const auto unicode =
      rule("unicode-escape", {{Grammar::bytes("0123456789abcABC"), hex, hex, hex},
                              {Grammar::bytes("dD"), Grammar::range('0', '7'), hex, hex},
                              {Grammar::bytes("efEF"), hex, hex, hex}});
  const auto escape =
      rule("escape", {one(Grammar::bytes("\"\\/bfnrt")), cat({lit("u"), ref(unicode)})});
  E ascii = Grammar::any_except("\"\\", 0x20);
  for (unsigned c = 0x80; c < 256; ++c) ascii.bytes.reset(c);
  char_ = rule("char", {one(ascii), cat({lit("\\"), ref(escape)}), ref(utf8_char())});
  const auto chars = g_.rule("chars");
  g_.add(chars, lit("\""));
  g_.add(chars, cat({ref(char_), ref(chars)}));
  string_ = rule("string", {cat({lit("\""), ref(chars)})});
  number_ = number_rule(false, false);
  integer_ = number_rule(false, true);
  natural_number_ = number_rule(true, false);
  natural_ = number_rule(true, true);
  boolean_ = rule("boolean", {lit("true"), lit("false")});
  null_ = rule("null", {lit("null")});
  value_ = g_.rule("value");
  // object ::= "{" ws ( "}" | member more ), more ::= "}" | "," ws member more
  const auto member =
      rule("member", {cat({ref(string_), ws(), lit(":"), ws(), ref(value_), ws()})});
  const auto more = g_.rule("members");
  g_.add(more, lit("}"));
  g_.add(more, cat({lit(","), ws(), ref(member), ref(more)}));
  object_ = rule("object",
                 {cat({lit("{"), ws(), lit("}")}), cat({lit("{"), ws(), ref(member), ref(more)})});
  const auto elements = g_.rule("elements");
  g_.add(elements, lit("]"));
  g_.add(elements, cat({lit(","), ws(), ref(value_), ws(), ref(elements)}));
  array_ = rule("array", {cat({lit("["), ws(), lit("]")}),
                          cat({lit("["), ws(), ref(value_), ws(), ref(elements)})});
  for (auto r : {object_, array_, string_, number_, boolean_, null_}) g_.add(value_, ref(r));
}

}  // namespace chosei::json_grammar_detail
