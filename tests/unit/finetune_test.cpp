// The fine-tuning service's pieces below HTTP: job requests parsed as OpenAI documents them
// (errors naming the parameter path), "auto" resolved, the recipe command a job runs, the
// store's pages, owners and idempotency keys, upload checks naming file and line, file
// expiry, and the token accuracy the metrics report (by hand).
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "datasets/chat_validation.h"
#include "finetune/file_store.h"
#include "finetune/job_events.h"
#include "finetune/job_request.h"
#include "finetune/job_store.h"
#include "finetune/upload_check.h"
#include "train/causal_lm_loss.h"

using nlohmann::json;

namespace chosei {
namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("chosei_finetune_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  static inline int counter = 0;
};

std::string param_of(const json& body) {
  try {
    parse_job_request(body);
  } catch (const JobRequestError& e) {
    return e.param;
  }
  return "(accepted)";
}

TEST(JobRequest, ErrorsNameTheParameterPath) {
  EXPECT_EQ(param_of({{"training_file", "file-a"}}), "model");
  EXPECT_EQ(param_of({{"model", "m"}}), "training_file");
  EXPECT_EQ(param_of({{"model", "m"}, {"training_file", "f"}, {"suffix", "a b"}}), "suffix");
  EXPECT_EQ(param_of({{"model", "m"}, {"training_file", "f"}, {"seed", -1}}), "seed");
  EXPECT_EQ(
      param_of({{"model", "m"},
                {"training_file", "f"},
                {"method", {{"type", "dpo"}, {"dpo", {{"hyperparameters", {{"beta", 3}}}}}}}}),
      "method.dpo.hyperparameters.beta");
  EXPECT_EQ(param_of({{"model", "m"},
                      {"training_file", "f"},
                      {"method",
                       {{"type", "supervised"},
                        {"supervised", {{"hyperparameters", {{"beta", 0.1}}}}}}}}),
            "method.supervised.hyperparameters.beta");
  EXPECT_EQ(
      param_of({{"model", "m"}, {"training_file", "f"}, {"method", {{"type", "reinforcement"}}}}),
      "method.type");
  EXPECT_EQ(
      param_of(
          {{"model", "m"}, {"training_file", "f"}, {"hyperparameters", {{"batch_size", 257}}}}),
      "hyperparameters.batch_size");
  EXPECT_EQ(param_of({{"model", "m"},
                      {"training_file", "f"},
                      {"hyperparameters", {{"n_epochs", 2}}},
                      {"method",
                       {{"type", "supervised"},
                        {"supervised", {{"hyperparameters", {{"n_epochs", 3}}}}}}}}),
            "hyperparameters");
}

TEST(JobRequest, TheDeprecatedHyperparametersAreSupervisedAndAutoIsResolved) {
  const auto r = parse_job_request({{"model", "m"},
                                    {"training_file", "f"},
                                    {"hyperparameters", {{"n_epochs", 4}}},
                                    {"seed", 9}});
  EXPECT_EQ(r["method"]["type"], "supervised");
  EXPECT_EQ(r["method"]["supervised"]["hyperparameters"]["n_epochs"], 4);
  EXPECT_EQ(r["seed"], 9);
  EXPECT_TRUE(r["validation_file"].is_null());
  const auto h = resolve_hyperparameters(r["method"], 2000);
  EXPECT_EQ(h["n_epochs"], 4);    // given
  EXPECT_EQ(h["batch_size"], 4);  // round(0.002 * 2000)
  EXPECT_EQ(h["learning_rate_multiplier"], 1.0);
  const auto small = resolve_hyperparameters(r["method"], 24);
  EXPECT_EQ(small["batch_size"], 1);  // at least one
  const auto dpo = resolve_hyperparameters(
      parse_job_request(
          {{"model", "m"}, {"training_file", "f"}, {"method", {{"type", "dpo"}}}})["method"],
      100);
  EXPECT_EQ(dpo["beta"], 0.1);
  EXPECT_EQ(dpo["n_epochs"], default_epochs(100));
}

TEST(JobRequest, TheRecipeCommandCarriesTheResolvedNumbersAndTheOperatorsKeys) {
  RecipeCommand c;
  c.base_dir = "/models/base";
  c.training_file = "/data/files/file-a";
  c.run_dir = "/data/jobs/ftjob-a/run";
  c.method = {{"type", "supervised"},
              {"supervised",
               {{"hyperparameters",
                 {{"n_epochs", 3}, {"batch_size", 4}, {"learning_rate_multiplier", 2.0}}}}}};
  c.seed = 5;
  c.examples = 10;
  c.operator_settings = {"precision=bf16"};
  const auto args = recipe_arguments(c);
  ASSERT_EQ(args.front(), "sft");
  auto has = [&](const std::string& s) {
    return std::find(args.begin(), args.end(), s) != args.end();
  };
  for (const char* s : {"model=/models/base", "epochs=3", "batch_size=4", "learning_rate=0.0002",
                        "seed=5", "save_every=3", "resume_from=auto", "packing=false"})
    EXPECT_TRUE(has(s)) << s;
  EXPECT_EQ(args.back(), "precision=bf16");
  EXPECT_NO_THROW(check_operator_setting("lora.r=16"));
  EXPECT_THROW(check_operator_setting("model=/elsewhere"), std::invalid_argument);
  EXPECT_THROW(check_operator_setting("precision"), std::invalid_argument);
}

TEST(JobRequest, AFineTunedModelsNameKeepsItsRootBase) {
  EXPECT_EQ(fine_tuned_model_name("base", "org-1", "kumo", "abc"), "ft:base:org-1:kumo:abc");
  EXPECT_EQ(fine_tuned_model_name("ft:base:org-1:kumo:abc", "org-1", "", "def"),
            "ft:base:org-1::def");
}

json job_object(const std::string& id, const json& metadata = nullptr) {
  return {{"id", id}, {"status", "queued"}, {"metadata", metadata}};
}

TEST(JobStore, PagesOwnersIdempotencyAndCheckpointsOncePerStep) {
  TempDir dir;
  FinetuneDatabase db((dir.path / "f.db").string());
  JobStore jobs(db);
  bool existed = true;
  for (int i = 0; i < 5; ++i)
    jobs.create("alice",
                job_object("job" + std::to_string(i), i % 2 ? json{{"team", "a"}} : json(nullptr)),
                json::object(), "", &existed);
  EXPECT_FALSE(existed);
  jobs.create("bob", job_object("bobs"), json::object(), "k", &existed);
  const auto again = jobs.create("bob", job_object("bobs2"), json::object(), "k", &existed);
  EXPECT_TRUE(existed);
  EXPECT_EQ(again["id"], "bobs");
  jobs.create("alice", job_object("alices"), json::object(), "k", &existed);  // keys are per owner
  EXPECT_FALSE(existed);

  auto page = jobs.list("alice", "", 2, {});
  ASSERT_EQ(page.data.size(), 2u);
  EXPECT_EQ(page.data[0]["id"], "alices");  // newest first
  EXPECT_EQ(page.data[1]["id"], "job4");
  EXPECT_TRUE(page.has_more);
  page = jobs.list("alice", "job4", 10, {});
  ASSERT_EQ(page.data.size(), 4u);
  EXPECT_EQ(page.data.back()["id"], "job0");
  EXPECT_FALSE(page.has_more);
  const auto tagged = jobs.list("alice", "", 1, {{"team", "a"}});
  ASSERT_EQ(tagged.data.size(), 1u);
  EXPECT_EQ(tagged.data[0]["id"], "job3");
  EXPECT_TRUE(tagged.has_more);
  EXPECT_EQ(jobs.list("alice", "job3", 5, {{"team", "a"}}).data.size(), 1u);
  EXPECT_THROW(jobs.list("alice", "nope", 5, {}), std::invalid_argument);
  EXPECT_EQ(jobs.list(std::nullopt, "", 100, {}).data.size(), 7u);  // the admin's view
  EXPECT_FALSE(jobs.get("job1", std::string("bob")));
  EXPECT_TRUE(jobs.get("job1", std::string("alice")));

  EXPECT_TRUE(jobs.add_checkpoint("job1", 10, {{"step", 10}}, "ft:x:ckpt-step-10"));
  EXPECT_FALSE(jobs.add_checkpoint("job1", 10, {{"step", 10}}, "ft:x:ckpt-step-10"));
  for (int i = 0; i < 3; ++i) jobs.add_event("job1", "info", "event " + std::to_string(i));
  const auto first = jobs.events("job1", "", 2);
  ASSERT_EQ(first.data.size(), 2u);
  EXPECT_EQ(first.data[0]["message"], "event 2");
  const auto rest = jobs.events("job1", first.data[1]["id"], 2);
  ASSERT_EQ(rest.data.size(), 1u);
  EXPECT_EQ(rest.data[0]["message"], "event 0");
  EXPECT_FALSE(rest.has_more);
}

// The race a SIGKILLed job's restart met: the resumed run rewrote metrics.jsonl (atomic
// rename, lines up to its checkpoint) and appended past the old read offset before the next
// poll; reading on from that offset started mid-line and lost a step.
TEST(LineTail, AReplacedFileIsReadFromItsStartEvenWhenItGrewPastTheOldOffset) {
  TempDir temp;
  const auto dir = temp.path.string();
  const auto path = dir + "/metrics.jsonl";
  auto write = [&](const std::string& file, int from, int to) {
    std::ofstream out(file);
    for (int s = from; s <= to; ++s) out << "{\"step\": " << s << "}\n";
  };
  write(path, 1, 5);
  LineTail tail(path);
  EXPECT_EQ(tail.new_lines().size(), 5u);
  {
    std::ofstream out(path, std::ios::app);
    out << "{\"step\": 6";  // torn: no newline yet
  }
  EXPECT_TRUE(tail.new_lines().empty());
  write(dir + "/next", 1, 9);  // longer than what was read
  std::filesystem::rename(dir + "/next", path);
  const auto lines = tail.new_lines();
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines.front(), "{\"step\": 1}");
  EXPECT_EQ(lines.back(), "{\"step\": 9}");
}

