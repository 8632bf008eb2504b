"""The `gguf` package (llama.cpp's gguf-py) as the reference for chosei's ggml types.

  ggml_blocks_reference.py random OUT_DIR
      Writes OUT_DIR/blocks.gguf, a GGUF file that holds, for every ggml type chosei reads, random blocks
      (`deq.TYPE`, stored raw) beside gguf's dequantization of them (`deq.TYPE.expected`, F32);
      and, for every type the gguf package quantizes, random rows (`quant.TYPE.input`, F32)
      beside gguf's quantization of them (`quant.TYPE.expected`, raw).
  ggml_blocks_reference.py hashes FILE.gguf OUT_DIR
      Writes OUT_DIR/hashes.json: each tensor's name -> [type name, sha256 of gguf's
      dequantization of it as little-endian float32].

Run with the reference environment's Python (scripts/setup).
"""

import hashlib
import json
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader, GGUFWriter
from gguf.constants import GGML_QUANT_SIZES
from gguf.quants import dequantize, quantize

# Byte offsets of each block's f16 fields: random bytes there could be NaN or infinity.
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
    T.IQ4_NL: [0], T.IQ4_XS: [0],
}
QUANTIZED_BY_GGUF = [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.BF16, T.F16]


def random_halves(rng, count):
    """Finite f16 values of many magnitudes, both signs, zeros and subnormals among them."""
    exponents = rng.integers(-24, 4, size=count).astype(np.float32)
    values = rng.choice([-1.0, 1.0], size=count) * rng.random(count) * np.exp2(exponents)
    values[rng.random(count) < 0.02] = 0.0
    return values.astype(np.float16)


def random_blocks(rng, qtype, blocks):
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    if qtype in (T.F16, T.BF16):
        halves = random_halves(rng, blocks * block_size)
        if qtype == T.F16:
            return halves.view(np.uint8).reshape(blocks, 2)
        return (halves.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.uint8).reshape(blocks, 2)
    raw = rng.integers(0, 256, size=(blocks, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype]:
        raw[:, offset:offset + 2] = random_halves(rng, blocks).view(np.uint8).reshape(blocks, 2)
    return raw


def random_rows(rng, rows, columns):
    """Rows with the shapes quantizers trip on: wide ranges, ties for the max, zero blocks."""
    scale = np.exp2(rng.integers(-12, 6, size=(rows, 1))).astype(np.float32)
    x = (rng.standard_normal((rows, columns)).astype(np.float32) * scale).astype(np.float32)
    x[0, :32] = 0.0
    x[1, :32] = 1.0
    x[2, :16], x[2, 16:32] = -3.0, 3.0
    return x


def write_random(path):
    rng = np.random.default_rng(20261207)
    writer = GGUFWriter(path, "chosei-ggml-blocks")
    for qtype in list(HALF_FIELDS) + [T.F16, T.BF16]:
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        rows, blocks_per_row = 8, 1024 // block_size if block_size > 1 else 512
        raw = random_blocks(rng, qtype, rows * blocks_per_row).reshape(rows, -1)
        writer.add_tensor("deq." + qtype.name, raw, raw_dtype=qtype)
        writer.add_tensor("deq." + qtype.name + ".expected", dequantize(raw, qtype).astype(np.float32))
    for qtype in QUANTIZED_BY_GGUF:
        x = random_rows(rng, 16, 512)
        writer.add_tensor("quant." + qtype.name + ".input", x)
        q = quantize(x, qtype)
        if qtype == T.F16:
            q = q.view(np.uint8)
        writer.add_tensor("quant." + qtype.name + ".expected", q, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_hashes(path, out_dir):
    reader = GGUFReader(path)
    out = {}
    for t in reader.tensors:
        values = dequantize(t.data, t.tensor_type).astype("<f4", copy=False)
        out[t.name] = [t.tensor_type.name, hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()]
    with open(os.path.join(out_dir, "hashes.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    if sys.argv[1] == "random":
        write_random(os.path.join(sys.argv[2], "blocks.gguf"))
    elif sys.argv[1] == "hashes":
        write_hashes(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
