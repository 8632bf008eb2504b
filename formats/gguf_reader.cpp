// Parses a GGUF header with a cursor that refuses to read past the mapped file.

#include "formats/gguf_reader.h"

#include <cstring>
#include <stdexcept>

#include "formats/gguf_quantize.h"

namespace chosei {

namespace {

// Strings and arrays longer than this are refused before any allocation: a hostile length
// cannot make the reader reserve gigabytes.
constexpr std::uint64_t kMaxStringBytes = 1ull << 30;
constexpr std::uint64_t kMaxArrayElements = 1ull << 28;

class Cursor {
 public:
  Cursor(const MappedFile& file) : file_(file) {}

  template <typename T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, file_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }

  std::string string(const char* what) {
    const auto n = get<std::uint64_t>(what);
    if (n > kMaxStringBytes)
      fail(std::string(what) + ": a string of " + std::to_string(n) + " bytes");
    need(n, what);
    std::string s(reinterpret_cast<const char*>(file_.data() + at_), n);
    at_ += n;
    return s;
  }

  std::uint64_t offset() const { return at_; }
  [[noreturn]] void fail(const std::string& message) const {
    throw std::runtime_error(file_.path() + ": not a valid GGUF file: " + message + " (at byte " +
                             std::to_string(at_) + ")");
  }

 private:
  void need(std::uint64_t n, const char* what) const {
    if (n > file_.size() || at_ > file_.size() - n) fail(std::string("truncated in ") + what);
  }
  const MappedFile& file_;
  std::uint64_t at_ = 0;
};

double read_number(Cursor& c, GgufValueType type, const char* what) {
  switch (type) {
    case GgufValueType::U8:
      return c.get<std::uint8_t>(what);
    case GgufValueType::I8:
      return c.get<std::int8_t>(what);
    case GgufValueType::U16:
      return c.get<std::uint16_t>(what);
    case GgufValueType::I16:
      return c.get<std::int16_t>(what);
    case GgufValueType::U32:
      return c.get<std::uint32_t>(what);
    case GgufValueType::I32:
      return c.get<std::int32_t>(what);
    case GgufValueType::F32:
      return c.get<float>(what);
    case GgufValueType::BOOL:
      return c.get<std::uint8_t>(what);
    case GgufValueType::U64:
      return static_cast<double>(c.get<std::uint64_t>(what));
    case GgufValueType::I64:
      return static_cast<double>(c.get<std::int64_t>(what));
    case GgufValueType::F64:
      return c.get<double>(what);
    default:
      c.fail(std::string(what) + ": not a numeric type");
  }
}

GgufValue read_scalar(Cursor& c, GgufValueType type, const std::string& key) {
  GgufValue v;
  v.type = type;
  const char* what = key.c_str();
  switch (type) {
    case GgufValueType::STRING:
      v.scalar = c.string(what);
      break;
    case GgufValueType::BOOL:
      v.scalar = c.get<std::uint8_t>(what) != 0;
      break;
    case GgufValueType::U8:
    case GgufValueType::U16:
    case GgufValueType::U32:
      v.scalar = static_cast<std::uint64_t>(read_number(c, type, what));
      break;
    case GgufValueType::U64:
      v.scalar = c.get<std::uint64_t>(what);
      break;
    case GgufValueType::I8:
    case GgufValueType::I16:
    case GgufValueType::I32:
      v.scalar = static_cast<std::int64_t>(read_number(c, type, what));
      break;
    case GgufValueType::I64:
      v.scalar = c.get<std::int64_t>(what);
      break;
    case GgufValueType::F32:
    case GgufValueType::F64:
      v.scalar = read_number(c, type, what);
      break;
    default:
      c.fail("metadata " + key + ": unknown value type " + std::to_string(static_cast<int>(type)));
  }
  return v;
}

GgufValue read_value(Cursor& c, const std::string& key) {
  const auto type = static_cast<GgufValueType>(c.get<std::uint32_t>(key.c_str()));
  if (type != GgufValueType::ARRAY) return read_scalar(c, type, key);
  GgufValue v;
  v.type = GgufValueType::ARRAY;
  v.element_type = static_cast<GgufValueType>(c.get<std::uint32_t>(key.c_str()));
  const auto n = c.get<std::uint64_t>(key.c_str());
  if (n > kMaxArrayElements)
    c.fail("metadata " + key + ": an array of " + std::to_string(n) + " elements");
  if (v.element_type == GgufValueType::ARRAY) c.fail("metadata " + key + ": nested arrays");
  for (std::uint64_t i = 0; i < n; ++i) {
    if (v.element_type == GgufValueType::STRING)
      v.strings.push_back(c.string(key.c_str()));
    else
      v.numbers.push_back(read_number(c, v.element_type, key.c_str()));
  }
  return v;
}

}  // namespace

