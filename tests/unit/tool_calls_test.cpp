// Tool calling: the chat templates' conventions written out by hand from Qwen2.5's and Llama
// 3.1's published templates, LLaMA-Factory's glaive tool-calling data read and rendered with
// the calls learned and the results masked, replies read back into calls, and the lazy
// (triggered) constraint keeping a started call well-formed under random logits.

#include <gtest/gtest.h>

#include <random>

#include "datasets/chat_reader.h"
#include "generate/json_grammar.h"
#include "generate/sampler.h"
#include "generate/triggered_constraint.h"
#include "tests/unit/test_data.h"
#include "tokenizer/chat_messages.h"
#include "tokenizer/extended_tokenizer.h"
#include "tokenizer/tokenizer_loader.h"
#include "tokenizer/tool_calls.h"

namespace chosei {
namespace {

const char kTool[] =
    R"({"type": "function", "function": {"name": "search_recipes", "parameters": {"type": "object", "properties": {"ingredients": {"type": "array", "items": {"type": "string"}}}, "required": ["ingredients"]}}})";

TEST(ToolCalls, ChatmlWritesQwenStyleToolsCallsAndResults) {
  const auto tmpl = ChatTemplate::by_name("chatml");
  ChatMessage call{"assistant", ""};
  call.tool_calls.push_back({"", "search_recipes", R"({"ingredients": ["rice"]})"});
  const auto out = tool_messages(tmpl,
                                 {{"system", "Be brief."},
                                  {"user", "I have rice."},
                                  call,
                                  {"tool", R"({"recipes": []})", false},
                                  {"tool", "ok", false}},
                                 {kTool});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].role, "system");
  EXPECT_EQ(out[0].content,
            std::string("Be brief.\n\n# Tools\n\nYou may call one or more functions to assist with "
                        "the user query.\n\nYou are provided with function signatures within "
                        "<tools></tools> XML tags:\n<tools>\n") +
                kTool +
                "\n</tools>\n\nFor each function call, return a json object with function name "
                "and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": "
                "<function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
  EXPECT_EQ(out[2].content,
            "<tool_call>\n{\"name\": \"search_recipes\", \"arguments\": "
            "{\"ingredients\":[\"rice\"]}}\n</tool_call>");
  EXPECT_TRUE(out[2].labeled);
  // Consecutive results share one user turn, as Qwen2.5's template groups them.
  EXPECT_EQ(out[3].role, "user");
  EXPECT_EQ(out[3].content,
            "<tool_response>\n{\"recipes\": []}\n</tool_response>\n<tool_response>\nok\n"
            "</tool_response>");
  EXPECT_FALSE(out[3].labeled);
}

TEST(ToolCalls, Llama3PutsToolsInTheFirstUserMessageAndResultsInIpython) {
  const auto tmpl = ChatTemplate::by_name("llama3");
  ChatMessage call{"assistant", ""};
  call.tool_calls.push_back({"", "search_recipes", R"({"ingredients":["rice"]})"});
  const auto out =
      tool_messages(tmpl, {{"user", "I have rice."}, call, {"tool", "[]", false}}, {kTool});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].content.rfind("Given the following functions, please respond with a JSON", 0),
            0u);
  EXPECT_NE(out[0].content.find("    \"type\": \"function\""), std::string::npos);  // indent 4
  EXPECT_EQ(out[0].content.substr(out[0].content.size() - 12), "I have rice.");
  EXPECT_EQ(out[1].content,
            "{\"name\": \"search_recipes\", \"parameters\": {\"ingredients\":[\"rice\"]}}");
  EXPECT_EQ(out[2].role, "ipython");
}

