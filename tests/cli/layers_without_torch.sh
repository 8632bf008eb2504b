#!/usr/bin/env bash
# The bottom layers stay free of LibTorch: no source in base/, tokenizer/, filters/ or labeling/
# includes it, their test executable does not link it, and a tree configured with
# -DCHOSEI_TORCH=OFF (LibTorch never looked up) builds them and passes their tests.
set -euo pipefail
CORE_TESTS="$1"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
if grep -rlE '#include <(torch|ATen|c10)/' "$ROOT/base" "$ROOT/tokenizer" "$ROOT/filters" "$ROOT/labeling"; then
  echo "the files above include LibTorch"; exit 1
fi
if ldd "$CORE_TESTS" | grep -E 'libtorch|libc10'; then
  echo "chosei_core_tests links LibTorch"; exit 1
fi
BUILD="$ROOT/build-core"
cmake -S "$ROOT" -B "$BUILD" -DCHOSEI_TORCH=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
if grep -q '^Torch_DIR' "$BUILD/CMakeCache.txt"; then
  echo "the torch-free configuration looked LibTorch up"; exit 1
fi
cmake --build "$BUILD" --target chosei_core_tests -j "${CHOSEI_JOBS:-1}" -- --no-print-directory >/dev/null
"$BUILD/tests/chosei_core_tests" --gtest_brief=1 | tail -n 3
echo "1 passed, 0 failed"
