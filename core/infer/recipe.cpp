#include "infer/recipe.h"

#include <cmath>

#include "gguf/keys.h"

namespace tinyllm::infer {
namespace keys = gguf::keys;

size_t Recipe::raw_window_rows() const {
  if (!imu()) return 1;
  const double source_hz = schema.sample_rate_hz > 0 ? schema.sample_rate_hz : rate_hz;
  return std::max<size_t>(1, size_t(std::lround(window_s * source_hz)));
}

size_t Recipe::raw_stride_rows() const {
  if (!imu()) return 1;
  const double source_hz = schema.sample_rate_hz > 0 ? schema.sample_rate_hz : rate_hz;
  return std::max<size_t>(1, size_t(std::lround(stride_s * source_hz)));
}

Result<std::optional<Recipe>> read_recipe(const gguf::File& f) {
  if (!f.find(keys::kTinySensorKind)) return std::optional<Recipe>();
  Recipe r;
  TINYLLM_TRY_ASSIGN(kind_text, f.get_string(keys::kTinySensorKind));
  const auto kind = sensortext::sensor_kind_from_string(kind_text);
  if (!kind) return make_error(f.where(), "unknown sensor kind '" + kind_text + "'");
  r.schema.kind = *kind;
  TINYLLM_TRY_ASSIGN(channels, f.get_string_array(keys::kTinyChannels));
  TINYLLM_TRY_ASSIGN(units, f.get_string_array(keys::kTinyChannelUnits));
  if (channels.size() != units.size() || channels.empty())
    return make_error(f.where(), "tinyllm.sensor.channels and .units differ in length");
  for (size_t i = 0; i < channels.size(); ++i)
    r.schema.channels.push_back({channels[i], units[i]});
  TINYLLM_TRY_ASSIGN(sample_rate, f.get_f64(keys::kTinySampleRate));
  r.schema.sample_rate_hz = sample_rate;
  TINYLLM_TRY_ASSIGN(style, f.get_string(keys::kTinyTextStyle));
  r.style = style;
  TINYLLM_TRY_ASSIGN(si, f.get_bool(keys::kTinySiUnits));
  TINYLLM_TRY_ASSIGN(decimals_setting, f.get_i32(keys::kTinyDecimalsSetting));
  TINYLLM_TRY_ASSIGN(top_k, f.get_u32(keys::kTinyRssiTopK));
  TINYLLM_TRY_ASSIGN(normalize, f.get_string(keys::kTinyNormalize));
  r.zscore = normalize == "zscore";
  auto channel =
      sensortext::channel_format(r.schema, si, r.zscore, decimals_setting, static_cast<int>(top_k));
  r.format = channel.format;
  r.unit_factor = channel.unit_factor;
  TINYLLM_TRY_ASSIGN(decimals, f.get_i32_array(keys::kTinyDecimals));
  if (decimals.size() == r.format.decimals.size())
    r.format.decimals.assign(decimals.begin(), decimals.end());
  TINYLLM_TRY_ASSIGN(resample_hz, f.get_f64(keys::kTinyResampleHz));
  TINYLLM_TRY_ASSIGN(rate_hz, f.get_f64(keys::kTinyRateHz));
  r.rate_hz = rate_hz;
  r.resample = r.imu() && resample_hz > 0;
  TINYLLM_TRY_ASSIGN(window_rows, f.get_u32(keys::kTinyWindowRows));
  r.window_rows = window_rows;
  TINYLLM_TRY_ASSIGN(window_s, f.get_f64(keys::kTinyWindowSeconds));
  TINYLLM_TRY_ASSIGN(stride_s, f.get_f64(keys::kTinyStrideSeconds));
  r.window_s = window_s;
  r.stride_s = stride_s > 0 ? stride_s : window_s;
  if (f.find(keys::kTinyNormMean)) {
    TINYLLM_TRY_ASSIGN(mean, f.get_f64_array(keys::kTinyNormMean));
    TINYLLM_TRY_ASSIGN(stdev, f.get_f64_array(keys::kTinyNormStd));
    r.mean = mean;
    r.stdev = stdev;
  }
  if (f.find(keys::kTinyLevelCount)) {
    TINYLLM_TRY_ASSIGN(count, f.get_u32(keys::kTinyLevelCount));
    TINYLLM_TRY_ASSIGN(center, f.get_f64_array(keys::kTinyLevelCenter));
    TINYLLM_TRY_ASSIGN(step, f.get_f64_array(keys::kTinyLevelStep));
    r.format.levels = static_cast<int>(count);
    r.format.level_center = center;
    r.format.level_step = step;
  }
  TINYLLM_TRY_ASSIGN(instruction, f.get_string(keys::kTinyInstruction));
  TINYLLM_TRY_ASSIGN(tmpl, f.get_string(keys::kTinyPromptTemplate));
  r.instruction = instruction;
  r.prompt_template = tmpl;
  if (!sensortext::find_text_style(sensortext::builtin_text_styles(), r.style))
    return make_error(f.where(), "unknown text style '" + r.style + "'");
  return std::optional<Recipe>(std::move(r));
}

std::string fill_prompt_template(const std::string& prompt_template, const std::string& instruction,
                                 std::string_view input) {
  auto replaced = [](std::string text, std::string_view from, std::string_view to) {
    const size_t at = text.find(from);
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
  };
  return replaced(replaced(prompt_template, "{instruction}", instruction), "{input}", input);
}

Result<std::string> window_prompt(const Recipe& r, std::vector<float> values,
                                  std::vector<double> time_s) {
  const size_t nc = r.schema.channels.size();
  if (values.empty() || values.size() % nc != 0)
    return make_error("readings", "expected rows of " + std::to_string(nc) + " values");
  sensortext::Series series;
  series.values = std::move(values);
  series.time_s = std::move(time_s);
  series.labels.assign(series.values.size() / nc, sensortext::kNoLabel);
  series.lines.resize(series.labels.size());  // resample carries a source line per row
  for (size_t i = 0; i < series.lines.size(); ++i)
    series.lines[i] = i + 1;
  sensortext::convert_units(series.values, r.unit_factor);
  if (r.imu() && (r.resample || !series.time_s.empty()))
    series = sensortext::resample(series, nc, 0, r.schema.sample_rate_hz, r.rate_hz);
  if (r.zscore) sensortext::to_zscores(series.values, r.mean, r.stdev);
  size_t start = 0, rows = series.rows();
  if (r.imu() && r.window_rows > 0 && rows > r.window_rows) {
    start = rows - r.window_rows;
    rows = r.window_rows;
  }
  const auto styles = sensortext::builtin_text_styles();
  const auto* style = sensortext::find_text_style(styles, r.style);
  sensortext::Window window;
  window.schema = &r.schema;
  window.rows = rows;
  window.start_row = start;
  window.values = series.values.data() + start * nc;
  window.rate_hz = r.rate_hz;
  const std::string input = style->write(window, r.format);
  return fill_prompt_template(r.prompt_template, r.instruction, input);
}

}  // namespace tinyllm::infer
