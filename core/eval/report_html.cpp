// The report's HTML page: one file, inline CSS and SVG, no script, nothing fetched.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "eval/report.h"

namespace tinyllm::eval {
namespace {

using nlohmann::json;

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

const char* kStyle = R"(body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f3f3f3}td.t,th.t{text-align:left}
pre{white-space:pre-wrap;word-break:break-all;font-size:0.8em;margin:0;max-width:520px}
.meta td{text-align:left}svg text{font-family:sans-serif}.wrong{color:#c00})";

std::string fmt(const char* format, double v) {
  if (!std::isfinite(v)) return "–";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, v);
  return buffer;
}
std::string pct(double v) {
  return fmt("%.1f%%", 100 * v);
}
std::string coord(double v) {
  return fmt("%.1f", v);
}

double num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>()
                                          : std::numeric_limits<double>::quiet_NaN();
}
std::string text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}
std::string esc(const std::string& s) {
  return html_escape(s);
}

// A <text> element.
std::string svg_text(double x, double y, const std::string& s, const std::string& extra = "") {
  return "<text x=\"" + coord(x) + "\" y=\"" + coord(y) + "\" " + extra + ">" + esc(s) + "</text>";
}

// Grouped bars (accuracy, macro-F1) of the model and every baseline, 0..1.
std::string bar_chart(const std::vector<std::pair<std::string, std::pair<double, double>>>& rows) {
  const double group = 110, left = 40, top = 20, height = 180;
  const double width = left + group * double(rows.size()) + 120;
  std::ostringstream svg;
  svg << "<svg width=\"" << coord(width) << "\" height=\"" << coord(top + height + 40)
      << "\" role=\"img\" aria-label=\"model and baselines\">";
  for (int tick = 0; tick <= 4; ++tick) {
    const double y = top + height * (1 - tick / 4.0);
    svg << "<line x1=\"" << left << "\" x2=\"" << coord(width - 120) << "\" y1=\"" << coord(y)
        << "\" y2=\"" << coord(y) << "\" stroke=\"#ddd\"/>"
        << svg_text(4, y + 4, pct(tick / 4.0), "font-size=\"10\"");
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const double x0 = left + group * double(i) + 15;
    const double values[2] = {rows[i].second.first, rows[i].second.second};
    for (int b = 0; b < 2; ++b) {
      const double v = std::isfinite(values[b]) ? std::clamp(values[b], 0.0, 1.0) : 0.0;
      const double x = x0 + b * 40, h = height * v;
      svg << "<rect x=\"" << coord(x) << "\" y=\"" << coord(top + height - h)
          << "\" width=\"36\" height=\"" << coord(h) << "\" fill=\"" << kPalette[b] << "\"><title>"
          << esc(rows[i].first) << ": " << pct(values[b]) << "</title></rect>"
          << svg_text(x + 18, top + height - h - 3, fmt("%.2f", values[b]),
                      "font-size=\"9\" text-anchor=\"middle\"");
    }
    svg << svg_text(x0 + 38, top + height + 16, rows[i].first,
                    "font-size=\"11\" text-anchor=\"middle\"");
  }
  const double lx = width - 110;
  svg << "<rect x=\"" << coord(lx) << "\" y=\"25\" width=\"10\" height=\"10\" fill=\""
      << kPalette[0] << "\"/>" << svg_text(lx + 14, 34, "accuracy", "font-size=\"11\"")
      << "<rect x=\"" << coord(lx) << "\" y=\"43\" width=\"10\" height=\"10\" fill=\""
      << kPalette[1] << "\"/>" << svg_text(lx + 14, 52, "macro-F1", "font-size=\"11\"") << "</svg>";
  return svg.str();
}

