#include "tokenizer/tokenizer_loader.h"

#include <filesystem>
#include <stdexcept>

#include "base/atomic_file.h"
#include "tokenizer/extended_tokenizer.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/llama2c_tokenizer.h"
#include "tokenizer/sentencepiece_tokenizer.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

LoadedTokenizer load_file(const std::string& file, const TokenizerConfig& config) {
  LoadedTokenizer t;
  t.config = config;
  if (ends_with(file, ".json"))
    t.tokenizer = HfTokenizer::from_file(file, config);
  else if (ends_with(file, ".model"))
    t.tokenizer = std::make_unique<SentencePieceTokenizer>(file, config);
  else if (ends_with(file, ".bin"))
    t.tokenizer = std::make_unique<Llama2cTokenizer>(file);
  else
    throw std::runtime_error(
        file + ": unknown tokenizer format (expected tokenizer.json, .model or .bin)");
  if (t.config.bos_token.empty() && t.tokenizer->bos_id() >= 0)
    t.config.bos_token = t.tokenizer->id_to_token(t.tokenizer->bos_id());
  if (t.config.eos_token.empty() && t.tokenizer->eos_id() >= 0)
    t.config.eos_token = t.tokenizer->id_to_token(t.tokenizer->eos_id());
  return t;
}

}  // namespace

LoadedTokenizer load_tokenizer(const std::string& path) {
  if (fs::is_directory(path)) {
    auto config = load_tokenizer_config((fs::path(path) / "tokenizer_config.json").string());
    // transformers saves the template beside the config since 4.50, and reads it first.
    const auto jinja = fs::path(path) / "chat_template.jinja";
    if (fs::exists(jinja)) config.chat_template = read_file(jinja.string());
    for (const char* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"}) {
      auto file = fs::path(path) / name;
      if (!fs::exists(file)) continue;
      auto loaded = load_file(file.string(), config);
      // A slow-tokenizer directory may add tokens beyond the base model in added_tokens.json.
      auto added = fs::path(path) / "added_tokens.json";
      if (std::string(name) != "tokenizer.json" && fs::exists(added))
        loaded.tokenizer = ExtendedTokenizer::from_added_tokens_json(
            std::shared_ptr<const Tokenizer>(std::move(loaded.tokenizer)), added.string());
      return loaded;
    }
    throw std::runtime_error(path + ": no tokenizer.json, tokenizer.model or tokenizer.bin");
  }
  if (!fs::exists(path)) throw std::runtime_error(path + ": no such file or directory");
  auto config =
      load_tokenizer_config((fs::path(path).parent_path() / "tokenizer_config.json").string());
  return load_file(path, config);
}

void save_tokenizer(const LoadedTokenizer& t, const std::string& dir) {
  fs::create_directories(dir);
  t.tokenizer->save(dir);
  write_file_atomic((fs::path(dir) / "tokenizer_config.json").string(),
                    tokenizer_config_to_json(t.config));
  // transformers reads chat_template.jinja before the config's: one left there must not
  // contradict the template written now.
  const auto jinja = fs::path(dir) / "chat_template.jinja";
  if (fs::exists(jinja)) {
    if (t.config.chat_template.empty())
      fs::remove(jinja);
    else
      write_file_atomic(jinja.string(), t.config.chat_template);
  }
}

}  // namespace chosei
