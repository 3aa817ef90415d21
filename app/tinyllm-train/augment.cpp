#include "augment.h"

#include <cmath>
#include <string>

#include "base/random.h"

namespace tinyllm::worker {
using nlohmann::json;

namespace {

std::vector<double> doubles(const json& j) {
  std::vector<double> out;
  if (j.is_array())
    for (const auto& v : j)
      out.push_back(v.is_number() ? v.get<double>() : 0.0);
  return out;
}

}  // namespace

std::unique_ptr<TextRecipe> text_recipe(const json& summary,
                                        const std::vector<eval::EvalExample>& train,
                                        std::string& why_not) {
  auto recipe = std::make_unique<TextRecipe>();
  const auto kind = sensortext::sensor_kind_from_string(summary.value("kind", ""));
  const json channels = summary.value("channels", json());
  const json settings = summary.value("settings", json::object());
  if (!kind || !channels.is_array() || train.empty()) {
    why_not = "prepared.json does not say how the readings were written (prepare the data again)";
    return nullptr;
  }
  recipe->schema.kind = *kind;
  for (const auto& c : channels)
    recipe->schema.channels.push_back({c.get<std::string>(), ""});
  const size_t nc = recipe->schema.channels.size();
  if (train.front().channels != nc) {
    why_not = "the windows' channels differ from prepared.json";
    return nullptr;
  }
  auto& f = recipe->format;
  for (const auto& u : summary.value("units", json::array()))
    f.units.push_back(u.get<std::string>());
  for (double d : doubles(summary.value("decimals", json::array())))
    f.decimals.push_back(int(d));
  f.normalized = !summary.value("normalization", json::array()).empty();
  f.rssi_top_k = settings.value("rssi_top_k", 16);
  if (const json levels = summary.value("levels", json()); levels.is_object()) {
    f.levels = levels.value("count", 0);
    f.level_center = doubles(levels.value("center", json::array()));
    f.level_step = doubles(levels.value("step", json::array()));
  }
  if (f.units.size() != nc || f.decimals.size() != nc ||
      (f.levels > 0 && (f.level_center.size() != nc || f.level_step.size() != nc))) {
    why_not = "prepared.json's units, decimals or levels do not match its channels";
    return nullptr;
  }
  for (auto& style : sensortext::builtin_text_styles())
    if (style->id() == settings.value("style", "")) recipe->style = std::move(style);
  if (!recipe->style) {
    why_not = "unknown text style '" + settings.value("style", "") + "'";
    return nullptr;
  }
  recipe->rate_hz = summary.value("rate_hz", 0.0);
  // Each channel's spread over the training windows (heard values only).
  std::vector<double> sum(nc, 0), sq(nc, 0), n(nc, 0);
  for (const auto& e : train)
    for (size_t k = 0; k < e.window.size(); ++k) {
      const double v = e.window[k];
      if (std::isnan(v)) continue;
      sum[k % nc] += v;
      sq[k % nc] += v * v;
      n[k % nc] += 1;
    }
  for (size_t c = 0; c < nc; ++c) {
    const double mean = n[c] > 0 ? sum[c] / n[c] : 0;
    recipe->spread.push_back(n[c] > 1 ? std::sqrt(std::max(0.0, sq[c] / n[c] - mean * mean)) : 1);
  }
  return recipe;
}

std::string augmented_input(const TextRecipe& recipe, const eval::EvalExample& e, uint64_t draw) {
  SplitMix64 rng(draw);
  const size_t nc = recipe.schema.channels.size();
  std::vector<float> values;
  size_t rows = e.window_rows;
  if (recipe.schema.kind == sensortext::SensorKind::rssi) {
    values = e.window;
    for (auto& v : values) {
      if (std::isnan(v)) continue;
      if (rng.uniform(0, 1) < 0.1)
        v = NAN;
      else
        v = float(v + 2.0 * rng.normal());
    }
  } else {
    // Time warp: the window read at a stretched or squeezed pace, linearly interpolated.
    const double warp = rng.uniform(0.9, 1.1);
    const size_t out_rows = std::max<size_t>(2, size_t(std::lround(double(rows) * warp)));
    values.resize(out_rows * nc);
    for (size_t r = 0; r < out_rows; ++r) {
      const double at = rows > 1 ? double(r) * double(rows - 1) / double(out_rows - 1) : 0;
      const size_t lo = size_t(at), hi = std::min(rows - 1, lo + 1);
      const double t = at - double(lo);
      for (size_t c = 0; c < nc; ++c)
        values[r * nc + c] = float((1 - t) * e.window[lo * nc + c] + t * e.window[hi * nc + c]);
    }
    rows = out_rows;
    for (size_t c = 0; c < nc; ++c) {
      const double gain = rng.uniform(0.85, 1.15);
      const double offset = rng.uniform(-0.1, 0.1) * recipe.spread[c];
      for (size_t r = 0; r < rows; ++r)
        values[r * nc + c] = float(values[r * nc + c] * gain + offset);
    }
  }
  sensortext::Window w;
  w.schema = &recipe.schema;
  w.rows = rows;
  w.values = values.data();
  w.rate_hz = recipe.rate_hz;
  return recipe.style->write(w, recipe.format);
}

}  // namespace tinyllm::worker
