#include "finetune/job_store.h"

#include <stdexcept>

#include "finetune/object_id.h"

using nlohmann::json;

namespace chosei {

json JobStore::create(const std::string& owner, const json& object, const json& internal,
                      const std::string& idempotency_key, bool* existed) {
  json result;
  *existed = false;
  db_.transaction([&](SqliteDatabase& db) {
    if (!idempotency_key.empty()) {
      auto st = db.prepare("SELECT object FROM jobs WHERE owner = ?1 AND idempotency_key = ?2");
      st.bind(1, owner).bind(2, idempotency_key);
      if (st.step()) {
        result = json::parse(st.text(0));
        *existed = true;
        return;
      }
    }
    auto st = db.prepare(
        "INSERT INTO jobs (id, owner, status, object, internal, idempotency_key) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6)");
    st.bind(1, object.at("id").get<std::string>())
        .bind(2, owner)
        .bind(3, object.at("status").get<std::string>())
        .bind(4, object.dump())
        .bind(5, internal.dump())
        .bind(6,
              idempotency_key.empty() ? std::nullopt : std::optional<std::string>(idempotency_key))
        .run();
    result = object;
  });
  return result;
}

std::optional<json> JobStore::get(const std::string& id,
                                  const std::optional<std::string>& owner) const {
  return db_.with([&](SqliteDatabase& db) -> std::optional<json> {
    auto st = db.prepare("SELECT object, owner FROM jobs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step() || (owner && st.text(1) != *owner)) return std::nullopt;
    return json::parse(st.text(0));
  });
}

json JobStore::internal(const std::string& id) const {
  return db_.with([&](SqliteDatabase& db) {
    auto st = db.prepare("SELECT internal FROM jobs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) throw std::invalid_argument("no job " + id);
    return json::parse(st.text(0));
  });
}

std::string JobStore::owner(const std::string& id) const {
  return db_.with([&](SqliteDatabase& db) {
    auto st = db.prepare("SELECT owner FROM jobs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) throw std::invalid_argument("no job " + id);
    return st.text(0);
  });
}

ObjectPage JobStore::list(const std::optional<std::string>& owner, const std::string& after,
                          std::int64_t limit,
                          const std::map<std::string, std::string>& metadata) const {
  PageQuery q;
  q.table = "jobs";
  if (owner) q.equals.emplace_back("owner", *owner);
  q.after = after;
  q.limit = limit;
  if (!metadata.empty())
    q.keep = [metadata](const json& job) {
      const auto& m = job["metadata"];
      if (!m.is_object()) return false;
      for (const auto& [k, v] : metadata)
        if (!m.contains(k) || m[k] != v) return false;
      return true;
    };
  return db_.with([&](SqliteDatabase& db) { return list_objects(db, q); });
}

json JobStore::update(const std::string& id,
                      const std::function<void(json& object, json& internal)>& change,
                      const std::vector<EventLine>& events) {
  json object;
  db_.transaction([&](SqliteDatabase& db) {
    for (const auto& [level, message] : events)
      insert_event(db, id, level, message, nullptr, "message");
    auto st = db.prepare("SELECT object, internal FROM jobs WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) throw std::invalid_argument("no job " + id);
    object = json::parse(st.text(0));
    auto internal = json::parse(st.text(1));
    change(object, internal);
    db.prepare("UPDATE jobs SET object = ?2, internal = ?3, status = ?4 WHERE id = ?1")
        .bind(1, id)
        .bind(2, object.dump())
        .bind(3, internal.dump())
        .bind(4, object.at("status").get<std::string>())
        .run();
  });
  return object;
}

std::vector<std::string> JobStore::with_status(const std::string& status) const {
  return db_.with([&](SqliteDatabase& db) {
    auto st = db.prepare("SELECT id FROM jobs WHERE status = ?1 ORDER BY seq");
    st.bind(1, status);
    std::vector<std::string> ids;
    while (st.step()) ids.push_back(st.text(0));
    return ids;
  });
}

json JobStore::add_event(const std::string& job_id, const std::string& level,
                         const std::string& message, const json& data, const std::string& type) {
  return db_.with(
      [&](SqliteDatabase& db) { return insert_event(db, job_id, level, message, data, type); });
}

json JobStore::insert_event(SqliteDatabase& db, const std::string& job_id, const std::string& level,
                            const std::string& message, const json& data, const std::string& type) {
  json event = {{"object", "fine_tuning.job.event"},
                {"id", random_object_id("ftevent-")},
                {"created_at", unix_seconds()},
                {"level", level},
                {"message", message},
                {"data", data.is_null() ? json::object() : data},
                {"type", type}};
  db.prepare("INSERT INTO job_events (id, job_id, object) VALUES (?1, ?2, ?3)")
      .bind(1, event["id"].get<std::string>())
      .bind(2, job_id)
      .bind(3, event.dump())
      .run();
  return event;
}

ObjectPage JobStore::events(const std::string& job_id, const std::string& after,
                            std::int64_t limit) const {
  return page_of_job("job_events", job_id, after, limit);
}

ObjectPage JobStore::page_of_job(const std::string& table, const std::string& job_id,
                                 const std::string& after, std::int64_t limit) const {
  PageQuery q;
  q.table = table;
  q.equals.emplace_back("job_id", job_id);
  q.after = after;
  q.limit = limit;
  return db_.with([&](SqliteDatabase& db) { return list_objects(db, q); });
}

bool JobStore::add_checkpoint(const std::string& job_id, std::int64_t step, const json& metrics,
                              const std::string& model_id) {
  json checkpoint = {{"object", "fine_tuning.job.checkpoint"},
                     {"id", random_object_id("ftckpt_")},
                     {"created_at", unix_seconds()},
                     {"fine_tuned_model_checkpoint", model_id},
                     {"fine_tuning_job_id", job_id},
                     {"step_number", step},
                     {"metrics", metrics}};
  return db_.with([&](SqliteDatabase& db) {
    db.prepare(
          "INSERT OR IGNORE INTO job_checkpoints (id, job_id, step, object) VALUES (?1, ?2, "
          "?3, ?4)")
        .bind(1, checkpoint["id"].get<std::string>())
        .bind(2, job_id)
        .bind(3, step)
        .bind(4, checkpoint.dump())
        .run();
    return db.changes() > 0;
  });
}

ObjectPage JobStore::checkpoints(const std::string& job_id, const std::string& after,
                                 std::int64_t limit) const {
  return page_of_job("job_checkpoints", job_id, after, limit);
}

std::vector<FineTunedModel> JobStore::fine_tuned_models() const {
  return db_.with([&](SqliteDatabase& db) {
    auto st = db.prepare(
        "SELECT id, owner, object, internal FROM jobs WHERE status = 'succeeded' "
        "ORDER BY seq");
    std::vector<FineTunedModel> out;
    while (st.step()) {
      const auto object = json::parse(st.text(2)), internal = json::parse(st.text(3));
      if (internal.value("model_deleted", false) || !object["fine_tuned_model"].is_string())
        continue;
      out.push_back(
          {object["fine_tuned_model"], internal.value("model_dir", ""), st.text(1), st.text(0)});
    }
    return out;
  });
}

std::optional<std::string> JobStore::job_of_model(const std::string& name) const {
  for (const auto& m : fine_tuned_models())
    if (m.name == name) return m.job_id;
  return std::nullopt;
}

}  // namespace chosei
