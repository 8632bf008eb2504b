#include "sft/chat_tokens.h"

#include <iostream>

#include "model/extended_tokenizer.h"

namespace chosei {

// Gives the model's tokenizer the template's special tokens when it lacks them, growing
// the embeddings to match.
ChatTemplate ensure_chat_tokens(LoadedModel& m, const std::string& template_name) {
  auto tmpl = !template_name.empty() ? ChatTemplate::by_name(template_name)
              : m.tokenizer.config.chat_template.empty()
                  ? ChatTemplate::by_name("chatml")
                  : ChatTemplate::detect(m.tokenizer.config.chat_template);
  std::vector<std::string> missing;
  for (const auto& t : tmpl.special_tokens())
    if (m.tokenizer.tokenizer->token_to_id(t) < 0) missing.push_back(t);
  if (!missing.empty()) {
    std::shared_ptr<const Tokenizer> base(std::move(m.tokenizer.tokenizer));
    m.tokenizer.tokenizer = std::make_unique<ExtendedTokenizer>(base, missing);
    std::cerr << "added " << missing.size()
              << " chat tokens to the tokenizer; embeddings resized to "
              << m.tokenizer.tokenizer->vocab_size() << "\n";
  }
  if (m.tokenizer.tokenizer->vocab_size() > m.model->config().vocab_size)
    m.model = resize_token_embeddings(m.model, m.tokenizer.tokenizer->vocab_size());
  m.tokenizer.config.chat_template = tmpl.jinja();
  return tmpl;
}

}  // namespace chosei
