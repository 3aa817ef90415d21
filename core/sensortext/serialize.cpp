#include "sensortext/sensor_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>

namespace tinyllm::sensortext {

void convert_units(std::vector<float>& values, const std::vector<double>& unit_factor) {
  const size_t nc = unit_factor.size();
  if (nc == 0) return;
  for (size_t k = 0; k < values.size(); ++k)
    values[k] = float(values[k] * unit_factor[k % nc]);
}

void to_zscores(std::vector<float>& values, const std::vector<double>& mean,
                const std::vector<double>& stdev) {
  const size_t nc = mean.size();
  if (nc == 0) return;
  for (size_t k = 0; k < values.size(); ++k)
    values[k] = float((values[k] - mean[k % nc]) / stdev[k % nc]);
}

int default_decimals(std::string_view unit) {
  if (unit == "mg" || unit == "dBm" || unit == "deg/s" || unit == "mdeg/s" || unit == "uT")
    return 0;
  if (unit == "g" || unit == "rad/s") return 2;
  return 1;  // m/s^2, z-scores, anything else
}

ChannelFormat channel_format(const Schema& schema, bool si_units, bool zscore, int decimals,
                             int rssi_top_k) {
  ChannelFormat out;
  const bool normalized = zscore && schema.kind == SensorKind::imu;
  for (const auto& channel : schema.channels) {
    std::string unit = channel.unit;
    double factor = 1.0;
    if (si_units)
      if (auto f = si_factor(unit, &unit)) factor = *f;
    if (normalized) unit = "z";
    out.format.units.push_back(unit);
    out.format.decimals.push_back(decimals >= 0 ? decimals : default_decimals(unit));
    out.unit_factor.push_back(factor);
  }
  out.format.normalized = normalized;
  out.format.rssi_top_k = rssi_top_k;
  return out;
}

void append_number(std::string& out, double value, int decimals) {
  if (!std::isfinite(value)) {
    out += "nan";
    return;
  }
  double scale = std::pow(10.0, decimals);
  double rounded = std::round(value * scale) / scale;
  if (rounded == 0) rounded = 0;  // no "-0"
  char buf[64];
  auto [ptr, ec] =
      std::to_chars(buf, buf + sizeof buf, rounded, std::chars_format::fixed, decimals);
  out.append(buf, ec == std::errc() ? ptr : buf);
}

void set_levels(TextFormat& format, int levels, double span, const std::vector<double>& mean,
                const std::vector<double>& stdev) {
  format.levels = std::clamp(levels, 2, kMaxLevels);
  format.level_center = mean;
  format.level_step.clear();
  for (double sd : stdev)
    format.level_step.push_back(2.0 * span * sd / double(format.levels - 1));
}

std::string access_point_code(size_t channel) {
  std::string code;
  size_t n = channel;
  do {
    code.insert(code.begin(), char('A' + n % 26));
    n /= 26;
  } while (code.size() < 2 || n > 0);
  return code;
}

char level_letter(const TextFormat& format, size_t channel, double value) {
  const double half = double(format.levels - 1) / 2.0;
  const double step = format.level_step[channel] > 0 ? format.level_step[channel] : 1.0;
  double level = std::round((value - format.level_center[channel]) / step + half);
  if (!(level >= 0)) level = 0;  // also NaN
  level = std::min(level, double(format.levels - 1));
  return char('a' + int(level));
}

namespace {

// RSSI windows are one fingerprint: the heard APs, strongest first, at most top_k.
std::vector<std::pair<float, size_t>> heard_aps(const Window& w, const TextFormat& f) {
  const size_t nc = w.schema->channels.size();
  std::vector<std::pair<float, size_t>> heard;
  for (size_t c = 0; c < nc; ++c) {
    float v = w.values[c];
    if (!std::isnan(v)) heard.emplace_back(v, c);
  }
  std::stable_sort(heard.begin(), heard.end(), [](auto& a, auto& b) { return a.first > b.first; });
  if (f.rssi_top_k > 0 && heard.size() > size_t(f.rssi_top_k)) heard.resize(size_t(f.rssi_top_k));
  return heard;
}

class ChannelListsStyle : public TextStyle {
 public:
  std::string id() const override { return "channel-lists"; }
  std::string description() const override {
    return "one line per channel with its values in time order (the paper's style)";
  }
  std::string write(const Window& w, const TextFormat& f) const override {
    std::string out;
    const auto& channels = w.schema->channels;
    if (w.schema->kind == SensorKind::rssi) {
      for (auto [v, c] : heard_aps(w, f)) {
        out += channels[c].name;
        out += ": ";
        append_number(out, v, f.decimals[c]);
        out += '\n';
      }
    } else {
      const size_t nc = channels.size();
      for (size_t c = 0; c < nc; ++c) {
        out += channels[c].name;
        out += ':';
        for (size_t r = 0; r < w.rows; ++r) {
          out += ' ';
          append_number(out, w.values[r * nc + c], f.decimals[c]);
        }
        out += '\n';
      }
    }
    if (!out.empty()) out.pop_back();
    return out;
  }
};

class TimestepRowsStyle : public TextStyle {
 public:
  std::string id() const override { return "timestep-rows"; }
  std::string description() const override {
    return "compact: one group per time step, channels separated by spaces, steps by ';'";
  }
  std::string write(const Window& w, const TextFormat& f) const override {
    std::string out;
    if (w.schema->kind == SensorKind::rssi) {
      for (auto [v, c] : heard_aps(w, f)) {
        if (!out.empty()) out += ';';
        out += w.schema->channels[c].name;
        out += ' ';
        append_number(out, v, f.decimals[c]);
      }
      return out;
    }
    const size_t nc = w.schema->channels.size();
    for (size_t r = 0; r < w.rows; ++r) {
      if (r) out += ';';
      for (size_t c = 0; c < nc; ++c) {
        if (c) out += ' ';
        append_number(out, w.values[r * nc + c], f.decimals[c]);
      }
    }
    return out;
  }
};

class LevelsStyle : public TextStyle {
 public:
  // spaced: every reading its own word, so every reading is one token of 26 (a small, shared
  // vocabulary) instead of a time step being a few tokens of thousands of letter groups.
  explicit LevelsStyle(bool spaced) : spaced_(spaced) {}
  std::string id() const override { return spaced_ ? "levels-spaced" : "levels"; }
  std::string description() const override {
    return spaced_ ? "each reading one letter on a scale of levels, every letter its own token"
                   : "shortest: each reading one letter on a scale of levels, one word per time "
                     "step";
  }
  std::string write(const Window& w, const TextFormat& f) const override {
    std::string out;
    if (w.schema->kind == SensorKind::rssi) {
      // An access point as a short upper-case code (its column: AA, AB, ...), which the tokenizer
      // learns as one token; its name (WAP012) would be four or more, digits being split.
      for (auto [v, c] : heard_aps(w, f)) {
        if (!out.empty()) out += ' ';
        out += access_point_code(c);
        out += level_letter(f, c, v);
      }
      return out;
    }
    const size_t nc = w.schema->channels.size();
    out.reserve(w.rows * (nc + 1));
    for (size_t r = 0; r < w.rows; ++r) {
      if (r) out += spaced_ ? ", " : " ";
      for (size_t c = 0; c < nc; ++c) {
        if (spaced_ && c) out += ' ';
        out += level_letter(f, c, w.values[r * nc + c]);
      }
    }
    return out;
  }

