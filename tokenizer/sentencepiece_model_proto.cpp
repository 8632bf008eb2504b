// Protobuf wire format: each field a varint key (number << 3 | wire type) and a value:
// varint (0), fixed64 (1), length-delimited bytes (2) or fixed32 (5).

#include "tokenizer/sentencepiece_model_proto.h"

#include <cstring>
#include <functional>
#include <stdexcept>

namespace chosei {

namespace {

class WireReader {
 public:
  WireReader(const char* data, std::size_t size, const std::string& source)
      : p_(data), end_(data + size), source_(source) {}

  bool done() const { return p_ >= end_; }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) fail("a truncated varint");
      const auto byte = static_cast<std::uint8_t>(*p_++);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail("a varint longer than 10 bytes");
  }

  std::string bytes() {
    const auto n = varint();
    if (n > static_cast<std::uint64_t>(end_ - p_)) fail("a field longer than the message");
    std::string s(p_, n);
    p_ += n;
    return s;
  }

  float fixed32_float() {
    if (end_ - p_ < 4) fail("a truncated fixed32");
    float f;
    std::memcpy(&f, p_, 4);
    p_ += 4;
    return f;
  }

  void skip(std::uint32_t wire_type) {
    switch (wire_type) {
      case 0:
        varint();
        return;
      case 1:
        advance(8);
        return;
      case 2:
        bytes();
        return;
      case 5:
        advance(4);
        return;
      default:
        fail("wire type " + std::to_string(wire_type));
    }
  }

  // Calls `field(number, wire_type)` for each field; the callback reads or skips it.
  void each_field(const std::function<void(std::uint32_t, std::uint32_t)>& field) {
    while (!done()) {
      const auto key = varint();
      field(static_cast<std::uint32_t>(key >> 3), static_cast<std::uint32_t>(key & 7));
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument(source_ + ": not a SentencePiece model: " + what);
  }

 private:
  void advance(std::size_t n) {
    if (static_cast<std::size_t>(end_ - p_) < n) fail("a truncated field");
    p_ += n;
  }
  const char* p_;
  const char* end_;
  const std::string& source_;
};

SentencePiecePiece parse_piece(const std::string& bytes, const std::string& source) {
  SentencePiecePiece piece;
  WireReader r(bytes.data(), bytes.size(), source);
  r.each_field([&](std::uint32_t number, std::uint32_t wire) {
    if (number == 1 && wire == 2)
      piece.piece = r.bytes();
    else if (number == 2 && wire == 5)
      piece.score = r.fixed32_float();
    else if (number == 3 && wire == 0)
      piece.type = static_cast<std::int32_t>(r.varint());
    else
      r.skip(wire);
  });
  return piece;
}

// `field_number`'s varint in a sub-message, `fallback` when absent.
std::uint64_t varint_field(const std::string& bytes, std::uint32_t field_number,
                           std::uint64_t fallback, const std::string& source) {
  WireReader r(bytes.data(), bytes.size(), source);
  r.each_field([&](std::uint32_t number, std::uint32_t wire) {
    if (number == field_number && wire == 0)
      fallback = r.varint();
    else
      r.skip(wire);
  });
  return fallback;
}

}  // namespace

SentencePieceModelProto parse_sentencepiece_model(const std::string& bytes,
                                                  const std::string& source) {
  SentencePieceModelProto model;
  WireReader r(bytes.data(), bytes.size(), source);
  r.each_field([&](std::uint32_t number, std::uint32_t wire) {
    if (number == 1 && wire == 2) {
      model.pieces.push_back(parse_piece(r.bytes(), source));
    } else if (number == 2 && wire == 2) {  // TrainerSpec: model_type = 3
      model.model_type = static_cast<std::int32_t>(varint_field(r.bytes(), 3, 1, source));
    } else if (number == 3 && wire == 2) {  // NormalizerSpec: add_dummy_prefix = 3
      model.add_dummy_prefix = varint_field(r.bytes(), 3, 1, source) != 0;
    } else {
      r.skip(wire);
    }
  });
  if (model.pieces.empty()) r.fail("no pieces");
  return model;
}

}  // namespace chosei
