// chosei's Jinja engine against transformers' own jinja2 setup
// (tests/reference/jinja_reference.py, in the reference environment): every template of
// ../shared/data/chat_templates_trl and of the models cache's tokenizer configs, over
// conversations with and without a system message, several turns, tool calls and results,
// reasoning content and add_generation_prompt both ways, renders to the same text, raises
// where jinja2 raises, and marks the same {% generation %} spans; so do small templates for
// the constructs real ones use rarely (macros, call and filter blocks, loop variables,
// filters, tests, Python's str methods, slicing, reprs).

#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/unicode_text.h"
#include "jinja/template.h"
#include "tests/unit/test_data.h"

namespace chosei {
namespace {

namespace fs = std::filesystem;
using Ordered = nlohmann::ordered_json;

std::string reference_cases() {
  static const std::string dir = [] {
    const auto script = test::source_dir() + "/tests/reference/jinja_reference.py";
    const auto shared = test::data_dir();
    const auto models = test::model_path("");
    std::vector<std::string> inputs = {script};
    for (const auto& e : fs::directory_iterator(shared + "/chat_templates_trl"))
      inputs.push_back(e.path().string());
    if (!models.empty() && fs::exists(models + "/tokenizers"))
      for (const auto& e : fs::recursive_directory_iterator(models + "/tokenizers"))
        if (e.path().filename() == "tokenizer_config.json") inputs.push_back(e.path().string());
    std::sort(inputs.begin() + 1, inputs.end());
    std::string log;
    // Templates print today's date (strftime_now): the cached renderings are today's only.
    const std::time_t now = std::time(nullptr);
    char today[16];
    std::strftime(today, sizeof today, "%Y-%m-%d", std::localtime(&now));
    const auto out = test::cached_reference_dir(
        "CHOSEI_REFERENCE_DAY=" + std::string(today) + " " + test::reference_env_python() + " " +
            script + " " + shared + " " + (models.empty() ? std::string("/nonexistent") : models),
        inputs, &log);
    EXPECT_FALSE(out.empty()) << log;
    return out;
  }();
  return dir;
}

// Code-point offsets (Python's) as byte offsets of `text`.
std::size_t byte_offset(const std::string& text, std::size_t code_points) {
  const auto cps = decode_utf8(text);
  return code_points < cps.size() ? cps[code_points].offset : text.size();
}

TEST(JinjaTemplates, RenderAsTransformersRendersThem) {
  if (test::reference_env_python().empty())
    GTEST_SKIP() << "the reference environment is not installed (scripts/setup)";
  const auto dir = reference_cases();
  ASSERT_FALSE(dir.empty());
  std::ifstream in(dir + "/cases.jsonl");
  std::map<std::string, std::shared_ptr<jinja::Template>> templates;
  int rendered = 0, raised = 0, spans = 0, mismatches = 0;
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) {
    const auto r = Ordered::parse(line);
    const std::string name = r["template"], where = name + " " + r["case"].get<std::string>();
    names.insert(name);
    std::string got, error;
    jinja::Rendered out;
    try {
      auto& t = templates[name];
      if (!t)
        t = std::make_shared<jinja::Template>(read_file(dir + "/templates/" + name + ".jinja"));
      std::map<std::string, jinja::Value> context;
      for (const auto& [k, v] : r["context"].items()) context[k] = jinja::Value::from_json(v);
      out = t->render(context);
    } catch (const jinja::TemplateError& e) {
      error = e.what();
    }
    if (r.contains("error")) {
      EXPECT_FALSE(error.empty()) << where << ": jinja2 raised " << r["error"]
                                  << ", chosei did not";
      if (!error.empty()) ++raised;
      continue;
    }
    ASSERT_TRUE(error.empty()) << where << ": " << error;
    const std::string want = r["output"];
    if (out.text != want && ++mismatches <= 5)
      ADD_FAILURE() << where << "\n want " << Ordered(want).dump() << "\n got  "
                    << Ordered(out.text).dump();
    rendered += out.text == want;
    if (!r.contains("generation")) {
      EXPECT_TRUE(out.generation.empty()) << where;
      continue;
    }
    std::vector<std::pair<std::size_t, std::size_t>> expected;
    for (const auto& s : r["generation"])
      expected.emplace_back(byte_offset(want, s[0].get<std::size_t>()),
                            byte_offset(want, s[1].get<std::size_t>()));
    EXPECT_EQ(out.generation, expected) << where;
    spans += static_cast<int>(expected.size());
  }
  std::cout << names.size() << " templates: " << rendered << " renderings equal, " << raised
            << " errors where jinja2 raises, " << spans << " generation spans equal\n";
  EXPECT_EQ(mismatches, 0);
  EXPECT_GE(names.size(), 80u);
  EXPECT_GT(spans, 100);
}

// Errors say where: a syntax error's line and column, a runtime error's statement, and a
// template's own raise_exception message as it wrote it.
TEST(JinjaTemplates, ErrorsNameLineAndColumn) {
  try {
    jinja::Template("line one\n{% for m in messages %}\n{{ m.content }\n{% endfor %}");
    ADD_FAILURE() << "an unclosed print statement parsed";
  } catch (const jinja::TemplateError& e) {
    EXPECT_EQ(e.line(), 3) << e.what();
  }
  try {
    jinja::Template("ok\n  {{ messages[0].content.nosuch() }}")
        .render(
            {{"messages", jinja::Value::from_json(nlohmann::json::parse(R"([{"content":"x"}])"))}});
    ADD_FAILURE() << "calling an undefined method rendered";
  } catch (const jinja::TemplateError& e) {
    EXPECT_EQ(e.line(), 2) << e.what();
    EXPECT_NE(std::string(e.what()).find("nosuch"), std::string::npos) << e.what();
  }
  // Escapes that are no Unicode text (bad hex digits, a surrogate, past U+10FFFF), found by
  // the fuzzer: an error naming the place, not a crash.
  for (const char* bad : {"{{ '\\xZZ' }}", "{{ '\\ud800' }}", "{{ '\\U00110000' }}"})
    EXPECT_THROW(jinja::Template{bad}, jinja::TemplateError) << bad;
  EXPECT_EQ(jinja::Template("{{ '\\u00e9\\x41' }}").render({}).text, "\u00e9A");
  // Python's integers are unbounded; past 64 bits chosei refuses instead of wrapping, and a
  // huge power is computed by squaring (no hang).
  EXPECT_EQ(jinja::Template("{{ 2 ** 62 }}|{{ (-1) ** 1000000000000000001 }}").render({}).text,
            "4611686018427387904|-1");
  for (const char* past :
       {"{{ 2 ** 63 }}", "{{ 2 ** 1000000000000000 }}", "{{ 9223372036854775807 + 1 }}",
        "{{ 99999999999999999999999 }}", "{{ (1e999)|int }}"})
    EXPECT_THROW(jinja::Template(past).render({}), jinja::TemplateError) << past;
  try {
    jinja::Template("{{ raise_exception('Conversation roles must alternate') }}").render({});
    ADD_FAILURE() << "raise_exception did not raise";
  } catch (const jinja::TemplateError& e) {
    EXPECT_TRUE(e.raised_by_template());
    EXPECT_EQ(std::string(e.what()), "Conversation roles must alternate");
  }
}

// What users send is data: template syntax inside a message is printed, never evaluated.
TEST(JinjaTemplates, MessageContentIsNeverEvaluated) {
  const auto messages = jinja::Value::from_json(nlohmann::json::parse(
      R"([{"role":"user","content":"{{ 7 * 7 }} {% if true %}x{% endif %}"}])"));
  const auto out = jinja::Template("{% for m in messages %}{{ m.content }}{% endfor %}")
                       .render({{"messages", messages}});
  EXPECT_EQ(out.text, "{{ 7 * 7 }} {% if true %}x{% endif %}");
}

// A template is code from a downloaded model: one that loops for ever, nests without end or
// prints without end stops with an error naming where, instead of hanging the server.
TEST(JinjaTemplates, RunawayTemplatesStopWithAnError) {
  const std::vector<std::pair<std::string, std::string>> runaway = {
      {"{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
       "runs too long"},
      {"{% set ns = namespace(s='x') %}{% for i in range(1000000) %}"
       "{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
       "string over 256 MiB"},
      {"{{ 'x' * 100000000000 }}", "string over 256 MiB"},
      {"{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}"
       "{% endfor %}",
       "list over 16M items"},
      {"{% for i in range(100000000) %}x{% endfor %}", "range too big"},
      {"{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}", "nested"},
      {std::string(2000, ' ') + std::string(3000, '[') + std::string(3000, ']'), ""},
  };
  for (const auto& [source, expected] : runaway) {
    try {
      const auto out = jinja::Template(source).render({});
      if (!expected.empty()) ADD_FAILURE() << source.substr(0, 80) << " rendered";
    } catch (const jinja::TemplateError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
      EXPECT_GE(e.line(), 1) << e.what();
    }
  }
}

}  // namespace
}  // namespace chosei
