#pragma once
// JobStore: fine-tuning jobs, their events and checkpoints. A job is its API object (what
// GET returns) and an internal record only the runner reads (base model directory, run
// directory, child pid, attempts, the last step turned into an event). Every write commits
// before it returns, so an answer sent is a job stored, and a killed server loses nothing.

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "finetune/finetune_database.h"

namespace chosei {

// A fine-tuned model the server should serve: its name, directory and owner.
struct FineTunedModel {
  std::string name, dir, owner, job_id;
};

class JobStore {
 public:
  explicit JobStore(FinetuneDatabase& db) : db_(db) {}

  // Stores a new job. With an idempotency key this owner already used, stores nothing and
  // returns the job made then (`*existed` set).
  nlohmann::json create(const std::string& owner, const nlohmann::json& object,
                        const nlohmann::json& internal, const std::string& idempotency_key,
                        bool* existed);
  std::optional<nlohmann::json> get(const std::string& id,
                                    const std::optional<std::string>& owner) const;
  nlohmann::json internal(const std::string& id) const;
  std::string owner(const std::string& id) const;
  ObjectPage list(const std::optional<std::string>& owner, const std::string& after,
                  std::int64_t limit, const std::map<std::string, std::string>& metadata) const;
  // An event to add with a change, in the same transaction: (level, message).
  using EventLine = std::pair<std::string, std::string>;
  // Changes a job's object and internal record in one transaction, with `events` added in it
  // (a reader never sees a finished job without its last events); returns the object.
  nlohmann::json update(
      const std::string& id,
      const std::function<void(nlohmann::json& object, nlohmann::json& internal)>& change,
      const std::vector<EventLine>& events = {});
  // Jobs in `status`, oldest first.
  std::vector<std::string> with_status(const std::string& status) const;

  // type "message" or "metrics"; data null or an object.
  nlohmann::json add_event(const std::string& job_id, const std::string& level,
                           const std::string& message, const nlohmann::json& data = nullptr,
                           const std::string& type = "message");
  ObjectPage events(const std::string& job_id, const std::string& after, std::int64_t limit) const;

  // Once per (job, step): a second call for the same step (a resumed run saving it again)
  // changes nothing and returns false.
  bool add_checkpoint(const std::string& job_id, std::int64_t step, const nlohmann::json& metrics,
                      const std::string& model_id);
  ObjectPage checkpoints(const std::string& job_id, const std::string& after,
                         std::int64_t limit) const;

  // Succeeded jobs whose model has not been deleted.
  std::vector<FineTunedModel> fine_tuned_models() const;
  // The job that made model `name` (its fine_tuned_model), if any.
  std::optional<std::string> job_of_model(const std::string& name) const;

 private:
  static nlohmann::json insert_event(SqliteDatabase& db, const std::string& job_id,
                                     const std::string& level, const std::string& message,
                                     const nlohmann::json& data, const std::string& type);
  // Newest first: a job's events or checkpoints.
  ObjectPage page_of_job(const std::string& table, const std::string& job_id,
                         const std::string& after, std::int64_t limit) const;

  FinetuneDatabase& db_;
};

}  // namespace chosei
