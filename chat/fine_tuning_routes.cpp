#include "chat/fine_tuning_routes.h"

#include "chat/api_error.h"
#include "chat/files_routes.h"
#include "finetune/job_request.h"
#include "finetune/object_id.h"

using nlohmann::json;

namespace chosei {

namespace {

json parse_body(const HttpRequest& req) {
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw invalid_request("the request body is not valid JSON");
  return body;
}

// metadata[k]=v query parameters.
std::map<std::string, std::string> metadata_filter(const HttpRequest& req) {
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : req.query)
    if (k.size() > 10 && k.rfind("metadata[", 0) == 0 && k.back() == ']')
      m[k.substr(9, k.size() - 10)] = v;
  return m;
}

}  // namespace

json FineTuningRoutes::job_of(const ApiCaller& caller, const std::string& id) const {
  auto job = jobs_.get(id, caller.scope());
  if (!job)
    throw ApiError(404, "No fine-tuning job " + id, "invalid_request_error", "fine_tuning_job_id");
  return *job;
}

void FineTuningRoutes::create(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  json r;
  try {
    r = parse_job_request(parse_body(req));
  } catch (const JobRequestError& e) {
    throw invalid_request(e.what(), e.param);
  }
  const std::string model = r["model"];
  auto base = models_.find(model);
  if (!base || !caller.sees(base->owner))
    throw ApiError(404, "The model `" + model + "` does not exist or you do not have access to it",
                   "invalid_request_error", "model", "model_not_found");
  for (const char* param : {"training_file", "validation_file"})
    if (r[param].is_string() && !files_.get(r[param], caller.owner))
      throw invalid_request(std::string(param) + ": no such file " + r[param].get<std::string>(),
                            param);
  const auto id = random_object_id("ftjob-");
  const auto organization = organization_of(caller.owner);
  const std::string suffix = r["suffix"].is_string() ? r["suffix"].get<std::string>() : "";
  const std::string type = r["method"]["type"];
  json job = {{"object", "fine_tuning.job"},
              {"id", id},
              {"model", model},
              {"created_at", unix_seconds()},
              {"finished_at", nullptr},
              {"fine_tuned_model", nullptr},
              {"organization_id", organization},
              {"result_files", json::array()},
              {"status", "validating_files"},
              {"training_file", r["training_file"]},
              {"validation_file", r["validation_file"]},
              {"trained_tokens", nullptr},
              {"error", nullptr},
              {"seed", r["seed"]},
              {"estimated_finish", nullptr},
              {"integrations", r["integrations"]},
              {"hyperparameters", r["method"][type]["hyperparameters"]},
              {"method", r["method"]},
              {"metadata", r["metadata"]},
              {"user_provided_suffix", r["suffix"]}};
  json internal = {
      {"base_dir", models_.directory(model)},
      {"model_name", fine_tuned_model_name(model, organization, suffix, random_object_id("", 8))}};
  bool existed = false;
  job = jobs_.create(caller.owner, job, internal, req.header("Idempotency-Key"), &existed);
  if (!existed) jobs_.add_event(id, "info", "Created fine-tuning job: " + id);
  runner_.wake();
  res.body = job.dump();
}

void FineTuningRoutes::list(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto limit = page_limit(req, 20, 100);
  res.body = list_body([&] {
    return jobs_.list(caller.scope(), req.query_value("after"), limit, metadata_filter(req));
  });
}

void FineTuningRoutes::get(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  res.body = job_of(caller, req.path_params.at(0)).dump();
}

void FineTuningRoutes::cancel(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto& id = req.path_params.at(0);
  job_of(caller, id);
  try {
    res.body = runner_.cancel(id).dump();
  } catch (const std::invalid_argument& e) {
    throw ApiError(409, e.what(), "invalid_request_error", "fine_tuning_job_id");
  }
}

void FineTuningRoutes::events(const ApiCaller& caller, const HttpRequest& req, HttpResponse& res) {
  const auto& id = req.path_params.at(0);
  job_of(caller, id);
  const auto limit = page_limit(req, 20, 1000);
  res.body = list_body([&] { return jobs_.events(id, req.query_value("after"), limit); });
}

void FineTuningRoutes::checkpoints(const ApiCaller& caller, const HttpRequest& req,
                                   HttpResponse& res) {
  const auto& id = req.path_params.at(0);
  job_of(caller, id);
  const auto limit = page_limit(req, 10, 100);
  res.body = list_body([&] { return jobs_.checkpoints(id, req.query_value("after"), limit); });
}

void FineTuningRoutes::delete_model(const ApiCaller& caller, const HttpRequest& req,
                                    HttpResponse& res) {
  const auto& name = req.path_params.at(0);
  const auto missing =
      ApiError(404, "The model `" + name + "` does not exist or you do not have access to it",
               "invalid_request_error", "model", "model_not_found");
  const auto job = jobs_.job_of_model(name);
  if (!job) {
    auto served = models_.find(name);
    if (served && caller.sees(served->owner))
      throw ApiError(403,
                     "The model `" + name +
                         "` is served from the command line; only fine-tuned models can be "
                         "deleted",
                     "invalid_request_error", "model");
    throw missing;
  }
  if (!caller.admin && jobs_.owner(*job) != caller.owner) throw missing;
  jobs_.update(*job, [](json&, json& internal) { internal["model_deleted"] = true; });
  models_.remove(name);
  res.body = json{{"id", name}, {"object", "model"}, {"deleted", true}}.dump();
}

}  // namespace chosei
