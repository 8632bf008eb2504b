// Dataset readers, validation and splitting: hand-made edge cases and third-party files
// (the OpenAI cookbook's toy file and its recorded notebook output, LLaMA-Factory's demos,
// the Bitext customer-support CSV).

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "base/atomic_file.h"
#include "datasets/chat_reader.h"
#include "datasets/chat_validation.h"
#include "datasets/chat_writer.h"
#include "datasets/csv_reader.h"
#include "datasets/dataset_split.h"
#include "datasets/length_stats.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

std::string write_temp(const std::string& name, const std::string& content) {
  auto dir = test::temp_dir("datasets_" + name);
  auto path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(Csv, QuotesNewlinesAndLineNumbers) {
  auto t = parse_csv("a,b\r\n1,\"x, \"\"quoted\"\"\nsecond line\"\n\n2,y\n", "t.csv");
  ASSERT_EQ(t.records.size(), 2u);
  EXPECT_EQ(t.records[0].fields[1], "x, \"quoted\"\nsecond line");
  EXPECT_EQ(t.records[0].line, 2u);
  EXPECT_EQ(t.records[1].line, 5u);
  EXPECT_EQ(t.records[1].fields[0], "2");
  try {
    parse_csv("a,b\n1,2,3\n", "t.csv");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("t.csv:2: 3 fields"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_csv("a\n\"open", "t.csv"), std::runtime_error);
}

TEST(ChatReader, ReadsEveryFormatAndLocatesErrors) {
  auto path = write_temp(
      "mixed.jsonl",
      R"({"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"},{"role":"assistant","content":"a","weight":0}],"lang":"en","score":3})"
      "\n"
      R"({"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"yo"}],"system":"sys"})"
      "\n\n"
      R"({"instruction":"do","input":"this","output":"done"})"
      "\n"
      "{broken\n");
  try {
    read_chat_dataset(path);
    FAIL() << "a broken line must be an error";
  } catch (const DatasetError& e) {
    ASSERT_EQ(e.errors().size(), 1u);
    EXPECT_EQ(e.errors()[0].line, 5u);
    EXPECT_EQ(e.errors()[0].kind, "invalid_json");
  }
  ChatReadOptions opt;
  opt.skip_invalid = true;
  auto data = read_chat_dataset(path, opt);
  ASSERT_EQ(data.conversations.size(), 3u);
  EXPECT_EQ(data.errors.size(), 1u);
  EXPECT_EQ(data.conversations[0].turns[2].weight.value(), 0.0);
  EXPECT_EQ(data.conversations[1].turns[0].role, "system");
  EXPECT_EQ(data.conversations[1].turns[2].role, "assistant");
  EXPECT_EQ(data.conversations[2].turns[0].content, "do\nthis");
  EXPECT_EQ(data.conversations[2].line, 4u);
  // String metadata survives (a later split stratifies by it); the format's own keys do not.
  EXPECT_EQ(data.conversations[0].fields, (std::map<std::string, std::string>{{"lang", "en"}}));
  EXPECT_TRUE(data.conversations[1].fields.empty());
  EXPECT_NE(conversation_to_openai_json(data.conversations[0]).find(R"("lang":"en")"),
            std::string::npos);
}

TEST(ChatReader, LlamaFactoryDemoFiles) {
  CHOSEI_REQUIRE_DATA(dir, "llamafactory_sft");
  auto alpaca = read_chat_dataset(dir + "/alpaca_en_demo.json");
  EXPECT_GT(alpaca.conversations.size(), 100u);
  EXPECT_EQ(alpaca.conversations[0].turns.back().role, "assistant");
  auto v1 = read_chat_dataset(dir + "/v1_sft_demo.jsonl");  // content as text parts, loss_weight
  EXPECT_GT(v1.conversations.size(), 10u);
  EXPECT_EQ(v1.conversations[0].turns[0].weight.value(), 0.0);
}

TEST(ChatReader, BitextCsvWithColumnMapping) {
  CHOSEI_REQUIRE_DATA(dir, "sft_customer_support_bitext");
  ChatReadOptions opt;
  opt.column_map = parse_column_map({"instruction=user", "response=assistant"});
  opt.keep_fields = {"intent"};
  auto data = read_chat_dataset(dir + "/Bitext_Sample_Customer_Support_Training_Dataset.csv", opt);
  EXPECT_EQ(data.conversations.size(), 4514u);
  const auto& c = data.conversations[0];
  ASSERT_EQ(c.turns.size(), 2u);
  EXPECT_EQ(c.turns[0].role, "user");
  EXPECT_EQ(c.turns[0].content, "how can I cancel purchase 113542617735902?");
  EXPECT_EQ(c.fields.at("intent"), "cancel_order");
  EXPECT_THROW(parse_column_map({"instruction"}), std::invalid_argument);
  EXPECT_THROW(parse_column_map({"instruction=bot"}), std::invalid_argument);
}

