#include "align/align_training.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "base/atomic_file.h"
#include "formats/peft_adapter.h"
#include "train/data_parallel.h"
#include "train/run_report.h"
#include "train/training_loop.h"

namespace chosei {

namespace fs = std::filesystem;

double train_and_save(RunConfig& cfg, const AlignRun& a, LoadedModel& m, std::int64_t vocab_before,
                      TrainingTask& task, nlohmann::json data_stats) {
  fs::create_directories(a.out);
  const bool writer = process_rank() == 0;
  if (writer)
    write_file_atomic((fs::path(a.out) / "config.json").string(), cfg.resolved().dump(2) + "\n");
  NamedParameters params;
  std::function<void(const std::string&)> save;
  if (a.lora) {
    auto lora = a.lora;
    if (m.model->config().vocab_size != vocab_before)
      lora->modules_to_save = m.model->config().tie_word_embeddings
                                  ? std::vector<std::string>{"embed_tokens"}
                                  : std::vector<std::string>{"embed_tokens", "lm_head"};
    params = start_lora_training(*m.model, *lora, a.run.loop.seed, m.stored_dtype);
    save = [&m, lora](const std::string& dir) {
      save_lora_adapter(dir, *m.model, *lora);
      save_tokenizer(m.tokenizer, dir);
    };
  } else {
    for (auto& p : m.model->named_parameters()) params.emplace_back(p.key(), p.value());
    save = [&m, dtype = save_dtype_for(a.run, m.stored_dtype)](const std::string& dir) {
      save_model_dir(dir, m, dtype);
    };
  }
  TrainingLoop loop(a.run.loop, task, params, save);
  auto result = loop.fit();
  if (!writer) return result.best_eval_loss;
  const auto final_dir = (fs::path(a.out) / "final").string();
  if (!promote_best_model(a.run.loop, final_dir)) save(final_dir);
  RunReportInput report;
  report.title = "chosei align (" + a.method + "): " + a.out;
  report.data_stats = std::move(data_stats);
  for (const auto& w : write_run_report(a.out, report)) std::cerr << "warning: " << w << "\n";
  std::cerr << "trained " << result.steps << " steps; aligned model in " << final_dir << "\n";
  return task.has_eval() ? result.best_eval_loss : std::nan("");
}

}  // namespace chosei
