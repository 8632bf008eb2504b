#pragma once
// Opens a tokenizer from a model directory (tokenizer.json, else tokenizer.model, else
// tokenizer.bin, with the directory's tokenizer_config.json) or from one of those files.

#include <memory>
#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"

namespace chosei {

struct LoadedTokenizer {
  std::unique_ptr<Tokenizer> tokenizer;
  TokenizerConfig config;
};

// Throws std::runtime_error naming the path when nothing loadable is there.
LoadedTokenizer load_tokenizer(const std::string& path);

// Writes the tokenizer's files and tokenizer_config.json into `dir`.
void save_tokenizer(const LoadedTokenizer& tokenizer, const std::string& dir);

}  // namespace chosei
