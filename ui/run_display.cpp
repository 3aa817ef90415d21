#include "run_display.h"

#include <algorithm>
#include <string>

#include <QObject>

#include "pipeline/worker_events.h"
#include "text/readable.h"

namespace tinyllm::ui {

void smooth_centered_tail(const std::vector<double>& values, int radius, size_t first,
                          std::vector<double>& smoothed) {
  const size_t n = values.size();
  smoothed.resize(n);
  const size_t r = size_t(std::max(0, radius));
  for (size_t i = first; i < n; ++i) {
    const size_t half = std::min({r, i, n - 1 - i});
    double sum = 0;
    for (size_t k = i - half; k <= i + half; ++k)
      sum += values[k];
    smoothed[i] = sum / double(2 * half + 1);
  }
}

std::vector<double> smooth_centered(const std::vector<double>& values, int radius) {
  std::vector<double> out;
  smooth_centered_tail(values, radius, 0, out);
  return out;
}

QString readable_sample(const text::Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  return QString::fromStdString(text::readable_sample(tokenizer, ids));
}

QString readable_text(const QString& text) {
  return QString::fromStdString(text::readable_text(text.toStdString()));
}

QString percent(double fraction) {
  return QStringLiteral("%1%").arg(100 * fraction, 0, 'f', 1);
}

QString eta_text(double seconds) {
  if (seconds < 90) return QObject::tr("%1 s").arg(int(seconds));
  if (seconds < 5400) return QObject::tr("%1 min").arg(int(seconds / 60 + 0.5));
  return QObject::tr("%1 h %2 min").arg(int(seconds / 3600)).arg(int(seconds / 60) % 60);
}

QString paused_text(int step, int steps) {
  return QObject::tr("Paused at step %1 of %2; the worker is idle. Press Continue to go on.")
      .arg(step)
      .arg(steps);
}

QString continuing_text(int step) {
  return QObject::tr("Continuing from step %1...").arg(step);
}

QString run_end_text(const std::string& reason, int step, int run_steps, const QString& watched,
                     const QString& best) {
  if (reason == events::kInterrupted)
    return QObject::tr(
               "Stopped at step %1 of %2. A checkpoint was written; Resume continues "
               "from it.%3")
        .arg(step)
        .arg(run_steps)
        .arg(best);
  if (reason == events::kEarlyStop)
    return QObject::tr("Stopped early at step %1 of %2: the %3 stopped improving.%4")
        .arg(step)
        .arg(run_steps)
        .arg(watched, best);
  return QObject::tr("Finished all %1 steps.%2").arg(step).arg(best);
}

QString worker_error_text(const QString& stopped, const std::string& message) {
  return QStringLiteral("<span style='color:#c62828'>%1: %2</span>")
      .arg(stopped, QString::fromStdString(message).toHtmlEscaped());
}

QString worker_exit_text(int exit_code, const QString& status, const QString& stopped,
                         const QString& log_tail) {
  if (exit_code == 0 || status.contains(stopped)) return status;
  return QObject::tr(
             "<span style='color:#c62828'>The training worker stopped unexpectedly. Last "
             "lines of its log:</span><pre>%1</pre>")
      .arg(log_tail.toHtmlEscaped());
}

QString recorded_run_text(const QString& run, const QString& status) {
  return QObject::tr("Showing the recorded run %1. %2").arg(run, status);
}

}  // namespace tinyllm::ui
