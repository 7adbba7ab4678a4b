#pragma once
// The image configuration: the JSON document a manifest's config descriptor
// points at (OCI image spec config.md; Docker's image JSON is the same shape).
//
// Held as JSON, with typed accessors on top, so that fields kiln does not
// model (container_config, docker_version, os.features, vendor extensions)
// survive a base image's config being read, changed and written back.
// Setters with an empty value remove the key, as Docker's omitempty does.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "image/descriptor.h"

namespace kiln::image {

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

// Durations in nanoseconds, as the JSON stores them.
struct Healthcheck {
  std::vector<std::string> test;  // ["NONE"], ["CMD", …], ["CMD-SHELL", "…"]
  std::int64_t interval = 0, timeout = 0, start_period = 0, start_interval = 0;
  int retries = 0;
  friend bool operator==(const Healthcheck&, const Healthcheck&) = default;
};

class Config {
 public:
  // os linux, architecture amd64, empty rootfs of type "layers".
  Config();
  // Throws kiln::Error when text is not a JSON object or a modelled field has
  // the wrong type (checked lazily, by the getter that reads it).
  static Config parse(std::string_view text);
  // Compact JSON with keys sorted: equal configs give equal bytes (and digests).
  std::string dump() const;
  const nlohmann::json& json() const { return j_; }
  nlohmann::json& json() { return j_; }

  // Top level.
  std::string architecture() const;
  void set_architecture(const std::string& v);
  std::string os() const;
  void set_os(const std::string& v);
  std::string variant() const;
  void set_variant(const std::string& v);
  Platform platform() const;
  void set_platform(const Platform& p);
  std::string created() const;
  void set_created(const std::string& rfc3339);
  std::string author() const;
  void set_author(const std::string& v);

  std::vector<std::string> diff_ids() const;
  void set_diff_ids(const std::vector<std::string>& ids);
  void add_diff_id(const std::string& id);  // validated with digest::is_valid
  std::vector<HistoryEntry> history() const;
  void set_history(const std::vector<HistoryEntry>& h);
  void add_history(const HistoryEntry& h);

  // The "config" object (runtime defaults).
  std::vector<std::string> env() const;
  void set_env(const std::vector<std::string>& v);
  // Value of NAME in Env ("NAME=value"), if present.
  std::optional<std::string> env_value(std::string_view name) const;
  // Replaces NAME's entry in place or appends one (what ENV does).
  void set_env_value(std::string_view name, std::string_view value);
  // nullopt: key absent (inherit nothing); an empty vector is kept as [].
  std::optional<std::vector<std::string>> cmd() const;
  void set_cmd(const std::optional<std::vector<std::string>>& v);
  std::optional<std::vector<std::string>> entrypoint() const;
  void set_entrypoint(const std::optional<std::vector<std::string>>& v);
  std::string working_dir() const;
  void set_working_dir(const std::string& v);
  std::string user() const;
  void set_user(const std::string& v);
  std::map<std::string, std::string> labels() const;
  void set_labels(const std::map<std::string, std::string>& v);
  std::set<std::string> exposed_ports() const;  // "80/tcp"
  void set_exposed_ports(const std::set<std::string>& v);
  std::set<std::string> volumes() const;
  void set_volumes(const std::set<std::string>& v);
  std::string stop_signal() const;
  void set_stop_signal(const std::string& v);
  std::optional<Healthcheck> healthcheck() const;
  void set_healthcheck(const std::optional<Healthcheck>& v);
  std::vector<std::string> on_build() const;
  void set_on_build(const std::vector<std::string>& v);
  std::vector<std::string> shell() const;
  void set_shell(const std::vector<std::string>& v);
  bool args_escaped() const;
  void set_args_escaped(bool v);

 private:
  const nlohmann::json* runtime(const char* key) const;  // config[key] or nullptr
  nlohmann::json& runtime_obj();
  void set_runtime(const char* key, nlohmann::json v);  // null/empty removes
  std::string top_string(const char* key) const;
  void set_top_string(const char* key, const std::string& v);

  nlohmann::json j_;
};

}  // namespace kiln::image
