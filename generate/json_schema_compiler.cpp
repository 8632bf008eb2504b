// JSON Schema keywords to grammar rules (JsonGrammarBuilder::compile and its parts).
#include <set>

#include "generate/json_grammar_builder.h"

namespace chosei::json_grammar_detail {

namespace {

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

}  // namespace

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
  g_.add(r, this->ref(compile(root_[pointer], ref.substr(1))));
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

}  // namespace chosei::json_grammar_detail
