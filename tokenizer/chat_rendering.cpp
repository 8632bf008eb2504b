// ChatTemplate's rendering: messages become the template's context, the text becomes ids as
// transformers tokenizes it (special tokens matched, nothing added), with message content kept
// as characters and the labels found from {% generation %} blocks or by prefix rendering.

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "tokenizer/chat_template.h"
#include "tokenizer/chat_template_state.h"
#include "tokenizer/tool_calls.h"

namespace chosei {

namespace {

using ojson = nlohmann::ordered_json;
using Range = std::pair<std::size_t, std::size_t>;  // [begin, end) bytes of the text

ojson parsed_or_text(const std::string& text) {
  auto j = ojson::parse(text.empty() ? "{}" : text, nullptr, false);
  return j.is_discarded() ? ojson(text) : j;
}

// A message as the OpenAI shape transformers' templates read: tool_calls[].function with
// arguments as an object.
ojson message_json(const ChatMessage& m) {
  ojson j = {{"role", m.role}, {"content", m.content}};
  if (!m.tool_calls.empty()) {
    ojson calls = ojson::array();
    for (const auto& c : m.tool_calls) {
      ojson call = {{"type", "function"},
                    {"function", {{"name", c.name}, {"arguments", parsed_or_text(c.arguments)}}}};
      if (!c.id.empty()) call["id"] = c.id;
      calls.push_back(std::move(call));
    }
    j["tool_calls"] = std::move(calls);
  }
  if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
  if (!m.name.empty()) j["name"] = m.name;
  if (!m.reasoning_content.empty()) j["reasoning_content"] = m.reasoning_content;
  return j;
}

jinja::Rendered render_jinja(const ChatTemplate::State& s, const std::vector<ChatMessage>& messages,
                             bool add_generation_prompt, const std::vector<std::string>& tools) {
  std::map<std::string, jinja::Value> context;
  for (const auto& [k, v] : s.variables) context[k] = jinja::Value(v);
  for (const auto& [k, v] : s.arguments) context[k] = v;
  ojson list = ojson::array();
  for (const auto& m : messages) list.push_back(message_json(m));
  context["messages"] = jinja::Value::from_json(list);
  if (!tools.empty()) {
    ojson t = ojson::array();
    for (const auto& tool : tools) t.push_back(parsed_or_text(tool));
    context["tools"] = jinja::Value::from_json(t);
  }
  context["add_generation_prompt"] = jinja::Value(add_generation_prompt);
  return s.compiled->render(context);
}

// What the template renders: tools and calls through the format's convention when the
// template does not write them itself.
std::vector<ChatMessage> template_messages(const ChatTemplate& tmpl,
                                           const std::vector<ChatMessage>& messages,
                                           const std::vector<std::string>& tools) {
  if (tmpl.renders_tools() || !uses_tools(messages, tools)) return messages;
  return tool_messages(tmpl, messages, tools);
}

// The tools the template itself writes; the others went into the messages.
std::vector<std::string> native_tools(const ChatTemplate& tmpl,
                                      const std::vector<std::string>& tools) {
  return tmpl.renders_tools() ? tools : std::vector<std::string>{};
}

// The special tokens (not the ordinary added ones, such as Gemma's "<b>") that encoding
// `text` would match.
std::set<std::string> special_strings(const Tokenizer& tok, const std::string& text) {
  std::set<std::string> out;
  for (TokenId id : tok.encode(text, false))
    if (tok.is_special(id)) out.insert(tok.id_to_token(id));
  return out;
}

// Message contents in the text, in order, that hold a special token's string: encoded with
// those strings as characters, so typed markup never becomes a turn. Content the template
// rewrote is not found and is tokenized as transformers tokenizes it.
std::vector<Range> protected_content(const Tokenizer& tok, const std::string& text,
                                     const std::vector<ChatMessage>& messages) {
  std::vector<Range> out;
  std::size_t from = 0;
  for (const auto& m : messages) {
    if (m.content.empty()) continue;
    const auto at = text.find(m.content, from);
    if (at == std::string::npos) continue;
    from = at + m.content.size();
    if (!special_strings(tok, m.content).empty()) out.emplace_back(at, from);
  }
  return out;
}

// `text` as encode() would, except that special-token strings stay characters.
std::vector<TokenId> encode_as_text(const Tokenizer& tok, const std::string& text) {
  const auto specials = special_strings(tok, text);
  std::vector<TokenId> ids;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t best = std::string::npos, length = 0;
    for (const auto& s : specials)
      if (const auto hit = text.find(s, pos); hit < best) best = hit, length = s.size();
    const auto before = tok.encode(text.substr(pos, best - pos), false);
    ids.insert(ids.end(), before.begin(), before.end());
    if (best == std::string::npos) break;
    const auto typed = tok.encode_plain(text.substr(best, length));
    ids.insert(ids.end(), typed.begin(), typed.end());
    pos = best + length;
  }
  return ids;
}

bool inside(const std::vector<Range>& ranges, std::size_t begin, std::size_t end) {
  for (const auto& [b, e] : ranges)
    if (b <= begin && end <= e) return true;
  return false;
}

// The text cut at every label and protected boundary; each piece encoded on its own.
RenderedChat encode_pieces(const Tokenizer& tok, const std::string& text,
                           const std::vector<Range>& labels, const std::vector<Range>& plain) {
  std::set<std::size_t> cuts = {0, text.size()};
  for (const auto* ranges : {&labels, &plain})
    for (const auto& [b, e] : *ranges) cuts.insert({b, e});
  RenderedChat r;
  for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
    const std::size_t b = *it, e = *std::next(it);
    if (b >= e) continue;
    const std::string piece = text.substr(b, e - b);
    const auto ids = inside(plain, b, e) ? encode_as_text(tok, piece) : tok.encode(piece, false);
    r.ids.insert(r.ids.end(), ids.begin(), ids.end());
    r.assistant_mask.resize(r.ids.size(), inside(labels, b, e) ? 1 : 0);
  }
  return r;
}

