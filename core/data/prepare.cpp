#include "data/prepare.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/binary.h"
#include "base/files.h"
#include "data/serialize.h"
#include "data/store.h"
#include "data/windows_file.h"
#include "settings/settings.h"

namespace tinyllm::data {
namespace fs = std::filesystem;
using nlohmann::json;

settings::Table settings_table(PrepareSettings& s) {
  using settings::Range;
  settings::Table t("prepare setting");
  t.text("task", s.task, {},
         "task template id (tinyllm plugins lists them); empty: gesture (IMU) or zone (RSSI)");
  t.text("style", s.style, {}, "text style id: how a window is written as text");
  t.number("resample_hz", s.resample_hz,
           Range::between(1, 1000).or_value(0, "keep the source rate"),
           "resample IMU series to this rate");
  t.number("window_s", s.window_s, Range::between(0.01, 3600), "window length in seconds (IMU)");
  t.number("stride_s", s.stride_s, Range::between(0.001, 3600),
           "step between window starts in seconds (IMU)");
  t.number("min_window_s", s.min_window_s, Range::between(0, 3600),
           "labelled runs shorter than this are dropped (IMU)");
  settings::Setting policy;
  policy.name = "label_policy";
  policy.type = settings::Type::text;
  policy.choices = {"segments", "majority", "center"};
  policy.help =
      "segments: window each labelled run; majority/center: slide over the whole series and take "
      "the most common / the middle row's label";
  policy.get = [&s] { return json(to_string(s.label_policy)); };
  policy.set = [&s](const json& v) {
    label_policy_from_string(v.get<std::string>(), s.label_policy);
  };
  t.add(std::move(policy));
  t.flag("si_units", s.si_units, "convert g, mg, deg/s to m/s^2 and rad/s");
  t.text("normalize", s.normalize, {"none", "zscore"},
         "zscore: per channel, with training-split statistics (IMU)");
  t.integer("decimals", s.decimals, Range::between(0, 6).or_value(-1, "chosen per unit"),
            "digits after the point");
  t.integer("rssi_top_k", s.rssi_top_k, Range::between(1, 1024),
            "strongest access points per fingerprint (RSSI)");
  t.integer("levels", s.levels, Range::between(2, sensortext::kMaxLevels),
            "letters on the scale of the levels style (a, b, ...)");
  t.number("level_span", s.level_span, Range::between(0.5, 10),
           "the levels scale spans +- this many standard deviations (training split)");
  t.number("split.train", s.split.train, Range::between(0.01, 1), "share of groups for training");
  t.number("split.val", s.split.val, Range::between(0, 0.99), "share of groups for validation");
  t.number("split.test", s.split.test, Range::between(0, 0.99), "share of groups for test");
  t.integer("split.seed", s.split.seed, Range::between(0, 18446744073709551615.0),
            "the split is a function of the seed");
  t.text("split.group_by", s.split.group_by, {"subject", "series", "row"},
         "what stays together on one side of the split");
  t.text_list("test_sources", s.test_sources,
              "sources (ids) held out whole as the test set, e.g. a separate validation file");
  t.text_list("text_files", s.text_files,
              "plain-text files added to the pre-training corpus (train)");
  return t;
}

Status check_split_fractions(const SplitSettings& split) {
  const double sum = split.train + split.val + split.test;
  if (std::fabs(sum - 1.0) > 1e-6)
    return make_error("prepare settings: split",
                      "split.train " + settings::format_number(split.train) + " + split.val " +
                          settings::format_number(split.val) + " + split.test " +
                          settings::format_number(split.test) + " = " +
                          settings::format_number(sum) + "; the fractions must add up to 1");
  return {};
}

Result<PrepareSettings> prepare_settings_from_json(const json& j) {
  PrepareSettings s;
  if (j.is_null()) return s;
  auto table = settings_table(s);
  TINYLLM_TRY(table.apply_json(j, "prepare settings"));
  TINYLLM_TRY(check_split_fractions(s.split));
  return s;
}

Status apply_prepare_override(PrepareSettings& s, const std::string& assignment) {
  auto table = settings_table(s);
  if (auto st = table.apply_assignment(assignment); !st)
    return make_error("--set " + st.error().where, st.error().message);
  return {};
}

json to_json(const PrepareSettings& s) {
  PrepareSettings copy = s;  // the table binds mutable fields
  return settings_table(copy).to_json();
}

LengthStats length_stats(std::vector<double> v) {
  LengthStats st;
  st.count = v.size();
  if (v.empty()) return st;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v)
    sum += x;
  st.mean = sum / double(v.size());
  auto pct = [&](double p) {
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
  };
  st.p50 = pct(0.5);
  st.p95 = pct(0.95);
  st.max = v.back();
  return st;
}

