// What the output of a `tinyllm record --json` worker means for the take in progress
// (docs/record.md, "Events"): the device's header, the readings as plot points, the live
// classifications, a question for a password, and how the take ended. No widgets: the Record
// dialog shows what this keeps.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>

#include <optional>

namespace tinyllm::ui {

// Readings ready to plot: x (seconds since the take's first reading, or the reading's number when
// the device sends no time column) and one value vector per plotted channel, NaN = no reading.
struct PlotPoints {
  QVector<double> x;
  QList<QVector<double>> values;
  bool empty() const { return x.isEmpty(); }
};

// One classification the device made while recording (tinyllm-run stream's line).
struct LiveClassification {
  QString label;  // the model's answer for this window
  QString shown;  // after the threshold and the smoothing: what the user should see
  double confidence = 0;
  double latency_ms = 0;
  double t_s = 0;  // the window's end in the take
};

// The worker's last line: the take kept in the project.
struct TakeOutcome {
  QString source;  // the new source's id
  QString file;    // the take's CSV, relative to the project
  qulonglong rows = 0;
  double seconds = 0;
  QString ended;  // in words ("stopped", "the connection was lost", ...)
  bool connection_lost = false;
  int exit_status = 0;
  QString detail;  // the lost connection's reason or the command's stderr tail
};

class RecordStream {
 public:
  enum class Event { none, header, rows, live, ask, take };

  // Forgets the last take: a new one starts.
  void reset();
  // One stdout line of the worker; says what it changed (none for lines that are not events).
  Event feed(const QString& line);

  // The channels plotted: the header's columns except the time column.
  const QStringList& channels() const { return channels_; }
  // What x means: "time (s)" or "reading".
  QString x_label() const;
  bool has_time() const { return time_column_ >= 0; }
  qulonglong rows() const { return rows_; }
  // The points that arrived since the last call (and forgets them).
  PlotPoints take_points();
  const std::optional<LiveClassification>& live() const { return live_; }
  qulonglong live_count() const { return live_count_; }
  const std::optional<TakeOutcome>& outcome() const { return outcome_; }
  // The question of the last "ask" event (a password or key passphrase).
  const QString& ask_prompt() const { return ask_prompt_; }

 private:
  void on_header(const QStringList& columns);

  QStringList columns_;
  QStringList channels_;
  QList<int> channel_columns_;  // the header index of each plotted channel
  int time_column_ = -1;
  double time_scale_ = 1;  // time column unit -> seconds
  std::optional<double> first_time_;
  qulonglong rows_ = 0;
  PlotPoints pending_;
  std::optional<LiveClassification> live_;
  qulonglong live_count_ = 0;
  std::optional<TakeOutcome> outcome_;
  QString ask_prompt_;
};

}  // namespace tinyllm::ui
