#pragma once
// ModelRegistry: the models a server answers for, by name, each with its chat template,
// stop ids and its own GenerationLoop. Models can be added while serving (a fine-tuned
// model is registered when its job finishes); a request holds its model by shared pointer,
// so the registry can change under it.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/precision.h"
#include "formats/model_dir.h"
#include "generate/generation_loop.h"
#include "generate/token_bytes.h"
#include "generate/vocabulary_trie.h"
#include "tokenizer/chat_template.h"

namespace chosei {

struct ServedModel {
  // No template: a base model, served for legacy completions only.
  ServedModel(std::string name, LoadedModel loaded, std::optional<ChatTemplate> chat_template);
  std::string name;
  std::string owner;  // "" : every key's; else the owner of the key whose job made it
  std::int64_t created = 0;
  LoadedModel loaded;
  std::optional<ChatTemplate> chat_template;
  std::vector<TokenId> stop_ids;  // EOS and the template's end of turn
  std::unique_ptr<GenerationLoop> loop;

  const Tokenizer& tokenizer() const { return *loaded.tokenizer.tokenizer; }
  // The prompt the model continues for `messages` (the generation prompt appended, unless
  // `add_generation_prompt` is false); `template_arguments`: chat_template_kwargs. Throws
  // std::logic_error without a chat template, and ApiError 400 (code chat_template_error)
  // where the template refuses the conversation (its own raise_exception message).
  std::vector<TokenId> render(const std::vector<ChatMessage>& messages,
                              const std::vector<std::string>& tools = {},
                              const std::map<std::string, std::string>& template_arguments = {},
                              bool add_generation_prompt = true) const;
  // Each token's bytes and the vocabulary's trie, for log-probabilities and constrained
  // decoding; built on first use (once), then shared by every request.
  const TokenBytes& token_bytes() const;
  const VocabularyTrie& vocabulary_trie() const;

 private:
  mutable std::once_flag vocabulary_once_;
  mutable std::unique_ptr<TokenBytes> token_bytes_;
  mutable std::unique_ptr<VocabularyTrie> trie_;
  void build_vocabulary() const;
};

struct DecodingLimits {
  std::int64_t max_batch = 8;  // requests decoded together, per model
  std::size_t max_queue = 64;  // waiting requests before submit() refuses
  Precision precision = Precision::kFP32;
  std::string weights;           // decoding weights: "" (the precision's), "f32", "bf16", "q8_0"
  std::string kv_cache = "f32";  // KV cache entries: "f32" or "f16"
  std::string device = "cpu";    // cpu, cuda, cuda:N
  // Tokens per request (prompt and answer) the KV cache holds, capped by the model's context;
  // 0: the model's context, at most kDefaultServeContext (a 32k-context model would
  // otherwise reserve gigabytes per row).
  std::int64_t max_context = 0;
};

inline constexpr std::int64_t kDefaultServeContext = 4096;

class ModelRegistry {
 public:
  explicit ModelRegistry(DecodingLimits limits) : limits_(limits) {}
  ~ModelRegistry();

  // Loads the model directory and starts its generation loop. Throws when `name` is taken
  // or the directory does not load.
  // `chat_template`: a built-in's name or a Jinja file instead of the model's own ("").
  void add(const std::string& name, const std::string& dir, const std::string& owner = "",
           const std::string& chat_template = "");
  // Stops serving `name` (requests holding it finish); false when there is none.
  bool remove(const std::string& name);
  // The directory `name` was loaded from, "" when there is no such model.
  std::string directory(const std::string& name) const;
  // Null when there is no such model.
  std::shared_ptr<ServedModel> find(const std::string& name) const;
  std::vector<std::shared_ptr<ServedModel>> all() const;
  std::vector<std::string> names() const;
  // Finishes every queued and active request of every model.
  void shutdown();

 private:
  DecodingLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<ServedModel>> models_;
};

}  // namespace chosei
