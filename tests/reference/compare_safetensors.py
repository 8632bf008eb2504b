#!/usr/bin/env python3
"""Compares two safetensors files tensor by tensor (F32); prints the largest absolute
difference and exits 1 when it exceeds TOL or the tensor sets differ.
usage: compare_safetensors.py A B TOL"""
import json
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    body = data[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        out[name] = struct.unpack(f"<{(e - b) // 4}f", body[b:e])
    return out


a, b, tol = read(sys.argv[1]), read(sys.argv[2]), float(sys.argv[3])
if a.keys() != b.keys():
    print("tensor names differ")
    sys.exit(1)
worst = max((abs(x - y) for k in a for x, y in zip(a[k], b[k])), default=0.0)
print(f"max |difference| {worst:.3g} over {len(a)} tensors")
sys.exit(0 if worst <= tol else 1)