TEST(ToolCalls, RepliesReadBackIntoCalls) {
  const auto chatml = ChatTemplate::by_name("chatml");
  auto r =
      parse_tool_calls(chatml,
                       "Let me look.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": 1}}\n"
                       "</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": \"{\\\"y\\\": "
                       "2}\"}\n</tool_call>");
  EXPECT_EQ(r.content, "Let me look.");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].name, "a");
  EXPECT_EQ(r.calls[0].arguments, "{\"x\":1}");
  EXPECT_EQ(r.calls[1].arguments, "{\"y\":2}");  // arguments sent as a string
  const std::string broken = "<tool_call>\n{\"name\": \"a\", \"argu\n</tool_call>";
  EXPECT_TRUE(parse_tool_calls(chatml, broken).calls.empty());
  EXPECT_EQ(parse_tool_calls(chatml, broken).content, broken);
  const auto llama3 = parse_tool_calls(ChatTemplate::by_name("llama3"),
                                       " {\"name\": \"a\", \"parameters\": {\"x\": [1]}}");
  ASSERT_EQ(llama3.calls.size(), 1u);
  EXPECT_EQ(llama3.calls[0].arguments, "{\"x\":[1]}");
  EXPECT_THROW(tool_call_syntax(ChatTemplate::by_name("zephyr")), std::invalid_argument);
}

// A model's own template is read for its convention: Hermes where it writes <tool_call>
// (Qwen), Mistral's [TOOL_CALLS] array, Llama 3.1's JSON (with or without <|python_tag|>);
// one without any has none.
TEST(ToolCalls, ConventionsReadFromTheModelsTemplate) {
  const auto own = [](const std::string& source) {
    return ChatTemplate::from_jinja(source, "model", {{"eos_token", "</s>"}});
  };
  const auto qwen = own("{% for m in messages %}{{ m.content }}{% endfor %}{{ '<tool_call>' }}");
  EXPECT_EQ(tool_convention(qwen), ToolConvention::kHermes);
  const auto mistral =
      own("{% for m in messages %}{% if m.tool_calls %}[TOOL_CALLS]{% endif %}{{ m.content }}"
          "{% endfor %}");
  ASSERT_EQ(tool_convention(mistral), ToolConvention::kMistral);
  const auto r = parse_tool_calls(
      mistral,
      "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", "
      "\"arguments\": {}}]");
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].name, "a");
  EXPECT_EQ(r.calls[0].arguments, "{\"x\":1}");
  EXPECT_EQ(r.calls[1].name, "b");
  EXPECT_EQ(parse_tool_calls(mistral, "[TOOL_CALLS][{\"name\": ").content,
            "[TOOL_CALLS][{\"name\": ");  // malformed: stays text
  const auto llama31 = own("{% if m.role == 'ipython' %}<|python_tag|>{% endif %}");
  ASSERT_EQ(tool_convention(llama31), ToolConvention::kLlama3Json);
  const auto call =
      parse_tool_calls(llama31, "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"q\": \"x\"}}");
  ASSERT_EQ(call.calls.size(), 1u);
  EXPECT_EQ(call.calls[0].arguments, "{\"q\":\"x\"}");
  EXPECT_FALSE(supports_tools(own("{{ messages[0].content }}")));
}

