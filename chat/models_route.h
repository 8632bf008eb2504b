#pragma once
// GET /v1/models: the models the registry serves that the caller may use (the server's own,
// and the caller's fine-tuned ones), in OpenAI's list shape.

#include "chat/api_caller.h"
#include "chat/http_transport.h"
#include "chat/model_registry.h"

namespace chosei {

void list_models(const ModelRegistry& models, const ApiCaller& caller, HttpResponse& res);

}  // namespace chosei
