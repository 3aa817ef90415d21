#include "data/prepare.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "base/files.h"
#include "data/serialize.h"
#include "data/store.h"

namespace tinyllm::data {
namespace fs = std::filesystem;
using nlohmann::json;

Result<PrepareSettings> prepare_settings_from_json(const json& j) {
  PrepareSettings s;
  if (j.is_null()) return s;
  if (!j.is_object()) return make_error("prepare settings", "must be a JSON object");
  static const std::set<std::string> known = {
      "task",         "style",        "resample_hz", "window_s",  "stride_s",
      "min_window_s", "label_policy", "si_units",    "normalize", "decimals",
      "rssi_top_k",   "split",        "text_files"};
  for (const auto& [k, v] : j.items())
    if (!known.count(k))
      return make_error("prepare settings: field '" + k + "'", "unknown setting");
  try {
    s.task = j.value("task", s.task);
    s.style = j.value("style", s.style);
    s.resample_hz = j.value("resample_hz", s.resample_hz);
    s.window_s = j.value("window_s", s.window_s);
    s.stride_s = j.value("stride_s", s.stride_s);
    s.min_window_s = j.value("min_window_s", s.min_window_s);
    if (!label_policy_from_string(j.value("label_policy", to_string(s.label_policy)),
                                  s.label_policy))
      return make_error("prepare settings: field 'label_policy'",
                        "must be segments, majority or center");
    s.si_units = j.value("si_units", s.si_units);
    s.normalize = j.value("normalize", s.normalize);
    s.decimals = j.value("decimals", s.decimals);
    s.rssi_top_k = j.value("rssi_top_k", s.rssi_top_k);
    s.text_files = j.value("text_files", s.text_files);
    if (auto sp = j.find("split"); sp != j.end()) {
      s.split.train = sp->value("train", s.split.train);
      s.split.val = sp->value("val", s.split.val);
      s.split.test = sp->value("test", s.split.test);
      s.split.seed = sp->value("seed", s.split.seed);
      s.split.group_by = sp->value("group_by", s.split.group_by);
    }
  } catch (const json::exception& e) {
    return make_error("prepare settings", std::string("a field has the wrong type: ") + e.what());
  }
  auto bad = [](const char* field, const char* why) {
    return make_error(std::string("prepare settings: field '") + field + "'", why);
  };
  if (s.normalize != "none" && s.normalize != "zscore")
    return bad("normalize", "must be none or zscore");
  if (s.window_s <= 0) return bad("window_s", "must be positive");
  if (s.stride_s <= 0) return bad("stride_s", "must be positive");
  if (s.resample_hz < 0) return bad("resample_hz", "must be 0 (keep) or positive");
  if (s.split.train <= 0 || s.split.val < 0 || s.split.test < 0)
    return bad("split", "train must be positive, val and test zero or positive");
  if (s.split.group_by != "subject" && s.split.group_by != "series" && s.split.group_by != "row")
    return bad("split.group_by", "must be subject, series or row");
  if (s.decimals > 6) return bad("decimals", "at most 6");
  return s;
}

json to_json(const PrepareSettings& s) {
  return {{"task", s.task},
          {"style", s.style},
          {"resample_hz", s.resample_hz},
          {"window_s", s.window_s},
          {"stride_s", s.stride_s},
          {"min_window_s", s.min_window_s},
          {"label_policy", to_string(s.label_policy)},
          {"si_units", s.si_units},
          {"normalize", s.normalize},
          {"decimals", s.decimals},
          {"rssi_top_k", s.rssi_top_k},
          {"split",
           {{"train", s.split.train},
            {"val", s.split.val},
            {"test", s.split.test},
            {"seed", s.split.seed},
            {"group_by", s.split.group_by}}},
          {"text_files", s.text_files}};
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

}  // namespace

Result<PrepareResult> prepare_dataset(const PluginRegistry& registry,
                                      const std::vector<PrepareInput>& inputs,
                                      const PrepareSettings& settings, const fs::path& out_dir) {
  if (inputs.empty()) return make_error("prepare", "the project has no imported data yet");
  std::vector<SeriesStore> stores;
  for (const auto& in : inputs) {
    TINYLLM_TRY_ASSIGN(store, SeriesStore::open(in.store));
    stores.push_back(std::move(store));
  }
  const Schema& schema = stores[0].schema();
  const size_t nc = schema.channels.size(), nt = schema.targets.size();
  for (size_t i = 1; i < stores.size(); ++i) {
    const Schema& other = stores[i].schema();
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
  const bool imu = schema.kind == SensorKind::imu;

  // Classes: the union over sources, sorted so ids do not depend on import order.
  std::set<std::string> class_set;
  for (const auto& st : stores)
    class_set.insert(st.classes().begin(), st.classes().end());
  const std::vector<std::string> classes(class_set.begin(), class_set.end());
  std::vector<std::vector<int32_t>> class_map(stores.size());
  for (size_t i = 0; i < stores.size(); ++i)
    for (const auto& name : stores[i].classes())
      class_map[i].push_back(
          int32_t(std::lower_bound(classes.begin(), classes.end(), name) - classes.begin()));

  const std::string task_id = !settings.task.empty() ? settings.task : imu ? "gesture" : "zone";
  const TaskTemplate* task = registry.task_template(task_id);
  if (!task)
    return make_error("prepare settings: field 'task'", "no task template '" + task_id + "'");
  if (!task->supports(schema))
    return make_error(
        "prepare settings: field 'task'",
        "task '" + task_id + "' does not fit " + std::string(to_string(schema.kind)) + " data");
  auto styles = builtin_text_styles();
  const TextStyle* style = find_text_style(styles, settings.style);
  if (!style)
    return make_error("prepare settings: field 'style'", "no text style '" + settings.style + "'");

  // Rates.
  double source_hz = schema.sample_rate_hz;
  if (source_hz <= 0)
    source_hz = stores[0].meta().value("stats", json::object()).value("sample_rate_hz", 0.0);
  double rate_hz = settings.resample_hz > 0 ? settings.resample_hz : source_hz;
  if (imu && rate_hz <= 0)
    return make_error("source " + inputs[0].source_id,
                      "the sample rate is unknown (the data has no time column); set "
                      "\"sample_rate_hz\" in the import mapping or a resample rate");
  bool any_time = false;
  for (const auto& st : stores)
    for (const auto& s : st.series())
      any_time |= s.has_time;
  const bool resample_needed = imu && (settings.resample_hz > 0 || any_time);

  // Units and number format.
  const sensortext::ChannelFormat number_format =
      sensortext::channel_format(schema, settings.si_units, settings.normalize == "zscore",
                                 settings.decimals, settings.rssi_top_k);
  const TextFormat& format = number_format.format;
  const std::vector<double>& unit_scale = number_format.unit_factor;

  // Groups and splits.
  std::vector<SeriesRef> refs;
  std::set<std::string> subjects, sessions;
  for (size_t i = 0; i < stores.size(); ++i)
    for (size_t k = 0; k < stores[i].series().size(); ++k) {
      refs.push_back({i, k});
      const auto& info = stores[i].series()[k];
      if (!info.subject.empty()) subjects.insert(info.subject);
      if (!info.session.empty()) sessions.insert(inputs[i].source_id + "/" + info.session);
    }
  const Grouping grouping = choose_grouping(settings.split, imu, subjects.size(), sessions.size());
  const std::string& group_by = grouping.group_by;
  const std::string& split_note = grouping.note;
  std::map<std::string, size_t> group_index;
  std::vector<GroupInfo> groups;
  std::vector<size_t> ref_group(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    const auto& ref_info = stores[refs[i].store].series()[refs[i].series];
    std::string key = group_key(group_by, inputs[refs[i].store].source_id, ref_info.id,
                                ref_info.subject, ref_info.session);
    auto [it, fresh] = group_index.emplace(key, groups.size());
    if (fresh) groups.push_back({key, {}, 0});
    GroupInfo& g = groups[it->second];
    const auto& info = stores[refs[i].store].series()[refs[i].series];
    for (auto [local, n] : info.label_counts)
      g.class_counts[class_map[refs[i].store][size_t(local)]] += n;
    g.rows += info.rows;
    ref_group[i] = it->second;
  }
  const std::vector<Split> group_split = assign_splits(groups, settings.split);

  auto load = [&](const SeriesRef& r) -> Result<Series> {
    TINYLLM_TRY_ASSIGN(s, stores[r.store].read(r.series));
    for (auto& l : s.labels)
      if (l != kNoLabel) l = class_map[r.store][size_t(l)];
    sensortext::convert_units(s.values, unit_scale);
    if (resample_needed) return resample(s, nc, nt, source_hz, rate_hz);
    return s;
  };
  auto row_split = [&](size_t ref, const Series& s, size_t row) {
    if (group_by == "row")
      return split_for_row(settings.split.seed, inputs[refs[ref].store].source_id + "/" + s.id, row,
                           settings.split);
    return group_split[ref_group[ref]];
  };

  // Pass A: statistics from the training split only (normalization, position origin).
  std::vector<double> mean(nc, 0), m2(nc, 0);
  std::vector<uint64_t> count(nc, 0);
  std::vector<double> origin(nt, std::numeric_limits<double>::infinity());
  const bool need_pass_a = format.normalized || nt > 0;
  if (need_pass_a) {
    for (size_t i = 0; i < refs.size(); ++i) {
      TINYLLM_TRY_ASSIGN(s, load(refs[i]));
      for (size_t r = 0; r < s.rows(); ++r) {
        if (row_split(i, s, r) != Split::train) continue;
        for (size_t c = 0; c < nc; ++c) {
          double v = s.values[r * nc + c];
          if (std::isnan(v)) continue;
          double d = v - mean[c];
          mean[c] += d / double(++count[c]);
          m2[c] += d * (v - mean[c]);
        }
        for (size_t k = 0; k < nt; ++k)
          origin[k] = std::min(origin[k], double(s.targets[r * nt + k]));
      }
    }
  }
  std::vector<double> stdev(nc, 1.0);
  for (size_t c = 0; c < nc; ++c)
    if (count[c] > 1) stdev[c] = std::max(1e-6, std::sqrt(m2[c] / double(count[c] - 1)));
  for (auto& o : origin)
    if (!std::isfinite(o)) o = 0;

  // Pass B: windows -> text.
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  const char* task_names[3] = {"task_train.jsonl", "task_val.jsonl", "task_test.jsonl"};
  std::vector<AtomicFile> task_files, doc_files;
  for (int s = 0; s < 3; ++s) {
    TINYLLM_TRY_ASSIGN(f, AtomicFile::create(out_dir / task_names[s]));
    task_files.push_back(std::move(f));
  }
  for (const char* name : {"pretrain_train.jsonl", "pretrain_val.jsonl"}) {
    TINYLLM_TRY_ASSIGN(f, AtomicFile::create(out_dir / name));
    doc_files.push_back(std::move(f));
  }
  const std::string instruction = task->instruction(schema, classes, format, rate_hz);
  SplitOutput out[3];
  SplitAudit audit(settings.split);
  PrepareResult result;
  const size_t win_rows = std::max<size_t>(1, size_t(std::lround(settings.window_s * rate_hz)));
  const size_t stride_rows = std::max<size_t>(1, size_t(std::lround(settings.stride_s * rate_hz)));
  const size_t min_rows = std::max<size_t>(1, size_t(std::lround(settings.min_window_s * rate_hz)));
  std::vector<float> buffer;

  for (size_t i = 0; i < refs.size(); ++i) {
    TINYLLM_TRY_ASSIGN(s, load(refs[i]));
    if (format.normalized) sensortext::to_zscores(s.values, mean, stdev);
    std::vector<WindowSpan> spans;
    if (imu) {
      spans = make_windows(s.labels, win_rows, stride_rows, min_rows, settings.label_policy);
    } else {
      for (size_t r = 0; r < s.rows(); ++r)
        spans.push_back({r, 1, s.labels[r]});
    }
    for (const auto& span : spans) {
      const Split split = row_split(i, s, span.start);
      const int si = int(split);
      Window w;
      w.schema = &schema;
      w.series_id = s.id;
      w.subject = s.subject;
      w.start_row = span.start;
      w.rows = span.rows;
      w.values = s.values.data() + span.start * nc;
      w.rate_hz = rate_hz;
      w.label = span.label;
      if (span.label != kNoLabel) w.label_text = classes[size_t(span.label)];
      w.target.assign(nt, 0.0f);
      for (size_t r = span.start; r < span.start + span.rows; ++r)
        for (size_t k = 0; k < nt; ++k)
          w.target[k] += s.targets[r * nt + k] / float(span.rows);
      for (size_t k = 0; k < nt; ++k)
        w.target[k] -= float(origin[k]);

      const std::string input = style->write(w, format);
      const std::string subject = s.subject;
      SplitOutput& so = out[si];
      if (!subject.empty()) so.subjects.insert(subject);
      if (split != Split::test) {
        std::string doc = pretrain_document(w, format, *style);
        if (result.first_document.empty() && split == Split::train) result.first_document = doc;
        json line = {
            {"text", doc}, {"split", kSplitNames[si]}, {"series", s.id}, {"subject", subject}};
        TINYLLM_TRY(doc_files[size_t(si)].write(line.dump() + "\n"));
        ++so.documents;
        so.document_chars.push_back(double(doc.size()));
      }
      auto answer = task->response(w, format);
      if (!answer) continue;
      audit.add(split, w.label_text, input);
      const prompt::Example ex = prompt::build_example(instruction, input, *answer);
      if (result.first_task_example.empty() && split == Split::train)
        result.first_task_example = prompt::full_text(ex);
      json line = {{"prompt", ex.prompt},      {"response", ex.response}, {"label", w.label_text},
                   {"split", kSplitNames[si]}, {"series", s.id},          {"subject", subject},
                   {"start", span.start},      {"rows", span.rows}};
      if (nt) line["target"] = w.target;
      TINYLLM_TRY(task_files[size_t(si)].write(line.dump() + "\n"));
      ++so.examples;
      ++so.per_class[w.label_text.empty() ? "(position)" : w.label_text];
      so.prompt_chars.push_back(double(ex.prompt.size()));
      so.example_chars.push_back(double(ex.prompt.size() + ex.response.size()));
    }
  }
  // Extra plain text for pre-training: paragraphs become documents.
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
      TINYLLM_TRY(doc_files[0].write(line.dump() + "\n"));
      ++out[0].documents;
      out[0].document_chars.push_back(double(para.size()));
    }
  }
  if (out[0].examples == 0)
    return make_error("prepare",
                      "no training examples came out: check the labels, the window "
                      "length (" +
                          std::to_string(settings.window_s) + " s) and the split");

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
  for (size_t g = 0; g < groups.size(); ++g)
    group_splits[groups[g].key] = kSplitNames[int(group_split[g])];
  std::vector<std::string> split_warnings = audit.warnings();
  if (!split_note.empty() && group_by != settings.split.group_by)
    split_warnings.insert(split_warnings.begin(), split_note);
  json norm = json::array();
  for (size_t c = 0; c < nc && format.normalized; ++c)
    norm.push_back({{"channel", schema.channels[c].name}, {"mean", mean[c]}, {"std", stdev[c]}});
  json sources = json::array();
  for (const auto& in : inputs)
    sources.push_back(in.source_id);
  result.summary = {{"settings", to_json(settings)},
                    {"task", task_id},
                    {"kind", to_string(schema.kind)},
                    {"sources", sources},
                    {"classes", classes},
                    {"instruction", instruction},
                    {"rate_hz", imu ? rate_hz : 0.0},
                    {"window_rows", imu ? win_rows : 1},
                    {"units", format.units},
                    {"decimals", format.decimals},
                    {"split_by", group_by},
                    {"split_note", split_note},
                    {"warnings", split_warnings},
                    {"group_splits", group_splits},
                    {"normalization", norm},
                    {"target_origin", origin},
                    {"splits", splits}};
  for (auto& f : task_files)
    TINYLLM_TRY(f.commit());
  for (auto& f : doc_files)
    TINYLLM_TRY(f.commit());
  TINYLLM_TRY(write_file_atomic(out_dir / "prepared.json", result.summary.dump(2) + "\n"));
  return result;
}

}  // namespace tinyllm::data
