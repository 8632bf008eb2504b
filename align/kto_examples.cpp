#include "align/kto_examples.h"

namespace chosei {

namespace {

struct Labeled {
  bool raw;
  const std::vector<Turn>* prompt;
  const std::vector<Turn>* completion;
  bool desirable;
  std::string where;
};

std::vector<Labeled> labeled_completions(const PreferenceDataset& data) {
  std::vector<Labeled> out;
  for (const auto& u : data.unpaired)
    out.push_back(
        {u.raw, &u.prompt, &u.completion, u.desirable, u.source + ":" + std::to_string(u.line)});
  for (const auto& p : data.pairs) {
    const auto where = p.source + ":" + std::to_string(p.line);
    out.push_back({p.raw, &p.prompt, &p.chosen, true, where});
    out.push_back({p.raw, &p.prompt, &p.rejected, false, where});
  }
  return out;
}

}  // namespace

std::vector<KtoExample> tokenize_kto_examples(const PreferenceDataset& data,
                                              const Tokenizer& tokenizer, const ChatTemplate& tmpl,
                                              std::int64_t max_seq_len, std::size_t group,
                                              KtoTokenizeReport* report) {
  KtoTokenizeReport r;
  const auto limit = static_cast<std::size_t>(max_seq_len);
  std::vector<KtoExample> out;
  for (const auto& l : labeled_completions(data)) {
    KtoExample e;
    e.completion =
        tokenize_prompt_answer(l.raw, *l.prompt, *l.completion, tokenizer, tmpl, l.where);
    e.desirable = l.desirable;
    if (e.completion.ids.size() > limit || e.completion.prompt_tokens >= limit) {
      ++r.dropped_too_long;
      continue;
    }
    ++r.kept;
    ++(e.desirable ? r.desirable : r.undesirable);
    out.push_back(std::move(e));
  }
  // The answer tokens of a sequence follow its prompt's whatever the prompt (the template's
  // generation prompt ends it; raw answers are encoded on their own), so prompt i with the
  // answer of j is the concatenation.
  for (std::size_t start = 0; start < out.size(); start += group) {
    const std::size_t end = std::min(out.size(), start + group), n = end - start;
    for (std::size_t i = start; i < end; ++i) {
      const auto& own = out[i].completion;
      const auto& other = out[start + (i - start + 1) % n].completion;
      auto& m = out[i].mismatched;
      m.ids.assign(own.ids.begin(),
                   own.ids.begin() + static_cast<std::ptrdiff_t>(own.prompt_tokens));
      m.ids.insert(m.ids.end(),
                   other.ids.begin() + static_cast<std::ptrdiff_t>(other.prompt_tokens),
                   other.ids.end());
      m.prompt_tokens = own.prompt_tokens;
      if (m.ids.size() > limit) m.ids.resize(limit);
    }
  }
  if (report) *report = r;
  return out;
}

std::vector<PreferenceExample> kto_scoring_pairs(const std::vector<KtoExample>& examples) {
  std::vector<PreferenceExample> out;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    PreferenceExample p;
    p.chosen = examples[i].completion;
    p.rejected = examples[i].mismatched;
    p.pair = i;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace chosei