TEST(FileStore, OwnersSeeTheirOwnAndExpiredFilesAreRemoved) {
  TempDir dir;
  FinetuneDatabase db((dir.path / "f.db").string());
  FileStore files(db, (dir.path / "files").string());
  auto staged = files.stage();
  staged->write("hello\n", 6);
  staged->finish();
  FileFacts facts;
  facts.status = "processed";
  const auto kept = files.add(*staged, "alice", "a.jsonl", "fine-tune", facts);
  staged = files.stage();
  staged->write("bye\n", 4);
  staged->finish();
  const auto expiring = files.add(*staged, "alice", "b.jsonl", "fine-tune", facts, 1000);
  EXPECT_EQ(kept["bytes"], 6);
  EXPECT_FALSE(files.get(kept["id"], std::string("bob")));
  EXPECT_TRUE(files.get(kept["id"], std::nullopt));
  EXPECT_EQ(files.remove_expired(999), 0);
  EXPECT_EQ(files.remove_expired(1000), 1);
  EXPECT_FALSE(files.get(expiring["id"], std::nullopt));
  EXPECT_FALSE(std::filesystem::exists(files.content_path(expiring["id"])));
  EXPECT_TRUE(std::filesystem::exists(files.content_path(kept["id"])));
  {
    auto abandoned = files.stage();  // a client that hung up mid-upload
    abandoned->write("partial", 7);
  }
  std::size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path / "files"))
    entries += !e.is_directory();
  EXPECT_EQ(entries, 1u);
}