// Confusion matrix as a heat map: cell shade = share of the true class's row.
std::string confusion_heatmap(const std::vector<std::string>& classes, const json& confusion) {
  const size_t n = classes.size();
  if (n == 0 || !confusion.is_array() || confusion.size() != n) return "";
  const double cell = std::clamp(560.0 / double(n), 6.0, 40.0), left = 130, top = 130;
  const bool numbers = cell >= 22;
  std::ostringstream svg;
  svg << "<svg width=\"" << coord(left + cell * double(n) + 20) << "\" height=\""
      << coord(top + cell * double(n) + 30) << "\" role=\"img\" aria-label=\"confusion matrix\">";
  svg << svg_text(left + cell * double(n) / 2, 12, "predicted",
                  "font-size=\"11\" text-anchor=\"middle\"");
  for (size_t t = 0; t < n; ++t) {
    double row_total = 0;
    for (const auto& v : confusion[t])
      row_total += v.get<double>();
    const double y = top + cell * double(t);
    if (cell >= 9)
      svg << svg_text(left - 4, y + cell / 2 + 4, truncate_utf8(classes[t], 18),
                      "font-size=\"10\" text-anchor=\"end\"");
    for (size_t p = 0; p < n; ++p) {
      const double count = confusion[t][p].get<double>();
      const double share = row_total > 0 ? count / row_total : 0.0;
      const int shade = int(255 - 200 * share);
      const double x = left + cell * double(p);
      char fill[32];
      std::snprintf(fill, sizeof fill, "rgb(%d,%d,255)", shade, shade);
      svg << "<rect x=\"" << coord(x) << "\" y=\"" << coord(y) << "\" width=\"" << coord(cell)
          << "\" height=\"" << coord(cell) << "\" fill=\"" << fill << "\" stroke=\""
          << (t == p ? "#2a2" : "#eee") << "\"><title>true " << esc(classes[t]) << ", predicted "
          << esc(classes[p]) << ": " << fmt("%.0f", count) << "</title></rect>";
      if (numbers && count > 0)
        svg << svg_text(x + cell / 2, y + cell / 2 + 4, fmt("%.0f", count),
                        share > 0.6 ? "font-size=\"10\" text-anchor=\"middle\" fill=\"#fff\""
                                    : "font-size=\"10\" text-anchor=\"middle\"");
    }
  }
  if (cell >= 9)
    for (size_t p = 0; p < n; ++p) {
      const double x = left + cell * double(p) + cell / 2 + 4;
      svg << "<text x=\"" << coord(x) << "\" y=\"" << coord(top - 4)
          << "\" font-size=\"10\" transform=\"rotate(-60 " << coord(x) << " " << coord(top - 4)
          << ")\">" << esc(truncate_utf8(classes[p], 18)) << "</text>";
    }
  svg << svg_text(
      12, top + cell * double(n) / 2, "true",
      "font-size=\"11\" transform=\"rotate(-90 12 " + coord(top + cell * double(n) / 2) + ")\"");
  svg << "</svg>";
  return svg.str();
}

// Axes frame with x and y labels; returns the opening of an SVG of the given plot size.
std::string axes(double width, double height, double left, double bottom,
                 const std::string& x_label, const std::string& y_label, const std::string& aria) {
  std::ostringstream svg;
  svg << "<svg width=\"" << coord(width) << "\" height=\"" << coord(height)
      << "\" role=\"img\" aria-label=\"" << esc(aria) << "\">"
      << "<line x1=\"" << left << "\" y1=\"10\" x2=\"" << left << "\" y2=\""
      << coord(height - bottom) << "\" stroke=\"#444\"/>"
      << "<line x1=\"" << left << "\" y1=\"" << coord(height - bottom) << "\" x2=\""
      << coord(width - 10) << "\" y2=\"" << coord(height - bottom) << "\" stroke=\"#444\"/>"
      << svg_text((left + width) / 2, height - 4, x_label,
                  "font-size=\"11\" text-anchor=\"middle\"")
      << svg_text(
             12, (height - bottom) / 2, y_label,
             "font-size=\"11\" transform=\"rotate(-90 12 " + coord((height - bottom) / 2) + ")\"");
  return svg.str();
}

