#include "datasets/preference_example.h"

#include <algorithm>
#include <stdexcept>

namespace chosei {

namespace {

std::vector<ChatMessage> chat_messages(const std::vector<Turn>& turns) {
  std::vector<ChatMessage> out;
  for (const auto& t : turns) out.push_back({t.role, t.content, true});
  return out;
}

void drop_duplicate_bos(std::vector<TokenId>& ids, TokenId bos) {
  if (bos >= 0 && ids.size() >= 2 && ids[0] == bos && ids[1] == bos) ids.erase(ids.begin());
}

PromptAnswerIds raw_ids(const std::vector<Turn>& prompt, const std::vector<Turn>& answer,
                        const Tokenizer& tokenizer) {
  PromptAnswerIds out;
  out.ids = tokenizer.encode(turns_text(prompt), /*add_special=*/true);
  drop_duplicate_bos(out.ids, tokenizer.bos_id());
  const TokenId eos = tokenizer.eos_id();
  // Some tokenizers append EOS to every encode: the prompt must not end the text.
  if (eos >= 0 && !out.ids.empty() && out.ids.back() == eos) out.ids.pop_back();
  out.prompt_tokens = out.ids.size();
  auto answer_ids = tokenizer.encode(turns_text(answer), /*add_special=*/false);
  out.ids.insert(out.ids.end(), answer_ids.begin(), answer_ids.end());
  if (eos >= 0) out.ids.push_back(eos);
  return out;
}

// Drops the separator the template writes after the answer's end-of-turn token.
void cut_at_last_end_of_turn(PromptAnswerIds& out, const Tokenizer& tokenizer,
                             const ChatTemplate& tmpl) {
  const auto eot = tmpl.end_of_turn_ids(tokenizer);
  auto last = std::find_if(out.ids.rbegin(), out.ids.rend(), [&](TokenId id) {
    return std::find(eot.begin(), eot.end(), id) != eot.end();
  });
  if (last == out.ids.rend()) return;
  const auto keep = static_cast<std::size_t>(out.ids.rend() - last);
  if (keep > out.prompt_tokens) out.ids.resize(keep);
}

PromptAnswerIds chat_ids(const std::vector<Turn>& prompt, const std::vector<Turn>& answer,
                         const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                         const std::string& where, AnswerEnd end) {
  auto messages = chat_messages(prompt);
  auto prompt_ids = tmpl.render(tokenizer, messages, /*add_generation_prompt=*/true).ids;
  for (const auto& m : chat_messages(answer)) messages.push_back(m);
  PromptAnswerIds out;
  out.ids = tmpl.render(tokenizer, messages, /*add_generation_prompt=*/false).ids;
  drop_duplicate_bos(prompt_ids, tokenizer.bos_id());
  drop_duplicate_bos(out.ids, tokenizer.bos_id());
  if (prompt_ids.size() > out.ids.size() ||
      !std::equal(prompt_ids.begin(), prompt_ids.end(), out.ids.begin()))
    throw std::runtime_error(where + ": the " + tmpl.name() +
                             " template renders the prompt differently from the start of "
                             "prompt + answer; the answer's tokens cannot be located");
  out.prompt_tokens = prompt_ids.size();
  if (end == AnswerEnd::kEndOfTurn) cut_at_last_end_of_turn(out, tokenizer, tmpl);
  return out;
}

}  // namespace

PromptAnswerIds tokenize_prompt_answer(bool raw, const std::vector<Turn>& prompt,
                                       const std::vector<Turn>& answer, const Tokenizer& tokenizer,
                                       const ChatTemplate& tmpl, const std::string& where,
                                       AnswerEnd end) {
  return raw ? raw_ids(prompt, answer, tokenizer)
             : chat_ids(prompt, answer, tokenizer, tmpl, where, end);
}

std::vector<PreferenceExample> tokenize_preference_pairs(const std::vector<PreferencePair>& pairs,
                                                         const Tokenizer& tokenizer,
                                                         const ChatTemplate& tmpl,
                                                         std::int64_t max_seq_len,
                                                         PreferenceTokenizeReport* report) {
  PreferenceTokenizeReport r;
  std::vector<PreferenceExample> out;
  const auto limit = static_cast<std::size_t>(max_seq_len);
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const auto& p = pairs[i];
    const std::string where = p.source + ":" + std::to_string(p.line);
    PreferenceExample ex;
    ex.chosen = tokenize_prompt_answer(p.raw, p.prompt, p.chosen, tokenizer, tmpl, where);
    ex.rejected = tokenize_prompt_answer(p.raw, p.prompt, p.rejected, tokenizer, tmpl, where);
    ex.margin = p.margin.value_or(0.0);
    ex.pair = i;
    if (ex.chosen.prompt_tokens >= limit) {
      ++r.dropped_prompt_too_long;
      continue;
    }
    if (ex.chosen.ids.size() > limit || ex.rejected.ids.size() > limit) {
      ++r.dropped_too_long;
      continue;
    }
    ++r.kept;
    out.push_back(std::move(ex));
  }
  if (report) *report = r;
  return out;
}

}  // namespace chosei
