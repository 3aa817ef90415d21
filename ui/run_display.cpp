#include "run_display.h"

#include <algorithm>
#include <string>

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

}  // namespace tinyllm::ui
