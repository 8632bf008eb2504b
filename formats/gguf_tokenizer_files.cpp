// tokenizer.json / tokenizer.model / tokenizer_config.json from tokenizer.ggml.* keys.

#include "formats/gguf_tokenizer_files.h"

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"
#include "formats/sentencepiece_bpe_json.h"
#include "tokenizer/byte_level_bpe_json.h"
#include "tokenizer/tokenizer_config.h"

namespace chosei {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

bool is_added(std::int32_t type) {
  return type == static_cast<std::int32_t>(GgufTokenType::CONTROL) ||
         type == static_cast<std::int32_t>(GgufTokenType::USER_DEFINED);
}

json byte_level_pre_tokenizer(const std::string& pre) {
  const json gpt2 = {{"type", "ByteLevel"},
                     {"add_prefix_space", false},
                     {"trim_offsets", true},
                     {"use_regex", true}};
  if (pre == "gpt-2" || pre == "default" || pre.empty()) return gpt2;
  // SmolLM's: each digit alone, then GPT-2's split (llama.cpp's LLAMA_VOCAB_PRE_TYPE_SMOLLM).
  if (pre == "smollm")
    return {
        {"type", "Sequence"},
        {"pretokenizers", json::array({{{"type", "Digits"}, {"individual_digits", true}}, gpt2})}};
  auto it = gguf_split_pre_tokenizers().find(pre);  // gpt-2 handled above: its regex is built in
  if (it == gguf_split_pre_tokenizers().end())
    throw std::invalid_argument("GGUF import: pre-tokenizer " + pre +
                                " is not supported (gpt-2, smollm, llama-bpe, qwen2, gpt-4o)");
  return {{"type", "Sequence"},
          {"pretokenizers", json::array({{{"type", "Split"},
                                          {"pattern", {{"Regex", it->second}}},
                                          {"behavior", "Isolated"},
                                          {"invert", false}},
                                         {{"type", "ByteLevel"},
                                          {"add_prefix_space", false},
                                          {"trim_offsets", false},
                                          {"use_regex", false}}})}};
}

void write_tokenizer_json(const GgufVocabulary& v, const std::string& dir) {
  ByteLevelBpeJson parts;
  parts.tokens = v.tokens;
  for (std::size_t id = 0; id < v.tokens.size(); ++id)
    if (is_added(v.types[id]))
      parts.added_tokens.push_back(
          added_token_json(static_cast<std::int64_t>(id), v.tokens[id],
                           v.types[id] == static_cast<std::int32_t>(GgufTokenType::CONTROL)));
  for (const auto& m : v.merges) {
    const auto space = m.find(' ');
    if (space == std::string::npos)
      throw std::invalid_argument("GGUF import: merge without a space: " + m);
    parts.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  parts.pre_tokenizer = byte_level_pre_tokenizer(v.pre);
  parts.post_processor = gguf_post_processor(v);
  parts.ignore_merges = v.pre == "llama-bpe";
  write_file_atomic((fs::path(dir) / "tokenizer.json").string(),
                    byte_level_bpe_json(parts).dump(2) + "\n");
}

// Protobuf wire-format writer for the few fields a ModelProto needs.
void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_key(std::string& out, std::uint32_t field, std::uint32_t wire) {
  put_varint(out, field << 3 | wire);
}
void put_bytes(std::string& out, std::uint32_t field, const std::string& bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out += bytes;
}
void put_varint_field(std::string& out, std::uint32_t field, std::int64_t v) {
  put_key(out, field, 0);
  put_varint(out, static_cast<std::uint64_t>(v));
}
void put_float(std::string& out, std::uint32_t field, float f) {
  put_key(out, field, 5);
  char b[4];
  std::memcpy(b, &f, 4);
  out.append(b, 4);
}

void write_tokenizer_config(const GgufVocabulary& v, const std::string& dir) {
  TokenizerConfig c;
  auto token = [&](std::int64_t id) {
    return id >= 0 ? v.tokens.at(static_cast<std::size_t>(id)) : "";
  };
  c.bos_token = token(v.bos);
  c.eos_token = token(v.eos);
  c.unk_token = token(v.unk);
  c.pad_token = token(v.pad);
  c.add_bos_token = v.add_bos;
  c.add_eos_token = v.add_eos;
  c.chat_template = v.chat_template;
  write_file_atomic((fs::path(dir) / "tokenizer_config.json").string(),
                    tokenizer_config_to_json(c));
}

}  // namespace

json gguf_post_processor(const GgufVocabulary& v) {
  if (!v.add_bos && !v.add_eos) return json();  // byte_level_bpe_json's ByteLevel: adds nothing
  json single = json::array(), specials = json::object();
  auto special = [&](std::int64_t id) {
    const std::string& t = v.tokens.at(static_cast<std::size_t>(id));
    single.push_back({{"SpecialToken", {{"id", t}, {"type_id", 0}}}});
    specials[t] = {{"id", t}, {"ids", {id}}, {"tokens", {t}}};
  };
  if (v.add_bos && v.bos >= 0) special(v.bos);
  single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
  if (v.add_eos && v.eos >= 0) special(v.eos);
  return {{"type", "TemplateProcessing"},
          {"single", single},
          {"pair", single},
          {"special_tokens", specials}};
}

std::string sentencepiece_model_bytes(const GgufVocabulary& v) {
  std::string out;
  bool byte_fallback = false;
  for (std::size_t id = 0; id < v.tokens.size(); ++id) {
    std::string piece;
    put_bytes(piece, 1, v.tokens[id]);
    put_float(piece, 2, v.scores.empty() ? 0.0f : v.scores[id]);
    // SentencePiece needs its unknown piece typed UNKNOWN; Gemma's GGUF marks <unk> CONTROL.
    const bool unk = static_cast<std::int64_t>(id) == v.unk;
    put_varint_field(piece, 3,
                     unk ? static_cast<std::int32_t>(GgufTokenType::UNKNOWN) : v.types[id]);
    put_bytes(out, 1, piece);
    byte_fallback |= v.types[id] == static_cast<std::int32_t>(GgufTokenType::BYTE);
  }
  std::string trainer;
  put_varint_field(trainer, 3, 2);  // model_type BPE: merges by piece score, as llama.cpp
  if (byte_fallback) put_varint_field(trainer, 35, 1);
  put_varint_field(trainer, 40, v.unk >= 0 ? v.unk : 0);
  put_varint_field(trainer, 41, v.bos);
  put_varint_field(trainer, 42, v.eos);
  put_varint_field(trainer, 43, v.pad);
  put_bytes(out, 2, trainer);
  std::string normalizer;
  put_bytes(normalizer, 1, "identity");
  put_varint_field(normalizer, 3, v.add_space_prefix ? 1 : 0);
  put_varint_field(normalizer, 4, 0);  // remove_extra_whitespaces: llama.cpp never does
  put_varint_field(normalizer, 5, 1);  // escape_whitespaces: spaces as U+2581
  put_bytes(out, 3, normalizer);
  return out;
}

void write_tokenizer_files(const GgufVocabulary& v, const std::string& dir) {
  if (v.model == "gpt2")
    write_tokenizer_json(v, dir);
  else if (v.model == "llama") {
    // tokenizer.json is what chosei and transformers load (control tokens matched in text);
    // tokenizer.model keeps the pieces' own scores for SentencePiece users.
    write_file_atomic((fs::path(dir) / "tokenizer.json").string(),
                      sentencepiece_bpe_json(v).dump(2) + "\n");
    write_file_atomic((fs::path(dir) / "tokenizer.model").string(), sentencepiece_model_bytes(v));
  } else
    throw std::invalid_argument("GGUF import: tokenizer model " + v.model +
                                " is not supported (llama, gpt2)");
  write_tokenizer_config(v, dir);
}

}  // namespace chosei