json to_json(const LengthStats& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"p50", s.p50}, {"p95", s.p95}, {"max", s.max}};
}

namespace {

struct SplitOutput {
  uint64_t examples = 0, documents = 0;
  std::map<std::string, uint64_t> per_class;
  std::set<std::string> subjects;
  std::vector<double> prompt_chars, example_chars, document_chars;
};

struct SeriesRef {
  size_t store = 0, series = 0;
};

// Past this the output is surely a mistake (a rate or stride off by orders of magnitude).
constexpr double kMaxOutputBytes = 4e9;

// Planning: the sources, their classes, the task and style, rates, units and number format,
// groups and their splits. Everything the later passes read, decided before any of them runs.
struct Plan {
  std::vector<SeriesStore> stores;
  std::vector<bool> test_source;  // per store: held out whole as the test set
  size_t nc = 0, nt = 0;
  bool imu = false;
  std::vector<std::string> classes;             // union over sources, sorted
  std::vector<std::vector<int32_t>> class_map;  // per store: local id -> class id
  std::string task_id;
  const TaskTemplate* task = nullptr;
  std::vector<std::unique_ptr<TextStyle>> styles;  // owns `style`
  const TextStyle* style = nullptr;
  double source_hz = 0, rate_hz = 0;
  bool resample_needed = false;
  TextFormat format;
  std::vector<double> unit_scale;
  size_t win_rows = 1, stride_rows = 1, min_rows = 1;
  // groups and splits
  std::vector<SeriesRef> refs;
  std::string group_by, split_note;
  std::vector<GroupInfo> groups;
  std::vector<size_t> ref_group;  // per ref
  std::vector<Split> group_split;