std::int64_t GgufTensorInfo::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

GgufReader::GgufReader(const std::string& path) : file_(path) {
  Cursor c(file_);
  if (c.get<std::uint32_t>("the magic") != kGgufMagic) c.fail("the magic is not GGUF");
  version_ = c.get<std::uint32_t>("the version");
  if (version_ != 2 && version_ != 3)
    c.fail("version " + std::to_string(version_) + " (2 or 3 supported)");
  const auto tensor_count = c.get<std::uint64_t>("the tensor count");
  const auto kv_count = c.get<std::uint64_t>("the metadata count");
  if (tensor_count > file_.size() || kv_count > file_.size()) c.fail("impossible counts");
  for (std::uint64_t i = 0; i < kv_count; ++i) {
    auto key = c.string("a metadata key");
    auto value = read_value(c, key);
    metadata_.emplace_back(std::move(key), std::move(value));
  }
  std::uint64_t alignment = kGgufDefaultAlignment;
  if (auto* a = find("general.alignment")) alignment = a->as_uint("general.alignment");
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    c.fail("general.alignment is not a power of two");
  for (std::uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo t;
    t.name = c.string("a tensor name");
    const auto dims = c.get<std::uint32_t>("tensor dims");
    if (dims == 0 || dims > 4)
      c.fail("tensor " + t.name + " has " + std::to_string(dims) + " dims");
    std::vector<std::int64_t> ne;
    for (std::uint32_t d = 0; d < dims; ++d) {
      const auto n = c.get<std::uint64_t>("tensor dims");
      if (n == 0 || n > (1ull << 40))
        c.fail("tensor " + t.name + " has a dim of " + std::to_string(n));
      ne.push_back(static_cast<std::int64_t>(n));
    }
    t.shape.assign(ne.rbegin(), ne.rend());
    try {
      t.type = ggml_type_from_u32(c.get<std::uint32_t>("tensor type"), t.name);
    } catch (const std::invalid_argument& e) {
      c.fail(e.what());
    }
    t.offset = c.get<std::uint64_t>("tensor offset");
    tensors_.push_back(std::move(t));
  }
  data_start_ = (c.offset() + alignment - 1) / alignment * alignment;
  for (const auto& t : tensors_) {
    std::uint64_t bytes = 0;
    try {
      ggml_type_bytes(t.type, t.shape.back());  // whole blocks in every row
      bytes = ggml_type_bytes(t.type, t.elements());
    } catch (const std::invalid_argument& e) {
      c.fail("tensor " + t.name + ": " + e.what());
    }
    if (data_start_ > file_.size() || t.offset > file_.size() - data_start_ ||
        bytes > file_.size() - data_start_ - t.offset)
      c.fail("tensor " + t.name + "'s data lies past the end of the file");
  }
}

const GgufValue* GgufReader::find(const std::string& key) const {
  for (const auto& [k, v] : metadata_)
    if (k == key) return &v;
  return nullptr;
}

const GgufValue& GgufReader::at(const std::string& key) const {
  if (auto* v = find(key)) return *v;
  throw std::runtime_error(path() + ": GGUF metadata " + key + " is missing");
}

const GgufTensorInfo* GgufReader::find_tensor(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const std::uint8_t* GgufReader::raw(const GgufTensorInfo& tensor) const {
  return file_.data() + data_start_ + tensor.offset;
}

std::vector<float> GgufReader::values(const GgufTensorInfo& tensor) const {
  return decode_ggml(raw(tensor), tensor.elements(), tensor.type);
}

}  // namespace chosei
