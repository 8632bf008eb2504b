#include "generate/json_grammar.h"

#include <limits>
#include <map>
#include <set>

namespace chosei {

namespace {

using json = nlohmann::ordered_json;
using E = Grammar::Element;
using Seq = Grammar::Sequence;
constexpr std::int64_t kUnbounded = -1;
constexpr std::int64_t kMaxRepeat = 4096;

Seq cat(std::initializer_list<Seq> parts) {
  Seq out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Seq one(const E& e) { return {e}; }
Seq lit(const std::string& s) { return Grammar::literal(s); }

class JsonGrammarBuilder {
 public:
  explicit JsonGrammarBuilder(json root = json::object()) : root_(std::move(root)) {
    build_common();
  }

  std::shared_ptr<const Grammar> finish(std::int32_t root) {
    g_.finish(root);
    return std::make_shared<const Grammar>(std::move(g_));
  }

  std::int32_t any_object() const { return object_; }
  std::int32_t add_rule(const std::string& name, std::initializer_list<Seq> alternatives) {
    return rule(fresh(name), alternatives);
  }
  void add_alternative(std::int32_t r, Seq alternative) { g_.add(r, std::move(alternative)); }
  std::int32_t new_rule(const std::string& name) { return g_.rule(fresh(name)); }
  std::int32_t compile(const json& schema, const std::string& at);

 private:
  Grammar g_;
  json root_;
  std::map<std::string, std::int32_t> refs_;
  std::int32_t ws_ = -1, value_ = -1, object_ = -1, array_ = -1, string_ = -1, char_ = -1,
               digit_ = -1, number_ = -1, integer_ = -1, natural_number_ = -1, natural_ = -1,
               boolean_ = -1, null_ = -1;
  int counter_ = 0;

  std::int32_t rule(const std::string& name, std::initializer_list<Seq> alternatives) {
    const auto r = g_.rule(name);
    for (const auto& a : alternatives) g_.add(r, a);
    return r;
  }
  std::string fresh(const std::string& base) { return base + "-" + std::to_string(counter_++); }
  Seq ref(std::int32_t r) const { return one(Grammar::ref(r)); }
  Seq ref_seq(std::int32_t r) const { return ref(r); }
  Seq ws() const { return ref(ws_); }

  // `item` repeated min..max times (max kUnbounded: no limit).
  std::int32_t repeat(const Seq& item, std::int64_t min, std::int64_t max, const std::string& at);
  void build_common();
  std::int32_t utf8_char();
  std::int32_t number_rule(bool natural, bool integer);
  std::int32_t compile_type(const json& schema, const std::string& type, const std::string& at);
  std::int32_t compile_object(const json& schema, const std::string& at);
  std::int32_t compile_array(const json& schema, const std::string& at);
  std::int32_t compile_string(const json& schema, const std::string& at);
  std::int32_t compile_ref(const std::string& ref, const std::string& at);
  std::int32_t literal_choice(const std::vector<json>& values, const std::string& name);
};

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

const std::set<std::string> kAnnotations = {"title",    "description", "$schema",  "$id",
                                            "$comment", "default",     "examples", "deprecated",
                                            "readOnly", "writeOnly",   "$defs",    "definitions"};
const std::map<std::string, std::set<std::string>> kKeywordsOf = {
    {"object", {"properties", "required", "additionalProperties"}},
    {"array", {"items", "minItems", "maxItems"}},
    {"string", {"minLength", "maxLength"}},
    {"number", {"minimum"}},
    {"integer", {"minimum"}},
    {"boolean", {}},
    {"null", {}}};

std::int64_t count_in(const json& schema, const char* key, std::int64_t fallback,
                      const std::string& at) {
  if (!schema.contains(key)) return fallback;
  const auto& v = schema[key];
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
    throw JsonSchemaError(at + "/" + key, std::string(key) + " must be a non-negative integer");
  return v.get<std::int64_t>();
}

std::int32_t JsonGrammarBuilder::literal_choice(const std::vector<json>& values,
                                                const std::string& name) {
  const auto r = g_.rule(fresh(name));
  for (const auto& v : values) g_.add(r, lit(v.dump()));
  return r;
}

std::int32_t JsonGrammarBuilder::compile_ref(const std::string& ref, const std::string& at) {
  auto it = refs_.find(ref);
  if (it != refs_.end()) return it->second;
  if (ref.empty() || ref[0] != '#')
    throw JsonSchemaError(at + "/$ref", "only local references (#/...) are supported, got " + ref);
  json::json_pointer pointer;
  try {
    pointer = json::json_pointer(ref.substr(1));
  } catch (const json::exception&) {
    throw JsonSchemaError(at + "/$ref", "malformed reference " + ref);
  }
  if (!root_.contains(pointer))
    throw JsonSchemaError(at + "/$ref", "the reference " + ref + " points at nothing");
  const auto r = g_.rule("ref " + ref);  // made before compiling, so recursion finds it
  refs_.emplace(ref, r);
  g_.add(r, ref_seq(compile(root_[pointer], ref.substr(1))));
  return r;
}

std::int32_t JsonGrammarBuilder::compile_string(const json& schema, const std::string& at) {
  const auto min = count_in(schema, "minLength", 0, at);
  const auto max = count_in(schema, "maxLength", kUnbounded, at);
  if (min == 0 && max == kUnbounded) return string_;
  if (max != kUnbounded && max < min)
    throw JsonSchemaError(at + "/maxLength", "maxLength is below minLength");
  const auto body = repeat(ref(char_), min, max, at);
  return rule(fresh("string"), {cat({lit("\""), ref(body), lit("\"")})});
}

std::int32_t JsonGrammarBuilder::compile_array(const json& schema, const std::string& at) {
  const auto item = schema.contains("items") ? compile(schema["items"], at + "/items") : value_;
  const auto min = count_in(schema, "minItems", 0, at);
  const auto max = count_in(schema, "maxItems", kUnbounded, at);
  if (max != kUnbounded && max < min)
    throw JsonSchemaError(at + "/maxItems", "maxItems is below minItems");
  if (max == 0) return rule(fresh("array"), {cat({lit("["), ws(), lit("]")})});
  const auto next = rule(fresh("next-item"), {cat({lit(","), ws(), ref(item), ws()})});
  const auto rest = repeat(ref(next), min > 0 ? min - 1 : 0, max == kUnbounded ? max : max - 1, at);
  const Seq items = cat({ref(item), ws(), ref(rest), lit("]")});
  const auto r = g_.rule(fresh("array"));
  g_.add(r, cat({lit("["), ws(), items}));
  if (min == 0) g_.add(r, cat({lit("["), ws(), lit("]")}));
  return r;
}

// Properties in the schema's order; an optional one may be left out. Two rules per position
// (before the first member written, and after), so commas come out right with no blow-up.
std::int32_t JsonGrammarBuilder::compile_object(const json& schema, const std::string& at) {
  std::set<std::string> required;
  if (schema.contains("required")) {
    if (!schema["required"].is_array())
      throw JsonSchemaError(at + "/required", "required must be an array of names");
    for (const auto& n : schema["required"]) {
      if (!n.is_string()) throw JsonSchemaError(at + "/required", "required must hold strings");
      required.insert(n.get<std::string>());
    }
  }
  const json properties = schema.value("properties", json::object());
  if (!properties.is_object())
    throw JsonSchemaError(at + "/properties", "properties must be an object");
  for (const auto& name : required)
    if (!properties.contains(name))
      throw JsonSchemaError(at + "/required",
                            "required property \"" + name + "\" is not among the properties");
  const auto extra = schema.value("additionalProperties", json(true));
  if (properties.empty() && extra.is_object()) {  // a dictionary of one value schema
    const auto v = compile(extra, at + "/additionalProperties");
    const auto member =
        rule(fresh("entry"), {cat({ref(string_), ws(), lit(":"), ws(), ref(v), ws()})});
    const auto more = g_.rule(fresh("entries"));
    g_.add(more, lit("}"));
    g_.add(more, cat({lit(","), ws(), ref(member), ref(more)}));
    return rule(fresh("dictionary"),
                {cat({lit("{"), ws(), lit("}")}), cat({lit("{"), ws(), ref(member), ref(more)})});
  }
  if (properties.empty() && !extra.is_boolean() && !extra.is_object())
    throw JsonSchemaError(at + "/additionalProperties", "must be a boolean or a schema");
  if (properties.empty() && extra == json(true) && !schema.contains("properties")) return object_;
  std::vector<std::pair<std::string, std::int32_t>> members;
  for (auto it = properties.begin(); it != properties.end(); ++it) {
    const auto v = compile(it.value(), at + "/properties/" + it.key());
    members.emplace_back(it.key(), v);
  }
  const auto closing = rule(fresh("close"), {lit("}")});
  std::int32_t first = closing, later = closing;  // the rules for position i + 1
  for (std::size_t i = members.size(); i-- > 0;) {
    const auto& [name, v] = members[i];
    const Seq member = cat({lit(json(name).dump()), ws(), lit(":"), ws(), ref(v), ws()});
    const auto f = g_.rule(fresh("first-" + name)), l = g_.rule(fresh("then-" + name));
    g_.add(f, cat({member, ref(later)}));
    g_.add(l, cat({lit(","), ws(), member, ref(later)}));
    if (!required.count(name)) {
      g_.add(f, ref(first));
      g_.add(l, ref(later));
    }
    first = f;
    later = l;
  }
  return rule(fresh("object"), {cat({lit("{"), ws(), ref(first)})});
}

std::int32_t JsonGrammarBuilder::compile_type(const json& schema, const std::string& type,
                                              const std::string& at) {
  const auto known = kKeywordsOf.find(type);
  if (known == kKeywordsOf.end())
    throw JsonSchemaError(at + "/type", "unknown type \"" + type + "\"");
  for (auto it = schema.begin(); it != schema.end(); ++it) {
    const auto& k = it.key();
    if (k == "type" || kAnnotations.count(k) || known->second.count(k)) continue;
    bool elsewhere = false;
    for (const auto& [t, keys] : kKeywordsOf) elsewhere = elsewhere || keys.count(k);
    if (!elsewhere)
      throw JsonSchemaError(at + "/" + k, "the keyword \"" + k + "\" is not supported");
  }
  if (type == "object") return compile_object(schema, at);
  if (type == "array") return compile_array(schema, at);
  if (type == "string") return compile_string(schema, at);
  if (type == "boolean") return boolean_;
  if (type == "null") return null_;
  const bool natural = schema.contains("minimum") && schema["minimum"] == json(0);
  if (schema.contains("minimum") && !natural)
    throw JsonSchemaError(at + "/minimum", "only minimum 0 is supported");
  if (type == "integer") return natural ? natural_ : integer_;
  return natural ? natural_number_ : number_;
}

std::int32_t JsonGrammarBuilder::compile(const json& schema, const std::string& at) {
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return value_;
    throw JsonSchemaError(at, "the schema false admits nothing");
  }
  if (!schema.is_object()) throw JsonSchemaError(at, "a schema must be an object");
  for (const char* k : {"pattern",
                        "format",
                        "oneOf",
                        "not",
                        "if",
                        "then",
                        "else",
                        "prefixItems",
                        "contains",
                        "patternProperties",
                        "propertyNames",
                        "minProperties",
                        "maxProperties",
                        "dependentRequired",
                        "dependentSchemas",
                        "maximum",
                        "exclusiveMinimum",
                        "exclusiveMaximum",
                        "multipleOf",
                        "unevaluatedProperties",
                        "unevaluatedItems",
                        "$dynamicRef"})
    if (schema.contains(k))
      throw JsonSchemaError(at + "/" + k,
                            std::string("the keyword \"") + k + "\" is not supported");
  if (schema.contains("uniqueItems") && schema["uniqueItems"] != json(false))
    throw JsonSchemaError(at + "/uniqueItems", "uniqueItems is not supported");
  if (schema.contains("$ref")) {
    if (!schema["$ref"].is_string()) throw JsonSchemaError(at + "/$ref", "$ref must be a string");
    return compile_ref(schema["$ref"].get<std::string>(), at);
  }
  if (schema.contains("const")) return literal_choice({schema["const"]}, "const");
  if (schema.contains("enum")) {
    if (!schema["enum"].is_array() || schema["enum"].empty())
      throw JsonSchemaError(at + "/enum", "enum must be a non-empty array");
    return literal_choice(schema["enum"].get<std::vector<json>>(), "enum");
  }
  if (schema.contains("anyOf") || schema.contains("allOf")) {
    const bool any = schema.contains("anyOf");
    const std::string key = any ? "anyOf" : "allOf";
    const auto& list = schema[key];
    if (!list.is_array() || list.empty())
      throw JsonSchemaError(at + "/" + key, key + " must be a non-empty array");
    if (!any && list.size() != 1)
      throw JsonSchemaError(at + "/allOf", "allOf of more than one schema is not supported");
    const auto r = g_.rule(fresh(key));
    for (std::size_t i = 0; i < list.size(); ++i)
      g_.add(r, ref(compile(list[i], at + "/" + key + "/" + std::to_string(i))));
    return r;
  }
  json type = schema.value("type", json());
  if (type.is_null()) {
    if (schema.contains("properties") || schema.contains("required"))
      type = "object";
    else if (schema.contains("items"))
      type = "array";
    else {
      for (auto it = schema.begin(); it != schema.end(); ++it)
        if (!kAnnotations.count(it.key()) && it.key() != "additionalProperties")
          throw JsonSchemaError(at + "/" + it.key(),
                                "the keyword \"" + it.key() + "\" is not supported without a type");
      return value_;
    }
  }
  if (type.is_string()) return compile_type(schema, type.get<std::string>(), at);
  if (!type.is_array() || type.empty())
    throw JsonSchemaError(at + "/type", "type must be a string or a non-empty array");
  const auto r = g_.rule(fresh("types"));
  for (const auto& t : type) {
    if (!t.is_string()) throw JsonSchemaError(at + "/type", "type must hold strings");
    g_.add(r, ref(compile_type(schema, t.get<std::string>(), at)));
  }
  return r;
}

}  // namespace

std::shared_ptr<const Grammar> json_object_grammar() {
  static const auto grammar = [] {
    JsonGrammarBuilder b;
    return b.finish(b.any_object());
  }();
  return grammar;
}

std::shared_ptr<const Grammar> json_schema_grammar(const json& schema) {
  JsonGrammarBuilder b(schema);
  const auto root = b.compile(schema, "");
  return b.finish(root);
}

}  // namespace chosei

