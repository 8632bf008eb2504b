#include "tokenizer/hf_tokenizer.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/atomic_file.h"

namespace chosei {

using nlohmann::json;

namespace {

std::vector<std::pair<std::string, std::string>> parse_merges(const json& merges,
                                                              const std::string& source) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const auto& m : merges) {
    if (m.is_string()) {  // "a b" (older files)
      auto s = m.get<std::string>();
      auto space = s.find(' ', 1);
      if (space == std::string::npos)
        throw std::invalid_argument(source + ": merge \"" + s + "\" has no space");
      out.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2) {  // ["a", "b"] (tokenizers >= 0.20)
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      throw std::invalid_argument(source + ": malformed merge " + m.dump());
    }
  }
  return out;
}

std::unique_ptr<BpeModel> parse_model(const json& node, const std::string& source) {
  if (node.value("type", "BPE") != "BPE")
    throw std::invalid_argument(source + ": model type " + node.value("type", "") +
                                " is not supported (BPE only)");
  if (node.contains("continuing_subword_prefix") && node["continuing_subword_prefix"].is_string() &&
      !node["continuing_subword_prefix"].get<std::string>().empty())
    throw std::invalid_argument(source + ": BPE continuing_subword_prefix is not supported");
  std::unordered_map<std::string, TokenId> vocab;
  for (auto& [tok, id] : node.at("vocab").items()) vocab[tok] = id.get<TokenId>();
  BpeModel::Options opt;
  opt.byte_fallback = node.value("byte_fallback", false);
  opt.fuse_unk = node.value("fuse_unk", false);
  opt.ignore_merges = node.value("ignore_merges", false);
  if (node.contains("unk_token") && node["unk_token"].is_string())
    opt.unk_token = node["unk_token"].get<std::string>();
  return std::make_unique<BpeModel>(std::move(vocab), parse_merges(node.at("merges"), source), opt);
}

}  // namespace

HfTokenizer::HfTokenizer(const std::string& json_text, const TokenizerConfig& config,
                         const std::string& source)
    : json_text_(json_text) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::invalid_argument(source + ": not valid JSON");
  try {
    model_ = parse_model(j.at("model"), source);
    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
      for (const auto& t : j["added_tokens"]) {
        AddedToken a;
        a.id = t.at("id").get<TokenId>();
        a.content = t.at("content").get<std::string>();
        a.special = t.value("special", false);
        a.lstrip = t.value("lstrip", false);
        a.rstrip = t.value("rstrip", false);
        a.single_word = t.value("single_word", false);
        added_.add(a);
      }
    }
    normalizer_ = make_normalizer(j.value("normalizer", json()));
    pre_tokenizer_ = make_pre_tokenizer(j.value("pre_tokenizer", json()));
    post_processor_ = make_post_processor(j.value("post_processor", json()));
    decoder_ = make_decoder(j.value("decoder", json()));
  } catch (const json::exception& e) {
    throw std::invalid_argument(source + ": " + e.what());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source + ": " + e.what());
  }
  if (!config.bos_token.empty()) bos_id_ = token_to_id(config.bos_token);
  if (!config.eos_token.empty()) eos_id_ = token_to_id(config.eos_token);
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_file(const std::string& path,
                                                    const TokenizerConfig& config) {
  return std::make_unique<HfTokenizer>(read_file(path), config, path);
}

void HfTokenizer::encode_segment(std::string_view text, bool first_segment,
                                 std::vector<TokenId>& out) const {
  std::string normalized = normalizer_(std::string(text));
  for (const auto& word : pre_tokenizer_(normalized, first_segment)) model_->encode_word(word, out);
}

std::vector<TokenId> HfTokenizer::encode(const std::string& text, bool add_special) const {
  std::vector<TokenId> ids;
  bool first = true;
  for (const auto& piece : added_.split(text)) {
    if (piece.id >= 0)
      ids.push_back(piece.id);
    else
      encode_segment(piece.text, first, ids);
    first = false;
  }
  return add_special ? post_processor_(ids) : ids;
}

std::vector<TokenId> HfTokenizer::encode_plain(const std::string& text) const {
  std::vector<TokenId> ids;
  encode_segment(text, true, ids);
  return ids;
}

std::string HfTokenizer::decode(const std::vector<TokenId>& ids, bool skip_special) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (auto id : ids) {
    if (skip_special && is_special(id)) continue;
    tokens.push_back(id_to_token(id));
  }
  return decoder_(tokens);
}

std::int64_t HfTokenizer::vocab_size() const {
  std::int64_t n = model_->size();
  for (const auto& t : added_.tokens()) n = std::max<std::int64_t>(n, t.id + 1);
  return n;
}

std::string HfTokenizer::id_to_token(TokenId id) const {
  if (const auto* a = added_.find(id)) return a->content;
  if (const auto* t = model_->id_to_token(id)) return *t;
  throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary of " +
                          std::to_string(vocab_size()));
}

TokenId HfTokenizer::token_to_id(const std::string& token) const {
  TokenId id = added_.find(token);
  return id >= 0 ? id : model_->token_to_id(token);
}

bool HfTokenizer::is_special(TokenId id) const {
  const auto* a = added_.find(id);
  return a && a->special;
}

void HfTokenizer::save(const std::string& dir) const {
  write_file_atomic((std::filesystem::path(dir) / "tokenizer.json").string(), json_text_);
}

}  // namespace chosei
