#include "jinja/lexer.h"

#include <cctype>
#include <cstring>

#include "base/unicode_text.h"
#include "jinja/template_error.h"

namespace chosei::jinja {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

class Lexer {
 public:
  explicit Lexer(const std::string& source) : src_(source) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      const std::size_t open = next_tag(pos_);
      std::string text = src_.substr(pos_, open - pos_);
      const bool line_starting = pos_ == 0 || src_[pos_ - 1] == '\n';
      if (open == src_.size()) {
        emit_text(text, pos_);
        break;
      }
      const char type = src_[open + 1];  // '{', '%' or '#'
      const char sign = open + 2 < src_.size() ? src_[open + 2] : '\0';
      if (sign == '-') {
        while (!text.empty() && is_space(text.back())) text.pop_back();
      } else if (sign != '+' && type != '{') {
        lstrip_line(text, line_starting);
      }
      emit_text(text, pos_);
      pos_ = open + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (type == '#')
        comment(open);
      else
        tag(type, open);
    }
    tokens_.push_back({Token::Kind::kEnd, "", line_at(src_.size()), column_at(src_.size())});
    return std::move(tokens_);
  }

 private:
  // lstrip_blocks: spaces and tabs between the line's start and a block tag go.
  static void lstrip_line(std::string& text, bool line_starting) {
    const auto newline = text.rfind('\n');
    const std::size_t start = newline == std::string::npos ? 0 : newline + 1;
    if (newline == std::string::npos && !line_starting) return;
    for (std::size_t k = start; k < text.size(); ++k)
      if (!is_space(text[k])) return;
    text.erase(start);
  }

  std::size_t next_tag(std::size_t from) const {
    for (std::size_t k = from; k + 1 < src_.size(); ++k)
      if (src_[k] == '{' && (src_[k + 1] == '{' || src_[k + 1] == '%' || src_[k + 1] == '#'))
        return k;
    return src_.size();
  }

  void emit_text(const std::string& text, std::size_t at) {
    if (!text.empty()) tokens_.push_back({Token::Kind::kText, text, line_at(at), column_at(at)});
  }

  // After a tag's end: `-` strips all following whitespace; trim_blocks drops one newline
  // after a block or comment tag unless it ends with `+`.
  void after_tag_end(char type, char sign) {
    if (sign == '-') {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
    } else if (sign != '+' && type != '{' && pos_ < src_.size() && src_[pos_] == '\n') {
      ++pos_;
    }
  }

  void comment(std::size_t open) {
    const auto close = src_.find("#}", pos_);
    if (close == std::string::npos) fail("missing end of comment tag", open);
    const char sign =
        close > pos_ && (src_[close - 1] == '-' || src_[close - 1] == '+') ? src_[close - 1] : '\0';
    pos_ = close + 2;
    after_tag_end('#', sign);
  }

  void tag(char type, std::size_t open) {
    const auto begin = type == '{' ? Token::Kind::kVariableBegin : Token::Kind::kBlockBegin;
    tokens_.push_back({begin, "", line_at(open), column_at(open)});
    const std::size_t first = tokens_.size();
    int depth = 0;
    while (true) {
      while (pos_ < src_.size() && is_space(src_[pos_])) ++pos_;
      if (pos_ >= src_.size()) fail(type == '{' ? "missing }}" : "missing %}", open);
      const char end_char = type == '{' ? '}' : '%';
      std::size_t at = pos_;
      char sign = '\0';
      if ((src_[at] == '-' || src_[at] == '+') && at + 1 < src_.size() && src_[at + 1] == end_char)
        sign = src_[at++];
      if (depth == 0 && at + 1 < src_.size() && src_[at] == end_char && src_[at + 1] == '}') {
        pos_ = at + 2;
        tokens_.push_back({type == '{' ? Token::Kind::kVariableEnd : Token::Kind::kBlockEnd, "",
                           line_at(at), column_at(at)});
        after_tag_end(type, sign);
        break;
      }
      expression_token(depth);
    }
    if (type == '%' && tokens_.size() == first + 2 && tokens_[first].kind == Token::Kind::kName &&
        tokens_[first].text == "raw")
      raw(open);
  }

  // {% raw %} ... {% endraw %}: the text between, verbatim.
  void raw(std::size_t open) {
    tokens_.resize(tokens_.size() - 3);  // {% raw %} is not a statement
    for (std::size_t k = pos_; (k = src_.find("{%", k)) != std::string::npos; k += 2) {
      std::size_t q = k + 2;
      const char sign = q < src_.size() && (src_[q] == '-' || src_[q] == '+') ? src_[q++] : '\0';
      while (q < src_.size() && is_space(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") != 0) continue;
      q += 6;
      while (q < src_.size() && is_space(src_[q])) ++q;
      char end_sign = '\0';
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) end_sign = src_[q++];
      if (src_.compare(q, 2, "%}") != 0) continue;
      std::string text = src_.substr(pos_, k - pos_);
      if (sign == '-')
        while (!text.empty() && is_space(text.back())) text.pop_back();
      emit_text(text, pos_);
      pos_ = q + 2;
      after_tag_end('%', end_sign);
      return;
    }
    fail("missing {% endraw %}", open);
  }

  void expression_token(int& depth) {
    const std::size_t at = pos_;
    const char c = src_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_'))
        ++pos_;
      push(Token::Kind::kName, src_.substr(at, pos_ - at), at);
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      number(at);
    } else if (c == '\'' || c == '"') {
      push(Token::Kind::kString, string_literal(c, at), at);
    } else {
      static const char* const kOperators[] = {"**", "//", "==", "!=", ">=", "<="};
      for (const char* op : kOperators)
        if (src_.compare(pos_, 2, op) == 0) {
          pos_ += 2;
          push(Token::Kind::kOperator, op, at);
          return;
        }
      if (!std::strchr("+-*/%~<>()[]{},.:|=!", c) || c == '\0')
        fail(std::string("unexpected character '") + c + "'", at);
      if (c == '(' || c == '[' || c == '{') ++depth;
      if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
      ++pos_;
      push(Token::Kind::kOperator, std::string(1, c), at);
    }
  }

  void number(std::size_t at) {
    while (pos_ < src_.size() &&
           (std::isdigit(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_'))
      ++pos_;
    bool is_float = false;
    if (pos_ + 1 < src_.size() && src_[pos_] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[pos_ + 1]))) {
      is_float = true;
      ++pos_;
      while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) ++pos_;
    }
    if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
      std::size_t q = pos_ + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && std::isdigit(static_cast<unsigned char>(src_[q]))) {
        is_float = true;
        pos_ = q;
        while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) ++pos_;
      }
    }
    std::string text;
    for (std::size_t k = at; k < pos_; ++k)
      if (src_[k] != '_') text += src_[k];
    push(is_float ? Token::Kind::kFloat : Token::Kind::kInteger, text, at);
  }

  // A Python string literal's value: \n \t \r \\ \' \" \xNN \uNNNN \UNNNNNNNN; other escapes
  // stay as written.
  std::string string_literal(char quote, std::size_t at) {
    std::string out;
    ++pos_;
    while (true) {
      if (pos_ >= src_.size()) fail("unterminated string", at);
      char c = src_[pos_++];
      if (c == quote) return out;
      if (c != '\\' || pos_ >= src_.size()) {
        out += c;
        continue;
      }
      char e = src_[pos_++];
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case '\n':
          break;
        case 'x':
        case 'u':
        case 'U': {
          const std::size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (pos_ + digits > src_.size()) fail("truncated escape", at);
          const std::string hex = src_.substr(pos_, digits);
          if (hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            fail("truncated \\" + std::string(1, e) + " escape", at);
          const auto cp = std::stoul(hex, nullptr, 16);
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            fail("escape \\" + std::string(1, e) + hex + " is not a Unicode scalar value", at);
          pos_ += digits;
          append_utf8(out, static_cast<char32_t>(cp));
          break;
        }
        default:
          out += '\\';
          out += e;
      }
    }
  }

  void push(Token::Kind kind, std::string text, std::size_t at) {
    tokens_.push_back({kind, std::move(text), line_at(at), column_at(at)});
  }

  int line_at(std::size_t at) {
    if (at < line_pos_) line_pos_ = line_start_ = 0, line_ = 1;  // an error further back
    while (line_pos_ < at && line_pos_ < src_.size()) {
      if (src_[line_pos_] == '\n') {
        ++line_;
        line_start_ = line_pos_ + 1;
      }
      ++line_pos_;
    }
    return line_;
  }
  int column_at(std::size_t at) {
    line_at(at);
    return static_cast<int>(at - line_start_) + 1;
  }

  [[noreturn]] void fail(const std::string& what, std::size_t at) {
    throw TemplateError(what, line_at(at), column_at(at));
  }

  const std::string& src_;
  std::size_t pos_ = 0;
  std::vector<Token> tokens_;
  int line_ = 1;
  std::size_t line_pos_ = 0, line_start_ = 0;
};

}  // namespace

std::vector<Token> tokenize(const std::string& source) { return Lexer(source).run(); }

}  // namespace chosei::jinja
