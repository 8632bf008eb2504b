#pragma once
// ApiCaller: who sent an API request, as the routes that own objects see it. The owner is
// the SHA-256 of the caller's key (keys themselves are never stored), "" when the server
// takes no keys; the admin key sees every owner's files, jobs and models.

#include <optional>
#include <string>

namespace chosei {

struct ApiCaller {
  std::string owner;
  bool admin = false;

  // The owner a store lookup is limited to; nullopt (every owner) for the admin.
  std::optional<std::string> scope() const {
    return admin ? std::nullopt : std::optional<std::string>(owner);
  }
  // Whether an object of `object_owner` is visible ("" : a model every key may use).
  bool sees(const std::string& object_owner) const {
    return admin || object_owner.empty() || object_owner == owner;
  }
};

}  // namespace chosei