// Error CDFs (metres on x, fraction of examples on y) of the model and the baselines.
std::string cdf_chart(const std::vector<std::pair<std::string, json>>& curves) {
  double max_m = 0;
  for (const auto& [name, cdf] : curves)
    for (const auto& point : cdf)
      max_m = std::max(max_m, point[0].get<double>());
  if (max_m <= 0) max_m = 1;
  const double width = 560, height = 280, left = 50, bottom = 36, plot_w = width - left - 140,
               plot_h = height - bottom - 10;
  std::ostringstream svg;
  svg << axes(width, height, left, bottom, "error (m)", "fraction of examples", "error CDF");
  svg << svg_text(left, height - bottom + 14, "0", "font-size=\"10\"")
      << svg_text(left + plot_w, height - bottom + 14, fmt("%.1f", max_m),
                  "font-size=\"10\" text-anchor=\"end\"")
      << svg_text(left - 4, 14, "1", "font-size=\"10\" text-anchor=\"end\"");
  for (size_t s = 0; s < curves.size(); ++s) {
    std::string points = coord(left) + "," + coord(10 + plot_h);
    double last_y = 0;
    for (const auto& point : curves[s].second) {
      const double x = left + plot_w * point[0].get<double>() / max_m;
      const double y = 10 + plot_h * (1 - point[1].get<double>());
      points += " " + coord(x) + "," + coord(10 + plot_h * (1 - last_y)) + " " + coord(x) + "," +
                coord(y);
      last_y = point[1].get<double>();
    }
    const char* color = kPalette[s % kPaletteSize];
    svg << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"1.5\" points=\""
        << points << "\"/>"
        << "<rect x=\"" << coord(width - 130) << "\" y=\"" << coord(14 + 16 * double(s))
        << "\" width=\"10\" height=\"10\" fill=\"" << color << "\"/>"
        << svg_text(width - 116, 23 + 16 * double(s), curves[s].first, "font-size=\"11\"");
  }
  svg << "</svg>";
  return svg.str();
}

// A small plot of a window: one line per channel over time (missing values break the line), or
// for a one-row window (fingerprint) one bar per heard access point.
std::string window_plot(const EvalExample& ex) {
  const size_t rows = ex.window_rows, channels = ex.channels;
  if (rows == 0 || channels == 0 || ex.window.size() != rows * channels) return "";
  const bool fingerprint = rows == 1;
  const size_t lines = fingerprint ? 1 : std::min<size_t>(channels, kPaletteSize);
  const size_t length = fingerprint ? channels : rows;
  auto value = [&](size_t line, size_t i) {
    return fingerprint ? ex.window[i] : ex.window[i * channels + line];
  };
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t l = 0; l < lines; ++l)
    for (size_t i = 0; i < length; ++i)
      if (std::isfinite(value(l, i))) {
        lo = std::min(lo, double(value(l, i)));
        hi = std::max(hi, double(value(l, i)));
      }
  if (!std::isfinite(lo)) return "";
  if (hi - lo < 1e-9) hi = lo + 1;
  const double width = 260, height = 70;
  std::ostringstream svg;
  svg << "<svg width=\"" << width << "\" height=\"" << height
      << "\" role=\"img\" aria-label=\"window\"><rect width=\"" << width << "\" height=\"" << height
      << "\" fill=\"#fafafa\" stroke=\"#ddd\"/>";
  if (fingerprint) {
    // Most access points are not heard: one bar per heard access point, height = strength.
    svg << "<path stroke=\"" << kPalette[0] << "\" stroke-width=\"1\" d=\"";
    for (size_t i = 0; i < length; ++i) {
      const double v = value(0, i);
      if (!std::isfinite(v)) continue;
      const double x = 2 + (width - 4) * (length > 1 ? double(i) / double(length - 1) : 0.5);
      const double y = 2 + (height - 6) * (1 - (v - lo) / (hi - lo));
      svg << "M" << coord(x) << " " << coord(height - 2) << "V" << coord(y) << " ";
    }
    svg << "\"/></svg>";
    return svg.str();
  }
  for (size_t l = 0; l < lines; ++l) {
    std::string points;
    auto flush = [&] {
      if (!points.empty())
        svg << "<polyline fill=\"none\" stroke=\"" << kPalette[l % kPaletteSize]
            << "\" stroke-width=\"1\" points=\"" << points << "\"/>";
      points.clear();
    };
    for (size_t i = 0; i < length; ++i) {
      const double v = value(l, i);
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      const double x = 2 + (width - 4) * (length > 1 ? double(i) / double(length - 1) : 0.5);
      const double y = 2 + (height - 4) * (1 - (v - lo) / (hi - lo));
      points += (points.empty() ? "" : " ") + coord(x) + "," + coord(y);
    }
    flush();
  }
  svg << "</svg>";
  return svg.str();
}

