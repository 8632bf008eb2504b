#pragma once
// The OpenAI fine-tuning API (`/v1/fine_tuning/jobs`) over finetune/job_store and the
// JobRunner: create (checked by finetune/job_request, committed before the answer, an
// Idempotency-Key honoured), list (newest first, after, limit, metadata[k]=v), get, cancel,
// events and checkpoints; and DELETE /v1/models/{ft model}. A job starts from any model the
// server serves (its name as `model`); another key's job or model is 404.

#include "chat/api_caller.h"
#include "chat/http_transport.h"
#include "chat/model_registry.h"
#include "finetune/file_store.h"
#include "finetune/job_runner.h"
#include "finetune/job_store.h"

namespace chosei {

class FineTuningRoutes {
 public:
  FineTuningRoutes(JobStore& jobs, FileStore& files, JobRunner& runner, ModelRegistry& models)
      : jobs_(jobs), files_(files), runner_(runner), models_(models) {}

  void create(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void list(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void get(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void cancel(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void events(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void checkpoints(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);
  void delete_model(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res);

 private:
  nlohmann::json job_of(const ApiCaller& caller, const std::string& id) const;  // 404

  JobStore& jobs_;
  FileStore& files_;
  JobRunner& runner_;
  ModelRegistry& models_;
};

}  // namespace chosei
