#pragma once
// C interface of the SentencePiece shim module (libchosei_sentencepiece.so).
//
// Why a separately loaded module: Debian's libsentencepiece links protobuf-lite while
// LibTorch links the full protobuf; linking both into one executable makes protobuf's
// static initialization bind to the wrong copy and crash at startup. The shim is loaded
// with dlopen(RTLD_LOCAL | RTLD_DEEPBIND), so SentencePiece and its protobuf stay in their
// own symbol scope, as they do when Python imports both libraries.

#include <cstddef>

extern "C" {

struct ChoseiSpmApi {
  // Returns a handle, or null with a message in err.
  void* (*load)(const char* model_bytes, std::size_t size, char* err, std::size_t err_len);
  void (*free_handle)(void* handle);
  // Encodes text; *ids is malloc'ed (release with free_buffer). Returns 0 on success.
  int (*encode)(void* handle, const char* text, std::size_t len, int** ids, std::size_t* n,
                char* err, std::size_t err_len);
  // Decodes ids; returns malloc'ed bytes (length in *out_len), or null with err set.
  char* (*decode)(void* handle, const int* ids, std::size_t n, std::size_t* out_len, char* err,
                  std::size_t err_len);
  int (*piece_size)(void* handle);
  // The piece of id as malloc'ed bytes.
  char* (*id_to_piece)(void* handle, int id, std::size_t* len);
  int (*piece_to_id)(void* handle, const char* piece, std::size_t len);
  int (*unk_id)(void* handle);
  int (*bos_id)(void* handle);
  int (*eos_id)(void* handle);
  int (*is_control)(void* handle, int id);
  int (*is_unknown)(void* handle, int id);
  void (*free_buffer)(void* buffer);
};

// The module's single exported symbol.
const ChoseiSpmApi* chosei_spm_api();
}
