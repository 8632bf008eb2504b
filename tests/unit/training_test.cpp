// SFT data and training invariants: assistant-only labels, packing equivalence, gradient
// accumulation equivalence, exact resume, and one step against a PyTorch reference.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "datasets/packed_batch.h"
#include "datasets/sft_example.h"
#include "formats/model_dir.h"
#include "formats/safetensors_reader.h"
#include "formats/safetensors_writer.h"
#include "formats/tensor_io.h"
#include "model/lora.h"
#include "sft/language_modeling_task.h"
#include "tests/unit/test_data.h"
#include "tokenizer/extended_tokenizer.h"
#include "tokenizer/tokenizer_loader.h"
#include "train/causal_lm_loss.h"
#include "train/lr_schedule.h"
#include "train/training_loop.h"

namespace chosei {
namespace {

ModelConfig tiny_config(std::int64_t vocab) {
  ModelConfig c;
  c.model_type = "llama";
  c.vocab_size = vocab;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 128;
  c.rms_norm_eps = 1e-5;
  c.tie_word_embeddings = true;
  c.initializer_range = 0.1;
  return c;
}

std::vector<SftExample> random_examples(int n, std::int64_t vocab, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<SftExample> out;
  for (int i = 0; i < n; ++i) {
    SftExample ex;
    const int len = 5 + static_cast<int>(rng() % 20);
    for (int k = 0; k < len; ++k) {
      ex.ids.push_back(static_cast<TokenId>(1 + rng() % (vocab - 1)));
      // A prompt part (masked) then an answer part (labeled).
      ex.labels.push_back(k < len / 3 ? kIgnoreLabel : ex.ids.back());
    }
    out.push_back(std::move(ex));
  }
  return out;
}

std::unique_ptr<Tokenizer> chat_tokenizer() {
  auto path = test::data_path("hf_fake_gpt2_fulltokenizer/tokenizer.json");
  if (path.empty()) return nullptr;
  std::shared_ptr<const Tokenizer> base(load_tokenizer(path).tokenizer.release());
  return std::make_unique<ExtendedTokenizer>(
      base, std::vector<std::string>{"<|im_start|>", "<|im_end|>"});
}

TEST(SftMasking, OnlyAssistantContentAndEndOfTurnAreLabeled) {
  auto tok = chat_tokenizer();
  if (!tok) GTEST_SKIP() << "GPT-2 tokenizer not found";
  Conversation c;
  c.turns = {{"system", "Be brief.", {}},   {"user", "Hi there", {}},
             {"assistant", "Hello!", {}},   {"user", "Again", {}},
             {"assistant", "Skip me", 0.0}, {"user", "Last", {}},
             {"assistant", "Bye", {}}};
  SftTokenizeReport report;
  auto ex = tokenize_conversations({c}, *tok, ChatTemplate::by_name("chatml"), 1000,
                                   Truncation::kDrop, &report);
  ASSERT_EQ(ex.size(), 1u);
  std::vector<TokenId> labeled;
  for (std::size_t i = 0; i < ex[0].ids.size(); ++i)
    if (ex[0].labels[i] != kIgnoreLabel) {
      EXPECT_EQ(ex[0].labels[i], ex[0].ids[i]);
      labeled.push_back(ex[0].ids[i]);
    }
  // What each answer adds ("Hello!", <|im_end|> and the template's newline; the same for
  // "Bye"): the weight-0 turn and every system/user token stay masked; the end-of-turn token
  // is a target so the model learns to stop.
  EXPECT_EQ(tok->decode(labeled), "Hello!<|im_end|>\nBye<|im_end|>\n");
  // Too long: dropped and counted.
  auto none = tokenize_conversations({c}, *tok, ChatTemplate::by_name("chatml"), 10,
                                     Truncation::kDrop, &report);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(report.dropped_too_long, 1);
  auto cut = tokenize_conversations({c}, *tok, ChatTemplate::by_name("chatml"), 30,
                                    Truncation::kTruncate, &report);
  EXPECT_EQ(cut.at(0).ids.size(), 30u);
  EXPECT_EQ(report.truncated, 1);
}

TEST(Packing, BestFitDecreasingFillsBins) {
  auto bins = pack_best_fit_decreasing({7, 5, 4, 3, 1}, 8);
  // 7+1, 5+3, 4.
  ASSERT_EQ(bins.size(), 3u);
  EXPECT_EQ(bins[0], (std::vector<std::size_t>{0, 4}));
  EXPECT_EQ(bins[1], (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(bins[2], (std::vector<std::size_t>{2}));
  EXPECT_THROW(pack_best_fit_decreasing({9}, 8), std::invalid_argument);
}

double batch_loss(LlamaForCausalLM& model, const PackedBatch& b, std::int64_t* count) {
  ForwardOptions fwd;
  fwd.positions = b.positions;
  fwd.attention_mask = b.attention_mask;
  auto loss = causal_lm_loss(model->forward(b.input_ids, fwd), b.targets);
  *count = loss.count;
  return loss.sum.item<double>();
}

TEST(Packing, PackedBatchGivesTheSameLossAsUnpacked) {
  LlamaForCausalLM model(tiny_config(50));
  model->initialize(3);
  torch::NoGradGuard no_grad;
  auto examples = random_examples(9, 50, 4);
  std::vector<std::size_t> lengths;
  for (const auto& e : examples) lengths.push_back(e.ids.size());
  auto packed = make_batch(examples, pack_best_fit_decreasing(lengths, 40), 0);
  std::vector<std::vector<std::size_t>> single;
  for (std::size_t i = 0; i < examples.size(); ++i) single.push_back({i});
  auto unpacked = make_batch(examples, single, 0);
  EXPECT_LT(packed.input_ids.size(0), unpacked.input_ids.size(0));
  std::int64_t n1, n2;
  double a = batch_loss(model, packed, &n1), b = batch_loss(model, unpacked, &n2);
  EXPECT_EQ(n1, n2);
  EXPECT_EQ(n1, packed.target_tokens);
  EXPECT_NEAR(a / n1, b / n2, 1e-5);
  // And each example alone.
  double alone = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) {
    std::int64_t n;
    alone += batch_loss(model, make_batch(examples, {{i}}, 0), &n);
  }
  EXPECT_NEAR(alone / n1, a / n1, 1e-5);
}

// A second objective on the same loop: the mean over sequences of each sequence's mean
// token loss, normalized by sequences (count = rows), as a sequence-level task (a reward
// model, DPO) is. Unpacked rows of one example each.
class SequenceMeanTask : public TrainingTask {
 public:
  SequenceMeanTask(LlamaForCausalLM model, std::vector<SftExample> examples, std::int64_t rows)
      : model_(std::move(model)), examples_(std::move(examples)), rows_(rows) {}
  TrainingBatches train_batches(std::int64_t epoch, std::uint64_t seed) override {
    std::vector<std::size_t> order(examples_.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(epoch));
    std::shuffle(order.begin(), order.end(), rng);
    TrainingBatches out;
    for (std::size_t i = 0; i < order.size(); i += static_cast<std::size_t>(rows_)) {
      auto b = std::make_shared<Batch>();
      for (std::size_t k = i; k < std::min(order.size(), i + rows_); ++k)
        b->rows.push_back(order[k]);
      b->count = static_cast<std::int64_t>(b->rows.size());
      for (auto r : b->rows) b->tokens += static_cast<std::int64_t>(examples_[r].ids.size());
      out.push_back(b);
    }
    return out;
  }
  BatchLoss loss(const TrainingBatch& batch) override {
    const auto& b = static_cast<const Batch&>(batch);
    torch::Tensor sum = torch::zeros({});
    for (auto r : b.rows) {
      auto one = make_batch(examples_, {{r}}, 0);
      auto l = causal_lm_loss(model_->forward(one.input_ids, {}), one.targets);
      sum = sum + l.sum / double(l.count);
    }
    return {sum, {{"rows", double(b.rows.size())}}};
  }
  bool has_eval() const override { return false; }
  std::map<std::string, double> evaluate() override { return {}; }
  void set_training(bool training) override { training ? model_->train() : model_->eval(); }

  // The objective over every example at once, for an independent gradient.
  torch::Tensor full_objective() {
    torch::Tensor sum = torch::zeros({});
    for (std::size_t r = 0; r < examples_.size(); ++r) {
      auto one = make_batch(examples_, {{r}}, 0);
      auto l = causal_lm_loss(model_->forward(one.input_ids, {}), one.targets);
      sum = sum + l.sum / double(l.count);
    }
    return sum / double(examples_.size());
  }

 private:
  struct Batch : TrainingBatch {
    std::vector<std::size_t> rows;
  };
  LlamaForCausalLM model_;
  std::vector<SftExample> examples_;
  std::int64_t rows_;
};

using Weights = std::map<std::string, torch::Tensor>;

Weights weights_of(LlamaForCausalLM& model) {
  Weights out;
  for (auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

NamedParameters all_parameters(LlamaForCausalLM& model) {
  NamedParameters params;
  for (auto& p : model->named_parameters()) params.emplace_back(p.key(), p.value());
  return params;
}

std::function<void(const std::string&)> model_saver(LlamaForCausalLM model) {
  return [model](const std::string& dir) {
    LoadedModel m;
    m.model = model;
    save_model_dir(dir, m);
  };
}

std::vector<double> logged(const std::string& out_dir, const char* key) {
  std::vector<double> values;
  std::ifstream in(out_dir + "/metrics.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    if (j.contains(key)) values.push_back(j[key].get<double>());
  }
  return values;
}

// Trains a fresh copy of the tiny model (initialized with seed 5) on the language-modeling
// task and returns its final weights.
Weights train_copy(const std::vector<SftExample>& examples, TrainingOptions opt,
                   BatchingOptions batching, std::vector<double>* losses = nullptr) {
  LlamaForCausalLM model(tiny_config(50));
  model->initialize(5);
  LanguageModelingTask task(model, examples, examples, batching);
  TrainingLoop loop(opt, task, all_parameters(model), model_saver(model));
  loop.fit();
  if (losses) *losses = logged(opt.out_dir, "loss");
  return weights_of(model);
}

TrainingOptions base_options(const std::string& name) {
  TrainingOptions o;
  o.out_dir = test::temp_dir(name);
  o.schedule.kind = "constant";
  o.schedule.peak = 1e-2;
  o.log_every = 1;
  o.max_grad_norm = 0;
  o.seed = 7;
  return o;
}

BatchingOptions unpacked(std::int64_t rows) {
  BatchingOptions b;
  b.batch_size = rows;
  b.packing = false;
  return b;
}

double max_difference(const Weights& a, const Weights& b) {
  double d = 0;
  for (const auto& [k, v] : a) d = std::max(d, (v - b.at(k)).abs().max().item<double>());
  return d;
}

// Adam's first step is ~lr * sign(g), blind to the gradient's scale; with eps far above
// |g| the update is lr * g / eps, so the weights show the gradient itself.
TrainingOptions gradient_revealing(const std::string& name) {
  auto o = base_options(name);
  o.max_steps = 1, o.adam_eps = 1e3, o.schedule.peak = 1e3;
  return o;
}

TEST(TrainingLoop, AccumulationNormalizesByTargetTokensOfTheWholeBatch) {
  auto examples = random_examples(8, 50, 11);  // different lengths and target counts
  auto a = gradient_revealing("accum_1x8");
  auto b = gradient_revealing("accum_4x2");
  b.grad_accum = 4;
  auto wa = train_copy(examples, a, unpacked(8)), wb = train_copy(examples, b, unpacked(2));
  EXPECT_LT(max_difference(wa, wb), 1e-6);
  LlamaForCausalLM init(tiny_config(50));
  init->initialize(5);
  EXPECT_GT(max_difference(wa, weights_of(init)), 1e-3) << "the step must change the weights";
}

TEST(TrainingLoop, AccumulationNormalizesBySequencesForASequenceLevelTask) {
  auto examples = random_examples(8, 50, 12);
  auto run = [&](const std::string& name, std::int64_t rows, std::int64_t accum) {
    LlamaForCausalLM model(tiny_config(50));
    model->initialize(5);
    SequenceMeanTask task(model, examples, rows);
    auto o = gradient_revealing(name);
    o.grad_accum = accum;
    TrainingLoop loop(o, task, all_parameters(model), model_saver(model));
    loop.fit();
    EXPECT_EQ(logged(o.out_dir, "rows"), std::vector<double>{1.0}) << "metric mean per unit";
    return weights_of(model);
  };
  auto w18 = run("seq_1x8", 8, 1), w42 = run("seq_4x2", 2, 4), w81 = run("seq_8x1", 1, 8);
  EXPECT_LT(max_difference(w18, w42), 1e-6);
  EXPECT_LT(max_difference(w18, w81), 1e-6);
  // Independently: the gradient of the whole-batch objective, through autograd alone.
  LlamaForCausalLM ref(tiny_config(50));
  ref->initialize(5);
  SequenceMeanTask whole(ref, examples, 8);
  whole.full_objective().backward();
  double worst = 0;
  for (auto& p : ref->named_parameters()) {
    // AdamW step 1 with bias correction: update = lr * g / (|g| + eps) ~ lr * g / eps.
    auto g = p.value().grad();
    auto expected = p.value().detach() - 1e3 * g / (g.abs() + 1e3);
    worst = std::max(worst, (expected - w18.at(p.key())).abs().max().item<double>());
  }
  EXPECT_LT(worst, 1e-5);
}

TEST(TrainingLoop, ResumedRunMatchesAnUninterruptedOne) {
  auto examples = random_examples(12, 50, 13);
  auto full = base_options("resume_full");
  full.max_steps = 8, full.schedule.kind = "cosine", full.schedule.warmup_steps = 2;
  std::vector<double> losses_full;
  auto w_full = train_copy(examples, full, unpacked(3), &losses_full);

  auto first = full;
  first.out_dir = test::temp_dir("resume_first");
  first.save_every = 4;
  train_copy(examples, first, unpacked(3));
  ASSERT_TRUE(std::filesystem::exists(first.out_dir + "/checkpoints/step-4/optimizer.pt"));
  ASSERT_TRUE(std::filesystem::exists(first.out_dir + "/checkpoints/step-8/trainer_state.json"));

  // Resume from step 4 starting from the initial weights: the loop must restore the
  // checkpoint's weights itself.
  auto second = full;
  second.out_dir = test::temp_dir("resume_second");
  second.resume_from = first.out_dir + "/checkpoints/step-4";
  std::vector<double> losses_second;
  auto w_resumed = train_copy(examples, second, unpacked(3), &losses_second);
  EXPECT_EQ(max_difference(w_full, w_resumed), 0.0);
  ASSERT_EQ(losses_second.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(losses_second[i], losses_full[4 + i]) << "step " << 5 + i;
}

TEST(TrainingLoop, ResumeIsExactForASequenceLevelTask) {
  auto examples = random_examples(10, 50, 15);
  auto run = [&](TrainingOptions o) {
    LlamaForCausalLM model(tiny_config(50));
    model->initialize(5);
    SequenceMeanTask task(model, examples, 3);
    TrainingLoop loop(o, task, all_parameters(model), model_saver(model));
    loop.fit();
    return weights_of(model);
  };
  auto full = base_options("seq_resume_full");
  full.max_steps = 7, full.save_every = 3, full.grad_accum = 2, full.schedule.kind = "linear";
  auto w_full = run(full);  // 4 batches an epoch, 2 a step: the resume lands mid-epoch
  auto resumed = full;
  resumed.out_dir = test::temp_dir("seq_resume_second");
  resumed.resume_from = full.out_dir + "/checkpoints/step-3";
  auto w_resumed = run(resumed);
  EXPECT_EQ(max_difference(w_full, w_resumed), 0.0);
  EXPECT_EQ(logged(resumed.out_dir, "rows").size(), 4u) << "steps 4 to 7 logged";
}

TEST(TrainingLoop, AutoResumeIgnoresAHalfWrittenCheckpoint) {
  auto examples = random_examples(12, 50, 14);
  auto first = base_options("auto_resume");
  first.max_steps = 6, first.save_every = 2, first.keep_checkpoints = 5;
  first.resume_from = "auto";  // nothing there yet: a fresh start
  auto w_full = train_copy(examples, first, unpacked(3));
  namespace fs = std::filesystem;
  const auto ck = fs::path(first.out_dir) / "checkpoints";
  // A kill during the step-6 save leaves step-6.tmp; step-4 loses a file as a damaged
  // copy would. Both are passed over for step-2.
  fs::rename(ck / "step-6", ck / "step-6.tmp");
  fs::remove(ck / "step-4" / "trainer_state.json");
  auto again = first;
  std::vector<double> losses;
  auto w_again = train_copy(examples, again, unpacked(3), &losses);
  EXPECT_EQ(max_difference(w_full, w_again), 0.0);
  EXPECT_EQ(losses.size(), 6u) << "metrics.jsonl continues from step 2 without duplicates";
  EXPECT_FALSE(fs::exists(ck / "step-6.tmp")) << "the next save removes leftovers";
}

TEST(LrSchedule, WarmupCosineAndLinearWorkedByHand) {
  LrSchedule s{"cosine", 1.0, 2, 12, 0.1};
  EXPECT_DOUBLE_EQ(s.at(0), 0.5);  // warmup: (0+1)/2
  EXPECT_DOUBLE_EQ(s.at(1), 1.0);
  EXPECT_DOUBLE_EQ(s.at(2), 1.0);     // cosine starts at the peak
  EXPECT_NEAR(s.at(7), 0.55, 1e-12);  // halfway: 0.1 + 0.45 * (1 + cos(pi/2))
  EXPECT_NEAR(s.at(12), 0.1, 1e-12);
  LrSchedule l{"linear", 2.0, 0, 10, 0};
  EXPECT_DOUBLE_EQ(l.at(5), 1.0);
  EXPECT_THROW((LrSchedule{"step", 1.0, 0, 10, 0}.validate()), std::invalid_argument);
}

}  // namespace
}  // namespace chosei

namespace chosei {
namespace {

// One SFT step's loss and gradients against tests/reference/sft_step_reference.py: through
// the full logits, or through the chunked head loss (chunks of 5 targets, so several) with
// every decoder layer checkpointed, the path LanguageModelingTask trains with.
void expect_sft_step_matches_pytorch(bool chunked_and_checkpointed) {
  const auto python = test::reference_python();
  if (python.empty()) GTEST_SKIP() << "python3 with torch not available";
  auto config = tiny_config(50);
  config.tie_word_embeddings = false;  // exercise lm_head's gradient too
  LlamaForCausalLM model(config);
  model->initialize(21);
  auto dir = test::temp_dir(chunked_and_checkpointed ? "sft_step_chunked" : "sft_step_ref");
  LoadedModel m;
  m.model = model;
  save_model_dir(dir + "/model", m);
  // Equal-length rows (no padding), part of each row masked.
  auto examples = random_examples(3, 50, 17);
  for (auto& e : examples) e.ids.resize(12), e.labels.resize(12);
  for (auto& e : examples)
    for (std::size_t k = 0; k < e.labels.size(); ++k) e.labels[k] = k < 4 ? kIgnoreLabel : e.ids[k];
  auto batch = make_batch(examples, {{0}, {1}, {2}}, 0);
  {
    auto ids = batch.input_ids.contiguous(), tg = batch.targets.contiguous();
    write_safetensors(dir + "/batch.safetensors",
                      {{"input_ids", DType::I64, ids.sizes().vec(), ids.data_ptr(),
                        static_cast<std::size_t>(ids.numel() * 8)},
                       {"targets", DType::I64, tg.sizes().vec(), tg.data_ptr(),
                        static_cast<std::size_t>(tg.numel() * 8)}});
  }
  std::string out;
  int rc = test::run_command(python + " " + test::source_dir() +
                                 "/tests/reference/sft_step_reference.py " + dir + "/model " + dir +
                                 "/batch.safetensors " + dir + "/ref.safetensors 2>&1",
                             &out);
  ASSERT_EQ(rc, 0) << out;
  SafetensorsReader ref(dir + "/ref.safetensors");

  model->zero_grad();
  ForwardOptions fwd;
  fwd.positions = batch.positions;
  fwd.attention_mask = batch.attention_mask;
  model->model->set_activation_checkpointing(chunked_and_checkpointed);
  auto loss = chunked_and_checkpointed
                  ? chunked_causal_lm_loss(*model, model->hidden_states(batch.input_ids, fwd),
                                           batch.targets, 5)
                  : causal_lm_loss(model->forward(batch.input_ids, fwd), batch.targets);
  EXPECT_EQ(loss.count, 24);
  auto mean = loss.sum / double(loss.count);
  mean.backward();
  const double ref_loss = tensor_from_view(ref.tensor("loss")).item<double>();
  EXPECT_NEAR(mean.item<double>(), ref_loss, 1e-5);
  double worst = 0;
  int compared = 0;
  for (auto& p : model->named_parameters()) {
    auto expected = tensor_from_view(ref.tensor("grad." + p.key()));
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    double d = (p.value().grad() - expected).abs().max().item<double>();
    worst = std::max(worst, d);
    EXPECT_LT(d, 1e-4) << p.key();
    ++compared;
  }
  std::cout << "loss " << mean.item<double>() << " vs " << ref_loss << "; " << compared
            << " gradients, max |difference| " << worst << "\n";
}

TEST(SftStep, LossAndEveryGradientMatchPyTorch) { expect_sft_step_matches_pytorch(false); }

TEST(SftStep, ChunkedHeadLossWithCheckpointedLayersMatchesPyTorch) {
  expect_sft_step_matches_pytorch(true);
}

// A LoRA step with adapter dropout: checkpointed layers recompute the same dropout masks
// (the generator is restored), so loss and adapter gradients equal the plain step's.
TEST(SftStep, CheckpointedLayersRepeatLoraDropout) {
  auto config = tiny_config(50);
  auto examples = random_examples(2, 50, 5);
  for (auto& e : examples) e.ids.resize(10), e.labels = e.ids;
  auto batch = make_batch(examples, {{0}, {1}}, 0);
  auto step = [&](bool checkpoint, std::uint64_t dropout_seed) {
    LlamaForCausalLM model(config);
    model->initialize(3);
    LoraConfig lora;
    lora.r = 4, lora.dropout = 0.5, lora.target_modules = {"q_proj", "v_proj", "down_proj"};
    torch::manual_seed(11);
    auto params = apply_lora(*model, lora);
    for (auto& [name, p] : params) {
      torch::NoGradGuard no_grad;
      p.normal_(0.0, 0.1);  // B starts at zero: give it weight, so dropout shows
    }
    model->train();
    model->model->set_activation_checkpointing(checkpoint);
    torch::manual_seed(dropout_seed);
    auto loss =
        chunked_causal_lm_loss(*model, model->hidden_states(batch.input_ids, {}), batch.targets, 7);
    loss.sum.backward();
    std::vector<torch::Tensor> grads{loss.sum.detach()};
    for (auto& [name, p] : params) grads.push_back(p.grad().clone());
    return grads;
  };
  const auto plain = step(false, 12), recomputed = step(true, 12);
  // Dropout is live: other masks give another loss, so equal results above are not trivial.
  EXPECT_FALSE(torch::allclose(plain[0], step(false, 13)[0]));
  ASSERT_EQ(plain.size(), recomputed.size());
  EXPECT_GT(plain.size(), 6u);
  for (std::size_t i = 0; i < plain.size(); ++i)
    EXPECT_TRUE(torch::allclose(plain[i], recomputed[i], 1e-5, 1e-6)) << "tensor " << i;
  EXPECT_GT(plain[1].abs().sum().item<double>(), 0.0);
}

}  // namespace
}  // namespace chosei

#include "model/lora.h"
#include "sft/sft_recipe.h"
#include "tokenizer/bpe_trainer.h"

namespace chosei {
namespace {

// A tiny chat model whose tokenizer already has the ChatML tokens, and a small dataset.
std::string make_chat_base(const std::string& dir) {
  std::ofstream(dir + "/corpus.txt")
      << "Returns are accepted within 30 days. Refunds take 5 days.\n";
  BpeTrainerOptions opt;
  opt.vocab_size = 300;
  auto trained = train_byte_level_bpe({dir + "/corpus.txt"}, opt);
  std::filesystem::create_directories(dir + "/base");
  std::ofstream(dir + "/base/tokenizer.json") << trained.tokenizer_json;
  std::ofstream(dir + "/base/tokenizer_config.json") << trained.tokenizer_config_json;
  LoadedModel m;
  m.tokenizer = load_tokenizer(dir + "/base");
  auto c = tiny_config(m.tokenizer.tokenizer->vocab_size());
  c.eos_token_ids = {m.tokenizer.tokenizer->token_to_id("<|im_end|>")};
  m.model = LlamaForCausalLM(c);
  m.model->initialize(1);
  save_model_dir(dir + "/base", m);
  std::ofstream data(dir + "/train.jsonl");
  for (int i = 0; i < 16; ++i)
    data << R"({"messages":[{"role":"user","content":"How long for a refund )" << i
         << R"(?"},{"role":"assistant","content":"Refunds take 5 days."}]})"
         << "\n";
  return dir + "/base";
}

TEST(Lora, BaseUntouchedPeftKeysAndMergeEqualsWPlusScaledBA) {
  auto dir = test::temp_dir("lora_run");
  auto base = make_chat_base(dir);
  RecipeArgs args;
  args.overrides = {"model=" + base,
                    "train=" + dir + "/train.jsonl",
                    "out=" + dir + "/run",
                    "max_steps=6",
                    "learning_rate=0.01",
                    "batch_size=4",
                    "max_seq_len=64",
                    "lora.r=4",
                    "lora.alpha=8",
                    "lora.dropout=0",
                    "lora.target_modules=q_proj,v_proj,down_proj",
                    "log_every=0"};
  run_sft(args);
  const auto adapter = dir + "/run/final";
  ASSERT_TRUE(std::filesystem::exists(adapter + "/adapter_config.json"));
  SafetensorsReader reader(adapter + "/adapter_model.safetensors");
  // PEFT naming: base_model.model.<module>.lora_{A,B}.weight, 2 layers x 3 targets x 2.
  EXPECT_EQ(reader.tensors().size(), 12u);
  for (const auto& t : reader.tensors()) {
    EXPECT_EQ(t.name.rfind("base_model.model.model.layers.", 0), 0u) << t.name;
    const bool a = t.name.find(".lora_A.weight") != std::string::npos,
               b = t.name.find(".lora_B.weight") != std::string::npos;
    EXPECT_TRUE(a || b) << t.name;
  }
  auto B = tensor_from_view(
      reader.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight"));
  auto A = tensor_from_view(
      reader.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight"));
  EXPECT_EQ(A.sizes(), (std::vector<std::int64_t>{4, 32}));
  EXPECT_GT(B.abs().max().item<double>(), 0) << "training must move B away from zero";

  // The base, as loaded under the adapter, is bit-identical to the file.
  auto base_tensors = read_checkpoint_tensors(base);
  auto adapted = load_model_with_adapter(base, adapter);
  for (auto& p : adapted.model->named_parameters()) {
    if (p.key().find("lora_") != std::string::npos) continue;
    EXPECT_TRUE(torch::equal(p.value(), base_tensors.at(p.key()))) << p.key();
  }

  // Merged: W + (alpha / r) B A.
  merge_lora(*adapted.model);
  auto merged = adapted.model->named_parameters()["model.layers.1.self_attn.q_proj.weight"];
  auto expected =
      base_tensors.at("model.layers.1.self_attn.q_proj.weight") + (8.0 / 4.0) * torch::matmul(B, A);
  EXPECT_LT((merged - expected).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(torch::equal(adapted.model->named_parameters()["model.layers.0.mlp.up_proj.weight"],
                           base_tensors.at("model.layers.0.mlp.up_proj.weight")));
}

// save_dtype=auto writes a full model in the type it came in; lora.base_dtype=auto holds a
// bf16 base in bf16 and trains exactly as the widened base does.
TEST(SaveDtype, AutoKeepsABf16ModelsTypeAndTheLoraBaseIsHeldInIt) {
  auto dir = test::temp_dir("save_dtype");
  auto fp32_base = make_chat_base(dir);
  auto m = load_model_dir(fp32_base);
  save_model_dir(dir + "/bf16", m, DType::BF16);
  auto run = [&](const std::string& out, std::vector<std::string> extra) {
    RecipeArgs args;
    args.overrides = {"model=" + dir + "/bf16",
                      "train=" + dir + "/train.jsonl",
                      "out=" + dir + "/" + out,
                      "max_steps=3",
                      "batch_size=4",
                      "max_seq_len=64",
                      "log_every=1",
                      "seed=5"};
    args.overrides.insert(args.overrides.end(), extra.begin(), extra.end());
    run_sft(args);
    std::vector<double> losses;
    std::ifstream metrics(dir + "/" + out + "/metrics.jsonl");
    for (std::string line; std::getline(metrics, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.contains("lr")) losses.push_back(j["loss"].get<double>());
    }
    return losses;
  };
  run("full", {});
  EXPECT_EQ(checkpoint_dtype(dir + "/full/final"), DType::BF16);
  run("full32", {"save_dtype=fp32"});
  EXPECT_EQ(checkpoint_dtype(dir + "/full32/final"), DType::F32);
  const std::vector<std::string> lora = {"lora.r=4", "lora.dropout=0", "learning_rate=0.01"};
  auto held = run("held", lora);
  auto wide = lora;
  wide.push_back("lora.base_dtype=fp32");
  auto widened = run("wide", wide);
  ASSERT_EQ(held.size(), 3u);
  ASSERT_EQ(widened.size(), 3u);
  for (std::size_t i = 0; i < held.size(); ++i) EXPECT_NEAR(held[i], widened[i], 1e-5 * held[i]);
  EXPECT_NE(held[0], held[2]);
  RecipeArgs bad;
  bad.overrides = {"model=" + fp32_base, "train=" + dir + "/train.jsonl", "out=" + dir + "/bad",
                   "lora.r=4", "lora.base_dtype=int8"};
  try {
    run_sft(bad);
    FAIL() << "lora.base_dtype=int8 was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"lora.base_dtype\" is \"int8\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace chosei

#include "base/atomic_file.h"
#include "train/run_report.h"

namespace chosei {
namespace {

TEST(RunReport, OverfittingWarningAndInlineCharts) {
  // Validation loss rising at the last two evaluations while training loss falls.
  std::vector<std::pair<double, double>> evals = {{0, 3.0}, {10, 2.0}, {20, 2.1}, {30, 2.3}};
  std::vector<std::pair<double, double>> train = {{5, 2.5},  {10, 2.0}, {15, 1.8},
                                                  {20, 1.5}, {25, 1.2}, {30, 1.0}};
  EXPECT_TRUE(overfitting(evals, train));
  std::vector<std::pair<double, double>> healthy = {{0, 3.0}, {10, 2.0}, {20, 1.9}, {30, 1.8}};
  EXPECT_FALSE(overfitting(healthy, train));

  auto dir = test::temp_dir("report");
  {
    std::ofstream m(dir + "/metrics.jsonl");
    for (auto [s, l] : evals) m << nlohmann::json{{"step", s}, {"eval_loss", l}}.dump() << "\n";
    for (auto [s, l] : train)
      m << nlohmann::json{{"step", s},
                          {"loss", l},
                          {"lr", 0.001},
                          {"grad_norm", 1.0},
                          {"tokens_per_s", 90},
                          {"peak_rss_mb", 870},
                          {"mean_token_accuracy", 0.6}}
               .dump()
        << "\n";
  }
  RunReportInput in;
  in.title = "t";
  in.samples = {{"<prompt>", "answer & more"}};
  auto warnings = write_run_report(dir, in);
  ASSERT_EQ(warnings.size(), 1u);
  auto html = read_file(dir + "/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  // The issue's panels: accuracy, gradient norm, throughput and peak memory.
  for (const char* chart :
       {">gradient norm<", ">mean_token_accuracy<", ">tokens_per_s<", ">peak_rss_mb<"})
    EXPECT_NE(html.find(chart), std::string::npos) << chart;
  EXPECT_NE(html.find("overfitting"), std::string::npos);
  EXPECT_NE(html.find("&lt;prompt&gt;"), std::string::npos) << "text must be escaped";
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos) << "no external requests";
}

TEST(RunReport, ChosenLogProbsFallingSteadilyWarnAndSuggestSftWeight) {
  std::vector<std::pair<double, double>> falling, noisy;
  for (int i = 0; i < 12; ++i) {
    falling.emplace_back(i, -20.0 - 1.5 * i);                        // DPO pushing both down
    noisy.emplace_back(i, -20.0 + (i % 2 ? 0.8 : -0.8) - 0.05 * i);  // flat within noise
  }
  EXPECT_TRUE(falling_steadily(falling));
  EXPECT_FALSE(falling_steadily(noisy));
  EXPECT_FALSE(falling_steadily({{0, -1.0}, {1, -9.0}}));  // too short to say
  auto dir = test::temp_dir("report_logps");
  {
    std::ofstream m(dir + "/metrics.jsonl");
    for (auto [s, v] : falling)
      m << nlohmann::json{{"step", s}, {"loss", 0.5}, {"logps/chosen", v}}.dump() << "\n";
  }
  const auto warnings = write_run_report(dir, RunReportInput{});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("sft_weight"), std::string::npos) << warnings[0];
  EXPECT_NE(read_file(dir + "/report.html").find("logps/chosen"), std::string::npos);
}

}  // namespace
}  // namespace chosei

namespace chosei {
namespace {

TEST(TrainingLoop, LearningRateRangeTestRestoresWeightsAndSuggestsARate) {
  auto examples = random_examples(16, 50, 23);
  LlamaForCausalLM model(tiny_config(50));
  model->initialize(2);
  auto before = weights_of(model);
  auto opt = base_options("lr_find");
  LanguageModelingTask task(model, examples, {}, unpacked(8));
  TrainingLoop loop(opt, task, all_parameters(model), model_saver(model));
  auto f = loop.find_lr(1e-5, 10.0, 40);
  ASSERT_GE(f.points.size(), 10u);
  EXPECT_GT(f.suggested_lr, 1e-6);
  EXPECT_LT(f.suggested_lr, 1.0);
  for (std::size_t i = 1; i < f.points.size(); ++i)
    EXPECT_GT(f.points[i].first, f.points[i - 1].first);
  for (auto& p : model->named_parameters())
    EXPECT_TRUE(torch::equal(p.value(), before[p.key()])) << p.key();
}

}  // namespace
}  // namespace chosei
