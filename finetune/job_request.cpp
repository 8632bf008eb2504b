#include "finetune/job_request.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "datasets/chat_validation.h"

using nlohmann::json;

namespace chosei {

namespace {

void check_auto_or_int(const json& h, const std::string& key, std::int64_t lo, std::int64_t hi,
                       const std::string& param) {
  if (!h.contains(key) || h[key] == "auto") return;
  if (!h[key].is_number_integer() || h[key].get<std::int64_t>() < lo ||
      h[key].get<std::int64_t>() > hi)
    throw JobRequestError(param + " must be \"auto\" or an integer in " + std::to_string(lo) +
                              ".." + std::to_string(hi) + ", got " + h[key].dump(),
                          param);
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// "auto" or a number in (lo, hi] (no upper bound when hi is infinite).
void check_auto_or_number(const json& h, const std::string& key, double lo, double hi,
                          const std::string& param) {
  if (!h.contains(key) || h[key] == "auto") return;
  const bool ok = h[key].is_number() && h[key].get<double>() > lo && h[key].get<double>() <= hi;
  if (!ok)
    throw JobRequestError(
        param + " must be \"auto\" or a number " +
            (std::isinf(hi) ? "above " + number_text(lo)
                            : "in (" + number_text(lo) + ", " + number_text(hi) + "]") +
            ", got " + h[key].dump(),
        param);
}

json checked_hyperparameters(const json& h, const std::string& type, const std::string& at) {
  if (h.is_null()) return json::object();
  if (!h.is_object()) throw JobRequestError(at + " must be an object", at);
  std::vector<std::string> known = {"n_epochs", "batch_size", "learning_rate_multiplier"};
  if (type == "dpo") known.push_back("beta");
  for (const auto& [k, v] : h.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      throw JobRequestError(at + "." + k + " is not a hyperparameter of " + type, at + "." + k);
  check_auto_or_int(h, "n_epochs", 1, 50, at + ".n_epochs");
  check_auto_or_int(h, "batch_size", 1, 256, at + ".batch_size");
  check_auto_or_number(h, "learning_rate_multiplier", 0, HUGE_VAL,
                       at + ".learning_rate_multiplier");
  if (type == "dpo") check_auto_or_number(h, "beta", 0, 2, at + ".beta");
  return h;
}

json checked_method(const json& body) {
  const bool has_method = body.contains("method") && !body["method"].is_null();
  const bool has_legacy = body.contains("hyperparameters") && !body["hyperparameters"].is_null();
  if (!has_method)
    return {{"type", "supervised"},
            {"supervised",
             {{"hyperparameters",
               checked_hyperparameters(has_legacy ? body["hyperparameters"] : json(nullptr),
                                       "supervised", "hyperparameters")}}}};
  const auto& m = body["method"];
  if (!m.is_object() || !m.contains("type") || !m["type"].is_string())
    throw JobRequestError("method must be an object with a type", "method.type");
  const std::string type = m["type"];
  if (type != "supervised" && type != "dpo")
    throw JobRequestError(
        "method.type \"" + type + "\" is not supported here; use \"supervised\" or \"dpo\"",
        "method.type");
  json inner = m.contains(type) && !m[type].is_null() ? m[type] : json::object();
  if (!inner.is_object())
    throw JobRequestError("method." + type + " must be an object", "method." + type);
  json h = inner.contains("hyperparameters") ? inner["hyperparameters"] : json(nullptr);
  if (has_legacy) {
    if (type != "supervised" || (!h.is_null() && h != body["hyperparameters"]))
      throw JobRequestError("hyperparameters (deprecated) and method." + type +
                                ".hyperparameters disagree; send only method",
                            "hyperparameters");
    h = body["hyperparameters"];
  }
  return {{"type", type},
          {type,
           {{"hyperparameters",
             checked_hyperparameters(h, type, "method." + type + ".hyperparameters")}}}};
}

std::string required_string(const json& body, const std::string& key) {
  if (!body.contains(key) || !body[key].is_string() || body[key].get<std::string>().empty())
    throw JobRequestError(key + " is required (a string)", key);
  return body[key];
}

json checked_metadata(const json& body) {
  if (!body.contains("metadata") || body["metadata"].is_null()) return nullptr;
  const auto& m = body["metadata"];
  if (!m.is_object() || m.size() > 16)
    throw JobRequestError("metadata must be an object of at most 16 pairs", "metadata");
  for (const auto& [k, v] : m.items())
    if (k.size() > 64 || !v.is_string() || v.get<std::string>().size() > 512)
      throw JobRequestError(
          "metadata." + k + ": keys are at most 64 characters, values strings of at most 512",
          "metadata");
  return m;
}

}  // namespace

json parse_job_request(const json& body) {
  if (!body.is_object()) throw JobRequestError("the request body must be a JSON object", "");
  json r;
  r["model"] = required_string(body, "model");
  r["training_file"] = required_string(body, "training_file");
  r["validation_file"] = nullptr;
  if (body.contains("validation_file") && !body["validation_file"].is_null())
    r["validation_file"] = required_string(body, "validation_file");
  r["suffix"] = nullptr;
  if (body.contains("suffix") && !body["suffix"].is_null()) {
    const auto& s = body["suffix"];
    const bool ok = s.is_string() && !s.get<std::string>().empty() &&
                    s.get<std::string>().size() <= 64 &&
                    std::all_of(s.get_ref<const std::string&>().begin(),
                                s.get_ref<const std::string&>().end(), [](char c) {
                                  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                                         c == '_' || c == '.';
                                });
    if (!ok)
      throw JobRequestError(
          "suffix must be 1 to 64 letters, digits, '-', '_' or '.', got " + s.dump(), "suffix");
    r["suffix"] = s;
  }
  if (body.contains("seed") && !body["seed"].is_null()) {
    const auto& s = body["seed"];
    if (!s.is_number_integer() || s.get<std::int64_t>() < 0 || s.get<std::int64_t>() > 2147483647)
      throw JobRequestError("seed must be an integer in 0..2147483647, got " + s.dump(), "seed");
    r["seed"] = s;
  } else {
    std::random_device entropy;
    r["seed"] = static_cast<std::int64_t>(entropy() % 2147483648u);
  }
  r["metadata"] = checked_metadata(body);
  r["integrations"] = json::array();
  if (body.contains("integrations") && !body["integrations"].is_null()) {
    if (!body["integrations"].is_array())
      throw JobRequestError("integrations must be a list", "integrations");
    r["integrations"] = body["integrations"];
  }
  r["method"] = checked_method(body);
  return r;
}

json resolve_hyperparameters(const json& method, std::int64_t examples) {
  const std::string type = method.at("type");
  json h = method.at(type).value("hyperparameters", json::object());
  auto is_auto = [&](const char* key) { return !h.contains(key) || h[key] == "auto"; };
  if (is_auto("n_epochs")) h["n_epochs"] = default_epochs(examples);
  if (is_auto("batch_size"))
    h["batch_size"] = std::clamp<std::int64_t>(std::llround(0.002 * double(examples)), 1, 256);
  if (is_auto("learning_rate_multiplier")) h["learning_rate_multiplier"] = 1.0;
  if (type == "dpo" && is_auto("beta")) h["beta"] = 0.1;
  return h;
}

std::vector<std::string> recipe_arguments(const RecipeCommand& c) {
  const std::string type = c.method.at("type");
  const auto& h = c.method.at(type).at("hyperparameters");
  const std::int64_t epochs = h.at("n_epochs"), batch = h.at("batch_size");
  // A checkpoint at the end of every epoch, as OpenAI keeps them (steps estimated from
  // the examples: packing may make an epoch shorter, never longer).
  const std::int64_t per_epoch = std::max<std::int64_t>(1, (c.examples + batch - 1) / batch);
  std::vector<std::string> args = {type == "dpo" ? "align" : "sft"};
  auto set = [&](const std::string& key, const std::string& value) {
    args.push_back("--set");
    args.push_back(key + "=" + value);
  };
  char lr[32];
  std::snprintf(lr, sizeof lr, "%.9g",
                kRecipeLearningRate * h.at("learning_rate_multiplier").get<double>());
  set("model", c.base_dir);
  set("train", c.training_file);
  set("out", c.run_dir);
  set("epochs", std::to_string(epochs));
  set("batch_size", std::to_string(batch));
  set("learning_rate", lr);
  set("seed", std::to_string(c.seed));
  set("log_every", "1");
  set("save_every", std::to_string(per_epoch));
  set("keep_checkpoints", "3");
  set("resume_from", "auto");
  if (!c.validation_file.empty()) {
    set("eval", c.validation_file);
    set("eval_every", std::to_string(per_epoch));
  }
  if (type != "dpo") set("packing", "false");  // batch_size counts examples, as OpenAI's
  if (type == "dpo") {
    set("method", "dpo");
    char beta[32];
    std::snprintf(beta, sizeof beta, "%.9g", h.at("beta").get<double>());
    set("beta", beta);
  }
  for (const auto& s : c.operator_settings) {
    args.push_back("--set");
    args.push_back(s);
  }
  return args;
}

void check_operator_setting(const std::string& setting) {
  static const std::vector<std::string> owned = {
      "model",      "train",       "out",           "eval", "epochs",
      "max_steps",  "batch_size",  "learning_rate", "seed", "save_every",
      "eval_every", "resume_from", "method",        "beta", "config"};
  const auto eq = setting.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("--job-set \"" + setting + "\": expected key=value");
  const auto key = setting.substr(0, eq);
  if (std::find(owned.begin(), owned.end(), key) != owned.end())
    throw std::invalid_argument("--job-set " + key +
                                ": a job's request decides this key; set run keys such as "
                                "precision, max_seq_len, packing or lora.r");
}

std::string fine_tuned_model_name(const std::string& base, const std::string& organization,
                                  const std::string& suffix, const std::string& id) {
  std::string root = base;
  if (root.rfind("ft:", 0) == 0) {
    const auto end = root.find(':', 3);
    root = root.substr(3, end == std::string::npos ? std::string::npos : end - 3);
  }
  return "ft:" + root + ":" + organization + ":" + suffix + ":" + id;
}

}  // namespace chosei
