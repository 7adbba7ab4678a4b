#include "image/config.h"

#include "base/error.h"
#include "digest/digest.h"
#include "image/descriptor_json.h"

namespace kiln::image {

namespace {

// Not "json": Config::json() would hide it inside member functions.
using Json = nlohmann::json;

std::string as_string(const Json& v, const std::string& key) {
  if (v.is_null()) return {};
  if (!v.is_string()) throw Error("image config: \"" + key + "\" is not a string");
  return v.get<std::string>();
}

std::vector<std::string> as_strings(const Json& v, const std::string& key) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_array()) throw Error("image config: \"" + key + "\" is not an array");
  for (const auto& e : v) {
    if (!e.is_string()) throw Error("image config: \"" + key + "\" holds a non-string");
    out.push_back(e.get<std::string>());
  }
  return out;
}

// ExposedPorts and Volumes are objects used as sets: {"80/tcp": {}}.
std::set<std::string> as_key_set(const Json& v, const std::string& key) {
  std::set<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_object()) throw Error("image config: \"" + key + "\" is not an object");
  for (auto& [k, _] : v.items()) out.insert(k);
  return out;
}

Json key_set(const std::set<std::string>& s) {
  Json o = Json::object();
  for (const auto& k : s) o[k] = Json::object();
  return o;
}

std::int64_t as_int(const Json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) throw Error(std::string("image config: Healthcheck.") + key + " is not an integer");
  return it->get<std::int64_t>();
}

bool empty_value(const Json& v) {
  // json::empty() is false for every string, so strings are checked apart.
  if (v.is_string()) return v.get_ref<const std::string&>().empty();
  return v.is_null() || ((v.is_array() || v.is_object()) && v.empty());
}

}  // namespace