  const Schema& schema() const { return stores[0].schema(); }
};

Result<Plan> plan_sources(const PluginRegistry& registry, const std::vector<PrepareInput>& inputs,
                          const PrepareSettings& settings) {
  Plan plan;
  for (const auto& in : inputs) {
    TINYLLM_TRY_ASSIGN(store, SeriesStore::open(in.store));
    plan.stores.push_back(std::move(store));
  }
  for (const auto& id : settings.test_sources)
    if (std::none_of(inputs.begin(), inputs.end(),
                     [&](const PrepareInput& in) { return in.source_id == id; }))
      return make_error("prepare settings: test_sources", "the project has no source '" + id + "'");
  for (const auto& in : inputs)
    plan.test_source.push_back(std::find(settings.test_sources.begin(), settings.test_sources.end(),
                                         in.source_id) != settings.test_sources.end());
  if (!plan.test_source.empty() &&
      std::all_of(plan.test_source.begin(), plan.test_source.end(), [](bool t) { return t; }))
    return make_error("prepare settings: test_sources",
                      "every source is held out as test: nothing is left to train on");
  const Schema& schema = plan.schema();
  const size_t nc = plan.nc = schema.channels.size(), nt = plan.nt = schema.targets.size();
  for (size_t i = 1; i < plan.stores.size(); ++i) {
    const Schema& other = plan.stores[i].schema();
    bool same =
        other.kind == schema.kind && other.channels.size() == nc && other.targets.size() == nt;
    for (size_t c = 0; same && c < nc; ++c)
      same = other.channels[c].name == schema.channels[c].name &&
             other.channels[c].unit == schema.channels[c].unit;
    if (!same)
      return make_error("source " + inputs[i].source_id,
                        "its channels differ from source " + inputs[0].source_id +
                            "; a prepared dataset needs one set of channels");
  }
  plan.imu = schema.kind == SensorKind::imu;

  // Classes: the union over sources, sorted so ids do not depend on import order.
  std::set<std::string> class_set;
  for (const auto& st : plan.stores)
    class_set.insert(st.classes().begin(), st.classes().end());
  plan.classes.assign(class_set.begin(), class_set.end());
  plan.class_map.resize(plan.stores.size());
  for (size_t i = 0; i < plan.stores.size(); ++i)
    for (const auto& name : plan.stores[i].classes())
      plan.class_map[i].push_back(int32_t(
          std::lower_bound(plan.classes.begin(), plan.classes.end(), name) - plan.classes.begin()));

  plan.task_id = !settings.task.empty() ? settings.task : plan.imu ? "gesture" : "zone";
  plan.task = registry.task_template(plan.task_id);
  if (!plan.task)
    return make_error("prepare settings: task", "no task template '" + plan.task_id + "'");
  if (!plan.task->supports(schema))
    return make_error("prepare settings: task", "task '" + plan.task_id + "' does not fit " +
                                                    std::string(to_string(schema.kind)) + " data");
  plan.styles = builtin_text_styles();
  plan.style = find_text_style(plan.styles, settings.style);
  if (!plan.style)
    return make_error("prepare settings: style", "no text style '" + settings.style + "'");

  // Rates.
  plan.source_hz = schema.sample_rate_hz;
  if (plan.source_hz <= 0)
    plan.source_hz =
        plan.stores[0].meta().value("stats", json::object()).value("sample_rate_hz", 0.0);
  plan.rate_hz = settings.resample_hz > 0 ? settings.resample_hz : plan.source_hz;
  if (plan.imu && plan.rate_hz <= 0)
    return make_error("source " + inputs[0].source_id,
                      "the sample rate is unknown (the data has no time column); set "
                      "\"sample_rate_hz\" in the import mapping or a resample rate");
  bool any_time = false;
  for (const auto& st : plan.stores)
    for (const auto& s : st.series())
      any_time |= s.has_time;
  plan.resample_needed = plan.imu && (settings.resample_hz > 0 || any_time);
  plan.win_rows = std::max<size_t>(1, size_t(std::lround(settings.window_s * plan.rate_hz)));
  plan.stride_rows = std::max<size_t>(1, size_t(std::lround(settings.stride_s * plan.rate_hz)));
  plan.min_rows = std::max<size_t>(1, size_t(std::lround(settings.min_window_s * plan.rate_hz)));

  // Units and number format.
  sensortext::ChannelFormat number_format =
      sensortext::channel_format(schema, settings.si_units, settings.normalize == "zscore",
                                 settings.decimals, settings.rssi_top_k);
  plan.format = std::move(number_format.format);
  plan.unit_scale = std::move(number_format.unit_factor);
  return plan;
}

// Groups (a person, or a recording when people are unknown) and the split of each.
void plan_splits(Plan& plan, const std::vector<PrepareInput>& inputs,
                 const PrepareSettings& settings) {
  std::set<std::string> subjects, sessions;
  for (size_t i = 0; i < plan.stores.size(); ++i)
    for (size_t k = 0; k < plan.stores[i].series().size(); ++k) {
      plan.refs.push_back({i, k});
      const auto& info = plan.stores[i].series()[k];
      if (!info.subject.empty()) subjects.insert(info.subject);
      if (!info.session.empty()) sessions.insert(inputs[i].source_id + "/" + info.session);
    }
  const Grouping grouping =
      choose_grouping(settings.split, plan.imu, subjects.size(), sessions.size());
  plan.group_by = grouping.group_by;
  plan.split_note = grouping.note;
  std::map<std::string, size_t> group_index;
  plan.ref_group.resize(plan.refs.size());
  for (size_t i = 0; i < plan.refs.size(); ++i) {
    if (plan.test_source[plan.refs[i].store]) continue;  // all test (row_split), in no group
    const auto& ref_info = plan.stores[plan.refs[i].store].series()[plan.refs[i].series];
    std::string key = group_key(plan.group_by, inputs[plan.refs[i].store].source_id, ref_info.id,
                                ref_info.subject, ref_info.session);
    auto [it, fresh] = group_index.emplace(key, plan.groups.size());
    if (fresh) plan.groups.push_back({key, {}, 0});
    GroupInfo& g = plan.groups[it->second];
    const auto& info = plan.stores[plan.refs[i].store].series()[plan.refs[i].series];
    for (auto [local, n] : info.label_counts)
      g.class_counts[plan.class_map[plan.refs[i].store][size_t(local)]] += n;
    g.rows += info.rows;
    plan.ref_group[i] = it->second;
  }
  plan.group_split = assign_splits(plan.groups, settings.split);
}

// Refuses an output that would be absurdly large, before anything is read or written: windows
// times characters per window, from the series' row counts.
Status check_output_estimate(const Plan& plan, const PrepareSettings& settings) {
  double windows = 0, chars_per_window = 0;
  const double digits =
      plan.format.decimals.empty()
          ? 1
          : *std::max_element(plan.format.decimals.begin(), plan.format.decimals.end());
  if (plan.imu) {
    const double scale =
        plan.resample_needed && plan.source_hz > 0 ? plan.rate_hz / plan.source_hz : 1.0;
    for (const auto& st : plan.stores)
      for (const auto& s : st.series()) {
        const double rows = double(s.rows) * scale;
        if (rows >= double(plan.min_rows))
          windows += std::max(
              1.0, std::floor((rows - double(plan.win_rows)) / double(plan.stride_rows)) + 1);
      }
    chars_per_window = double(plan.win_rows) * double(plan.nc) * (digits + 4);
  } else {
    for (const auto& st : plan.stores)
      for (const auto& s : st.series())
        windows += double(s.rows);
    chars_per_window = double(std::min<size_t>(plan.nc, size_t(settings.rssi_top_k))) * 12;
  }
  // Each window is written as a pre-training document and as a task example.
  const double bytes = 2 * windows * chars_per_window;
  if (bytes > kMaxOutputBytes) {
    char text[256];
    std::snprintf(text, sizeof text,
                  "the prepared text would be about %.1f GB (%.0f windows x ~%.0f characters, "
                  "twice); the limit is %.0f GB: lower resample_hz or window_s, or raise stride_s",
                  bytes / 1e9, windows, chars_per_window, kMaxOutputBytes / 1e9);
    return make_error("prepare settings", text);
  }
  return {};
}

// One series as the text passes see it: class ids of the union, units converted, resampled.
Result<Series> load_series(const Plan& plan, const SeriesRef& r) {
  TINYLLM_TRY_ASSIGN(s, plan.stores[r.store].read(r.series));
  for (auto& l : s.labels)
    if (l != kNoLabel) l = plan.class_map[r.store][size_t(l)];
  sensortext::convert_units(s.values, plan.unit_scale);
  if (plan.resample_needed) return resample(s, plan.nc, plan.nt, plan.source_hz, plan.rate_hz);
  return s;
}

Split row_split(const Plan& plan, const std::vector<PrepareInput>& inputs,
                const SplitSettings& split, size_t ref, const Series& s, size_t row) {
  if (plan.test_source[plan.refs[ref].store]) return Split::test;
  if (plan.group_by == "row")
    return split_for_row(split.seed, inputs[plan.refs[ref].store].source_id + "/" + s.id, row,
                         split);
  return plan.group_split[plan.ref_group[ref]];
}

// Statistics from the training split only: normalization and the position origin.
struct Statistics {
  std::vector<double> mean, stdev, origin;
  std::vector<double> level_center, level_spread;  // the levels style's scale, per channel
};

Result<Statistics> training_statistics(const Plan& plan, const std::vector<PrepareInput>& inputs,
                                       const PrepareSettings& settings) {
  const size_t nc = plan.nc, nt = plan.nt;
  Statistics st;
  st.mean.assign(nc, 0);
  std::vector<double> m2(nc, 0);
  std::vector<uint64_t> count(nc, 0);
  st.origin.assign(nt, std::numeric_limits<double>::infinity());
  const bool levels = plan.style->id().rfind("levels", 0) == 0;
  double pooled_mean = 0, pooled_m2 = 0;
  uint64_t pooled_count = 0;
  if (plan.format.normalized || nt > 0 || levels) {
    for (size_t i = 0; i < plan.refs.size(); ++i) {
      TINYLLM_TRY_ASSIGN(s, load_series(plan, plan.refs[i]));
      for (size_t r = 0; r < s.rows(); ++r) {
        if (row_split(plan, inputs, settings.split, i, s, r) != Split::train) continue;
        for (size_t c = 0; c < nc; ++c) {
          double v = s.values[r * nc + c];
          if (std::isnan(v)) continue;
          double d = v - st.mean[c];
          st.mean[c] += d / double(++count[c]);
          m2[c] += d * (v - st.mean[c]);
          double pd = v - pooled_mean;
          pooled_mean += pd / double(++pooled_count);
          pooled_m2 += pd * (v - pooled_mean);
        }
        for (size_t k = 0; k < nt; ++k)
          st.origin[k] = std::min(st.origin[k], double(s.targets[r * nt + k]));
      }
    }
  }
  st.stdev.assign(nc, 1.0);
  for (size_t c = 0; c < nc; ++c)
    if (count[c] > 1) st.stdev[c] = std::max(1e-6, std::sqrt(m2[c] / double(count[c] - 1)));
  for (auto& o : st.origin)
    if (!std::isfinite(o)) o = 0;
  if (levels) {
    // IMU: each channel its own scale (z-scored channels are already centred and scaled). RSSI:
    // one scale for every access point, since most are heard too rarely to have their own.
    std::vector<double> center = st.mean, spread = st.stdev;
    if (plan.format.normalized) {
      center.assign(nc, 0.0);
      spread.assign(nc, 1.0);
    } else if (!plan.imu) {
      const double sd = pooled_count > 1 ? std::sqrt(pooled_m2 / double(pooled_count - 1)) : 1.0;
      center.assign(nc, pooled_mean);
      spread.assign(nc, std::max(1e-6, sd));
    }
    st.level_center = std::move(center);
    st.level_spread = std::move(spread);
  }
  return st;
}

// The output files, written atomically and committed together at the end.
struct OutputFiles {
  std::vector<AtomicFile> tasks;       // train, val, test
  std::vector<AtomicFile> documents;   // train, val
  data::WindowsFileWriter windows[3];  // beside each task file
};

Result<OutputFiles> create_output_files(const fs::path& out_dir) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  OutputFiles files;
  for (const char* name : {"task_train.jsonl", "task_val.jsonl", "task_test.jsonl"}) {
    TINYLLM_TRY_ASSIGN(f, AtomicFile::create(out_dir / name));
    files.tasks.push_back(std::move(f));
  }
  for (const char* name : {"pretrain_train.jsonl", "pretrain_val.jsonl"}) {
    TINYLLM_TRY_ASSIGN(f, AtomicFile::create(out_dir / name));
    files.documents.push_back(std::move(f));
  }
  return files;
}