FileFacts check_lines(const std::string& text, const std::string& name) {
  TempDir dir;
  const auto path = (dir.path / "content").string();
  std::ofstream(path, std::ios::binary) << text;
  return check_upload(path, name);
}

TEST(UploadCheck, FindingsNameTheFileAndLine) {
  const std::string good =
      R"({"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})";
  std::string text;
  for (int i = 0; i < 12; ++i) text += (i == 2 ? std::string("{\"messages\": [") : good) + "\n";
  auto facts = check_lines(text, "data.jsonl");
  EXPECT_EQ(facts.status, "error");
  EXPECT_NE(facts.status_details.find("data.jsonl:3: "), std::string::npos) << facts.status_details;
  text.clear();
  for (int i = 0; i < 12; ++i) text += good + "\n";
  facts = check_lines(text, "data.jsonl");
  EXPECT_EQ(facts.status, "processed") << facts.status_details;
  EXPECT_EQ(facts.kind, "chat");
  EXPECT_EQ(facts.examples, 12);
  facts = check_lines(good + "\n", "few.jsonl");  // OpenAI's minimum of 10 examples
  EXPECT_EQ(facts.status, "error");
  EXPECT_NE(facts.status_details.find("10"), std::string::npos) << facts.status_details;
  facts = check_lines(std::string("{\"a\":\0}\n", 8), "nul.jsonl");
  EXPECT_EQ(facts.status, "error");
  EXPECT_NE(facts.status_details.find("nul.jsonl:1: "), std::string::npos) << facts.status_details;
  facts = check_lines("\xff\xfe{}\n", "bom.jsonl");
  EXPECT_EQ(facts.status, "error");
  EXPECT_NE(facts.status_details.find("bom.jsonl:1: "), std::string::npos) << facts.status_details;
}

TEST(CausalLmLoss, TokenAccuracyCountsArgmaxHitsOverTargets) {
  // Two positions are targets: at t=0 the argmax (index 2) is the target, at t=1 the target
  // (0) is not the argmax (1); t=2 is ignored even though its argmax would hit.
  const auto logits =
      torch::tensor({0.1f, 0.2f, 3.0f, 2.0f, 5.0f, 0.0f, 0.0f, 0.0f, 9.0f}).view({1, 3, 3});
  const auto targets = torch::tensor({2, 0, -100}, torch::kInt64).view({1, 3});
  const auto loss = causal_lm_loss(logits, targets);
  EXPECT_EQ(loss.count, 2);
  EXPECT_EQ(loss.correct, 1);
  // -log softmax by hand: t0 = log(e^.1 + e^.2 + e^3) - 3, t1 = log(e^2 + e^5 + 1) - 2.
  const double t0 = std::log(std::exp(0.1) + std::exp(0.2) + std::exp(3.0)) - 3.0;
  const double t1 = std::log(std::exp(2.0) + std::exp(5.0) + 1.0) - 2.0;
  EXPECT_NEAR(loss.sum.item<double>(), t0 + t1, 1e-5);
}

}  // namespace
}  // namespace chosei