// 1234567 -> "1.2M", 45000 -> "45k".
std::string short_count(double v) {
  if (v >= 1e9) return fmt("%.1fG", v / 1e9);
  if (v >= 1e6) return fmt("%.1fM", v / 1e6);
  if (v >= 1e3) return fmt("%.0fk", v / 1e3);
  return fmt("%.0f", v);
}

// Runs: accuracy against parameters (log scale).
std::string runs_scatter(const json& runs) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& r : runs) {
    const double p = num(r, "params");
    if (p > 0) {
      lo = std::min(lo, std::log10(p));
      hi = std::max(hi, std::log10(p));
    }
  }
  if (!std::isfinite(lo)) return "";
  lo -= 0.2;
  hi += 0.2;
  const double width = 520, height = 280, left = 50, bottom = 36, plot_w = width - left - 30,
               plot_h = height - bottom - 10;
  std::ostringstream svg;
  svg << axes(width, height, left, bottom, "parameters (log scale)", "accuracy",
              "accuracy against parameters");
  for (int tick = 0; tick <= 4; ++tick)
    svg << svg_text(left - 4, 10 + plot_h * (1 - tick / 4.0) + 4, pct(tick / 4.0),
                    "font-size=\"9\" text-anchor=\"end\"");
  size_t s = 0;
  for (const auto& r : runs) {
    const double p = num(r, "params"), acc = num(r, "accuracy");
    if (!(p > 0) || !std::isfinite(acc)) continue;
    const double x = left + plot_w * (std::log10(p) - lo) / (hi - lo);
    const double y = 10 + plot_h * (1 - std::clamp(acc, 0.0, 1.0));
    svg << "<circle cx=\"" << coord(x) << "\" cy=\"" << coord(y) << "\" r=\"5\" fill=\""
        << kPalette[s++ % kPaletteSize] << "\"><title>" << esc(text(r, "run_id")) << "</title>"
        << "</circle>"
        << svg_text(x + 7, y - 6, text(r, "run_id") + " (" + short_count(p) + ")",
                    "font-size=\"10\"");
  }
  svg << "</svg>";
  return svg.str();
}

void metrics_table(std::ostringstream& html, const json& report) {
  html << "<table><tr><th class=\"t\">model / baseline</th><th>accuracy</th><th>macro-F1</th>"
       << "<th>unparseable</th></tr>";
  auto row = [&](const json& m) {
    std::string name = text(m, "name");
    if (m.contains("k")) name += " (k=" + text(m, "k") + ")";
    html << "<tr><td class=\"t\">" << esc(name) << "</td><td>" << pct(num(m, "accuracy"))
         << "</td><td>" << fmt("%.3f", num(m, "macro_f1")) << "</td><td>"
         << fmt("%.0f", num(m, "unparseable")) << "</td></tr>";
  };
  if (report.contains("model")) row(report["model"]);
  for (const auto& b : report["baselines"])
    row(b);
  html << "</table>";
}

void per_class_table(std::ostringstream& html, const json& model) {
  html << "<table><tr><th class=\"t\">class</th><th>precision</th><th>recall</th><th>F1</th>"
       << "<th>support</th></tr>";
  for (const auto& c : model["per_class"])
    html << "<tr><td class=\"t\">" << esc(text(c, "label")) << "</td><td>"
         << fmt("%.3f", num(c, "precision")) << "</td><td>" << fmt("%.3f", num(c, "recall"))
         << "</td><td>" << fmt("%.3f", num(c, "f1")) << "</td><td>"
         << fmt("%.0f", num(c, "support")) << "</td></tr>";
  html << "</table>";
}

void position_section(std::ostringstream& html, const json& position) {
  html << "<h2>Position error</h2><table><tr><th class=\"t\">model / baseline</th>"
       << "<th>mean (m)</th><th>median (m)</th><th>p90 (m)</th><th>unparseable</th></tr>";
  std::vector<std::pair<std::string, json>> curves;
  auto row = [&](const json& m) {
    html << "<tr><td class=\"t\">" << esc(text(m, "name")) << "</td><td>"
         << fmt("%.2f", num(m, "mean_m")) << "</td><td>" << fmt("%.2f", num(m, "median_m"))
         << "</td><td>" << fmt("%.2f", num(m, "p90_m")) << "</td><td>"
         << fmt("%.0f", num(m, "unparseable")) << "</td></tr>";
    curves.emplace_back(text(m, "name"), m.value("cdf", json::array()));
  };
  row(position["model"]);
  for (const auto& b : position["baselines"])
    row(b);
  html << "</table>" << cdf_chart(curves);
}