TEST(Validation, CookbookToyFileMatchesNotebookOutput) {
  CHOSEI_REQUIRE_DATA(path, "openai_cookbook_finetune/toy_chat_fine_tuning.jsonl");
  auto r = validate_chat_jsonl(path);
  // golden_notebook_outputs.txt: 5 examples, no errors, 1 missing system, 1 missing user,
  // 20 epochs; messages per example 2..9, mean 3.8, median 3, p5/p95 (10th/90th) 2.0, 6.6.
  EXPECT_EQ(r.examples, 5);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.missing_system, 1);
  EXPECT_EQ(r.missing_user, 1);
  EXPECT_EQ(r.epochs, 20);
  auto m = summarize(r.messages_per_example);
  EXPECT_EQ(m.min, 2);
  EXPECT_EQ(m.max, 9);
  EXPECT_DOUBLE_EQ(m.mean, 3.8);
  EXPECT_DOUBLE_EQ(m.median, 3.0);
  EXPECT_DOUBLE_EQ(m.p90, 6.6000000000000005);
}

TEST(Validation, EveryErrorKindNamesItsLine) {
  auto path = write_temp(
      "bad.jsonl",
      std::string("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
                  "\"content\":\"ok\"}]}\n") +
          "not json\n[1]\n{\"messages\":[]}\n"
          "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":"
          "\"b\"},{\"role\":\"assistant\",\"content\":\" \"}]}\n"
          "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\",\"extra\":1},{\"role\":\"user\"}]}"
          "\n"
          "{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}\n");
  auto r = validate_chat_jsonl(path);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.examples, 7);
  std::map<std::string, std::int64_t> expected = {{"invalid_json", 1},
                                                  {"data_type", 1},
                                                  {"missing_messages_list", 1},
                                                  {"consecutive_same_role", 1},
                                                  {"empty_turn", 1},
                                                  {"message_unrecognized_key", 1},
                                                  {"unrecognized_role", 1},
                                                  {"message_missing_key", 1},
                                                  {"missing_content", 1},
                                                  {"example_missing_assistant_message", 1},
                                                  {"invalid_utf8", 1}};
  EXPECT_EQ(r.error_counts, expected);
  std::set<std::size_t> lines;
  for (const auto& e : r.errors) lines.insert(e.line);
  EXPECT_EQ(lines, (std::set<std::size_t>{2, 3, 4, 5, 6, 7}));
}

// OpenAI's tool-calling fine-tuning format: an assistant message with tool_calls and no
// content, then (parallel) tool results, is a clean example; read back, the calls and the
// tools survive, and writing it out keeps them.
TEST(Validation, ToolCallingExamplesAreCleanAndRoundTrip) {
  const std::string line =
      R"({"messages":[{"role":"user","content":"Weather in Kyoto and Nara?"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"weather","arguments":"{\"city\": \"Kyoto\"}"}},)"
      R"({"id":"c2","type":"function","function":{"name":"weather","arguments":"{\"city\": \"Nara\"}"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"tool","tool_call_id":"c2","content":"rain"},)"
      R"({"role":"assistant","content":"Kyoto is sunny; Nara has rain."}],)"
      R"("tools":[{"type":"function","function":{"name":"weather","parameters":{"type":"object"}}}]})";
  auto path = write_temp("tools.jsonl", line + "\n");
  auto r = validate_chat_jsonl(path);
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].message);
  auto data = read_chat_dataset(path);
  ASSERT_EQ(data.conversations.size(), 1u);
  const auto& c = data.conversations[0];
  ASSERT_EQ(c.turns[1].tool_calls.size(), 2u);
  EXPECT_EQ(c.turns[1].tool_calls[1].first, "weather");
  EXPECT_EQ(c.turns[1].tool_calls[1].second, R"({"city":"Nara"})");
  EXPECT_EQ(c.turns[2].role, "tool");
  ASSERT_EQ(c.tools.size(), 1u);
  const auto again = nlohmann::json::parse(conversation_to_openai_json(c));
  EXPECT_EQ(again["messages"][1]["tool_calls"][0]["function"]["arguments"], R"({"city":"Kyoto"})");
  EXPECT_EQ(again["tools"][0]["function"]["name"], "weather");
}

