#include "registry/credentials.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file.h"
#include "base/text.h"
#include "registry/base64.h"
#include "registry/credential_helper.h"
#include "registry/credential_source.h"
#include "registry/env_credentials.h"
#include "registry/reference.h"

namespace kiln::registry {

std::string normalise_registry_key(std::string_view key) {
  std::string_view k = key;
  if (auto s = k.find("://"); s != std::string_view::npos) k = k.substr(s + 3);
  if (auto slash = k.find('/'); slash != std::string_view::npos) k = k.substr(0, slash);
  std::string out = ascii_lower(k);
  // Every spelling of Docker Hub that config files use.
  if (out == "docker.io" || out == "registry-1.docker.io" || out == "registry.hub.docker.com") out = kDockerHub;
  return out;
}

Keychain Keychain::load(const std::string& docker_config_dir, const EnvLookup& env) {
  std::string path = docker_config_dir + "/config.json";
  Keychain k;
  k.origin_ = path;
  if (auto text = read_file_if_present(path)) k = parse(*text, path);
  if (env) {
    if (auto v = env("DOCKER_AUTH_CONFIG"); v && !v->empty()) {
      k.overlay(parse(*v, "DOCKER_AUTH_CONFIG"));
      k.origin_ = "DOCKER_AUTH_CONFIG or " + path;
    }
  }
  return k;
}

void Keychain::overlay(const Keychain& over) {
  for (const auto& [host, c] : over.auths_) auths_[host] = c;
  for (const auto& [host, h] : over.helpers_) helpers_[host] = h;
  if (!over.store_.empty()) store_ = over.store_;
}

Keychain Keychain::parse(std::string_view text, const std::string& origin) {
  Keychain k;
  k.origin_ = origin;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Only the position: the parser's own message quotes the text it was
    // reading, which may be a password.
    throw UsageError("reading registry credentials from " + origin + ": malformed JSON near byte " +
                     std::to_string(e.byte));
  } catch (const nlohmann::json::exception&) {
    // A number too large for a double (found by fuzzing: "126E710"); the
    // message would quote the token, so it is not passed on.
    throw UsageError("reading registry credentials from " + origin + ": malformed JSON (a number out of range)");
  }
  if (!j.is_object()) throw UsageError("reading registry credentials from " + origin + ": not a JSON object");
  auto str = [&](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return "";
    if (!it->is_string())
      throw UsageError("reading registry credentials from " + origin + ": \"" + key + "\" must be a string");
    return it->get<std::string>();
  };
  if (auto a = j.find("auths"); a != j.end() && a->is_object()) {
    for (const auto& [key, entry] : a->items()) {
      if (!entry.is_object()) continue;
      Credential c;
      c.username = str(entry, "username");
      c.password = str(entry, "password");
      c.identity_token = str(entry, "identitytoken");
      c.registry_token = str(entry, "registrytoken");
      std::string auth = str(entry, "auth");
      if (!auth.empty()) {
        auto decoded = base64_decode(auth);
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos)
          throw UsageError("reading registry credentials from " + origin + ": the \"auth\" field for " + key +
                           " is not base64 of user:password");
        c.username = decoded->substr(0, colon);
        c.password = decoded->substr(colon + 1);
      }
      std::string host = normalise_registry_key(key);
      // A key naming no host ("", "https:///x") can match no registry.
      if (host.empty()) continue;
      // An exact host key beats a URL spelling of the same host.
      bool exact = key.find("://") == std::string::npos;
      if (!c.empty() && (exact || !k.auths_.count(host))) k.auths_[host] = c;
    }
  }
  if (auto h = j.find("credHelpers"); h != j.end() && h->is_object()) {
    for (const auto& [key, name] : h->items()) {
      std::string host = normalise_registry_key(key);
      if (!host.empty() && name.is_string() && !name.get<std::string>().empty()) k.helpers_[host] = name.get<std::string>();
    }
  }
  k.store_ = str(j, "credsStore");
  return k;
}

std::optional<Credential> Keychain::lookup(std::string_view registry_host, const SourceContext* ctx) const {
  std::string host = normalise_registry_key(registry_host);
  // No host, no credential: a helper asked about "" could answer with any
  // (found by fuzzing: credsStore set and an empty host).
  if (host.empty()) return std::nullopt;
  // Helpers are asked with the URL Docker uses for Hub and the bare host
  // otherwise, which is what docker login stored.
  std::string server_url = host == kDockerHub ? "https://index.docker.io/v1/" : host;
  if (auto it = helpers_.find(host); it != helpers_.end()) {
    if (auto c = run_credential_helper(it->second, server_url)) return c;
  } else if (!store_.empty()) {
    if (auto c = run_credential_helper(store_, server_url)) return c;
  }
  // Falling back to "auths" after a helper said "not found" is more
  // forgiving than docker (which would go anonymous) and never less secure.
  if (auto it = auths_.find(host); it != auths_.end()) return it->second;
  for (const auto& s : sources_)
    if (auto c = s->get(host, ctx)) return c;
  return std::nullopt;
}

void Keychain::add_source(std::shared_ptr<CredentialSource> source) {
  origin_ += (sources_.empty() ? " or the built-in credential helper " : ", ") + std::string(source->name());
  sources_.push_back(std::move(source));
}

void Keychain::use_env_credentials(EnvLookup env) { add_source(std::make_shared<EnvCredentialSource>(std::move(env))); }

}  // namespace kiln::registry
