// Constrained decoding: the JSON grammar and the JSON Schema compiler against hand-listed
// texts (and nlohmann's parser as the independent judge of JSON), the token constraint
// driving random logits through real vocabularies (byte-level GPT-2, SentencePiece Llama 2)
// to complete, parseable, schema-valid output within the token budget, and the sampler's
// log-probabilities against values computed by hand.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "generate/grammar_constraint.h"
#include "generate/grammar_matcher.h"
#include "generate/json_grammar.h"
#include "generate/sampler.h"
#include "tests/unit/test_data.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei {
namespace {

using ojson = nlohmann::ordered_json;

// 0: refused, 1: a prefix only, 2: complete.
int standing(const Grammar& g, const std::string& text) {
  GrammarMatcher m(g);
  if (!m.accept(text)) return 0;
  return m.accepted() ? 2 : 1;
}

TEST(JsonGrammar, AnyObjectAcceptsJsonObjectsOnly) {
  const auto g = json_object_grammar();
  for (const std::string ok :
       {"{}", "{\"a\":1}", "{ \"a\" : [1, -2.5e+3, \"x\\u00e9\\n\", true, null, {}] }",
        "{\"k\":\"h\xC3\xA9 \xF0\x9F\xA6\x99\"}", "{\"a\":{\"b\":[[]]}}"}) {
    EXPECT_EQ(standing(*g, ok), 2) << ok;
    EXPECT_TRUE(nlohmann::json::parse(ok).is_object()) << ok;
  }
  for (const std::string prefix : {"{", "{\"a\":", "{\"a\":[1,", "{\"a\":tr", "{\"a\":\"\\u00"})
    EXPECT_EQ(standing(*g, prefix), 1) << prefix;
  for (const std::string bad :
       {"[1]", "{\"a\":01}", "{\"a\":1,}", "{a:1}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\xFF\"}",
        "{\"a\":\"\xC3(\"}", "{\"a\":\"\x01\"}", "{\"a\":1}x", "{\"a\":.5}", "{\"a\":TRUE}"})
    EXPECT_EQ(standing(*g, bad), 0) << bad;
  EXPECT_EQ(GrammarMatcher(*g).min_bytes_to_accept(), 2);  // "{}"
}

const char* kPersonSchema = R"({
  "type": "object",
  "properties": {
    "name": {"type": "string", "maxLength": 5},
    "age": {"type": "integer", "minimum": 0},
    "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 2},
    "nick": {"type": ["string", "null"]},
    "home": {"$ref": "#/$defs/place"}
  },
  "required": ["name", "age", "tags"],
  "additionalProperties": false,
  "$defs": {"place": {"type": "object", "properties": {"city": {"const": "Kyoto"}},
                      "required": ["city"]}}
})";

TEST(JsonSchemaGrammar, AdmitsTheSchemasInstancesInOrder) {
  const auto g = json_schema_grammar(ojson::parse(kPersonSchema));
  for (const std::string ok :
       {"{\"name\":\"bob\",\"age\":3,\"tags\":[]}",
        "{\"name\":\"\",\"age\":0,\"tags\":[\"a\",\"b\"]}",
        "{\"name\":\"bob\",\"age\":30,\"tags\":[\"b\"],\"nick\":null,\"home\":{\"city\":\"Kyoto\"}"
        "}",
        "{ \"name\" : \"x\" , \"age\" : 1 , \"tags\" : [ ] , \"home\" : {\"city\":\"Kyoto\"} }"})
    EXPECT_EQ(standing(*g, ok), 2) << ok;
  for (const std::string bad :
       {"{\"age\":3}", "{\"name\":\"bobbyy\"", "{\"name\":\"b\",\"age\":-1",
        "{\"name\":\"b\",\"age\":1.5", "{\"name\":\"b\",\"age\":1,\"tags\":[\"a\",\"b\",\"a\"]}",
        "{\"name\":\"b\",\"age\":1,\"tags\":[\"c\"]}",
        "{\"name\":\"b\",\"age\":1,\"tags\":[],\"x\":1}", "{\"age\":1,\"name\":\"b\"",
        "{\"name\":\"b\",\"age\":1,\"tags\":[],\"home\":{\"city\":\"Nara\"}}"})
    EXPECT_EQ(standing(*g, bad), 0) << bad;
  // {"name":"","age":0,"tags":[]} is the shortest instance.
  EXPECT_EQ(GrammarMatcher(*g).min_bytes_to_accept(), 29);
}

