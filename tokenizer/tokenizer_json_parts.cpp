#include "tokenizer/tokenizer_json_parts.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "base/unicode_text.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer_split.h"

namespace chosei {

using nlohmann::json;

namespace {

[[noreturn]] void unsupported(const std::string& stage, const json& node) {
  throw std::invalid_argument("tokenizer.json: " + stage + " type " +
                              node.value("type", std::string("?")) + " is not supported");
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  std::size_t pos = 0, hit;
  while ((hit = s.find(from, pos)) != std::string::npos) {
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

// The literal string of a {"String": s} pattern; regex patterns are unsupported here.
std::string string_pattern(const json& node, const std::string& stage) {
  const auto& p = node.at("pattern");
  if (p.contains("String")) return p["String"].get<std::string>();
  throw std::invalid_argument("tokenizer.json: " + stage +
                              " with a Regex pattern is not supported");
}

std::vector<std::string> split_on_string(const std::string& s, const std::string& delim,
                                         const std::string& behavior) {
  std::vector<std::string> out;
  std::size_t pos = 0, hit;
  while ((hit = s.find(delim, pos)) != std::string::npos) {
    std::string before = s.substr(pos, hit - pos);
    if (behavior == "Removed") {
      if (!before.empty()) out.push_back(before);
    } else if (behavior == "Isolated") {
      if (!before.empty()) out.push_back(before);
      out.push_back(delim);
    } else if (behavior == "MergedWithPrevious") {
      out.push_back(before + delim);
    } else if (behavior == "MergedWithNext") {
      if (!before.empty()) out.push_back(before);
      pos = hit;
      std::size_t next = s.find(delim, hit + delim.size());
      if (next == std::string::npos) break;
      out.push_back(s.substr(hit, next - hit));
      pos = next;
      continue;
    } else {
      throw std::invalid_argument("tokenizer.json: Split behavior " + behavior +
                                  " is not supported");
    }
    pos = hit + delim.size();
  }
  if (pos < s.size()) out.push_back(s.substr(pos));
  return out;
}

std::vector<std::string> metaspace(const std::string& s, bool first, const json& node) {
  const std::string rep = node.value("replacement", std::string("\xE2\x96\x81"));
  std::string scheme = node.value("prepend_scheme", std::string(""));
  if (scheme.empty()) scheme = node.value("add_prefix_space", true) ? "always" : "never";
  std::string t = replace_all(s, " ", rep);
  bool prepend = scheme == "always" || (scheme == "first" && first);
  if (prepend && t.compare(0, rep.size(), rep) != 0) t = rep + t;
  if (!node.value("split", true)) return {t};
  return split_on_string(t, rep, "MergedWithNext");
}

std::vector<std::string> byte_level(const std::string& s, const json& node) {
  std::string t = s;
  if (node.value("add_prefix_space", true) && !t.empty() && t[0] != ' ') t = " " + t;
  std::vector<std::string> words;
  if (node.value("use_regex", true)) {
    for (auto [b, n] : split_words(t, SplitPattern::kGpt2))
      words.push_back(bytes_to_chars(t.substr(b, n)));
  } else {
    words.push_back(bytes_to_chars(t));
  }
  return words;
}

// HF's Digits splits on Rust's char::is_numeric: every \p{N} code point ("½", "٣"), not
// only ASCII 0-9.
std::vector<std::string> digits(const std::string& s, bool individual) {
  std::vector<std::string> out;
  std::string cur;
  int cur_kind = -1;  // 1 digit, 0 other
  for (const auto& c : decode_utf8(s)) {
    const int kind = is_number(c.cp) ? 1 : 0;
    if (!cur.empty() && (kind != cur_kind || (kind == 1 && individual)))
      out.push_back(cur), cur.clear();
    cur.append(s, c.offset, c.length);
    cur_kind = kind;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

PreTokenizer make_split(const json& node) {
  const auto& pattern = node.at("pattern");
  const std::string behavior = node.value("behavior", std::string("Isolated"));
  const bool invert = node.value("invert", false);
  if (pattern.contains("Regex")) {
    SplitPattern known;
    if (!split_pattern_from_regex(pattern["Regex"].get<std::string>(), &known))
      throw std::invalid_argument(
          "tokenizer.json: Split regex " + pattern["Regex"].dump() +
          " is not one of the GPT-2 / Llama 3 / Qwen2 / o200k patterns chosei implements");
    // These patterns match every character: keeping the matches (Isolated) and removing
    // what lies between them (Removed, inverted; GPT-4o's file) give the same pieces.
    if (!((behavior == "Isolated" && !invert) || (behavior == "Removed" && invert)))
      throw std::invalid_argument("tokenizer.json: Split behavior " + behavior +
                                  (invert ? " inverted" : "") + " is not supported");
    return [known](const std::string& s, bool) {
      std::vector<std::string> out;
      for (auto [b, n] : split_words(s, known)) out.push_back(s.substr(b, n));
      return out;
    };
  }
  if (invert) throw std::invalid_argument("tokenizer.json: inverted Split is not supported");
  std::string delim = string_pattern(node, "Split");
  return
      [delim, behavior](const std::string& s, bool) { return split_on_string(s, delim, behavior); };
}

}  // namespace

Normalizer make_normalizer(const json& node) {
  if (node.is_null()) return [](const std::string& s) { return s; };
  const std::string type = node.value("type", "");
  if (type == "Sequence") {
    std::vector<Normalizer> parts;
    for (const auto& n : node.at("normalizers")) parts.push_back(make_normalizer(n));
    return [parts](const std::string& s) {
      std::string t = s;
      for (const auto& p : parts) t = p(t);
      return t;
    };
  }
  if (type == "Prepend") {
    std::string pre = node.at("prepend").get<std::string>();
    return [pre](const std::string& s) { return s.empty() ? s : pre + s; };
  }
  if (type == "Replace") {
    std::string from = string_pattern(node, "normalizer Replace"),
                to = node.at("content").get<std::string>();
    return [from, to](const std::string& s) { return replace_all(s, from, to); };
  }
  if (type == "NFC") return [](const std::string& s) { return normalize_nfc(s); };
  if (type == "NFKC") return [](const std::string& s) { return normalize_nfkc(s); };
  if (type == "NFD") return [](const std::string& s) { return normalize_nfd(s); };
  if (type == "NFKD") return [](const std::string& s) { return normalize_nfkd(s); };
  if (type == "Lowercase") return [](const std::string& s) { return to_lower(s); };
  unsupported("normalizer", node);
}

PreTokenizer make_pre_tokenizer(const json& node) {
  if (node.is_null()) return [](const std::string& s, bool) { return std::vector<std::string>{s}; };
  const std::string type = node.value("type", "");
  if (type == "Sequence") {
    std::vector<PreTokenizer> parts;
    for (const auto& n : node.at("pretokenizers")) parts.push_back(make_pre_tokenizer(n));
    return [parts](const std::string& s, bool first) {
      std::vector<std::string> words{s};
      for (const auto& p : parts) {
        std::vector<std::string> next;
        for (std::size_t i = 0; i < words.size(); ++i)
          for (auto& w : p(words[i], first && i == 0)) next.push_back(std::move(w));
        words = std::move(next);
      }
      return words;
    };
  }
  if (type == "ByteLevel")
    return [node](const std::string& s, bool) { return byte_level(s, node); };
  if (type == "Metaspace")
    return [node](const std::string& s, bool first) { return metaspace(s, first, node); };
  if (type == "Split") return make_split(node);
  if (type == "Digits") {
    bool individual = node.value("individual_digits", false);
    return [individual](const std::string& s, bool) { return digits(s, individual); };
  }
  unsupported("pre_tokenizer", node);
}

PostProcessor make_post_processor(const json& node) {
  if (node.is_null()) return [](const std::vector<TokenId>& v) { return v; };
  const std::string type = node.value("type", "");
  if (type == "ByteLevel") return [](const std::vector<TokenId>& v) { return v; };
  if (type == "Sequence") {
    std::vector<PostProcessor> parts;
    for (const auto& n : node.at("processors")) parts.push_back(make_post_processor(n));
    return [parts](const std::vector<TokenId>& v) {
      auto out = v;
      for (const auto& p : parts) out = p(out);
      return out;
    };
  }
  if (type == "TemplateProcessing") {
    // Each template item is either the sequence itself (-1 marker) or special token ids.
    std::vector<std::vector<TokenId>> items;
    for (const auto& item : node.at("single")) {
      if (item.contains("Sequence")) {
        items.push_back({});
      } else {
        const std::string name = item.at("SpecialToken").at("id").get<std::string>();
        const auto& spec = node.at("special_tokens").at(name);
        items.push_back(spec.at("ids").get<std::vector<TokenId>>());
        if (items.back().empty())
          throw std::invalid_argument("tokenizer.json: empty special token " + name);
      }
    }
    return [items](const std::vector<TokenId>& v) {
      std::vector<TokenId> out;
      for (const auto& item : items)
        out.insert(out.end(), item.empty() ? v.begin() : item.begin(),
                   item.empty() ? v.end() : item.end());
      return out;
    };
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    TokenId cls = node.at("cls").at(1).get<TokenId>(), sep = node.at("sep").at(1).get<TokenId>();
    return [cls, sep](const std::vector<TokenId>& v) {
      std::vector<TokenId> out{cls};
      out.insert(out.end(), v.begin(), v.end());
      out.push_back(sep);
      return out;
    };
  }
  unsupported("post_processor", node);
}

namespace {

using TokenStrings = std::vector<std::string>;
using DecodeStep = std::function<TokenStrings(TokenStrings)>;

bool parse_byte_token(const std::string& t, unsigned char* byte) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return false;
  unsigned v = 0;
  for (int i = 3; i < 5; ++i) {
    char c = t[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<unsigned>(d);
  }
  *byte = static_cast<unsigned char>(v);
  return true;
}

TokenStrings byte_fallback(const TokenStrings& tokens) {
  TokenStrings out;
  std::string bytes;
  std::size_t count = 0;
  auto flush = [&] {
    if (!count) return;
    if (is_valid_utf8(bytes))
      out.push_back(bytes);
    else
      for (std::size_t i = 0; i < count; ++i) out.push_back("\xEF\xBF\xBD");
    bytes.clear();
    count = 0;
  };
  for (const auto& t : tokens) {
    unsigned char b;
    if (parse_byte_token(t, &b)) {
      bytes += static_cast<char>(b);
      ++count;
    } else {
      flush();
      out.push_back(t);
    }
  }
  flush();
  return out;
}

DecodeStep make_decode_step(const json& node) {
  const std::string type = node.value("type", "");
  if (type == "Replace") {
    std::string from = string_pattern(node, "decoder Replace"),
                to = node.at("content").get<std::string>();
    return [from, to](TokenStrings t) {
      for (auto& s : t) s = replace_all(s, from, to);
      return t;
    };
  }
  if (type == "ByteFallback") return byte_fallback;
  if (type == "Fuse")
    return [](TokenStrings t) {
      std::string all;
      for (auto& s : t) all += s;
      return TokenStrings{all};
    };
  if (type == "Strip") {
    std::string content = node.at("content").get<std::string>();
    std::size_t start = node.value("start", 0), stop = node.value("stop", 0);
    return [content, start, stop](TokenStrings t) {
      for (auto& s : t) {
        std::size_t a = 0, b = s.size();
        for (std::size_t i = 0; i < start && s.compare(a, content.size(), content) == 0; ++i)
          a += content.size();
        for (std::size_t i = 0; i < stop && b >= a + content.size() &&
                                s.compare(b - content.size(), content.size(), content) == 0;
             ++i)
          b -= content.size();
        s = s.substr(a, b - a);
      }
      return t;
    };
  }
  if (type == "ByteLevel")
    return [](TokenStrings t) {
      std::string bytes;
      for (const auto& s : t) {
        std::string b;
        if (chars_to_bytes(s, &b))
          bytes += b;
        else
          bytes += s;
      }
      return TokenStrings{utf8_lossy(bytes)};
    };
  if (type == "Metaspace") {
    const std::string rep = node.value("replacement", std::string("\xE2\x96\x81"));
    std::string scheme = node.value("prepend_scheme", std::string(""));
    if (scheme.empty()) scheme = node.value("add_prefix_space", true) ? "always" : "never";
    return [rep, scheme](TokenStrings t) {
      for (std::size_t i = 0; i < t.size(); ++i) {
        t[i] = replace_all(t[i], rep, " ");
        if (i == 0 && scheme != "never" && !t[i].empty() && t[i][0] == ' ') t[i].erase(0, 1);
      }
      return t;
    };
  }
  if (type == "Sequence") {
    std::vector<DecodeStep> steps;
    for (const auto& n : node.at("decoders")) steps.push_back(make_decode_step(n));
    return [steps](TokenStrings t) {
      for (const auto& s : steps) t = s(std::move(t));
      return t;
    };
  }
  unsupported("decoder", node);
}

}  // namespace

Decoder make_decoder(const json& node) {
  if (node.is_null())
    return [](const TokenStrings& t) {
      std::string s;
      for (const auto& x : t) s += x;
      return utf8_lossy(s);
    };
  auto step = make_decode_step(node);
  return [step](const TokenStrings& t) {
    std::string s;
    for (const auto& x : step(t)) s += x;
    return utf8_lossy(s);
  };
}

}  // namespace chosei
