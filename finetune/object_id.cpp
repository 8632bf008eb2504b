#include "finetune/object_id.h"

#include <random>

namespace chosei {

std::string random_object_id(const std::string& prefix, std::size_t length) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device entropy;  // /dev/urandom on Linux
  std::uniform_int_distribution<int> pick(0, sizeof kAlphabet - 2);
  std::string id = prefix;
  for (std::size_t i = 0; i < length; ++i) id += kAlphabet[pick(entropy)];
  return id;
}

}  // namespace chosei
