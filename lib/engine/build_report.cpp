#include "engine/build_report.h"

#include <nlohmann/json.hpp>

namespace kiln::engine {
namespace {

// Each platform's phase times (a build for several --custom-platform), so
// the cost of an emulated platform shows apart from the native one.
nlohmann::json phases_by_platform(const std::vector<StageReport>& stages) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& s : stages) {
    if (s.platform.empty()) continue;
    auto& p = out[s.platform];
    if (p.is_null()) p = {{"stage_seconds", 0.0}, {"unpack_seconds", 0.0}, {"run_seconds", 0.0},
                          {"snapshot_seconds", 0.0}, {"layer_seconds", 0.0}};
    p["stage_seconds"] = p["stage_seconds"].get<double>() + s.total_seconds;
    p["unpack_seconds"] = p["unpack_seconds"].get<double>() + s.unpack_seconds;
    for (const auto& st : s.steps) {
      p["run_seconds"] = p["run_seconds"].get<double>() + st.run_seconds;
      p["snapshot_seconds"] = p["snapshot_seconds"].get<double>() + st.snapshot_seconds;
      p["layer_seconds"] = p["layer_seconds"].get<double>() + st.layer_seconds;
    }
  }
  return out;
}

}  // namespace

std::string BuildReport::to_json() const {
  nlohmann::json stages_j = nlohmann::json::array();
  double unpack = 0, run = 0, snapshot = 0, layer = 0, cache = 0;
  int hits = 0, misses = 0;
  for (const auto& s : stages) {
    nlohmann::json steps_j = nlohmann::json::array();
    unpack += s.unpack_seconds;
    for (const auto& st : s.steps) {
      run += st.run_seconds;
      snapshot += st.snapshot_seconds;
      layer += st.layer_seconds;
      cache += st.cache_seconds;
      hits += st.cache == "hit";
      misses += st.cache == "miss";
      steps_j.push_back({{"instruction", st.instruction},
                         {"cache", st.cache},
                         {"run_seconds", st.run_seconds},
                         {"snapshot_seconds", st.snapshot_seconds},
                         {"files_walked", st.files_walked},
                         {"files_hashed", st.files_hashed},
                         {"layer_seconds", st.layer_seconds},
                         {"layer_bytes_in", st.layer_bytes_in},
                         {"layer_bytes_out", st.layer_bytes_out},
                         {"cache_seconds", st.cache_seconds}});
    }
    stages_j.push_back({{"index", s.index},
                        {"name", s.name},
                        {"base", s.base},
                        {"platform", s.platform},
                        {"unpacked", s.unpacked},
                        {"unpack_seconds", s.unpack_seconds},
                        {"total_seconds", s.total_seconds},
                        {"cache_lookahead", s.cache_lookahead},
                        {"steps", steps_j}});
  }
  nlohmann::json j = {{"total_seconds", total_seconds},
                      {"unpack_seconds", unpack},
                      {"run_seconds", run},
                      {"snapshot_seconds", snapshot},
                      {"layer_seconds", layer},
                      {"cache_seconds", cache},
                      {"push_seconds", push_seconds},
                      {"early_upload_wait_seconds", early_upload_wait_seconds},
                      {"push_manifests_seconds", push_manifests_seconds},
                      {"early_upload_seconds", early_upload_seconds},
                      {"early_upload_blobs", early_upload_blobs},
                      {"early_upload_failed", early_upload_failed},
                      {"cache_hits", hits},
                      {"cache_misses", misses},
                      {"peak_rss_mb", peak_rss_mb},
                      {"platforms", phases_by_platform(stages)},
                      {"stages", stages_j}};
  return j.dump(1) + "\n";
}

}  // namespace kiln::engine
