#include "align/reference_logps.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "align/sequence_logps.h"
#include "base/atomic_file.h"
#include "base/sha256.h"

namespace chosei {

namespace fs = std::filesystem;

ReferenceLogps compute_reference_logps(LlamaForCausalLM& reference,
                                       const std::vector<PreferenceExample>& examples,
                                       const ReferenceBatching& b) {
  torch::NoGradGuard no_grad;
  const bool was_training = reference->is_training();
  reference->eval();
  ReferenceLogps out;
  out.chosen.resize(examples.size());
  out.rejected.resize(examples.size());
  for (std::size_t start = 0; start < examples.size(); start += b.pairs_per_batch) {
    const std::size_t end = std::min(examples.size(), start + b.pairs_per_batch);
    std::vector<const PromptAnswerIds*> seqs;
    for (std::size_t i = start; i < end; ++i)
      seqs.push_back(&examples[i].chosen), seqs.push_back(&examples[i].rejected);
    const auto batch = make_logp_batch(seqs, b.pack, b.capacity, b.pad_id);
    const auto s = sequence_logps(reference, batch, b.temperature).answer_sum.to(torch::kDouble);
    const auto* v = s.data_ptr<double>();
    for (std::size_t i = start; i < end; ++i) {
      out.chosen[i] = v[2 * (i - start)];
      out.rejected[i] = v[2 * (i - start) + 1];
    }
  }
  reference->train(was_training);
  return out;
}

std::string weights_sha256(LlamaForCausalLM& model) {
  std::map<std::string, torch::Tensor> sorted;
  for (const auto& p : model->named_parameters()) sorted.emplace(p.key(), p.value());
  Sha256 h;
  for (const auto& [name, t] : sorted) {
    auto x = t.detach().to(torch::kFloat32).contiguous();
    h.update(name);
    for (auto d : x.sizes()) h.update(&d, sizeof d);
    h.update(x.data_ptr(), static_cast<std::size_t>(x.numel()) * sizeof(float));
  }
  return h.hex();
}

std::string reference_cache_key(const std::string& weights_sha,
                                const std::vector<PreferenceExample>& examples,
                                const std::string& precision, double temperature) {
  Sha256 h;
  h.update(weights_sha).update(precision).update(std::to_string(temperature));
  auto add = [&h](const PromptAnswerIds& s) {
    const std::uint64_t n = s.ids.size(), prompt = s.prompt_tokens;
    h.update(&n, sizeof n).update(&prompt, sizeof prompt);
    h.update(s.ids.data(), s.ids.size() * sizeof(TokenId));
  };
  for (const auto& e : examples) add(e.chosen), add(e.rejected);
  return h.hex();
}

ReferenceLogps cached_reference_logps(const std::string& folder, const std::string& key,
                                      std::size_t examples,
                                      const std::function<ReferenceLogps()>& compute, bool* reused,
                                      bool save) {
  const auto path = (fs::path(folder) / (key + ".json")).string();
  if (fs::exists(path)) {
    std::ifstream in(path);
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("chosen") || !j.contains("rejected"))
      throw std::runtime_error(path + ": not a reference log-prob cache; delete it to recompute");
    ReferenceLogps r{j["chosen"].get<std::vector<double>>(),
                     j["rejected"].get<std::vector<double>>()};
    if (r.chosen.size() != examples || r.rejected.size() != examples)
      throw std::runtime_error(path + ": holds " + std::to_string(r.chosen.size()) +
                               " pairs, the data " + std::to_string(examples) +
                               "; delete it to recompute");
    if (reused) *reused = true;
    return r;
  }
  auto r = compute();
  if (reused) *reused = false;
  if (!save) return r;
  fs::create_directories(folder);
  write_file_atomic(
      path,
      nlohmann::json{
          {"key", key}, {"pairs", examples}, {"chosen", r.chosen}, {"rejected", r.rejected}}
              .dump() +
          "\n");
  return r;
}

}  // namespace chosei
