#include "tokenizer/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "base/atomic_file.h"
#include "base/unicode_text.h"
#include "chosei_build_paths.h"
#include "tokenizer/sentencepiece_shim.h"

namespace chosei {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModuleName = "libchosei_sentencepiece.so";

std::vector<std::string> module_candidates() {
  std::vector<std::string> paths;
  if (const char* env = std::getenv("CHOSEI_SENTENCEPIECE_MODULE")) paths.push_back(env);
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back((exe.parent_path() / kModuleName).string());
    paths.push_back((exe.parent_path().parent_path() / kModuleName).string());
    paths.push_back((exe.parent_path().parent_path() / "lib" / kModuleName).string());
  }
#ifdef CHOSEI_MODULE_DIR
  paths.push_back(std::string(CHOSEI_MODULE_DIR) + "/" + kModuleName);
#endif
  return paths;
}

const ChoseiSpmApi* load_api() {
  static std::once_flag once;
  static const ChoseiSpmApi* api = nullptr;
  static std::string error;
  std::call_once(once, [] {
    for (const auto& path : module_candidates()) {
      if (!fs::exists(path)) continue;
      void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (!lib) {
        error = dlerror();
        continue;
      }
      auto fn = reinterpret_cast<const ChoseiSpmApi* (*)()>(dlsym(lib, "chosei_spm_api"));
      if (fn) {
        api = fn();
        return;
      }
    }
    if (error.empty()) error = std::string(kModuleName) + " not found next to the executable";
  });
  if (!api)
    throw std::runtime_error("SentencePiece support unavailable: " + error +
                             " (set CHOSEI_SENTENCEPIECE_MODULE to its path)");
  return api;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& path,
                                               const TokenizerConfig& config)
    : api_(load_api()),
      handle_(nullptr),
      model_bytes_(read_file(path)),
      add_bos_(config.add_bos_token.value_or(true)),
      add_eos_(config.add_eos_token.value_or(false)) {
  char err[512] = {0};
  handle_ = api_->load(model_bytes_.data(), model_bytes_.size(), err, sizeof err);
  if (!handle_) throw std::runtime_error(path + ": not a SentencePiece model: " + err);
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (handle_) api_->free_handle(handle_);
}

std::vector<TokenId> SentencePieceTokenizer::encode_plain(const std::string& text) const {
  int* ids = nullptr;
  std::size_t n = 0;
  char err[512] = {0};
  if (api_->encode(handle_, text.data(), text.size(), &ids, &n, err, sizeof err) != 0)
    throw std::runtime_error(std::string("SentencePiece encode failed: ") + err);
  std::unique_ptr<void, void (*)(void*)> hold(ids, api_->free_buffer);
  return std::vector<TokenId>(ids, ids + n);
}

std::vector<TokenId> SentencePieceTokenizer::encode(const std::string& text,
                                                    bool add_special) const {
  auto ids = encode_plain(text);
  if (!add_special) return ids;
  if (add_bos_ && bos_id() >= 0) ids.insert(ids.begin(), bos_id());
  if (add_eos_ && eos_id() >= 0) ids.push_back(eos_id());
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<TokenId>& ids,
                                           bool skip_special) const {
  std::vector<int> keep;
  const int size = api_->piece_size(handle_);
  for (auto id : ids) {
    if (id < 0 || id >= size)
      throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary of " +
                              std::to_string(size));
    if (skip_special && is_special(id)) continue;
    keep.push_back(id);
  }
  std::size_t len = 0;
  char err[512] = {0};
  char* text = api_->decode(handle_, keep.data(), keep.size(), &len, err, sizeof err);
  if (!text) throw std::runtime_error(std::string("SentencePiece decode failed: ") + err);
  std::unique_ptr<void, void (*)(void*)> hold(text, api_->free_buffer);
  return utf8_lossy(std::string_view(text, len));
}

std::int64_t SentencePieceTokenizer::vocab_size() const { return api_->piece_size(handle_); }

std::string SentencePieceTokenizer::id_to_token(TokenId id) const {
  if (id < 0 || id >= api_->piece_size(handle_))
    throw std::out_of_range("token id " + std::to_string(id) + " is outside the vocabulary");
  std::size_t len = 0;
  char* piece = api_->id_to_piece(handle_, id, &len);
  std::unique_ptr<void, void (*)(void*)> hold(piece, api_->free_buffer);
  return std::string(piece, len);
}

TokenId SentencePieceTokenizer::token_to_id(const std::string& token) const {
  int id = api_->piece_to_id(handle_, token.data(), token.size());
  // PieceToId answers unk for unknown pieces; only the unk piece itself maps to unk.
  if (id == api_->unk_id(handle_) && token != id_to_token(id)) return -1;
  return id;
}

bool SentencePieceTokenizer::is_special(TokenId id) const {
  return api_->is_control(handle_, id) || api_->is_unknown(handle_, id);
}

TokenId SentencePieceTokenizer::bos_id() const { return api_->bos_id(handle_); }
TokenId SentencePieceTokenizer::eos_id() const { return api_->eos_id(handle_); }

void SentencePieceTokenizer::save(const std::string& dir) const {
  write_file_atomic((fs::path(dir) / "tokenizer.model").string(), model_bytes_);
}

}  // namespace chosei