TEST(Validation, DefaultEpochsFollowTheNotebook) {
  EXPECT_EQ(default_epochs(5), 20);
  EXPECT_EQ(default_epochs(3), 25);
  EXPECT_EQ(default_epochs(40), 3);
  EXPECT_EQ(default_epochs(10000), 2);
  EXPECT_EQ(default_epochs(100000), 1);
}

TEST(Split, DeterministicDisjointAndStratified) {
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "{\"messages\":[],\"intent\":\"" + std::string(i % 4 == 0 ? "rare" : "common") +
            "\",\"i\":" + std::to_string(i) + "}\n";
  auto path = write_temp("all.jsonl", text);
  auto dir = test::temp_dir("split_out");
  SplitOptions opt;
  opt.val_fraction = 0.1;
  opt.seed = 1;
  opt.stratify_field = "intent";
  auto c = split_jsonl(path, dir + "/a", opt);
  EXPECT_EQ(c.train + c.val, 200);
  EXPECT_EQ(c.val, 20);
  split_jsonl(path, dir + "/b", opt);
  EXPECT_EQ(read_file(dir + "/a/val.jsonl"), read_file(dir + "/b/val.jsonl"));
  auto val = read_file(dir + "/a/val.jsonl");
  std::size_t rare = 0, pos = 0;
  while ((pos = val.find("rare", pos)) != std::string::npos) ++rare, ++pos;
  EXPECT_EQ(rare, 5u);  // 10% of the 50 rare lines
  // Every input line lands in exactly one output.
  EXPECT_EQ(read_file(dir + "/a/train.jsonl").size() + val.size(), text.size());
  opt.seed = 2;
  split_jsonl(path, dir + "/c", opt);
  EXPECT_NE(read_file(dir + "/c/val.jsonl"), val);
}

}  // namespace
}  // namespace chosei

#include "datasets/data_cleaner.h"

namespace chosei {
namespace {

Conversation qa(const std::string& q, const std::string& a, std::size_t line) {
  Conversation c;
  c.turns = {{"user", q, {}}, {"assistant", a, {}}};
  c.line = line;
  return c;
}

TEST(DataCleaner, DuplicatesSpamAndJunkAreDroppedWithReasons) {
  const std::string answer =
      "Returns are accepted within 30 days of delivery when the item is in its original packaging; "
      "we email a "
      "prepaid label within one business day and refund the original payment method within a week.";
  std::vector<Conversation> data = {
      qa("How do I return an item?", answer, 1),
      qa("how do I   RETURN an item?", answer, 2),              // exact after normalization
      qa("How can I return an item?", answer + " Thanks!", 3),  // near duplicate
      qa("What is the warranty on kettles?", "Two years, covering defects in normal household use.",
         4),
      qa("buy now",
         "BUY NOW buy now buy now buy now buy now buy now buy now buy now buy now buy now buy now",
         5),
      qa("???", "$$$ %%% ^^^ &&& *** !!! ### @@@ ~~~ +++ === --- ;;; ::: ||| ...", 6),
      qa("", "", 7),
      qa("返品はできますか？", "はい、お届けから30日以内であれば返品いただけます。", 8),
  };
  auto r = clean_conversations(data, {});
  EXPECT_EQ(r.kept, (std::vector<std::size_t>{0, 3, 7}));
  std::map<std::size_t, std::string> reasons;
  for (const auto& d : r.dropped) reasons[d.line] = d.reason;
  EXPECT_EQ(reasons[2], "exact_duplicate");
  EXPECT_EQ(reasons[3], "near_duplicate");
  EXPECT_EQ(reasons[5], "repetition");
  EXPECT_EQ(reasons[6], "symbols");
  EXPECT_EQ(reasons[7], "too_short");
  for (const auto& d : r.dropped) {
    if (d.reason.find("duplicate") != std::string::npos) {
      EXPECT_EQ(d.duplicate_of_line, 1u);
    }
  }
  EXPECT_GT(minhash_similarity(answer, answer + " Thanks!"), 0.85);
  EXPECT_LT(minhash_similarity(answer, "Two years, covering defects in normal household use."),
            0.2);
}

}  // namespace
}  // namespace chosei