// glaive_toolcall_en_demo (LLaMA-Factory's ShareGPT with function_call and observation): the
// calls are learned, the observations (tool results) and the tools block are not.
TEST(ToolCalls, GlaiveDataRendersWithCallsLabeledAndResultsMasked) {
  CHOSEI_REQUIRE_DATA(path, "llamafactory_sft/glaive_toolcall_en_demo.json");
  CHOSEI_REQUIRE_DATA(tok_path, "hf_fake_gpt2_fulltokenizer/tokenizer.json");
  auto data = read_chat_dataset(path);
  ASSERT_EQ(data.conversations.size(), 300u);
  ASSERT_TRUE(data.errors.empty());
  const auto& c = data.conversations[0];
  ASSERT_EQ(c.tools.size(), 1u);
  EXPECT_NE(c.tools[0].find("\"name\":\"search_recipes\""), std::string::npos);
  ASSERT_EQ(c.turns[3].tool_calls.size(), 1u);
  EXPECT_EQ(c.turns[4].role, "tool");
  auto tok = load_tokenizer(tok_path);
  auto tmpl = ChatTemplate::by_name("chatml");
  tok.tokenizer = std::make_unique<ExtendedTokenizer>(
      std::shared_ptr<const Tokenizer>(std::move(tok.tokenizer)),
      std::vector<std::string>{"<|im_start|>", "<|im_end|>"});
  const auto r = tmpl.render_labeled(*tok.tokenizer, conversation_messages(c), c.tools);
  std::vector<TokenId> learned, context;
  for (std::size_t i = 0; i < r.ids.size(); ++i)
    (r.assistant_mask[i] ? learned : context).push_back(r.ids[i]);
  const std::string learned_text = tok.tokenizer->decode(learned),
                    context_text = tok.tokenizer->decode(context);
  EXPECT_NE(
      learned_text.find("<tool_call>\n{\"name\": \"search_recipes\", \"arguments\": "
                        "{\"ingredients\":[\"chicken\",\"bell peppers\",\"rice\"]}}\n</tool_call>"),
      std::string::npos)
      << learned_text;
  EXPECT_EQ(learned_text.find("<tool_response>"), std::string::npos);
  EXPECT_EQ(learned_text.find("Chicken and Rice Casserole\", \"ingredients\""), std::string::npos);
  EXPECT_NE(context_text.find("<tool_response>\n{\"recipes\": [{\"name\": \"Chicken and Bell"),
            std::string::npos);
  EXPECT_NE(context_text.find("<tools>\n{\"type\":\"function\""), std::string::npos);
}

// Prose, then the trigger, then random logits: the call that follows is well-formed.
TEST(TriggeredConstraint, AStartedCallIsWellFormedUnderRandomLogits) {
  CHOSEI_REQUIRE_DATA(tok_path, "hf_fake_gpt2_fulltokenizer/tokenizer.json");
  auto loaded = load_tokenizer(tok_path);
  const Tokenizer& tok = *loaded.tokenizer;
  const TokenBytes bytes(tok);
  const VocabularyTrie trie(bytes);
  const auto body = tool_call_grammar(
      {{"search_recipes", nlohmann::ordered_json::parse(kTool)["function"]["parameters"]}},
      "\n{\"name\": ", "arguments", "\n</tool_call>", "", false);
  const auto V = tok.vocab_size();
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0, 3);
  std::vector<float> logits(static_cast<std::size_t>(V));
  std::vector<char> mask;
  for (int t = 0; t < 2; ++t) {
    TriggeredConstraint c("<tool_call>", body, bytes, trie, {tok.eos_id()});
    const auto prose = tok.encode_plain("Sure, let me search. <tool_call>");
    std::vector<TokenId> ids;
    const std::int64_t budget = 120;
    for (auto id : prose) {
      ASSERT_TRUE(c.allows(id, budget));
      c.accept(id);
      ids.push_back(id);
    }
    EXPECT_FALSE(c.allows(tok.eos_id(), budget));  // inside a call: no end yet
    SamplingOptions o;
    o.seed = static_cast<std::uint64_t>(t);
    Sampler sampler(o);
    std::string text = tok.decode(ids);
    for (std::int64_t step = static_cast<std::int64_t>(prose.size()); step < budget; ++step) {
      for (auto& x : logits) x = normal(rng);
      mask.assign(static_cast<std::size_t>(V), 0);
      ASSERT_TRUE(c.fill_mask(mask, budget - step));
      const TokenId next = sampler.sample(logits.data(), V, ids, &mask);
      c.accept(next);
      ids.push_back(next);
      text = tok.decode(ids);
      if (text.find("</tool_call>") != std::string::npos) break;
    }
    const auto parsed = parse_tool_calls(ChatTemplate::by_name("chatml"), text);
    ASSERT_EQ(parsed.calls.size(), 1u) << text;
    EXPECT_EQ(parsed.content, "Sure, let me search.");
    const auto args = nlohmann::json::parse(parsed.calls[0].arguments);
    ASSERT_TRUE(args["ingredients"].is_array()) << text;
    EXPECT_TRUE(c.allows(tok.eos_id(), 10));  // the call is over: free again
  }
}

}  // namespace
}  // namespace chosei
