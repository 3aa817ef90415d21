#include "error_cdf_plot.h"

#include <qcustomplot.h>
#include <QVBoxLayout>

#include <algorithm>

#include "appearance.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

const QColor kModelColor(0x1f, 0x77, 0xb4);

QString curve_name(const json& m, bool model) {
  const std::string name = m.value("name", std::string());
  if (model) return QObject::tr("model");
  if (name == "knn") return QObject::tr("k-NN (k=%1)").arg(m.value("k", 1));
  if (name == "majority") return QObject::tr("mean position");
  return QString::fromStdString(name);
}

}  // namespace

ErrorCdfPlot::ErrorCdfPlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->setMinimumHeight(150);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->xAxis->setLabel(tr("error (m)"));
  plot_->yAxis->setLabel(tr("fraction of test examples within"));
  plot_->legend->setVisible(true);
  plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
  plot_->setToolTip(
      tr("How many test examples (up) are placed within a distance (across) of where they "
         "really were. A curve higher and further left is better: compare the model with the "
         "baselines."));
}

void ErrorCdfPlot::clear() {
  plot_->clearGraphs();
  plot_->replot();
}

void ErrorCdfPlot::show_report(const json& position) {
  plot_->clearGraphs();
  std::vector<std::pair<QString, const json*>> curves;
  static const json kNone = json::object();
  const json& model = position.contains("model") ? position["model"] : kNone;
  curves.emplace_back(curve_name(model, true), &model);
  if (position.contains("baselines") && position["baselines"].is_array())
    for (const auto& b : position["baselines"])
      curves.emplace_back(curve_name(b, false), &b);
  double right = 1;
  int index = 0;
  for (const auto& [name, m] : curves) {
    auto* graph = plot_->addGraph();
    graph->setName(name);
    graph->setLineStyle(QCPGraph::lsStepLeft);
    const QColor color = index == 0 ? kModelColor : class_color(index);
    graph->setPen(index == 0 ? QPen(color, 2.5) : QPen(color, 1.5, Qt::DashLine));
    // From no error at all (nothing within 0 m) up the curve's points.
    graph->addData(0, 0);
    for (const auto& point : m->value("cdf", json::array()))
      if (point.is_array() && point.size() == 2 && point[0].is_number() && point[1].is_number()) {
        graph->addData(point[0].get<double>(), point[1].get<double>());
        right = std::max(right, point[0].get<double>());
      }
    ++index;
  }
  plot_->xAxis->setRange(0, right * 1.05);
  plot_->yAxis->setRange(0, 1.05);
  style_plot(plot_);
  plot_->replot();
}

}  // namespace tinyllm::ui
