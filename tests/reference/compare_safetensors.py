#!/usr/bin/env python3
"""Compares two safetensors files tensor by tensor; prints the largest absolute difference
and exits 1 when it exceeds TOL or the tensor sets differ.
usage: compare_safetensors.py A B TOL"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_reference import read_safetensors  # noqa: E402

a, b, tol = read_safetensors(sys.argv[1]), read_safetensors(sys.argv[2]), float(sys.argv[3])
if a.keys() != b.keys():
    print("tensor names differ")
    sys.exit(1)
worst = max(((a[k] - b[k]).abs().max().item() for k in a), default=0.0)
print(f"max |difference| {worst:.3g} over {len(a)} tensors")
sys.exit(0 if worst <= tol else 1)
