#include "data/import.h"

#include <algorithm>
#include <set>

#include "base/files.h"
#include "data/store.h"

namespace tinyllm::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool same_schema(const Schema& a, const Schema& b) {
  if (a.kind != b.kind || a.channels.size() != b.channels.size() ||
      a.targets.size() != b.targets.size())
    return false;
  for (size_t i = 0; i < a.channels.size(); ++i)
    if (a.channels[i].name != b.channels[i].name || a.channels[i].unit != b.channels[i].unit)
      return false;
  return true;
}

// Cleans each series, keeps statistics, and writes it to the store.
class StoreSink : public SeriesSink {
 public:
  StoreSink(const fs::path& store_path, const CleanOptions& cleaning)
      : store_path_(store_path), cleaning_(cleaning) {}

  Status begin_file(const fs::path& file, const Schema& schema) override {
    if (!writer_) {
      TINYLLM_TRY_ASSIGN(w, SeriesStoreWriter::create(store_path_, schema));
      writer_.emplace(std::move(w));
      schema_ = schema;
    } else if (!same_schema(schema_, schema)) {
      return make_error(file.string(),
                        "this file has other channels or units than the first file of the "
                        "import; import it as a separate source");
    }
    return {};
  }
  int32_t intern_label(std::string_view label) override {
    for (size_t i = 0; i < classes_.size(); ++i)
      if (classes_[i] == label) return int32_t(i);
    classes_.emplace_back(label);
    return int32_t(classes_.size() - 1);
  }
  Status add(Series series) override {
    // Series are looked up by id later (windows, examples, the Data page): two with one id would
    // silently mix recordings. Files of the same name in two folders (two sessions of one
    // person) name their series alike, so a repeated id gets a number.
    if (!series_ids_.insert(series.id).second) {
      const std::string base = series.id;
      for (int n = 2; !series_ids_.insert(series.id).second; ++n)
        series.id = base + "#" + std::to_string(n);
    }
    file_rows_ += series.rows();
    for (int32_t label : series.labels)
      file_labelled_rows_ += label != kNoLabel;
    if (!series.subject.empty()) ++series_with_subject_;
    ++series_read_;
    for (auto& part : clean_series(std::move(series), schema_, cleaning_, report_)) {
      stats_.add(part, schema_, classes_);
      TINYLLM_TRY(writer_->write(part));
    }
    return {};
  }
  Report& report() override { return report_; }

  // Per-file counts, reset before each file, and counts over the whole import.
  uint64_t file_rows_ = 0, file_labelled_rows_ = 0;
  uint64_t series_read_ = 0, series_with_subject_ = 0;

  std::optional<SeriesStoreWriter> writer_;
  Schema schema_;
  std::vector<std::string> classes_;
  DatasetStats stats_;
  Report report_;

 private:
  fs::path store_path_;
  CleanOptions cleaning_;
  std::set<std::string> series_ids_;
};

void add_unique(std::vector<Guess>& all, const std::vector<Guess>& more) {
  for (const auto& g : more)
    if (std::find(all.begin(), all.end(), g) == all.end()) all.push_back(g);
}

// A file that gave rows but no label would silently yield no task examples.
void report_unlabelled_file(const fs::path& file, const Schema& schema, const StoreSink& sink,
                            Report& report) {
  if (sink.file_rows_ == 0 || sink.file_labelled_rows_ > 0 || !schema.targets.empty()) return;
  report.add(Severity::warning, "no_label", file.filename().string(),
             "no labels: neither a label column nor the file name gives this file's class; its " +
                 std::to_string(sink.file_rows_) +
                 " rows are kept unlabelled and give no task examples (set label.value, "
                 "label.from_filename or label.columns in the mapping)");
}

// Without a person column every recording is one unknown person's: say so, since splits can then
// only keep sessions or recordings apart, not people.
void report_unknown_person(const fs::path& first_file, const Schema& schema, const StoreSink& sink,
                           Report& report) {
  if (sink.series_with_subject_ > 0 || sink.series_read_ == 0) return;
  const std::string how = schema.kind == SensorKind::imu
                              ? "splits keep each session (or recording) together instead"
                              : "fingerprints are split row by row instead";
  report.add(Severity::warning, "no_person", first_file.filename().string(),
             "no person column: all " + std::to_string(sink.series_read_) +
                 " recording(s) are taken as one unknown person; " + how +
                 ", so scores may be optimistic for new people (set 'subject' in the mapping if "
                 "the files hold several people)");
}

