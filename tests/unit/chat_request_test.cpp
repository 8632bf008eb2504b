// The chat completion request parser: OpenAI's field semantics, and a 400 naming the field
// for every malformed one.

#include <gtest/gtest.h>

#include "chat/api_error.h"
#include "chat/chat_request.h"

namespace chosei {
namespace {

using json = nlohmann::json;

std::string param_of(const std::string& body) {
  try {
    parse_chat_request(json::parse(body));
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.body()["error"]["type"], "invalid_request_error");
    return e.param;
  }
  return "<accepted>";
}

TEST(ChatRequest, ParsesOpenAiFields) {
  auto r = parse_chat_request(json::parse(R"({
    "model": "m", "temperature": 0.2, "top_p": 0.9, "max_tokens": 10, "max_completion_tokens": 7,
    "stop": ["\n\n", "END"], "seed": 42, "presence_penalty": 0.5, "frequency_penalty": -0.5,
    "stream": true, "stream_options": {"include_usage": true}, "n": 1,
    "messages": [{"role": "developer", "content": "be brief"},
                 {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                 {"role": "assistant", "content": null}]})"));
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].role, "system");  // developer is the new name of system
  EXPECT_EQ(r.messages[1].content, "ab");
  EXPECT_EQ(r.messages[2].content, "");
  EXPECT_EQ(r.max_tokens.value(), 7);  // max_completion_tokens wins over the deprecated field
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(r.seed.value(), 42u);
  EXPECT_TRUE(r.stream && r.include_usage);
  EXPECT_DOUBLE_EQ(r.presence_penalty, 0.5);
}

TEST(ChatRequest, EveryMalformedFieldIsA400NamingIt) {
  EXPECT_EQ(param_of(R"({"messages": [{"role": "user", "content": "x"}]})"), "model");
  EXPECT_EQ(param_of(R"({"model": "m"})"), "messages");
  EXPECT_EQ(param_of(R"({"model": "m", "messages": []})"), "messages");
  EXPECT_EQ(param_of(R"({"model": "m", "messages": [{"role": "robot", "content": "x"}]})"),
            "messages[0].role");
  EXPECT_EQ(param_of(R"({"model": "m", "messages": [{"role": "user", "content": 5}]})"),
            "messages[0].content");
  EXPECT_EQ(
      param_of(
          R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]})"),
      "messages[0].content[0].type");
  const std::string ok_messages = R"("messages": [{"role": "user", "content": "x"}])";
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, std::string>>{{"temperature", "2.5"},
                                                        {"temperature", "\"hot\""},
                                                        {"top_p", "1.5"},
                                                        {"max_tokens", "0"},
                                                        {"max_completion_tokens", "1.5"},
                                                        {"presence_penalty", "3"},
                                                        {"stop", "[1]"},
                                                        {"seed", "\"s\""},
                                                        {"stream", "\"yes\""},
                                                        {"n", "0"},
                                                        {"n", "9"},
                                                        {"logprobs", "1"},
                                                        {"top_logprobs", "3"},
                                                        {"response_format", "\"json\""},
                                                        {"logit_bias", "{\"1\": 5}"},
                                                        {"functions", "[]"},
                                                        {"frobnicate", "true"},
                                                        {"tools", "{}"}})
    EXPECT_EQ(param_of(R"({"model": "m", )" + ok_messages + ", \"" + field + "\": " + value + "}"),
              field)
        << field << " = " << value;
  EXPECT_EQ(param_of(R"({"model": "m", )" + ok_messages + "}"), "<accepted>");
  // Documented as accepted and ignored; explicit nulls are defaults.
  EXPECT_EQ(
      param_of(R"({"model": "m", "store": false, "metadata": {"a": "b"}, "logit_bias": null, )" +
               ok_messages + "}"),
      "<accepted>");
}

TEST(ChatRequest, ChoicesLogprobsAndResponseFormat) {
  const std::string raw = R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
    "n": 3, "logprobs": true, "top_logprobs": 4, "response_format": {"type": "json_schema",
    "json_schema": {"name": "p", "strict": true, "schema": {"type": "object",
    "properties": {"zeta": {"type": "string"}, "alpha": {"type": "integer"}}}}}})";
  auto r = parse_chat_request(json::parse(raw), {}, raw);
  EXPECT_EQ(r.n, 3);
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 4);
  EXPECT_EQ(r.response_format.type, "json_schema");
  EXPECT_TRUE(r.response_format.strict);
  // The schema keeps the order it was written in (the order properties are generated in).
  EXPECT_EQ(r.response_format.schema["properties"].begin().key(), "zeta");
}

}  // namespace
}  // namespace chosei
