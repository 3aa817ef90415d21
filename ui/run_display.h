// How a training run's numbers and text are shown: loss smoothing without lag, and generated
// samples made readable (byte pieces and control characters as visible symbols). Pure functions,
// no widgets, so tests check them directly.
#pragma once

#include <QString>

#include <cstdint>
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

// Text of generated token ids for people: byte-fallback pieces that form UTF-8 become their
// characters, stray bytes stay visible as <0xNN>, a newline shows as ⏎ (and breaks the line),
// other C0 controls as their U+2400 pictures; never U+FFFD.
QString readable_sample(const text::Tokenizer& tokenizer, const std::vector<int32_t>& ids);
// The same for text that has no ids (a U+FFFD it holds stays, as the bytes are lost).
QString readable_text(const QString& text);

}  // namespace tinyllm::ui
