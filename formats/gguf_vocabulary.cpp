// Tokenizer files to tokenizer.ggml.* keys and back.

#include "formats/gguf_vocabulary.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"
#include "formats/gguf_reader.h"
#include "formats/gguf_writer.h"
#include "tokenizer/pretokenizer_split.h"
#include "tokenizer/sentencepiece_model_proto.h"
#include "tokenizer/tokenizer.h"

namespace chosei {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void collect_pre_tokenizers(const json& node, std::vector<const json*>& out) {
  if (!node.is_object()) return;
  if (node.value("type", "") == "Sequence" && node.contains("pretokenizers")) {
    for (const auto& p : node["pretokenizers"]) collect_pre_tokenizers(p, out);
    return;
  }
  out.push_back(&node);
}

// "gpt-2" etc. for a byte-level pre-tokenizer; "" when the file is not byte-level.
std::string byte_level_pre(const json& tok, const std::string& source) {
  std::vector<const json*> parts;
  const json pre_tokenizer = tok.value("pre_tokenizer", json());  // parts point into it
  collect_pre_tokenizers(pre_tokenizer, parts);
  std::string regex, pre;
  bool byte_level = false, digits = false;
  for (const json* p : parts) {
    const std::string type = p->value("type", "");
    if (type == "Digits" && p->value("individual_digits", false)) digits = true;
    if (type == "ByteLevel") {
      byte_level = true;
      if (p->value("use_regex", true)) pre = "gpt-2";
    } else if (type == "Split" && p->contains("pattern") && (*p)["pattern"].contains("Regex")) {
      regex = (*p)["pattern"]["Regex"].get<std::string>();
    }
  }
  if (!byte_level) return "";
  if (digits && regex.empty() && pre == "gpt-2") return "smollm";
  if (!regex.empty()) {
    auto it = std::find_if(gguf_split_pre_tokenizers().begin(), gguf_split_pre_tokenizers().end(),
                           [&](const auto& named) { return named.second == regex; });
    if (it == gguf_split_pre_tokenizers().end())
      throw std::invalid_argument(
          source + ": pre-tokenizer regex " + regex +
          " has no llama.cpp equivalent (known: GPT-2, Llama 3, Qwen2, o200k)");
    return it->first;
  }
  if (pre.empty())
    throw std::invalid_argument(source +
                                ": a ByteLevel pre-tokenizer without a regex has no "
                                "llama.cpp equivalent");
  return pre;
}

std::string merge_text(const json& m) {
  if (m.is_string()) return m.get<std::string>();
  return m.at(0).get<std::string>() + " " + m.at(1).get<std::string>();
}

bool is_byte_piece(const std::string& t) {
  return t.size() == 6 && t.rfind("<0x", 0) == 0 && t.back() == '>';
}

void fill_rows(GgufVocabulary& v, std::int64_t rows, const std::string& source) {
  if (static_cast<std::int64_t>(v.tokens.size()) > rows)
    throw std::invalid_argument(source + ": the tokenizer has " + std::to_string(v.tokens.size()) +
                                " tokens, the model's embeddings " + std::to_string(rows) +
                                " rows");
  for (auto id = static_cast<std::int64_t>(v.tokens.size()); id < rows; ++id) {
    v.tokens.push_back("[PAD" + std::to_string(id) + "]");
    v.types.push_back(static_cast<std::int32_t>(GgufTokenType::UNUSED));
    if (!v.scores.empty()) v.scores.push_back(-1000.0f);
  }
}

GgufVocabulary from_tokenizer_json(const std::string& path, std::int64_t rows) {
  const json tok = json::parse(read_file(path));
  const json& model = tok.at("model");
  if (model.value("type", "") != "BPE")
    throw std::invalid_argument(path + ": GGUF export supports BPE tokenizers, not " +
                                model.value("type", std::string("?")));
  GgufVocabulary v;
  v.pre = byte_level_pre(tok, path);
  v.model = v.pre.empty() ? "llama" : "gpt2";
  if (v.model == "llama" && !model.value("byte_fallback", false))
    throw std::invalid_argument(path +
                                ": neither byte-level nor SentencePiece-style (byte_fallback)");
  if (v.model == "llama") v.pre = "default";
  std::map<std::int64_t, std::string> by_id;
  for (auto& [token, id] : model.at("vocab").items()) by_id[id.get<std::int64_t>()] = token;
  std::map<std::int64_t, bool> added_special;
  for (const auto& a : tok.value("added_tokens", json::array())) {
    by_id[a.at("id").get<std::int64_t>()] = a.at("content").get<std::string>();
    added_special[a.at("id").get<std::int64_t>()] = a.value("special", false);
  }
  // SentencePiece-style: llama.cpp merges the adjacent pair whose joined text has the
  // highest score, so a token's score is minus the rank of the merge that makes it.
  std::map<std::string, float> merge_score;
  std::int64_t rank = 0;
  for (const auto& m : model.value("merges", json::array())) {
    auto text = merge_text(m);
    if (v.model == "gpt2") v.merges.push_back(text);
    const auto space = text.find(' ');
    merge_score.emplace(text.substr(0, space) + text.substr(space + 1),
                        -static_cast<float>(rank++));
  }
  const std::string unk =
      model.value("unk_token", json()).is_string() ? model["unk_token"].get<std::string>() : "";
  const std::int64_t n = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  for (std::int64_t id = 0; id < n; ++id) {
    auto it = by_id.find(id);
    GgufTokenType type = GgufTokenType::NORMAL;
    std::string text = it == by_id.end() ? "[PAD" + std::to_string(id) + "]" : it->second;
    if (it == by_id.end())
      type = GgufTokenType::UNUSED;
    else if (!unk.empty() && text == unk)
      type = GgufTokenType::UNKNOWN;
    else if (added_special.count(id))
      type = added_special[id] ? GgufTokenType::CONTROL : GgufTokenType::USER_DEFINED;
    else if (v.model == "llama" && is_byte_piece(text))
      type = GgufTokenType::BYTE;
    v.tokens.push_back(text);
    v.types.push_back(static_cast<std::int32_t>(type));
    if (v.model == "llama") {
      auto s = merge_score.find(text);
      v.scores.push_back(type != GgufTokenType::NORMAL ? 0.0f
                         : s == merge_score.end()      ? 0.0f
                                                       : s->second);
    }
  }
  fill_rows(v, rows, path);
  return v;
}

GgufVocabulary from_sentencepiece(const std::string& path, std::int64_t rows) {
  const auto proto = parse_sentencepiece_model(read_file(path), path);
  GgufVocabulary v;
  v.model = "llama";
  v.pre = "default";
  v.add_space_prefix = proto.add_dummy_prefix;
  for (const auto& p : proto.pieces) {
    v.tokens.push_back(p.piece);
    v.scores.push_back(p.score);
    v.types.push_back(p.type);
  }
  fill_rows(v, rows, path);
  return v;
}

}  // namespace