Config::Config() {
  j_ = Json::object();
  j_["architecture"] = "amd64";
  j_["os"] = "linux";
  j_["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array()}};
  j_["config"] = Json::object();
}

Config Config::parse(std::string_view text) {
  Config c;
  c.j_ = parse_object(text, "image config");
  return c;
}

std::string Config::dump() const { return j_.dump(); }

std::string Config::top_string(const char* key) const {
  auto it = j_.find(key);
  return it == j_.end() ? std::string() : as_string(*it, key);
}

void Config::set_top_string(const char* key, const std::string& v) {
  if (v.empty())
    j_.erase(key);
  else
    j_[key] = v;
}

std::string Config::architecture() const { return top_string("architecture"); }
void Config::set_architecture(const std::string& v) { set_top_string("architecture", v); }
std::string Config::os() const { return top_string("os"); }
void Config::set_os(const std::string& v) { set_top_string("os", v); }
std::string Config::variant() const { return top_string("variant"); }
void Config::set_variant(const std::string& v) { set_top_string("variant", v); }
std::string Config::created() const { return top_string("created"); }
void Config::set_created(const std::string& v) { set_top_string("created", v); }
std::string Config::author() const { return top_string("author"); }
void Config::set_author(const std::string& v) { set_top_string("author", v); }

Platform Config::platform() const {
  Platform p;
  p.os = os();
  p.architecture = architecture();
  p.variant = variant();
  p.os_version = top_string("os.version");
  return p;
}

void Config::set_platform(const Platform& p) {
  set_os(p.os);
  set_architecture(p.architecture);
  set_variant(p.variant);
  set_top_string("os.version", p.os_version);
}

std::vector<std::string> Config::diff_ids() const {
  auto it = j_.find("rootfs");
  if (it == j_.end() || it->is_null()) return {};
  if (!it->is_object()) throw Error("image config: \"rootfs\" is not an object");
  auto d = it->find("diff_ids");
  return d == it->end() ? std::vector<std::string>{} : as_strings(*d, "rootfs.diff_ids");
}

void Config::set_diff_ids(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (!digest::is_valid(id)) throw Error("image config: invalid diff_id \"" + id.substr(0, 150) + "\"");
  if (!j_.contains("rootfs") || !j_["rootfs"].is_object()) j_["rootfs"] = Json::object();
  j_["rootfs"]["type"] = "layers";
  j_["rootfs"]["diff_ids"] = ids;
}

void Config::add_diff_id(const std::string& id) {
  auto ids = diff_ids();
  ids.push_back(id);
  set_diff_ids(ids);
}

std::vector<HistoryEntry> Config::history() const {
  std::vector<HistoryEntry> out;
  auto it = j_.find("history");
  if (it == j_.end() || it->is_null()) return out;
  if (!it->is_array()) throw Error("image config: \"history\" is not an array");
  for (const auto& h : *it) {
    if (!h.is_object()) throw Error("image config: history entry is not an object");
    HistoryEntry e;
    auto str = [&](const char* k) { return h.contains(k) ? as_string(h[k], std::string("history.") + k) : ""; };
    e.created = str("created");
    e.created_by = str("created_by");
    e.author = str("author");
    e.comment = str("comment");
    if (h.contains("empty_layer") && !h["empty_layer"].is_null()) {
      if (!h["empty_layer"].is_boolean()) throw Error("image config: history.empty_layer is not a boolean");
      e.empty_layer = h["empty_layer"].get<bool>();
    }
    out.push_back(std::move(e));
  }
  return out;
}

void Config::set_history(const std::vector<HistoryEntry>& hs) {
  Json a = Json::array();
  for (const auto& h : hs) {
    Json o = Json::object();
    if (!h.created.empty()) o["created"] = h.created;
    if (!h.created_by.empty()) o["created_by"] = h.created_by;
    if (!h.author.empty()) o["author"] = h.author;
    if (!h.comment.empty()) o["comment"] = h.comment;
    if (h.empty_layer) o["empty_layer"] = true;
    a.push_back(std::move(o));
  }
  j_["history"] = std::move(a);
}

void Config::add_history(const HistoryEntry& h) {
  auto hs = history();
  hs.push_back(h);
  set_history(hs);
}

const Json* Config::runtime(const char* key) const {
  auto c = j_.find("config");
  if (c == j_.end() || c->is_null()) return nullptr;
  if (!c->is_object()) throw Error("image config: \"config\" is not an object");
  auto it = c->find(key);
  return it == c->end() ? nullptr : &*it;
}

Json& Config::runtime_obj() {
  auto& c = j_["config"];
  if (!c.is_object()) c = Json::object();  // "config": null in some base images
  return c;
}

void Config::set_runtime(const char* key, Json v) {
  if (empty_value(v))
    runtime_obj().erase(key);
  else
    runtime_obj()[key] = std::move(v);
}

std::vector<std::string> Config::env() const {
  auto v = runtime("Env");
  return v ? as_strings(*v, "Env") : std::vector<std::string>{};
}
void Config::set_env(const std::vector<std::string>& v) { set_runtime("Env", v); }

std::optional<std::string> Config::env_value(std::string_view name) const {
  for (const auto& e : env()) {
    auto eq = e.find('=');
    if (e.substr(0, eq) == name) return eq == std::string::npos ? std::string() : e.substr(eq + 1);
  }
  return std::nullopt;
}

void Config::set_env_value(std::string_view name, std::string_view value) {
  auto vs = env();
  std::string entry = std::string(name) + "=" + std::string(value);
  for (auto& e : vs) {
    if (e.substr(0, e.find('=')) == name) {
      e = entry;
      return set_env(vs);
    }
  }
  vs.push_back(entry);
  set_env(vs);
}

std::optional<std::vector<std::string>> Config::cmd() const {
  auto v = runtime("Cmd");
  if (!v || v->is_null()) return std::nullopt;
  return as_strings(*v, "Cmd");
}
void Config::set_cmd(const std::optional<std::vector<std::string>>& v) {
  if (v)
    runtime_obj()["Cmd"] = *v;
  else
    runtime_obj().erase("Cmd");
}

std::optional<std::vector<std::string>> Config::entrypoint() const {
  auto v = runtime("Entrypoint");
  if (!v || v->is_null()) return std::nullopt;
  return as_strings(*v, "Entrypoint");
}
void Config::set_entrypoint(const std::optional<std::vector<std::string>>& v) {
  if (v)
    runtime_obj()["Entrypoint"] = *v;
  else
    runtime_obj().erase("Entrypoint");
}

std::string Config::working_dir() const {
  auto v = runtime("WorkingDir");
  return v ? as_string(*v, "WorkingDir") : std::string();
}
void Config::set_working_dir(const std::string& v) { set_runtime("WorkingDir", v); }

std::string Config::user() const {
  auto v = runtime("User");
  return v ? as_string(*v, "User") : std::string();
}
void Config::set_user(const std::string& v) { set_runtime("User", v); }

std::map<std::string, std::string> Config::labels() const {
  std::map<std::string, std::string> out;
  auto v = runtime("Labels");
  if (!v || v->is_null()) return out;
  if (!v->is_object()) throw Error("image config: \"Labels\" is not an object");
  for (auto& [k, val] : v->items()) out[k] = as_string(val, "Labels." + k);
  return out;
}
void Config::set_labels(const std::map<std::string, std::string>& v) { set_runtime("Labels", Json(v)); }

std::set<std::string> Config::exposed_ports() const {
  auto v = runtime("ExposedPorts");
  return v ? as_key_set(*v, "ExposedPorts") : std::set<std::string>{};
}
void Config::set_exposed_ports(const std::set<std::string>& v) { set_runtime("ExposedPorts", key_set(v)); }

std::set<std::string> Config::volumes() const {
  auto v = runtime("Volumes");
  return v ? as_key_set(*v, "Volumes") : std::set<std::string>{};
}
void Config::set_volumes(const std::set<std::string>& v) { set_runtime("Volumes", key_set(v)); }

std::string Config::stop_signal() const {
  auto v = runtime("StopSignal");
  return v ? as_string(*v, "StopSignal") : std::string();
}
void Config::set_stop_signal(const std::string& v) { set_runtime("StopSignal", v); }

std::optional<Healthcheck> Config::healthcheck() const {
  auto v = runtime("Healthcheck");
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_object()) throw Error("image config: \"Healthcheck\" is not an object");
  Healthcheck h;
  if (v->contains("Test")) h.test = as_strings((*v)["Test"], "Healthcheck.Test");
  h.interval = as_int(*v, "Interval");
  h.timeout = as_int(*v, "Timeout");
  h.start_period = as_int(*v, "StartPeriod");
  h.start_interval = as_int(*v, "StartInterval");
  h.retries = static_cast<int>(as_int(*v, "Retries"));
  return h;
}
void Config::set_healthcheck(const std::optional<Healthcheck>& h) {
  if (!h) {
    runtime_obj().erase("Healthcheck");
    return;
  }
  Json o = Json::object();
  o["Test"] = h->test;
  if (h->interval) o["Interval"] = h->interval;
  if (h->timeout) o["Timeout"] = h->timeout;
  if (h->start_period) o["StartPeriod"] = h->start_period;
  if (h->start_interval) o["StartInterval"] = h->start_interval;
  if (h->retries) o["Retries"] = h->retries;
  runtime_obj()["Healthcheck"] = std::move(o);
}

std::vector<std::string> Config::on_build() const {
  auto v = runtime("OnBuild");
  return v ? as_strings(*v, "OnBuild") : std::vector<std::string>{};
}
void Config::set_on_build(const std::vector<std::string>& v) { set_runtime("OnBuild", v); }

std::vector<std::string> Config::shell() const {
  auto v = runtime("Shell");
  return v ? as_strings(*v, "Shell") : std::vector<std::string>{};
}
void Config::set_shell(const std::vector<std::string>& v) { set_runtime("Shell", v); }

bool Config::args_escaped() const {
  auto v = runtime("ArgsEscaped");
  if (!v || v->is_null()) return false;
  if (!v->is_boolean()) throw Error("image config: \"ArgsEscaped\" is not a boolean");
  return v->get<bool>();
}
void Config::set_args_escaped(bool v) {
  if (v)
    runtime_obj()["ArgsEscaped"] = true;
  else
    runtime_obj().erase("ArgsEscaped");
}

}  // namespace kiln::image