// Windowing: every series cut into windows, each written as a document (train/val) and a task
// example. Test windows never enter the pre-training corpus.
Status write_windows(const Plan& plan, const Statistics& st,
                     const std::vector<PrepareInput>& inputs, const PrepareSettings& settings,
                     const std::string& instruction, OutputFiles& files, SplitOutput (&out)[3],
                     SplitAudit& audit, PrepareResult& result) {
  const Schema& schema = plan.schema();
  const size_t nc = plan.nc, nt = plan.nt;
  for (size_t i = 0; i < plan.refs.size(); ++i) {
    TINYLLM_TRY_ASSIGN(s, load_series(plan, plan.refs[i]));
    if (plan.format.normalized) sensortext::to_zscores(s.values, st.mean, st.stdev);
    std::vector<WindowSpan> spans;
    if (plan.imu) {
      spans = make_windows(s.labels, plan.win_rows, plan.stride_rows, plan.min_rows,
                           settings.label_policy);
    } else {
      for (size_t r = 0; r < s.rows(); ++r)
        spans.push_back({r, 1, s.labels[r]});
    }
    for (const auto& span : spans) {
      const Split split = row_split(plan, inputs, settings.split, i, s, span.start);
      const int si = int(split);
      Window w;
      w.schema = &schema;
      w.series_id = s.id;
      w.subject = s.subject;
      w.start_row = span.start;
      w.rows = span.rows;
      w.values = s.values.data() + span.start * nc;
      w.rate_hz = plan.rate_hz;
      w.label = span.label;
      if (span.label != kNoLabel) w.label_text = plan.classes[size_t(span.label)];
      w.target.assign(nt, 0.0f);
      for (size_t r = span.start; r < span.start + span.rows; ++r)
        for (size_t k = 0; k < nt; ++k)
          w.target[k] += s.targets[r * nt + k] / float(span.rows);
      for (size_t k = 0; k < nt; ++k)
        w.target[k] -= float(st.origin[k]);

      const std::string input = plan.style->write(w, plan.format);
      const std::string subject = s.subject;
      SplitOutput& so = out[si];
      if (!subject.empty()) so.subjects.insert(subject);
      if (split != Split::test) {
        std::string doc = pretrain_document(w, plan.format, *plan.style);
        if (result.first_document.empty() && split == Split::train) result.first_document = doc;
        json line = {
            {"text", doc}, {"split", kSplitNames[si]}, {"series", s.id}, {"subject", subject}};
        TINYLLM_TRY(files.documents[size_t(si)].write(line.dump() + "\n"));
        ++so.documents;
        so.document_chars.push_back(double(doc.size()));
      }
      auto answer = plan.task->response(w, plan.format);
      if (!answer) continue;
      audit.add(split, w.label_text, input);
      const prompt::Example ex = prompt::build_example(instruction, input, *answer);
      if (result.first_task_example.empty() && split == Split::train)
        result.first_task_example = prompt::full_text(ex);
      json line = {{"prompt", ex.prompt},      {"response", ex.response}, {"label", w.label_text},
                   {"split", kSplitNames[si]}, {"series", s.id},          {"subject", subject},
                   {"start", span.start},      {"rows", span.rows}};
      if (nt) line["target"] = w.target;
      TINYLLM_TRY(files.tasks[size_t(si)].write(line.dump() + "\n"));
      files.windows[si].add(w.values, uint32_t(w.rows));
      ++so.examples;
      ++so.per_class[w.label_text.empty() ? "(position)" : w.label_text];
      so.prompt_chars.push_back(double(ex.prompt.size()));
      so.example_chars.push_back(double(ex.prompt.size() + ex.response.size()));
    }
  }
  return {};
}

