#include "deploy_plots.h"

#include <qcustomplot.h>

#include <algorithm>
#include <map>

#include "appearance.h"

namespace tinyllm::ui {

void plot_runs_over_versions(QCustomPlot* plot, const std::vector<deploy::RunRecord>& runs) {
  plot->clearGraphs();
  std::vector<std::string> versions;  // in the order they were first measured
  std::vector<std::string> devices;
  // (device, mode) -> version -> value; later runs replace earlier ones.
  std::map<std::pair<std::string, std::string>, std::map<std::string, double>> values;
  for (const auto& r : runs) {
    if (std::find(versions.begin(), versions.end(), r.version) == versions.end())
      versions.push_back(r.version);
    if (std::find(devices.begin(), devices.end(), r.device) == devices.end())
      devices.push_back(r.device);
    if (r.mode == "eval")
      values[{r.device, "eval"}][r.version] = 100.0 * r.result.value("accuracy", 0.0);
    else if (r.mode == "bench")
      values[{r.device, "bench"}][r.version] = r.result.value("prompt_tokens_per_s", 0.0);
  }
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (size_t i = 0; i < versions.size(); ++i) {
    // Versions are "<gguf name>-<hash>": the name says what it is; the hash only when two
    // versions share a name (a new runtime or test split).
    const QString v = QString::fromStdString(versions[i]);
    QString name = v.section(QLatin1Char('-'), 0, -2);
    const bool shared = std::count_if(versions.begin(), versions.end(), [&](const auto& o) {
                          return QString::fromStdString(o).section(QLatin1Char('-'), 0, -2) == name;
                        }) > 1;
    ticker->addTick(double(i), name.isEmpty() || shared ? v : name);
  }
  plot->xAxis->setTicker(ticker);
  plot->xAxis->setLabel(QObject::tr("model version"));
  plot->yAxis->setLabel(QObject::tr("accuracy (%)"));
  plot->yAxis2->setLabel(QObject::tr("prompt tokens/s"));
  plot->yAxis2->setVisible(true);
  // The legend goes under the plot (moved there once), where it hides no point.
  if (plot->legend->layout() != plot->plotLayout()) {
    plot->plotLayout()->addElement(1, 0, plot->legend);
    plot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot->legend->setWrap(2);
    plot->plotLayout()->setRowStretchFactor(1, 0.001);
  }
  double max_speed = 1;
  int device_color = 0;
  for (size_t d = 0; d < devices.size(); ++d) {
    // The desktop in grey with hollow marks, so that a device's identical numbers show through.
    const bool desktop = devices[d] == deploy::kDesktopDevice;
    const QColor color = desktop ? QColor(0x8a, 0x8d, 0x93) : class_color(device_color++);
    for (const char* mode : {"eval", "bench"}) {
      const auto it = values.find({devices[d], mode});
      if (it == values.end()) continue;
      const bool eval = std::string(mode) == "eval";
      auto* g = plot->addGraph(plot->xAxis, eval ? plot->yAxis : plot->yAxis2);
      g->setName(QString::fromStdString(devices[d]) +
                 (eval ? QObject::tr(" accuracy") : QObject::tr(" tok/s")));
      QPen pen(color, 2);
      if (!eval) pen.setStyle(Qt::DashLine);
      g->setPen(pen);
      g->setScatterStyle(
          QCPScatterStyle(desktop ? (eval ? QCPScatterStyle::ssCircle : QCPScatterStyle::ssSquare)
                                  : (eval ? QCPScatterStyle::ssDisc : QCPScatterStyle::ssSquare),
                          desktop ? 11 : 7));
      for (size_t i = 0; i < versions.size(); ++i) {
        const auto v = it->second.find(versions[i]);
        if (v == it->second.end()) continue;
        g->addData(double(i), v->second);
        if (!eval) max_speed = std::max(max_speed, v->second);
      }
    }
  }
  plot->xAxis->setRange(-0.5, std::max<double>(0.5, double(versions.size()) - 0.5));
  plot->yAxis->setRange(0, 105);
  plot->yAxis2->setRange(0, max_speed * 1.15);
  plot->legend->setVisible(plot->graphCount() > 0);
  style_plot(plot);
  plot->replot();
}

void plot_scores(QCustomPlot* plot, const nlohmann::json& scores, const std::string& chosen) {
  plot->clearPlottables();
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
  auto* chosen_bar = new QCPBars(plot->xAxis, plot->yAxis);
  bars->setWidth(0.6);
  chosen_bar->setWidth(0.6);
  double i = 0, low = 0, high = 0;
  if (scores.is_object())
    for (const auto& [label, score] : scores.items()) {
      const double s = score.is_number() ? score.get<double>() : 0.0;
      ticker->addTick(i, QString::fromStdString(label));
      (label == chosen ? chosen_bar : bars)->addData(i, s);
      low = std::min(low, s);
      high = std::max(high, s);
      i += 1;
    }
  bars->setPen(Qt::NoPen);
  bars->setBrush(QColor(0x8a, 0x8d, 0x93));
  chosen_bar->setPen(Qt::NoPen);
  chosen_bar->setBrush(class_color(0));
  plot->xAxis->setTicker(ticker);
  plot->xAxis->setRange(-0.6, std::max(0.6, i - 0.4));
  plot->yAxis->setLabel(QObject::tr("score (higher: more likely)"));
  const double pad = std::max(0.1, (high - low) * 0.1);
  plot->yAxis->setRange(low - pad, high + pad);
  style_plot(plot);
  plot->xAxis->grid()->setVisible(false);  // a line through each bar says nothing
  plot->replot();
}

}  // namespace tinyllm::ui