 private:
  bool spaced_;
};

std::string join_names(const Schema& schema, size_t from, size_t to) {
  std::string out;
  for (size_t c = from; c < to; ++c)
    out += (c > from ? ", " : "") + schema.channels[c].name;
  return out;
}

}  // namespace

std::vector<std::unique_ptr<TextStyle>> builtin_text_styles() {
  std::vector<std::unique_ptr<TextStyle>> styles;
  styles.push_back(std::make_unique<ChannelListsStyle>());
  styles.push_back(std::make_unique<TimestepRowsStyle>());
  styles.push_back(std::make_unique<LevelsStyle>(false));
  styles.push_back(std::make_unique<LevelsStyle>(true));
  return styles;
}

const TextStyle* find_text_style(const std::vector<std::unique_ptr<TextStyle>>& styles,
                                 const std::string& id) {
  for (const auto& s : styles)
    if (s->id() == id) return s.get();
  return nullptr;
}

std::string describe_sensors(const Schema& schema, const TextFormat& format) {
  std::string level_scale;
  if (format.levels > 0) {
    level_scale = "levels a-";
    level_scale += char('a' + format.levels - 1);
  }
  if (schema.kind == SensorKind::rssi)
    return level_scale.empty()
               ? std::string("WiFi RSSI fingerprint (strongest access points first, dBm)")
               : "WiFi RSSI fingerprint (strongest access points first: the access point's "
                 "code, then its RSSI as " +
                     level_scale + ")";
  // Group channels by unit: "accelerometer (ax, ay, az in mg) and gyroscope (gx, gy, gz in rad/s)".
  std::string out;
  size_t start = 0;
  const auto& ch = schema.channels;
  while (start < ch.size()) {
    size_t end = start + 1;
    while (end < ch.size() && format.units[end] == format.units[start])
      ++end;
    const std::string& unit = format.units[start];
    const std::string& raw = ch[start].unit;
    std::string what = (raw == "g" || raw == "mg" || raw == "m/s^2")           ? "accelerometer"
                       : (raw == "rad/s" || raw == "deg/s" || raw == "mdeg/s") ? "gyroscope"
                       : raw == "uT"                                           ? "magnetometer"
                                                                               : "sensor";
    if (!out.empty()) out += " and ";
    out += what + " (" + join_names(schema, start, end);
    if (!level_scale.empty())
      out += " as " + level_scale;
    else if (!unit.empty())
      out += " in " + unit;
    out += ")";
    start = end;
  }
  return out;
}

std::string pretrain_document(const Window& window, const TextFormat& format,
                              const TextStyle& style) {
  std::string head = describe_sensors(*window.schema, format);
  if (window.schema->kind == SensorKind::imu && window.rate_hz > 0) {
    head += " at ";
    append_number(head, window.rate_hz, window.rate_hz == std::round(window.rate_hz) ? 0 : 1);
    head += " Hz";
  }
  return head + "\n" + style.write(window, format);
}

}  // namespace tinyllm::sensortext