TEST(JsonSchemaGrammar, RecursiveReferencesAndTypeLists) {
  const auto g = json_schema_grammar(ojson::parse(R"({"$defs": {"node": {"type": "object",
    "properties": {"v": {"type": "integer"}, "next": {"anyOf": [{"$ref": "#/$defs/node"},
    {"type": "null"}]}}, "required": ["v", "next"]}}, "$ref": "#/$defs/node"})"));
  EXPECT_EQ(standing(*g, R"({"v":1,"next":{"v":-2,"next":null}})"), 2);
  EXPECT_EQ(standing(*g, R"({"v":1,"next":{"v":2}})"), 0);
  const auto dict = json_schema_grammar(
      ojson::parse(R"({"type": "object", "additionalProperties": {"type": "boolean"}})"));
  EXPECT_EQ(standing(*dict, R"({"x":true,"y":false})"), 2);
  EXPECT_EQ(standing(*dict, R"({"x":1})"), 0);
}

TEST(JsonSchemaGrammar, AnUnsupportedFeatureIsNamedWithItsPlace) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"object","properties":{"x":{"type":"string","pattern":"a+"}}})",
       "/properties/x/pattern"},
      {R"({"type":"string","format":"email"})", "/format"},
      {R"({"oneOf":[{"type":"string"},{"type":"integer"}]})", "/oneOf"},
      {R"({"type":"integer","minimum":5})", "/minimum"},
      {R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["b"]})", "/required"},
      {R"({"type":"string","nullable":true})", "/nullable"},
      {R"({"$ref":"https://example.com/s.json"})", "/$ref"},
      {R"({"type":"tuple"})", "/type"}};
  for (const auto& [schema, pointer] : cases) {
    try {
      json_schema_grammar(ojson::parse(schema));
      ADD_FAILURE() << "accepted " << schema;
    } catch (const JsonSchemaError& e) {
      EXPECT_EQ(e.pointer(), pointer) << schema << ": " << e.what();
    }
  }
}

// Random logits through the constraint, as the generation loop drives it: the output is
// complete, parses, and (for the schema) has the required members with their types.
void decode_randomly(const std::string& tokenizer_file, const std::shared_ptr<const Grammar>& g,
                     bool person, int tries) {
  auto loaded = load_tokenizer(tokenizer_file);
  const Tokenizer& tok = *loaded.tokenizer;
  const TokenBytes bytes(tok);
  const VocabularyTrie trie(bytes);
  const TokenId eos = tok.eos_id();
  const auto V = tok.vocab_size();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0, 3);
  std::vector<float> logits(static_cast<std::size_t>(V));
  std::vector<char> mask;
  for (int t = 0; t < tries; ++t) {
    const std::int64_t budget = 40 + t * 7;
    GrammarConstraint c(g, bytes, trie, {eos});
    SamplingOptions o;
    o.seed = static_cast<std::uint64_t>(t);
    Sampler sampler(o);
    std::vector<TokenId> ids;
    std::string concatenated;
    for (std::int64_t step = 0; step < budget && !c.finished(); ++step) {
      for (auto& x : logits) x = normal(rng);
      TokenId next = sampler.sample(logits.data(), V, ids);
      if (!c.allows(next, budget - step)) {
        mask.assign(static_cast<std::size_t>(V), 0);
        ASSERT_TRUE(c.fill_mask(mask, budget - step));
        next = sampler.sample(logits.data(), V, ids, &mask);
        ASSERT_TRUE(c.allows(next, budget - step));
      }
      c.accept(next);
      if (next == eos) break;
      ids.push_back(next);
      concatenated += bytes.of(next);
    }
    const std::string text = tok.decode(ids, true);
    EXPECT_EQ(text, concatenated);
    const auto parsed = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << "budget " << budget << ": " << text;
    ASSERT_TRUE(parsed.is_object()) << text;
    if (!person) continue;
    ASSERT_TRUE(parsed.contains("name") && parsed["name"].is_string()) << text;
    EXPECT_LE(parsed["name"].get<std::string>().size(), 5u * 4);  // 5 characters of UTF-8
    ASSERT_TRUE(parsed["age"].is_number_integer() && parsed["age"].get<std::int64_t>() >= 0)
        << text;
    ASSERT_TRUE(parsed["tags"].is_array() && parsed["tags"].size() <= 2) << text;
    for (const auto& tag : parsed["tags"]) EXPECT_TRUE(tag == "a" || tag == "b") << text;
  }
}

