// tinyllm record: one labelled take from a sensor on a device (core/deploy/record.h), streamed
// over SSH into the project and imported like any recording. Ctrl-C ends the take and keeps it.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "cli_output.h"
#include "cli_ssh.h"
#include "commands.h"
#include "deploy/record.h"

namespace tinyllm::cli {
using nlohmann::json;

namespace {

const char* kRecordUsage =
    R"(usage: tinyllm record --project P --device NAME (--source NAME | --command CMD) --label L
                      [--person NAME] [--seconds S] [--scans N] [--set field=value ...]
                      [--live [--threshold P] [--smooth N]] [--json]

Runs the sensor command on the device (it prints a CSV header, then one reading per line),
streams its output into a take labelled L, and imports the take as a new source of the project
(data/raw/recorded/<device>/). Ctrl-C ends the take and keeps it; so does a dropped connection.

  --source NAME   a sensor source of the device (tinyllm device add-source)
  --command CMD   or a command given here (run by the device's shell)
  --label L       the class of everything in this take (a gesture, a zone)
  --person NAME   who recorded it (splits keep people apart)
  --seconds S     stop after S seconds (default: until the command ends or Ctrl-C)
  --scans N       stop after N readings (e.g. N WiFi scans at one zone)
  --set k=v       mapping for the import, as in tinyllm data import
  --live          also classify on the device as it records, with the model deployed there
                  (tinyllm deploy): each window's label, confidence and latency as they come
  --threshold P   --live: below this confidence the label shown is "none" (default 0.5)
  --smooth N      --live: the label shown is the majority of the last N windows (default 3)
)";

// With --json the readings go out while they arrive, as JSON Lines (docs/record.md): the header
// once, then the rows in batches about every 100 ms, so that a plot can follow the take (the
// Data page's Record dialog) without one line per reading.
class RowBatches {
 public:
  void header(const std::vector<std::string>& columns) {
    std::printf("%s\n", json{{"event", "header"}, {"columns", columns}}.dump().c_str());
    std::fflush(stdout);
  }
  void add(const std::vector<double>& row) {
    rows_.push_back(row);  // NaN (a column that is not a number) is written as null
    flush_if_due();
  }
  void flush_if_due() {
    if (std::chrono::steady_clock::now() - last_flush_ >= kInterval) flush();
  }
  void flush() {
    last_flush_ = std::chrono::steady_clock::now();
    if (rows_.empty()) return;
    const json batch = {{"event", "rows"}, {"first", sent_}, {"rows", rows_}};
    std::printf("%s\n", batch.dump().c_str());
    std::fflush(stdout);
    sent_ += rows_.size();
    rows_ = json::array();
  }