bool hidden(const fs::path& p) {
  auto name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

}  // namespace

Result<std::vector<fs::path>> expand_inputs(const std::vector<fs::path>& inputs) {
  std::vector<fs::path> files;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(input, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (hidden(it->path())) {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) found.push_back(it->path());
      }
      if (ec) return make_error(input.string(), "cannot list folder: " + ec.message());
      std::sort(found.begin(), found.end());
      if (found.empty()) return make_error(input.string(), "the folder holds no files");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(input, ec)) {
      files.push_back(input);
    } else {
      return make_error(input.string(), "no such file or folder");
    }
  }
  if (files.empty()) return make_error("import", "no input files given");
  return files;
}

Result<Detection> detect_import(const PluginRegistry& registry, const ImportRequest& request) {
  TINYLLM_TRY_ASSIGN(files, expand_inputs(request.inputs));
  return registry.detect(files.front(), request.overrides, request.importer);
}

Result<ImportResult> import_to_store(const PluginRegistry& registry, const ImportRequest& request,
                                     const fs::path& store_path) {
  TINYLLM_TRY_ASSIGN(files, expand_inputs(request.inputs));
  ImportResult result;
  StoreSink sink(store_path, request.cleaning);
  // All files of one import use the importer detected for the first file; each file still gets
  // its own detection so that file-name parts (label, person) and column order can differ.
  TINYLLM_TRY_ASSIGN(first, registry.detect(files.front(), request.overrides, request.importer));
  const Importer* importer = registry.importer(first.importer);
  result.importer = first.importer;
  result.mapping = first.mapping;
  add_unique(result.guesses, first.guesses);
  for (const auto& file : files) {
    json mapping = first.mapping;
    if (file != files.front()) {
      auto detection = importer->detect(file, request.overrides);
      if (!detection) return detection.error();
      if (detection->confidence == 0)
        return make_error(file.string(),
                          "the " + first.importer + " importer cannot read this file (it read " +
                              files.front().filename().string() + "); import it separately");
      mapping = detection->mapping;
      add_unique(result.guesses, detection->guesses);
    }
    ImportedFile info{file, "", 0};
    std::error_code ec;
    info.bytes = fs::file_size(file, ec);
    TINYLLM_TRY_ASSIGN(sha, sha256_file(file));
    info.sha256 = sha;
    sink.file_rows_ = sink.file_labelled_rows_ = 0;
    TINYLLM_TRY(importer->read(file, mapping, request.options, sink));
    report_unlabelled_file(file, sink.schema_, sink, sink.report_);
    result.files.push_back(std::move(info));
  }
  if (!sink.writer_ || sink.stats_.rows == 0)
    return make_error(files.front().string(), "the import found no usable rows");
  report_unknown_person(files.front(), sink.schema_, sink, sink.report_);
  sink.stats_.finish();
  report_channel_findings(sink.stats_, sink.schema_, sink.report_);
  result.schema = sink.schema_;
  // Data without a time axis: the nominal rate is all there is.
  if (sink.stats_.sample_rate_hz <= 0) sink.stats_.sample_rate_hz = result.schema.sample_rate_hz;
  result.classes = sink.classes_;
  result.stats = sink.stats_;
  result.report = sink.report_;
  json meta = {{"importer", result.importer},
               {"mapping", result.mapping},
               {"stats", to_json(result.stats, result.schema)},
               {"report", to_json(result.report)},
               {"guesses", to_json(result.guesses)}};
  TINYLLM_TRY(sink.writer_->commit(result.classes, meta));
  return result;
}

json to_json(const Report& report) {
  json findings = json::array();
  for (const auto& f : report.findings())
    findings.push_back({{"severity", to_string(f.severity)},
                        {"kind", f.kind},
                        {"where", f.where},
                        {"message", f.message}});
  return {{"counts", report.counts()}, {"findings", findings}};
}

json to_json(const std::vector<Guess>& guesses) {
  json out = json::array();
  for (const auto& g : guesses)
    out.push_back({{"what", g.what}, {"why", g.why}});
  return out;
}

}  // namespace tinyllm::data
