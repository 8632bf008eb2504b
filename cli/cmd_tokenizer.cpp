// `chosei tokenizer train|encode|decode`.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "cli/commands.h"
#include "datasets/chat_reader.h"
#include "datasets/text_lines.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/tokenizer_loader.h"

namespace chosei::cli {

namespace {

using nlohmann::json;

// Calls `fn(line_number, object)` for each non-empty JSONL line; bad lines are errors
// naming file:line.
template <typename Fn>
void for_each_jsonl(const std::string& path, Fn fn) {
  for (const auto& line : read_nonblank_lines(path)) {
    json j = json::parse(line.text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      throw std::runtime_error(path + ":" + std::to_string(line.number) + ": not a JSON object");
    fn(line.number, j);
  }
}

struct EncodeArgs {
  std::string tokenizer, text, jsonl;
  bool text_given = false, no_special = false;
};

void run_encode(const EncodeArgs& a) {
  auto tok = load_tokenizer(a.tokenizer);
  if (!a.jsonl.empty()) {
    for_each_jsonl(a.jsonl, [&](std::size_t n, const json& j) {
      if (!j.contains("text") || !j["text"].is_string())
        throw std::runtime_error(a.jsonl + ":" + std::to_string(n) +
                                 ": field \"text\" missing or not a string");
      auto text = j["text"].get<std::string>();
      json out = {{"text", text}, {"ids", tok.tokenizer->encode(text, !a.no_special)}};
      std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    });
    return;
  }
  std::cout << json(tok.tokenizer->encode(a.text, !a.no_special)).dump() << "\n";
}

struct DecodeArgs {
  std::string tokenizer, ids, jsonl;
  bool skip_special = false;
};

std::vector<TokenId> parse_ids(const json& j, const std::string& where) {
  if (!j.is_array()) throw std::runtime_error(where + ": ids must be a JSON array of integers");
  std::vector<TokenId> ids;
  for (const auto& v : j) {
    if (!v.is_number_integer())
      throw std::runtime_error(where + ": ids must be integers, got " + v.dump());
    ids.push_back(v.get<TokenId>());
  }
  return ids;
}

void run_decode(const DecodeArgs& a) {
  auto tok = load_tokenizer(a.tokenizer);
  if (!a.jsonl.empty()) {
    for_each_jsonl(a.jsonl, [&](std::size_t n, const json& j) {
      const std::string where = a.jsonl + ":" + std::to_string(n);
      if (!j.contains("ids")) throw std::runtime_error(where + ": field \"ids\" missing");
      auto ids = parse_ids(j["ids"], where);
      std::cout << json{{"ids", ids}, {"text", tok.tokenizer->decode(ids, a.skip_special)}}.dump()
                << "\n";
    });
    return;
  }
  json j = json::parse(a.ids, nullptr, false);
  if (j.is_discarded()) throw std::runtime_error("--ids: not JSON (expected e.g. [1, 2, 3])");
  std::cout << tok.tokenizer->decode(parse_ids(j, "--ids"), a.skip_special) << "\n";
}

struct TrainArgs {
  std::vector<std::string> files;
  std::string out;
  BpeTrainerOptions options;
};

// Chat datasets (.jsonl, .json) teach the tokenizer their message contents, not their JSON.
std::string training_text(const std::string& file) {
  auto ends_with = [&](const std::string& ext) {
    return file.size() >= ext.size() &&
           file.compare(file.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (!ends_with(".jsonl") && !ends_with(".json")) return read_file(file);
  std::string text;
  for (const auto& c : read_chat_dataset(file).conversations)
    for (const auto& t : c.turns) text += t.content + "\n";
  return text;
}

void run_train(const TrainArgs& a) {
  auto trained = train_byte_level_bpe(a.files, a.options, training_text);
  std::filesystem::create_directories(a.out);
  write_file_atomic((std::filesystem::path(a.out) / "tokenizer.json").string(),
                    trained.tokenizer_json);
  write_file_atomic((std::filesystem::path(a.out) / "tokenizer_config.json").string(),
                    trained.tokenizer_config_json);
  std::cout << "trained byte-level BPE: " << trained.merges << " merges, vocabulary "
            << 256 + a.options.special_tokens.size() + trained.merges << ", saved to " << a.out
            << "\n";
}

}  // namespace

void add_tokenizer_commands(CLI::App& app) {
  auto* tokenizer = app.add_subcommand("tokenizer", "Train tokenizers, encode and decode text");
  tokenizer->require_subcommand(1);

  auto enc = std::make_shared<EncodeArgs>();
  auto* encode = tokenizer->add_subcommand("encode", "Text to token ids");
  encode
      ->add_option("--tokenizer", enc->tokenizer,
                   "Model dir, tokenizer.json, tokenizer.model or tokenizer.bin")
      ->required();
  auto* text = encode->add_option("--text", enc->text, "Text to encode; prints one JSON array");
  auto* jsonl =
      encode->add_option("--jsonl", enc->jsonl, "JSONL file; encodes each line's \"text\"");
  text->excludes(jsonl);
  encode->add_flag("--no-special", enc->no_special,
                   "Add no BOS/EOS (the post-processor's special tokens)");
  encode->callback([enc, text, jsonl] {
    if (!*text && !*jsonl) throw std::invalid_argument("tokenizer encode needs --text or --jsonl");
    run_encode(*enc);
  });

  auto dec = std::make_shared<DecodeArgs>();
  auto* decode = tokenizer->add_subcommand("decode", "Token ids to text");
  decode
      ->add_option("--tokenizer", dec->tokenizer,
                   "Model dir, tokenizer.json, tokenizer.model or tokenizer.bin")
      ->required();
  auto* ids = decode->add_option("--ids", dec->ids, "JSON array of ids, e.g. [1, 2, 3]");
  auto* djsonl =
      decode->add_option("--jsonl", dec->jsonl, "JSONL file; decodes each line's \"ids\"");
  ids->excludes(djsonl);
  decode->add_flag("--skip-special", dec->skip_special, "Leave special tokens out of the text");
  decode->callback([dec, ids, djsonl] {
    if (!*ids && !*djsonl) throw std::invalid_argument("tokenizer decode needs --ids or --jsonl");
    run_decode(*dec);
  });

  auto tr = std::make_shared<TrainArgs>();
  auto* train = tokenizer->add_subcommand(
      "train", "Train a byte-level BPE tokenizer with the chat special tokens");
  train
      ->add_option("files", tr->files,
                   "Text files to learn from; chat datasets (.jsonl, .json) give their messages")
      ->required()
      ->check(CLI::ExistingFile);
  train
      ->add_option("--vocab-size", tr->options.vocab_size,
                   "Vocabulary size, bytes and special tokens included")
      ->capture_default_str();
  train->add_option("--min-frequency", tr->options.min_frequency, "Least pair count worth a merge")
      ->capture_default_str();
  train->add_option("--out", tr->out, "Output directory (tokenizer.json, tokenizer_config.json)")
      ->required();
  train->callback([tr] { run_train(*tr); });
}

}  // namespace chosei::cli