// The {% generation %} blocks of the labeled answers: block k is assistant message k's when
// the counts agree; otherwise every block counts, which needs every answer labeled.
std::vector<Range> generation_labels(const jinja::Rendered& out,
                                     const std::vector<ChatMessage>& messages) {
  std::vector<bool> labeled;
  for (const auto& m : messages)
    if (m.role == "assistant") labeled.push_back(m.labeled);
  std::vector<Range> ranges;
  if (labeled.size() == out.generation.size()) {
    for (std::size_t k = 0; k < labeled.size(); ++k)
      if (labeled[k]) ranges.push_back(out.generation[k]);
    return ranges;
  }
  if (std::find(labeled.begin(), labeled.end(), false) != labeled.end())
    throw std::invalid_argument(
        "the chat template has " + std::to_string(out.generation.size()) +
        " {% generation %} blocks for " + std::to_string(labeled.size()) +
        " assistant messages: an answer with weight 0 cannot be told apart");
  return out.generation;
}

// TRL's rule without markers: an answer's labels are what rendering the conversation up to
// it adds to rendering the question with the generation prompt.
std::vector<Range> prefix_labels(const ChatTemplate::State& s, const std::string& whole,
                                 const std::vector<ChatMessage>& messages,
                                 const std::vector<std::string>& tools) {
  std::vector<Range> ranges;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].role != "assistant" || !messages[i].labeled) continue;
    const std::vector<ChatMessage> before(messages.begin(),
                                          messages.begin() + static_cast<long>(i));
    const std::vector<ChatMessage> through(messages.begin(),
                                           messages.begin() + static_cast<long>(i) + 1);
    const std::string asked = render_jinja(s, before, true, tools).text;
    const std::string answered = render_jinja(s, through, false, tools).text;
    if (answered.compare(0, asked.size(), asked) != 0 ||
        whole.compare(0, answered.size(), answered) != 0)
      throw std::invalid_argument(
          (s.name == "model" ? std::string("the model's chat template")
                             : "the chat template " + s.name) +
          " is not prefix-preserving (the conversation rendered up to its answer in message " +
          std::to_string(i + 1) +
          " does not begin the whole conversation's rendering), so the answers cannot be "
          "labeled: give a training template with {% generation %} blocks (--template FILE; "
          "sft: template=FILE)");
    ranges.emplace_back(asked.size(), answered.size());
  }
  return ranges;
}

}  // namespace

std::string ChatTemplate::render_text(const std::vector<ChatMessage>& messages,
                                      bool add_generation_prompt,
                                      const std::vector<std::string>& tools) const {
  const auto given = template_messages(*this, messages, tools);
  return render_jinja(*state_, given, add_generation_prompt, native_tools(*this, tools)).text;
}

RenderedChat ChatTemplate::render(const Tokenizer& tok, const std::vector<ChatMessage>& messages,
                                  bool add_generation_prompt,
                                  const std::vector<std::string>& tools) const {
  const auto given = template_messages(*this, messages, tools);
  const std::string text =
      render_jinja(*state_, given, add_generation_prompt, native_tools(*this, tools)).text;
  RenderedChat r = encode_pieces(tok, text, {}, protected_content(tok, text, given));
  r.assistant_mask.clear();
  return r;
}

RenderedChat ChatTemplate::render_labeled(const Tokenizer& tok,
                                          const std::vector<ChatMessage>& messages,
                                          const std::vector<std::string>& tools) const {
  const auto given = template_messages(*this, messages, tools);
  const auto native = native_tools(*this, tools);
  const auto out = render_jinja(*state_, given, false, native);
  const auto labels = out.generation.empty() ? prefix_labels(*state_, out.text, given, native)
                                             : generation_labels(out, given);
  return encode_pieces(tok, out.text, labels, protected_content(tok, out.text, given));
}

}  // namespace chosei
