#include "filters/text_classifier.h"

#include <filesystem>
#include <mutex>
#include <stdexcept>

namespace chosei {

namespace {

struct Registry {
  std::mutex mutex;
  TextClassifierLoader loader;
  std::map<std::string, std::shared_ptr<const TextClassifier>> loaded;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void set_text_classifier_loader(TextClassifierLoader loader) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.loader = std::move(loader);
  r.loaded.clear();
}

bool has_text_classifier_loader() {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return static_cast<bool>(r.loader);
}

std::shared_ptr<const TextClassifier> load_text_classifier(const std::string& model_dir) {
  auto& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (!r.loader)
    throw std::runtime_error("this program has no classifier runtime (use the chosei command)");
  std::error_code ec;
  const auto key = std::filesystem::weakly_canonical(model_dir, ec).string();
  auto it = r.loaded.find(key);
  if (it != r.loaded.end()) return it->second;
  auto c = r.loader(model_dir);
  r.loaded.emplace(key, c);
  return c;
}

}  // namespace chosei
