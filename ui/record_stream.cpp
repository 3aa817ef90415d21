#include "record_stream.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace tinyllm::ui {
using nlohmann::json;

namespace {

// Lower-case letters and digits only: "Time (ms)" -> "timems".
QString squash(const QString& name) {
  QString out;
  for (QChar c : name.toLower())
    if (c.isLetterOrNumber()) out += c;
  return out;
}

// The names a device's time column goes by, as the IMU importer looks for them
// (plugins/builtin/imu_csv.cpp); only the plot uses this, the import decides for itself.
bool is_time_name(const QString& squashed) {
  static const QStringList kNames = {
      QStringLiteral("t"),           QStringLiteral("time"),        QStringLiteral("timestamp"),
      QStringLiteral("ts"),          QStringLiteral("times"),       QStringLiteral("timesec"),
      QStringLiteral("timems"),      QStringLiteral("timeus"),      QStringLiteral("timens"),
      QStringLiteral("timestampms"), QStringLiteral("timestampus"), QStringLiteral("timestampns"),
      QStringLiteral("elapsed"),     QStringLiteral("elapsedms"),   QStringLiteral("seconds"),
      QStringLiteral("millis"),      QStringLiteral("tms")};
  return kNames.contains(squashed);
}

// Seconds per unit of a time column, from the unit its name ends with (seconds otherwise).
double seconds_per_unit(const QString& squashed) {
  if (squashed == QLatin1String("millis") || squashed.endsWith(QLatin1String("ms"))) return 1e-3;
  if (squashed.endsWith(QLatin1String("us"))) return 1e-6;
  if (squashed.endsWith(QLatin1String("ns"))) return 1e-9;
  return 1;
}

double number_or_nan(const json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

void RecordStream::reset() {
  *this = RecordStream();
}

QString RecordStream::x_label() const {
  return has_time() ? QStringLiteral("time (s)") : QStringLiteral("reading");
}

void RecordStream::on_header(const QStringList& columns) {
  columns_ = columns;
  channels_.clear();
  channel_columns_.clear();
  time_column_ = -1;
  for (int i = 0; i < columns.size(); ++i) {
    const QString name = squash(columns[i]);
    if (time_column_ < 0 && is_time_name(name)) {
      time_column_ = i;
      time_scale_ = seconds_per_unit(name);
      continue;
    }
    channels_ << columns[i];
    channel_columns_ << i;
  }
  pending_ = PlotPoints();
  pending_.values = QList<QVector<double>>(channels_.size());
}

RecordStream::Event RecordStream::feed(const QString& line) {
  if (!line.startsWith(QLatin1Char('{'))) return Event::none;
  const json e = json::parse(line.toStdString(), nullptr, false);
  if (!e.is_object()) return Event::none;
  const std::string event = e.value("event", "");
  if (event == "header" && e.contains("columns") && e["columns"].is_array()) {
    QStringList columns;
    for (const auto& c : e["columns"])
      columns << QString::fromStdString(c.is_string() ? c.get<std::string>() : c.dump());
    on_header(columns);
    return Event::header;
  }
  if (event == "rows" && e.contains("rows") && e["rows"].is_array()) {
    if (columns_.isEmpty()) return Event::none;  // rows before a header are not this stream's
    for (const auto& row : e["rows"]) {
      if (!row.is_array()) continue;
      double x = double(rows_);
      if (time_column_ >= 0 && size_t(time_column_) < row.size()) {
        const double t = number_or_nan(row[size_t(time_column_)]);
        if (!first_time_ && std::isfinite(t)) first_time_ = t;
        x = first_time_ ? (t - *first_time_) * time_scale_ : 0.0;
      }
      pending_.x << x;
      for (int k = 0; k < channel_columns_.size(); ++k) {
        const size_t c = size_t(channel_columns_[k]);
        pending_.values[k] << (c < row.size() ? number_or_nan(row[c])
                                              : std::numeric_limits<double>::quiet_NaN());
      }
      ++rows_;
    }
    return Event::rows;
  }
  if (event == "live" && e.contains("result") && e["result"].is_object()) {
    const json& r = e["result"];
    live_ = LiveClassification{
        QString::fromStdString(r.value("label", "")), QString::fromStdString(r.value("shown", "")),
        r.value("confidence", 0.0), r.value("latency_ms", 0.0), r.value("t_s", 0.0)};
    ++live_count_;
    return Event::live;
  }
  if (event == "ask") {
    ask_prompt_ = QString::fromStdString(e.value("prompt", ""));
    return Event::ask;
  }
  if (event == "take") {
    TakeOutcome t;
    t.source = QString::fromStdString(e.value("source", ""));
    t.file = QString::fromStdString(e.value("file", ""));
    t.rows = e.value("rows", qulonglong{0});
    t.seconds = e.value("seconds", 0.0);
    t.ended = QString::fromStdString(e.value("ended", ""));
    t.connection_lost = e.value("connection_lost", false);
    t.exit_status = e.value("exit_status", 0);
    t.detail = QString::fromStdString(e.value("detail", "")).trimmed();
    outcome_ = t;
    return Event::take;
  }
  return Event::none;
}

PlotPoints RecordStream::take_points() {
  PlotPoints out = std::move(pending_);
  pending_ = PlotPoints();
  pending_.values = QList<QVector<double>>(channels_.size());
  return out;
}

}  // namespace tinyllm::ui
