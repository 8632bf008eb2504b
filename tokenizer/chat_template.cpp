#include "tokenizer/chat_template.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "tokenizer/builtin_templates.h"
#include "tokenizer/chat_template_state.h"

namespace chosei {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// What the template writes after an answer's content, split at whitespace: "<|im_end|>",
// "<|eot_id|>", "<end_of_turn>", Phi-3's "<|end|>" and "<|endoftext|>".
std::vector<std::string> probe_end_of_turn(const ChatTemplate& tmpl) {
  const std::string answer = "chosei probe answer";
  const std::vector<ChatMessage> asked = {{"user", "chosei probe question"}};
  auto answered = asked;
  answered.push_back({"assistant", answer});
  const std::string text = tmpl.render_text(answered, false);
  const auto at = text.rfind(answer);
  if (at == std::string::npos) return {};
  std::vector<std::string> out;
  std::string piece;
  for (char c : trim(text.substr(at + answer.size()))) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      if (!piece.empty()) out.push_back(piece);
      piece.clear();
    } else {
      piece += c;
    }
  }
  if (!piece.empty()) out.push_back(piece);
  return out;
}

ChatTemplate::State make_state(const std::string& name, const std::string& source,
                               std::map<std::string, std::string> variables) {
  ChatTemplate::State s;
  s.name = name;
  s.source = source;
  s.compiled = std::make_shared<jinja::Template>(source);
  s.variables = std::move(variables);
  // A template that reads `tools` writes the definitions itself (Qwen, Llama 3.1, Mistral).
  s.renders_tools = source.find("tools") != std::string::npos;
  return s;
}

}  // namespace

// A built-in, parsed and probed once per process: every command asks for them by name.
static std::shared_ptr<const ChatTemplate::State> builtin_state(const BuiltinTemplate& builtin) {
  auto state = make_state(builtin.name, builtin.jinja, {});
  state.builtin = true;
  state.renders_tools = false;  // tools take the format's convention (tokenizer/tool_calls.h)
  state.special_tokens = builtin.special_tokens;
  return std::make_shared<const ChatTemplate::State>(std::move(state));
}

ChatTemplate ChatTemplate::by_name(const std::string& name) {
  const BuiltinTemplate* builtin = find_builtin_template(name);
  if (!builtin) {
    std::string known;
    for (const auto& t : builtin_templates()) known += (known.empty() ? "" : ", ") + t.name;
    throw std::invalid_argument("unknown chat template \"" + name + "\" (known: " + known +
                                ", or a Jinja template file)");
  }
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const State>> parsed;
  std::lock_guard<std::mutex> lock(mutex);
  auto& state = parsed[name];
  if (!state) {
    const auto unprobed = builtin_state(*builtin);
    auto probed = std::make_shared<State>(*unprobed);
    probed->end_of_turn = probe_end_of_turn(ChatTemplate(unprobed));
    state = std::move(probed);
  }
  return ChatTemplate(state);
}

ChatTemplate ChatTemplate::from_jinja(const std::string& source, const std::string& name,
                                      std::map<std::string, std::string> variables) {
  for (const auto& t : builtin_templates())
    if (t.jinja == source) return by_name(t.name);  // a directory chosei wrote with a built-in
  auto state = make_state(name, source, std::move(variables));
  ChatTemplate probe{std::make_shared<const State>(state)};
  try {
    state.end_of_turn = probe_end_of_turn(probe);
  } catch (const std::exception&) {
    // A template that refuses the probe conversation (roles it insists on): the EOS token.
  }
  if (state.end_of_turn.empty()) {
    const auto eos = state.variables.find("eos_token");
    if (eos != state.variables.end() && !eos->second.empty()) state.end_of_turn = {eos->second};
  }
  return ChatTemplate(std::make_shared<const State>(std::move(state)));
}

ChatTemplate ChatTemplate::with_arguments(
    const std::map<std::string, std::string>& json_values) const {
  auto state = std::make_shared<State>(*state_);
  for (const auto& [name, text] : json_values) {
    if (name == "messages" || name == "tools" || name == "add_generation_prompt")
      throw std::invalid_argument("chat template argument \"" + name +
                                  "\" is set by the request itself");
    const auto value = nlohmann::ordered_json::parse(text, nullptr, false);
    if (value.is_discarded())
      throw std::invalid_argument("chat template argument \"" + name + "\" is not JSON: " + text);
    state->arguments[name] = jinja::Value::from_json(value);
  }
  return ChatTemplate(std::move(state));
}

std::vector<std::string> ChatTemplate::names() {
  std::vector<std::string> n;
  for (const auto& t : builtin_templates()) n.push_back(t.name);
  return n;
}

const std::string& ChatTemplate::name() const { return state_->name; }
const std::string& ChatTemplate::jinja() const { return state_->source; }
const std::vector<std::string>& ChatTemplate::special_tokens() const {
  return state_->special_tokens;
}
std::vector<std::string> ChatTemplate::end_of_turn() const { return state_->end_of_turn; }
bool ChatTemplate::renders_tools() const { return state_->renders_tools; }

std::vector<TokenId> ChatTemplate::end_of_turn_ids(const Tokenizer& tokenizer) const {
  std::vector<TokenId> ids;
  for (const auto& s : end_of_turn()) {
    if (const TokenId id = tokenizer.token_to_id(s); id >= 0) ids.push_back(id);
  }
  return ids;
}

}  // namespace chosei