void mistakes_section(std::ostringstream& html, const json& mistakes,
                      const std::vector<EvalExample>& examples) {
  html << "<h2>Worst mistakes</h2>";
  if (mistakes.empty()) {
    html << "<p>None.</p>";
    return;
  }
  html << "<table><tr><th>#</th><th class=\"t\">true</th><th class=\"t\">predicted</th>"
       << "<th class=\"t\">where</th><th class=\"t\">input</th><th class=\"t\">window</th></tr>";
  for (const auto& m : mistakes) {
    const double index = num(m, "index");
    std::string plot;
    if (index >= 0 && index < double(examples.size())) plot = window_plot(examples[size_t(index)]);
    html << "<tr><td>" << fmt("%.0f", index) << "</td><td class=\"t\">" << esc(text(m, "label"))
         << "</td><td class=\"t wrong\">" << esc(text(m, "predicted"));
    if (m.contains("error_m")) html << "<br>" << fmt("%.2f m", num(m, "error_m"));
    if (m.contains("output")) html << "<br>output: <code>" << esc(text(m, "output")) << "</code>";
    html << "</td><td class=\"t\">" << esc(text(m, "series")) << " @" << esc(text(m, "start"))
         << "<br>" << esc(text(m, "subject")) << "</td><td class=\"t\"><pre>"
         << esc(text(m, "input")) << "</pre></td><td class=\"t\">" << plot << "</td></tr>";
  }
  html << "</table>";
}

void folds_section(std::ostringstream& html, const json& report) {
  const json& summary = report["folds_summary"];
  html << "<h2>Folds over people (" << report["folds"].size() << ")</h2>"
       << "<table><tr><th class=\"t\"></th><th>mean accuracy</th><th>min</th><th>max</th>"
       << "<th>mean macro-F1</th></tr>";
  for (const auto& [name, s] : summary.items())
    html << "<tr><td class=\"t\">" << esc(name) << "</td><td>" << pct(num(s, "mean")) << "</td><td>"
         << pct(num(s, "min")) << "</td><td>" << pct(num(s, "max")) << "</td><td>"
         << fmt("%.3f", num(s, "macro_f1_mean")) << "</td></tr>";
  html << "</table><table><tr><th>fold</th><th class=\"t\">test people</th><th>model</th>";
  std::vector<std::string> names;
  if (!report["folds"].empty())
    for (const auto& [name, s] : report["folds"][0]["baselines"].items())
      names.push_back(name);
  for (const auto& name : names)
    html << "<th>" << esc(name) << "</th>";
  html << "</tr>";
  for (const auto& f : report["folds"]) {
    std::string subjects;
    for (const auto& s : f["test_subjects"])
      subjects += (subjects.empty() ? "" : ", ") + s.get<std::string>();
    if (f.contains("test_recordings") && !f["test_recordings"].empty()) {
      const size_t n = f["test_recordings"].size();
      subjects += n == 1 ? std::string(" and 1 recording of an unknown person")
                         : fmt(" and %.0f recordings of unknown people", double(n));
    }
    html << "<tr><td>" << text(f, "fold") << "</td><td class=\"t\">" << esc(subjects) << "</td><td>"
         << (f.contains("model") ? pct(num(f["model"], "accuracy")) : "–") << "</td>";
    for (const auto& name : names)
      html << "<td>"
           << (f["baselines"].contains(name) ? pct(num(f["baselines"][name], "accuracy")) : "–")
           << "</td>";
    html << "</tr>";
  }
  html << "</table>";
}

// "q8_0 1.2 MB, 35.0 ms; q4_0 ..." for a run's exported files.
std::string variants_text(const json& variants) {
  std::string out;
  for (const auto& v : variants) {
    if (!out.empty()) out += "; ";
    out += text(v, "type") + " " + short_count(num(v, "bytes")) + "B";
    if (std::isfinite(num(v, "mean_latency_ms")))
      out += ", " + fmt("%.1f ms", num(v, "mean_latency_ms"));
  }
  return out.empty() ? "–" : out;
}

