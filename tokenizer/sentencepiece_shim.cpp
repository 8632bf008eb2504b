// The SentencePiece shim module: wraps sentencepiece::SentencePieceProcessor behind the C
// table of sentencepiece_shim.h. Built as a MODULE library; never linked into chosei.

#include "tokenizer/sentencepiece_shim.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace {

using Processor = sentencepiece::SentencePieceProcessor;
Processor* P(void* h) { return static_cast<Processor*>(h); }

void set_error(char* err, std::size_t err_len, const std::string& msg) {
  if (!err || !err_len) return;
  std::size_t n = std::min(err_len - 1, msg.size());
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

char* copy_bytes(const std::string& s, std::size_t* len) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  *len = s.size();
  return out;
}

void* load(const char* bytes, std::size_t size, char* err, std::size_t err_len) {
  auto* p = new Processor();
  auto status = p->LoadFromSerializedProto(std::string(bytes, size));
  if (!status.ok()) {
    set_error(err, err_len, status.ToString());
    delete p;
    return nullptr;
  }
  return p;
}

void free_handle(void* h) { delete P(h); }

int encode(void* h, const char* text, std::size_t len, int** ids, std::size_t* n, char* err,
           std::size_t err_len) {
  std::vector<int> out;
  auto status = P(h)->Encode(std::string(text, len), &out);
  if (!status.ok()) {
    set_error(err, err_len, status.ToString());
    return 1;
  }
  *n = out.size();
  *ids = static_cast<int*>(std::malloc(std::max<std::size_t>(1, out.size()) * sizeof(int)));
  std::memcpy(*ids, out.data(), out.size() * sizeof(int));
  return 0;
}

char* decode(void* h, const int* ids, std::size_t n, std::size_t* out_len, char* err,
             std::size_t err_len) {
  std::string text;
  auto status = P(h)->Decode(std::vector<int>(ids, ids + n), &text);
  if (!status.ok()) {
    set_error(err, err_len, status.ToString());
    return nullptr;
  }
  return copy_bytes(text, out_len);
}

int piece_size(void* h) { return P(h)->GetPieceSize(); }
char* id_to_piece(void* h, int id, std::size_t* len) {
  return copy_bytes(P(h)->IdToPiece(id), len);
}
int piece_to_id(void* h, const char* piece, std::size_t len) {
  return P(h)->PieceToId(std::string(piece, len));
}
int unk_id(void* h) { return P(h)->unk_id(); }
int bos_id(void* h) { return P(h)->bos_id(); }
int eos_id(void* h) { return P(h)->eos_id(); }
int is_control(void* h, int id) { return P(h)->IsControl(id) ? 1 : 0; }
int is_unknown(void* h, int id) { return P(h)->IsUnknown(id) ? 1 : 0; }
void free_buffer(void* b) { std::free(b); }

const ChoseiSpmApi kApi = {load,        free_handle, encode,     decode, piece_size,
                           id_to_piece, piece_to_id, unk_id,     bos_id, eos_id,
                           is_control,  is_unknown,  free_buffer};

}  // namespace

extern "C" __attribute__((visibility("default"))) const ChoseiSpmApi* chosei_spm_api() {
  return &kApi;
}
