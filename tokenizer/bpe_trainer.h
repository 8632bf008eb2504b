#pragma once
// Trains a byte-level BPE tokenizer (Sennrich et al. 2016, arXiv 1508.07909) from text
// files: the text is split into words with the GPT-2 pattern, words are counted, and the
// most frequent adjacent pair is merged until the vocabulary reaches its size. The result
// is a tokenizer.json that HF `tokenizers` loads (ByteLevel pre-tokenizer and decoder), with
// the chat special tokens <|endoftext|>, <|im_start|>, <|im_end|> added, plus a
// tokenizer_config.json carrying a ChatML chat template.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace chosei {

struct BpeTrainerOptions {
  std::int64_t vocab_size = 8192;  // including the 256 byte tokens and the special tokens
  std::int64_t min_frequency = 2;  // pairs seen fewer times are not merged
  std::vector<std::string> special_tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
};

struct TrainedBpe {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
  std::int64_t merges = 0;
};

// The text a file contributes; by default its bytes (read_file). Callers pass another to
// learn from, say, the message contents of a chat dataset.
using TrainingText = std::function<std::string(const std::string& file)>;

// Throws std::runtime_error naming a file that cannot be read, std::invalid_argument when
// vocab_size cannot hold the byte alphabet and the special tokens.
TrainedBpe train_byte_level_bpe(const std::vector<std::string>& files,
                                const BpeTrainerOptions& options,
                                const TrainingText& text_of = nullptr);

}  // namespace chosei