void runs_section(std::ostringstream& html, const json& runs) {
  html << "<h2>Runs compared</h2><table><tr><th class=\"t\">run</th><th>parameters</th>"
       << "<th>tokens / example</th><th>accuracy</th><th>macro-F1</th><th>train time (s)</th>"
       << "<th class=\"t\">decoding</th><th class=\"t\">exported (size, latency)</th></tr>";
  for (const auto& r : runs)
    html << "<tr><td class=\"t\">" << esc(text(r, "run_id")) << "</td><td>"
         << fmt("%.0f", num(r, "params")) << "</td><td>"
         << fmt("%.1f", num(r, "tokens_per_example")) << "</td><td>" << pct(num(r, "accuracy"))
         << "</td><td>" << fmt("%.3f", num(r, "macro_f1")) << "</td><td>"
         << fmt("%.0f", num(r, "train_seconds")) << "</td><td class=\"t\">"
         << esc(r.value("decoding", "constrained")) << "</td><td class=\"t\">"
         << esc(variants_text(r.value("variants", json::array()))) << "</td></tr>";
  html << "</table>" << runs_scatter(runs);
}

}  // namespace

std::string render_report_html(const json& report, const std::vector<EvalExample>& examples) {
  const bool position = text(report, "kind") == "position";
  std::ostringstream html;
  const std::string title =
      "Evaluation: " + text(report, "task") + " (" + text(report, "run_id") + ")";
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title)
       << "</title><style>" << kStyle << "</style></head><body><h1>" << esc(title) << "</h1>";
  html << "<table class=\"meta\">";
  for (const char* key : {"task", "kind", "decoding", "split", "split_by", "checkpoint", "created"})
    html << "<tr><th class=\"t\">" << key << "</th><td>" << esc(text(report, key)) << "</td></tr>";
  html << "<tr><th class=\"t\">examples</th><td>" << esc(text(report, "examples"))
       << "</td></tr></table>";
  // A baselines-only report (tinyllm eval --baselines-only) has no model.
  static const json kNoModel = json::object();
  const bool has_model = report.contains("model");
  const json& model = has_model ? report["model"] : kNoModel;
  if (has_model)
    html << "<p>Model: " << fmt("%.0f", num(model, "params")) << " parameters; prompt tokens mean "
         << fmt("%.0f", num(model["prompt_tokens"], "mean")) << ", p95 "
         << fmt("%.0f", num(model["prompt_tokens"], "p95")) << "; latency mean "
         << fmt("%.1f ms", num(model["latency_ms"], "mean")) << ", p95 "
         << fmt("%.1f ms", num(model["latency_ms"], "p95")) << ".</p>";
  if (has_model && text(report, "decoding") == "free")
    html << "<p>Free decoding: up to " << esc(text(report, "max_tokens"))
         << " tokens generated greedily per answer, scored with the paper's rule (right when the "
            "true label appears exactly once). No label: "
         << fmt("%.0f", num(model, "no_label"))
         << ", several labels: " << fmt("%.0f", num(model, "several_labels")) << ".</p>";
  else if (has_model && !position)
    html << "<p>Constrained decoding: the answer with the highest log-probability among the "
            "task's labels.</p>";
  if (position) {
    position_section(html, report["position"]);
  } else {
    html << "<h2>Model and baselines</h2>";
    metrics_table(html, report);
    std::vector<std::pair<std::string, std::pair<double, double>>> bars;
    if (has_model)
      bars.push_back({text(model, "name"), {num(model, "accuracy"), num(model, "macro_f1")}});
    for (const auto& b : report["baselines"])
      bars.push_back({text(b, "name"), {num(b, "accuracy"), num(b, "macro_f1")}});
    html << bar_chart(bars);
    std::vector<std::string> classes = report.value("classes", std::vector<std::string>());
    if (has_model) {
      html << "<h2>Confusion matrix (rows: true, columns: predicted)</h2>"
           << confusion_heatmap(classes, model["confusion"]) << "<h2>Per class</h2>";
      per_class_table(html, model);
    }
  }
  if (report.contains("folds") && report.contains("folds_summary")) folds_section(html, report);
  if (report.contains("runs")) runs_section(html, report["runs"]);
  mistakes_section(html, report.value("mistakes", json::array()), examples);
  html << "</body></html>\n";
  return html.str();
}

}  // namespace tinyllm::eval
