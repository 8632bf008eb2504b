// libFuzzer target: any bytes as a chat template, parsed and rendered over a small
// conversation. A TemplateError is the expected answer to nonsense; a crash, a hang, a leak
// or undefined behaviour is a bug.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "jinja/template.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto messages = chosei::jinja::Value::from_json(nlohmann::ordered_json::parse(
      R"([{"role":"system","content":"Be brief."},{"role":"user","content":"Hi {{ x }}"},)"
      R"({"role":"assistant","content":"Hello","tool_calls":[{"function":{"name":"f",)"
      R"("arguments":{"a":1}}}]}])"));
  try {
    chosei::jinja::Template t(std::string(reinterpret_cast<const char*>(data), size));
    t.render({{"messages", messages},
              {"add_generation_prompt", chosei::jinja::Value(true)},
              {"bos_token", chosei::jinja::Value("<s>")}});
  } catch (const chosei::jinja::TemplateError&) {
  }
  return 0;
}
