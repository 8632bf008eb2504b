#include "chat/models_route.h"

namespace chosei {

void list_models(const ModelRegistry& models, const ApiCaller& caller, HttpResponse& res) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& sm : models.all())
    if (caller.sees(sm->owner))
      data.push_back({{"id", sm->name},
                      {"object", "model"},
                      {"created", sm->created},
                      {"owned_by", sm->owner.empty() ? "chosei" : "user"}});
  res.body = nlohmann::json{{"object", "list"}, {"data", data}}.dump();
}

}  // namespace chosei
