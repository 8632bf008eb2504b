#!/usr/bin/env python3
"""Reads a .safetensors file with a parser written from the published format (stdlib only)
and prints each tensor's name, dtype, shape and sum; exits non-zero on any violation."""
import json
import math
import struct
import sys

SIZES = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}

data = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
assert 8 + n <= len(data), "header past end of file"
header = json.loads(data[8 : 8 + n].decode("utf-8"))
body = data[8 + n :]
spans = []
for name, info in header.items():
    if name == "__metadata__":
        assert all(isinstance(v, str) for v in info.values())
        continue
    b, e = info["data_offsets"]
    assert 0 <= b <= e <= len(body), name
    assert math.prod(info["shape"]) * SIZES[info["dtype"]] == e - b, name
    spans.append((b, e))
    total = 0.0
    if info["dtype"] == "F32":
        total = sum(struct.unpack(f"<{(e - b) // 4}f", body[b:e]))
    print(f"{name} {info['dtype']} {info['shape']} sum={total}")
spans.sort()
assert all(e0 <= b1 for (_, e0), (b1, _) in zip(spans, spans[1:])), "overlapping tensors"
# The reference library requires the buffer to be exactly covered.
assert (spans[0][0] if spans else 0) == 0 and (spans[-1][1] if spans else 0) == len(body), "buffer not covered"
print("ok")
