#include "deploy/record.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "base/csv_line.h"
#include "base/files.h"
#include "deploy/install.h"
#include "deploy/shell.h"
#include "pipeline/data_step.h"

namespace tinyllm::deploy {
namespace fs = std::filesystem;
using nlohmann::json;

const char* to_string(TakeEnd end) {
  switch (end) {
    case TakeEnd::kTime:
      return "time is up";
    case TakeEnd::kRows:
      return "all rows taken";
    case TakeEnd::kStopped:
      return "stopped";
    case TakeEnd::kCommandEnded:
      return "the command ended";
    case TakeEnd::kConnectionLost:
      return "the connection was lost";
  }
  return "?";
}

namespace {

bool is_number(const std::string& text, double& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtod(text.c_str(), &end);
  return end && *end == '\0';
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Result<Take> record_take(SshSession& session, const TakeRequest& request, const fs::path& out_csv) {
  Take take;
  take.file = out_csv;
  const std::string where = session.label() + ": " + request.command;
  std::error_code ec;
  fs::create_directories(out_csv.parent_path(), ec);
  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(out_csv));
  std::string suffix = "," + csv_field(request.label);
  if (!request.person.empty()) suffix += "," + csv_field(request.person);

  std::string pending, bad_line;
  uint64_t line_number = 0;
  Status write_status;
  bool done = false;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto take_line = [&](const std::string& line) {
    ++line_number;
    if (line.empty()) return;
    const auto fields = split_sensor_csv_line(line);
    if (take.columns.empty()) {
      double ignored;
      bool all_numbers = true;
      for (const auto& f : fields)
        all_numbers = all_numbers && is_number(f, ignored);
      if (all_numbers) {
        bad_line =
            "line 1: the first line must be a header naming the columns (e.g. "
            "time_ms,ax,ay,az), got '" +
            line.substr(0, 80) + "'";
        done = true;
        return;
      }
      take.columns = fields;
      if (request.on_header) request.on_header(take.columns);
      std::string header;
      for (size_t i = 0; i < fields.size(); ++i)
        header += (i ? "," : "") + csv_field(fields[i]);
      header += ",label";
      if (!request.person.empty()) header += ",person";
      if (!file.write(header + "\n").ok())
        write_status = make_error(out_csv.string(), "cannot write");
      return;
    }
    std::vector<double> numbers;
    for (size_t i = 0; i < fields.size(); ++i) {
      double v = 0;
      if (!is_number(fields[i], v) && !fields[i].empty()) {
        // A label or name column from the device is fine; only numeric-looking columns are
        // plotted. A row of the wrong width is not CSV of this header.
        v = std::nan("");
      }
      numbers.push_back(v);
    }
    if (fields.size() != take.columns.size()) {
      bad_line = "line " + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                 " fields where the header has " + std::to_string(take.columns.size()) + ": '" +
                 line.substr(0, 80) + "'";
      done = true;
      return;
    }
    if (!file.write(line + suffix + "\n").ok()) {
      write_status = make_error(out_csv.string(), "cannot write (disk full?)");
      done = true;
      return;
    }
    ++take.rows;
    if (request.on_row) request.on_row(numbers);
    if (request.max_rows && take.rows >= request.max_rows) {
      take.end = TakeEnd::kRows;
      done = true;
    }
  };

  ExecIo io;
  io.on_stdout = [&](std::string_view chunk) {
    if (done) return;
    pending.append(chunk.data(), chunk.size());
    for (size_t newline; !done && (newline = pending.find('\n')) != std::string::npos;) {
      take_line(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
  };
  std::string err_tail, err_pending;
  io.on_stderr = [&](std::string_view chunk) {
    err_pending.append(chunk.data(), chunk.size());
    for (size_t newline; (newline = err_pending.find('\n')) != std::string::npos;) {
      const std::string line = err_pending.substr(0, newline);
      err_pending.erase(0, newline + 1);
      if (request.on_live && line.rfind("{\"row\"", 0) == 0) {
        request.on_live(line);
        continue;
      }
      err_tail += line + "\n";
      if (err_tail.size() > 2000) err_tail.erase(0, err_tail.size() - 2000);
    }
  };
  io.cancelled = [&] {
    if (done) return true;
    if (request.seconds > 0 && elapsed() >= request.seconds) {
      take.end = TakeEnd::kTime;
      return done = true;
    }
    if (request.stop && request.stop()) {
      take.end = TakeEnd::kStopped;
      return done = true;
    }
    return false;
  };
  // `exec` returns "stopped" when we cancel; a dropped connection is an error we keep rows from.
  auto run = session.exec(request.command, io);
  take.seconds = elapsed();
  if (!write_status.ok()) return write_status.error();
  if (!bad_line.empty())
    return make_error(where, "the device's output is not CSV: " + bad_line +
                                 (take.rows ? " (the " + std::to_string(take.rows) +
                                                  " rows before it were not kept either: fix "
                                                  "the command and record again)"
                                            : ""));
  if (run.ok() && !done) {
    if (!pending.empty()) take_line(pending);  // a last line without a newline
    take.end = TakeEnd::kCommandEnded;
    take.exit_status = run->exit_status;
    take.detail = err_tail;
  } else if (!run.ok() && !done) {
    take.end = TakeEnd::kConnectionLost;
    take.detail = run.error().message;
  }
  if (take.columns.empty())
    return make_error(where,
                      "the command printed nothing" +
                          (err_tail.empty() ? std::string() : ": " + err_tail) +
                          (take.end == TakeEnd::kConnectionLost ? " (" + take.detail + ")" : ""));
  if (take.rows == 0)
    return make_error(where, "the command printed a header but no readings (" +
                                 std::string(to_string(take.end)) +
                                 (err_tail.empty() ? "" : ": " + err_tail) + ")");
  TINYLLM_TRY(file.commit());
  return take;
}

std::string live_command(const DeviceProfile& device, const std::string& model,
                         const std::string& command, double threshold, int smooth) {
  const std::string stream =
      runtime_command(device, remote_model_dir(device, safe_name(model)) + "/current",
                      {"stream", "--model", "model.gguf", "--echo", "--json", "--threshold",
                       std::to_string(threshold), "--smooth", std::to_string(smooth)});
  return "(" + command + ") | (" + stream + ")";
}

Result<RecordedSource> record_into_project(project::Project& project,
                                           const data::PluginRegistry& registry,
                                           SshSession& session, const DeviceProfile& device,
                                           const TakeRequest& request, const json& overrides) {
  if (request.label.empty()) return make_error("--label", "a take needs a label");
  const std::string stamp = safe_name(utc_now_iso8601());
  const fs::path file = project.root / "data" / "raw" / "recorded" / safe_name(device.name) /
                        (stamp + "-" + safe_name(request.label) + ".csv");
  TINYLLM_TRY_ASSIGN(take, record_take(session, request, file));
  data::ImportRequest import;
  import.inputs = {file};
  import.overrides = overrides;
  auto imported = pipeline::import_source(project, registry, import);
  if (!imported)
    return make_error(imported.error().where, imported.error().message + " (the take is kept in " +
                                                  project::stored_path(project.root, file) + ")");
  RecordedSource recorded{take, imported->source};
  // The origin goes into the manifest beside the source import_source saved.
  for (auto& s : project.sources) {
    if (s.id != recorded.source.id) continue;
    s.origin = {{"device", device.name},
                {"host", device.ssh.host},
                {"command", request.command},
                {"label", request.label},
                {"person", request.person},
                {"rows", take.rows},
                {"seconds", take.seconds},
                {"ended", to_string(take.end)},
                {"connection_lost", take.end == TakeEnd::kConnectionLost}};
    recorded.source = s;
  }
  TINYLLM_TRY(project::save_project(project));
  return recorded;
}

}  // namespace tinyllm::deploy