const std::map<std::string, std::string>& gguf_split_pre_tokenizers() {
  // llama.cpp's LLAMA_VOCAB_PRE_TYPE names for the patterns chosei's splitter implements.
  static const std::map<std::string, std::string> regexes = {
      {"llama-bpe", split_pattern_regex(SplitPattern::kLlama3)},
      {"qwen2", split_pattern_regex(SplitPattern::kQwen2)},
      {"gpt-2", split_pattern_regex(SplitPattern::kGpt2)},
      {"gpt-4o", split_pattern_regex(SplitPattern::kO200k)},
  };
  return regexes;
}

GgufVocabulary read_gguf_vocabulary(const std::string& dir, std::int64_t rows) {
  if (fs::exists(fs::path(dir) / "tokenizer.json"))
    return from_tokenizer_json((fs::path(dir) / "tokenizer.json").string(), rows);
  if (fs::exists(fs::path(dir) / "tokenizer.model"))
    return from_sentencepiece((fs::path(dir) / "tokenizer.model").string(), rows);
  throw std::invalid_argument(dir + ": GGUF export needs tokenizer.json or tokenizer.model there");
}

void set_special_tokens(GgufVocabulary& vocab, const Tokenizer& tokenizer,
                        const std::vector<std::int64_t>& eos_ids) {
  vocab.bos = tokenizer.bos_id();
  vocab.eos = !eos_ids.empty() ? eos_ids.front() : tokenizer.eos_id();
  for (std::size_t id = 0; id < vocab.types.size(); ++id)
    if (vocab.types[id] == static_cast<std::int32_t>(GgufTokenType::UNKNOWN))
      vocab.unk = static_cast<std::int64_t>(id);
  const auto ids = tokenizer.encode("a", /*add_special=*/true);
  vocab.add_bos = !ids.empty() && vocab.bos >= 0 && ids.front() == vocab.bos;
  vocab.add_eos = ids.size() > 1 && tokenizer.eos_id() >= 0 && ids.back() == tokenizer.eos_id();
}

