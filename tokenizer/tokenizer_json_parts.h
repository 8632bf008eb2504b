#pragma once
// The pipeline stages of a Hugging Face tokenizer.json, each built from its JSON node:
// normalizer, pre-tokenizer, post-processor and decoder. Types we do not implement are
// refused at load time with an error naming the stage and type, never silently ignored.

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace chosei {

// Rewrites one text segment (the text between added tokens).
using Normalizer = std::function<std::string(const std::string&)>;
// Splits one normalized segment into words. `first_segment`: the segment starts the input
// (Metaspace's prepend_scheme "first").
using PreTokenizer =
    std::function<std::vector<std::string>(const std::string&, bool first_segment)>;
// Adds the special tokens around an encoded sequence.
using PostProcessor = std::function<std::vector<TokenId>(const std::vector<TokenId>&)>;
// Turns token strings back into text.
using Decoder = std::function<std::string(const std::vector<std::string>&)>;

// A null node gives the identity stage.
Normalizer make_normalizer(const nlohmann::json& node);
PreTokenizer make_pre_tokenizer(const nlohmann::json& node);
PostProcessor make_post_processor(const nlohmann::json& node);
Decoder make_decoder(const nlohmann::json& node);

}  // namespace chosei
