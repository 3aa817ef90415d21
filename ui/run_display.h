// How a training run's numbers and text are shown: loss smoothing without lag, generated samples
// made readable (byte pieces and control characters as visible symbols), and the status lines the
// training pages (Pre-train, Fine-tune) show about their worker, each page's own words passed in.
// Pure functions, no widgets, so tests check them directly.
#pragma once

#include <QString>

#include <cstdint>
#include <string>
#include <vector>

namespace tinyllm::text {
class Tokenizer;
}

namespace tinyllm::ui {

// Mean over a window centred on each point, `radius` points either side where the data allows;
// the window shrinks symmetrically at both ends (at the live end too), so a straight line comes
// out unchanged and the smoothed curve never lags behind the raw one. radius 0: the raw values.
std::vector<double> smooth_centered(const std::vector<double>& values, int radius);
// The same for the points from `first` on only (the ones a new point can change).
void smooth_centered_tail(const std::vector<double>& values, int radius, size_t first,
                          std::vector<double>& smoothed);

// A fraction as a percentage with one decimal: 0.6875 -> "68.8%" (accuracies, F1).
QString percent(double fraction);

// Time left, rounded for people: "45 s", "12 min", "2 h 5 min".
QString eta_text(double seconds);

// The status lines of a training worker. `stopped` heads the worker's own error ("Training
// stopped", "Fine-tuning stopped"); `watched` is what early stopping watches ("validation
// loss"); `best` is the page's sentence on the best validation figure (" Best validation loss
// 1.234."), empty when there is none.
QString paused_text(int step, int steps);
QString continuing_text(int step);
// How a run ended, from its "done" event's reason: stopped (resumable), stopped early, finished.
QString run_end_text(const std::string& reason, int step, int run_steps, const QString& watched,
                     const QString& best);
QString worker_error_text(const QString& stopped, const std::string& message);
// The status once the worker's process has ended: a crash shows the last lines of its log, unless
// the worker said why it stopped (`status` holds `stopped`); otherwise `status` stays.
QString worker_exit_text(int exit_code, const QString& status, const QString& stopped,
                         const QString& log_tail);
// A recorded run replayed: its name before what its events left in the status.
QString recorded_run_text(const QString& run, const QString& status);

// Text of generated token ids for people: byte-fallback pieces that form UTF-8 become their
// characters, stray bytes stay visible as <0xNN>, a newline shows as ⏎ (and breaks the line),
// other C0 controls as their U+2400 pictures; never U+FFFD.
QString readable_sample(const text::Tokenizer& tokenizer, const std::vector<int32_t>& ids);
// The same for text that has no ids (a U+FFFD it holds stays, as the bytes are lost).
QString readable_text(const QString& text);

}  // namespace tinyllm::ui