void write_vocabulary(GgufWriter& w, const GgufVocabulary& v) {
  w.set("tokenizer.ggml.model", GgufValue::string(v.model));
  w.set("tokenizer.ggml.pre", GgufValue::string(v.pre));
  w.set("tokenizer.ggml.tokens", GgufValue::string_array(v.tokens));
  if (v.model == "llama") w.set("tokenizer.ggml.scores", GgufValue::f32_array(v.scores));
  w.set("tokenizer.ggml.token_type", GgufValue::i32_array(v.types));
  if (v.model == "gpt2") w.set("tokenizer.ggml.merges", GgufValue::string_array(v.merges));
  auto id = [&](const char* key, std::int64_t value) {
    if (value >= 0) w.set(key, GgufValue::u32(static_cast<std::uint32_t>(value)));
  };
  id("tokenizer.ggml.bos_token_id", v.bos);
  id("tokenizer.ggml.eos_token_id", v.eos);
  id("tokenizer.ggml.unknown_token_id", v.unk);
  id("tokenizer.ggml.padding_token_id", v.pad);
  id("tokenizer.ggml.eot_token_id", v.eot);
  w.set("tokenizer.ggml.add_bos_token", GgufValue::boolean(v.add_bos));
  w.set("tokenizer.ggml.add_eos_token", GgufValue::boolean(v.add_eos));
  if (v.model == "llama")
    w.set("tokenizer.ggml.add_space_prefix", GgufValue::boolean(v.add_space_prefix));
  if (!v.chat_template.empty())
    w.set("tokenizer.chat_template", GgufValue::string(v.chat_template));
}

GgufVocabulary read_vocabulary(const GgufReader& r) {
  GgufVocabulary v;
  v.model = r.at("tokenizer.ggml.model").as_string("tokenizer.ggml.model");
  if (auto* p = r.find("tokenizer.ggml.pre")) v.pre = p->as_string("tokenizer.ggml.pre");
  v.tokens = r.at("tokenizer.ggml.tokens").strings;
  if (auto* s = r.find("tokenizer.ggml.scores"))
    v.scores.assign(s->numbers.begin(), s->numbers.end());
  if (auto* t = r.find("tokenizer.ggml.token_type"))
    v.types.assign(t->numbers.begin(), t->numbers.end());
  if (auto* m = r.find("tokenizer.ggml.merges")) v.merges = m->strings;
  auto id = [&](const char* key) -> std::int64_t {
    auto* x = r.find(key);
    return x ? static_cast<std::int64_t>(x->as_uint(key)) : -1;
  };
  v.bos = id("tokenizer.ggml.bos_token_id");
  v.eos = id("tokenizer.ggml.eos_token_id");
  v.unk = id("tokenizer.ggml.unknown_token_id");
  v.pad = id("tokenizer.ggml.padding_token_id");
  v.eot = id("tokenizer.ggml.eot_token_id");
  auto flag = [&](const char* key, bool fallback) {
    auto* x = r.find(key);
    return x ? x->as_bool(key) : fallback;
  };
  v.add_bos = flag("tokenizer.ggml.add_bos_token", v.model == "llama");
  v.add_eos = flag("tokenizer.ggml.add_eos_token", false);
  v.add_space_prefix = flag("tokenizer.ggml.add_space_prefix", true);
  if (auto* c = r.find("tokenizer.chat_template"))
    v.chat_template = c->as_string("tokenizer.chat_template");
  if (v.types.size() != v.tokens.size() ||
      (!v.scores.empty() && v.scores.size() != v.tokens.size()))
    throw std::runtime_error(r.path() +
                             ": tokenizer.ggml tokens, scores and token_type differ in length");
  return v;
}

}  // namespace chosei