TEST(GrammarConstraint, RandomLogitsEndInValidJsonWithinTheBudgetByteLevel) {
  CHOSEI_REQUIRE_DATA(path, "hf_fake_gpt2_fulltokenizer/tokenizer.json");
  decode_randomly(path, json_object_grammar(), false, 5);
  decode_randomly(path, json_schema_grammar(ojson::parse(kPersonSchema)), true, 5);
}

TEST(GrammarConstraint, RandomLogitsEndInValidJsonWithinTheBudgetSentencePiece) {
  CHOSEI_REQUIRE_DATA(path, "hf_llama2_tokenizer_json/tokenizer.json");
  decode_randomly(path, json_schema_grammar(ojson::parse(kPersonSchema)), true, 12);
}

// logits (1, 2, 3, 0): log Z = log(e + e^2 + e^3 + 1) = log 31.19287 = 3.440189.
TEST(SamplerLogprobs, LogSoftmaxWorkedByHand) {
  SamplingOptions o;
  o.temperature = 0;
  o.top_logprobs = 2;
  Sampler greedy(o);
  const float logits[] = {1, 2, 3, 0};
  EXPECT_EQ(greedy.sample(logits, 4, {}), 2);
  const auto& lp = greedy.last_logprob();
  EXPECT_NEAR(lp.logprob, 3 - 3.440189, 1e-5);
  ASSERT_EQ(lp.top.size(), 2u);
  EXPECT_EQ(lp.top[0].first, 2);
  EXPECT_EQ(lp.top[1].first, 1);
  EXPECT_NEAR(lp.top[1].second, 2 - 3.440189, 1e-5);
  // Temperature 0.5 scales first: log(e^2 + e^4 + e^6 + 1) = 6.145074.
  o.temperature = 0.5;
  Sampler warm(o);
  const TokenId id = warm.sample(logits, 4, {});
  EXPECT_NEAR(warm.last_logprob().logprob, 2 * logits[id] - 6.145074, 1e-5);
  // A mask renormalizes over what is left: {1, 2, 0} -> log(e + e^2 + 1) = 2.407606.
  o.temperature = 0;
  Sampler masked(o);
  const std::vector<char> allowed = {1, 1, 0, 1};
  EXPECT_EQ(masked.sample(logits, 4, {}, &allowed), 1);
  EXPECT_NEAR(masked.last_logprob().logprob, 2 - 2.407606, 1e-5);
  ASSERT_EQ(masked.last_logprob().top.size(), 2u);
  EXPECT_EQ(masked.last_logprob().top[1].first, 0);
}

TEST(SamplerLogprobs, MaskedTokensAreNeverDrawn) {
  SamplingOptions o;
  o.temperature = 1.5;
  o.seed = 3;
  Sampler s(o);
  const float logits[] = {5, 0, 0, 5, -1};
  const std::vector<char> allowed = {0, 1, 0, 0, 1};
  for (int i = 0; i < 300; ++i) {
    const auto id = s.sample(logits, 5, {}, &allowed);
    EXPECT_TRUE(id == 1 || id == 4) << id;
  }
}

}  // namespace
}  // namespace chosei
