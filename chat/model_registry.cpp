#include "chat/model_registry.h"

#include <ctime>
#include <stdexcept>

#include "chat/api_error.h"
#include "jinja/template_error.h"
#include "model/decoding_placement.h"
#include "tokenizer/chat_messages.h"

namespace chosei {

ServedModel::ServedModel(std::string name, LoadedModel loaded,
                         std::optional<ChatTemplate> chat_template)
    : name(std::move(name)), loaded(std::move(loaded)), chat_template(std::move(chat_template)) {
  stop_ids = this->chat_template
                 ? stop_token_ids(this->loaded.eos_ids(), *this->chat_template, tokenizer())
                 : this->loaded.eos_ids();
}

std::vector<TokenId> ServedModel::render(
    const std::vector<ChatMessage>& messages, const std::vector<std::string>& tools,
    const std::map<std::string, std::string>& template_arguments,
    bool add_generation_prompt) const {
  if (!chat_template) throw std::logic_error("the model " + name + " has no chat template");
  try {
    const auto tmpl = template_arguments.empty()
                          ? *chat_template
                          : chat_template->with_arguments(template_arguments);
    return tmpl.render(tokenizer(), messages, add_generation_prompt, tools).ids;
  } catch (const jinja::TemplateError& e) {
    throw invalid_request(
        "the model's chat template refused the messages: " + std::string(e.what()), "messages",
        "chat_template_error");
  } catch (const std::invalid_argument& e) {
    throw invalid_request(e.what(), "messages", "chat_template_error");
  }
}

void ServedModel::build_vocabulary() const {
  std::call_once(vocabulary_once_, [this] {
    token_bytes_ = std::make_unique<TokenBytes>(tokenizer());
    trie_ = std::make_unique<VocabularyTrie>(*token_bytes_);
  });
}

const TokenBytes& ServedModel::token_bytes() const {
  build_vocabulary();
  return *token_bytes_;
}

const VocabularyTrie& ServedModel::vocabulary_trie() const {
  build_vocabulary();
  return *trie_;
}

namespace {

// The model's own template (rendered as written), else ChatML when its tokenizer has
// ChatML's tokens (our own models); otherwise none: a base model.
std::optional<ChatTemplate> served_template(const LoadedModel& m) {
  const auto& config = m.tokenizer.config;
  if (!config.chat_template.empty()) return choose_chat_template(config);
  auto chatml = ChatTemplate::by_name("chatml");
  for (const auto& special : chatml.special_tokens())
    if (m.tokenizer.tokenizer->token_to_id(special) < 0) return std::nullopt;
  return chatml;
}

}  // namespace

ModelRegistry::~ModelRegistry() { shutdown(); }

void ModelRegistry::add(const std::string& name, const std::string& dir, const std::string& owner,
                        const std::string& chat_template) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (models_.count(name)) throw std::invalid_argument("a model named " + name + " is served");
  }
  auto loaded = load_model_dir(dir);
  loaded.model->set_precision(limits_.precision);
  place_for_decoding(*loaded.model, {limits_.device, limits_.weights, limits_.kv_cache});
  auto tmpl = chat_template.empty() ? served_template(loaded)
                                    : std::optional<ChatTemplate>(choose_chat_template(
                                          loaded.tokenizer.config, chat_template));
  auto sm = std::make_shared<ServedModel>(name, std::move(loaded), tmpl);
  sm->owner = owner;
  sm->created = static_cast<std::int64_t>(std::time(nullptr));
  const Tokenizer* tok = &sm->tokenizer();
  // The loop borrows the tokenizer: the ServedModel owns it and outlives the loop.
  const auto model_context = sm->loaded.model->config().max_position_embeddings;
  const auto context =
      std::min(model_context, limits_.max_context > 0 ? limits_.max_context : kDefaultServeContext);
  sm->loop = std::make_unique<GenerationLoop>(
      sm->loaded.model, std::shared_ptr<const Tokenizer>(tok, [](const Tokenizer*) {}),
      limits_.max_batch, limits_.max_queue, context);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!models_.emplace(name, sm).second) {
    sm->loop->shutdown();
    throw std::invalid_argument("a model named " + name + " is served");
  }
}

bool ModelRegistry::remove(const std::string& name) {
  std::shared_ptr<ServedModel> sm;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = models_.find(name);
    if (it == models_.end()) return false;
    sm = it->second;
    models_.erase(it);
  }
  sm->loop->shutdown();
  return true;
}

std::string ModelRegistry::directory(const std::string& name) const {
  const auto sm = find(name);
  return sm ? sm->loaded.dir : "";
}

std::shared_ptr<ServedModel> ModelRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ServedModel>> ModelRegistry::all() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<ServedModel>> out;
  for (const auto& [name, sm] : models_) out.push_back(sm);
  return out;
}

std::vector<std::string> ModelRegistry::names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [name, sm] : models_) out.push_back(name);
  return out;
}

void ModelRegistry::shutdown() {
  for (auto& sm : all()) sm->loop->shutdown();
}

}  // namespace chosei