namespace chosei {

std::shared_ptr<const Grammar> tool_call_grammar(const std::vector<ToolFunction>& functions,
                                                 const std::string& head,
                                                 const std::string& arguments_key,
                                                 const std::string& tail,
                                                 const std::string& separator, bool many) {
  if (functions.empty()) throw std::invalid_argument("no function to call");
  JsonGrammarBuilder b;
  const auto named = b.new_rule("named-call");
  for (std::size_t i = 0; i < functions.size(); ++i) {
    const auto& f = functions[i];
    const auto args =
        f.parameters.is_null() ? b.any_object() : b.compile(f.parameters, "/" + std::to_string(i));
    b.add_alternative(named,
                      cat({lit(json(f.name).dump() + ", " + json(arguments_key).dump() + ": "),
                           one(Grammar::ref(args))}));
  }
  const auto call =
      b.add_rule("call", {cat({lit(head), one(Grammar::ref(named)), lit("}" + tail)})});
  if (!many || separator.empty()) return b.finish(call);
  const auto more = b.new_rule("more-calls");
  b.add_alternative(more, {});
  b.add_alternative(more, cat({lit(separator), one(Grammar::ref(call)), one(Grammar::ref(more))}));
  return b.finish(b.add_rule("calls", {cat({one(Grammar::ref(call)), one(Grammar::ref(more))})}));
}

}  // namespace chosei
