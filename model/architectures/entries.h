#pragma once
// The registry's entries, one file each (model/architecture.cpp lists them).

#include "model/architecture.h"

namespace chosei::families {

const Architecture& llama();
const Architecture& mistral();
const Architecture& qwen2();
const Architecture& qwen3();
const Architecture& gemma3_text();
const Architecture& smollm3();
const Architecture& phi3();

}  // namespace chosei::families