// Extra plain text for pre-training: paragraphs become documents.
Status write_text_files(const PrepareSettings& settings, AtomicFile& train_documents,
                        SplitOutput& train) {
  for (const auto& path : settings.text_files) {
    TINYLLM_TRY_ASSIGN(text, read_file(path));
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find("\n\n", start);
      if (end == std::string::npos) end = text.size();
      std::string para = text.substr(start, end - start);
      start = end + 2;
      if (para.find_first_not_of(" \n\t\r") == std::string::npos) continue;
      json line = {
          {"text", para}, {"split", "train"}, {"series", fs::path(path).filename().string()}};
      TINYLLM_TRY(train_documents.write(line.dump() + "\n"));
      ++train.documents;
      train.document_chars.push_back(double(para.size()));
    }
  }
  return {};
}

std::vector<std::string> channel_names(const Schema& schema) {
  std::vector<std::string> names;
  for (const auto& c : schema.channels)
    names.push_back(c.name);
  return names;
}

// What prepared.json holds.
json summarize(const Plan& plan, const Statistics& st, const std::vector<PrepareInput>& inputs,
               const PrepareSettings& settings, const std::string& instruction,
               const SplitOutput (&out)[3], const SplitAudit& audit) {
  json splits = json::object();
  for (int s = 0; s < 3; ++s) {
    splits[kSplitNames[s]] = {
        {"examples", out[s].examples},
        {"documents", out[s].documents},
        {"per_class", out[s].per_class},
        {"subjects", std::vector<std::string>(out[s].subjects.begin(), out[s].subjects.end())},
        {"prompt_chars", to_json(length_stats(out[s].prompt_chars))},
        {"example_chars", to_json(length_stats(out[s].example_chars))},
        {"document_chars", to_json(length_stats(out[s].document_chars))}};
  }
  json group_splits = json::object();
  for (size_t g = 0; g < plan.groups.size(); ++g)
    group_splits[plan.groups[g].key] = kSplitNames[int(plan.group_split[g])];
  std::vector<std::string> split_warnings = audit.warnings();
  if (!plan.split_note.empty() && plan.group_by != settings.split.group_by)
    split_warnings.insert(split_warnings.begin(), plan.split_note);
  json norm = json::array();
  for (size_t c = 0; c < plan.nc && plan.format.normalized; ++c)
    norm.push_back(
        {{"channel", plan.schema().channels[c].name}, {"mean", st.mean[c]}, {"std", st.stdev[c]}});
  json sources = json::array();
  for (const auto& in : inputs)
    sources.push_back(in.source_id);
  return {{"settings", to_json(settings)},
          {"task", plan.task_id},
          {"kind", to_string(plan.schema().kind)},
          {"sources", sources},
          {"classes", plan.classes},
          {"instruction", instruction},
          {"rate_hz", plan.imu ? plan.rate_hz : 0.0},
          {"window_rows", plan.imu ? plan.win_rows : 1},
          {"channels", channel_names(plan.schema())},
          {"units", plan.format.units},
          {"decimals", plan.format.decimals},
          {"split_by", plan.group_by},
          {"split_note", plan.split_note},
          {"warnings", split_warnings},
          {"group_splits", group_splits},
          {"normalization", norm},
          {"levels", plan.format.levels > 0 ? json{{"count", plan.format.levels},
                                                   {"center", plan.format.level_center},
                                                   {"step", plan.format.level_step}}
                                            : json()},
          {"target_origin", st.origin},
          {"splits", splits}};
}

}  // namespace

