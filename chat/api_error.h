#pragma once
// An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with
// its HTTP status, so that official clients raise their matching exception
// (BadRequestError for 400, AuthenticationError for 401, NotFoundError for 404, ...).

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace chosei {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, std::string type, std::string param = "",
           std::string code = "")
      : std::runtime_error(message),
        status(status),
        type(std::move(type)),
        param(std::move(param)),
        code(std::move(code)) {}

  nlohmann::json body() const {
    nlohmann::json e = {{"message", what()}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
    if (!param.empty()) e["param"] = param;
    if (!code.empty()) e["code"] = code;
    return {{"error", e}};
  }

  int status;
  std::string type, param, code;
};

inline ApiError invalid_request(const std::string& message, const std::string& param = "",
                                const std::string& code = "") {
  return ApiError(400, message, "invalid_request_error", param, code);
}

}  // namespace chosei
