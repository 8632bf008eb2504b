#include "chat/models_route.h"

#include "chat/openai_format.h"

namespace chosei {

void list_models(const ModelRegistry& models, HttpResponse& res) {
  res.body = model_list_json(models.names()).dump();
}

}  // namespace chosei