Result<PrepareResult> prepare_dataset(const PluginRegistry& registry,
                                      const std::vector<PrepareInput>& inputs,
                                      const PrepareSettings& settings, const fs::path& out_dir) {
  if (inputs.empty()) return make_error("prepare", "the project has no imported data yet");
  {
    PrepareSettings checked = settings;  // settings made in code get the same range checks
    TINYLLM_TRY(settings_table(checked).check());
    TINYLLM_TRY(check_split_fractions(settings.split));
  }
  TINYLLM_TRY_ASSIGN(plan, plan_sources(registry, inputs, settings));
  plan_splits(plan, inputs, settings);
  TINYLLM_TRY(check_output_estimate(plan, settings));
  TINYLLM_TRY_ASSIGN(stats, training_statistics(plan, inputs, settings));
  if (!stats.level_center.empty())
    sensortext::set_levels(plan.format, settings.levels, settings.level_span, stats.level_center,
                           stats.level_spread);

  TINYLLM_TRY_ASSIGN(files, create_output_files(out_dir));
  for (auto& w : files.windows)
    w.set_channels(uint32_t(plan.nc));
  const std::string instruction =
      plan.task->instruction(plan.schema(), plan.classes, plan.format, plan.rate_hz);
  SplitOutput out[3];
  SplitAudit audit(settings.split);
  PrepareResult result;
  TINYLLM_TRY(write_windows(plan, stats, inputs, settings, instruction, files, out, audit, result));
  TINYLLM_TRY(write_text_files(settings, files.documents[0], out[0]));
  if (out[0].examples == 0)
    return make_error("prepare",
                      "no training examples came out: check the labels, the window "
                      "length (" +
                          std::to_string(settings.window_s) + " s) and the split");

  result.summary = summarize(plan, stats, inputs, settings, instruction, out, audit);
  for (int si = 0; si < 3; ++si)
    TINYLLM_TRY(files.windows[si].write(out_dir /
                                        (std::string("task_") + kSplitNames[si] + ".windows.bin")));
  for (auto& f : files.tasks)
    TINYLLM_TRY(f.commit());
  for (auto& f : files.documents)
    TINYLLM_TRY(f.commit());
  TINYLLM_TRY(write_file_atomic(out_dir / "prepared.json", result.summary.dump(2) + "\n"));
  return result;
}

}  // namespace tinyllm::data
