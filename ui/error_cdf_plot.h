// A position task's error CDF on the Fine-tune page: for the model and each baseline (k-NN, the
// mean position), the fraction of test examples whose predicted position lies within x metres of
// the true one. Higher and further left is better; the model's curve ends below 1 when some of
// its answers could not be read. Drawn from a report's position.{model,baselines}[].cdf
// (core/eval/metrics.h).
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

class QCustomPlot;

namespace tinyllm::ui {

class ErrorCdfPlot : public QWidget {
  Q_OBJECT
 public:
  explicit ErrorCdfPlot(QWidget* parent = nullptr);

  // `position` is a report's "position" object; one graph per curve, the model's first.
  void show_report(const nlohmann::json& position);
  void clear();

  QCustomPlot* plot() const { return plot_; }

 private:
  QCustomPlot* plot_;
};

}  // namespace tinyllm::ui