 private:
  static constexpr std::chrono::milliseconds kInterval{100};
  json rows_ = json::array();
  uint64_t sent_ = 0;  // rows already written: the index of the batch's first row
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

// Set by the SIGINT handler; a signal handler can only reach a static.
volatile std::sig_atomic_t g_stop_take = 0;
extern "C" void stop_take(int) {
  g_stop_take = 1;
}

}  // namespace

int run_record_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kRecordUsage);
    return 0;
  }
  auto args = Args::parse(argv, {{"project", "device", "source", "command", "label", "person",
                                  "seconds", "scans", "threshold", "smooth"},
                                 {"json", "live"},
                                 {"set"}});
  if (!args) return fail(args.error());
  if (!args->positionals().empty())
    return fail(make_error(args->positionals()[0], "unexpected argument (see --help)"));
  const auto root = args->get("project");
  if (!root) return fail(make_error("--project", "required (see --help)"));
  const auto name = args->get("device");
  if (!name) return fail(make_error("--device", "required (see --help)"));
  auto project = project::open_project(*root);
  if (!project) return fail(project.error());
  auto device = deploy::find_device(project->root, *name);
  if (!device) return fail(device.error());

  deploy::TakeRequest request;
  json mapping = json::object();
  if (const auto source = args->get("source")) {
    const auto* s = device->find_source(*source);
    if (!s)
      return fail(make_error("--source", "device " + device->name + " has no source '" + *source +
                                             "' (tinyllm device list)"));
    request.command = s->command;
    mapping = s->mapping;
  } else if (const auto command = args->get("command")) {
    request.command = *command;
  } else {
    return fail(make_error("record", "give --source NAME or --command CMD"));
  }
  if (auto applied = apply_assignments(mapping, args->all("set")); !applied)
    return fail(applied.error());
  request.label = args->get_or("label", "");
  if (request.label.empty()) return fail(make_error("--label", "required: the take's class"));
  request.person = args->get_or("person", "");
  auto seconds = args->number_or("seconds", 0);
  if (!seconds) return fail(seconds.error());
  request.seconds = *seconds;
  auto scans = args->number_or("scans", 0);
  if (!scans) return fail(scans.error());
  request.max_rows = static_cast<uint64_t>(*scans);
  const bool as_json = args->flag("json");
  uint64_t rows = 0;
  const bool show_progress = !as_json && ::isatty(STDERR_FILENO);
  RowBatches batches;
  if (as_json) {
    request.on_header = [&](const std::vector<std::string>& columns) { batches.header(columns); };
    request.on_row = [&](const std::vector<double>& row) { batches.add(row); };
  } else {
    request.on_row = [&](const std::vector<double>&) {
      if (++rows % 100 == 0)
        std::fprintf(stderr, "\rrecording: %llu rows", (unsigned long long)rows);
    };
  }
  if (args->flag("live")) {
    auto threshold = args->number_or("threshold", 0.5);
    if (!threshold) return fail(threshold.error());
    auto smooth = args->number_or("smooth", 3);
    if (!smooth) return fail(smooth.error());
    request.command =
        deploy::live_command(*device, project->name, request.command, *threshold, int(*smooth));
    request.on_live = [as_json](const std::string& line) {
      const json e = json::parse(line, nullptr, false);
      if (e.is_discarded()) return;
      if (as_json) {
        std::printf("%s\n", json{{"event", "live"}, {"result", e}}.dump().c_str());
      } else {
        std::printf("live %6.2f s  %-12s %.2f  shown: %-12s %.1f ms\n", e.value("t_s", 0.0),
                    e.value("label", "").c_str(), e.value("confidence", 0.0),
                    e.value("shown", "").c_str(), e.value("latency_ms", 0.0));
      }
      std::fflush(stdout);
    };
  }
  g_stop_take = 0;
  // stop() is polled about 10 times a second even while no reading arrives: the moment to send
  // the rows of a sensor that went quiet.
  request.stop = [&] {
    if (as_json) batches.flush_if_due();
    return g_stop_take != 0;
  };
  auto registry = make_registry();
  if (!registry) return fail(registry.error());
  // Ctrl-C (or the workbench's Stop) while connecting cancels the take before it starts.
  auto previous = std::signal(SIGINT, stop_take);
  auto session = connect_device(*device);
  if (!session || g_stop_take) {
    std::signal(SIGINT, previous);
    return fail(session ? make_error("record", "stopped before the take started")
                        : session.error());
  }
  if (!as_json)
    std::fprintf(stderr, "recording '%s' from %s (Ctrl-C ends the take)\n", request.label.c_str(),
                 device->name.c_str());
  auto recorded =
      deploy::record_into_project(*project, **registry, *session, *device, request, mapping);
  std::signal(SIGINT, previous);
  if (as_json) batches.flush();
  if (show_progress) std::fprintf(stderr, "\n");
  if (!recorded) return fail(recorded.error());
  const auto& take = recorded->take;
  if (as_json) {
    const json result = {{"event", "take"},
                         {"source", recorded->source.id},
                         {"file", project::stored_path(project->root, take.file)},
                         {"rows", take.rows},
                         {"seconds", take.seconds},
                         {"ended", deploy::to_string(take.end)},
                         {"connection_lost", take.end == deploy::TakeEnd::kConnectionLost},
                         {"exit_status", take.exit_status},
                         {"detail", take.detail}};
    // One line, so that with --live the output stays JSON Lines.
    std::printf("%s\n", result.dump().c_str());
    return 0;
  }
  std::printf("take '%s': %llu rows in %.1f s (%s), imported as %s from %s\n",
              request.label.c_str(), (unsigned long long)take.rows, take.seconds,
              deploy::to_string(take.end), recorded->source.id.c_str(),
              project::stored_path(project->root, take.file).c_str());
  if (take.end == deploy::TakeEnd::kConnectionLost)
    std::printf("the connection was lost (%s): everything received before it was kept\n",
                take.detail.c_str());
  if (take.end == deploy::TakeEnd::kCommandEnded && take.exit_status != 0)
    std::printf("the command ended with exit status %d%s%s\n", take.exit_status,
                take.detail.empty() ? "" : ": ", take.detail.c_str());
  return 0;
}

}  // namespace tinyllm::cli
