#include "formats/chat_tokens.h"

#include <iostream>

#include "tokenizer/chat_messages.h"

namespace chosei {

ChatTemplate ensure_chat_tokens(LoadedModel& m, const std::string& template_name) {
  std::vector<std::string> added;
  auto tmpl = prepare_chat_tokenizer(m.tokenizer, template_name, &added);
  if (!added.empty())
    std::cerr << "added " << added.size() << " chat tokens to the tokenizer; embeddings resized to "
              << m.tokenizer.tokenizer->vocab_size() << "\n";
  if (m.tokenizer.tokenizer->vocab_size() > m.model->config().vocab_size)
    m.model = resize_token_embeddings(m.model, m.tokenizer.tokenizer->vocab_size());
  return tmpl;
}

}  // namespace chosei
