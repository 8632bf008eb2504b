#pragma once
// GET /v1/models: the models the registry serves, in OpenAI's list shape.

#include "chat/http_transport.h"
#include "chat/model_registry.h"

namespace chosei {

void list_models(const ModelRegistry& models, HttpResponse& res);

}  // namespace chosei
