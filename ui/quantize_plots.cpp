#include "quantize_plots.h"

#include <qcustomplot.h>

#include <algorithm>

#include "appearance.h"

namespace tinyllm::ui {

namespace {

const QColor kOther(0x8a, 0x8d, 0x93);

QCPBars* bar_set(QCustomPlot* plot, const QColor& color, double width) {
  auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
  bars->setWidth(width);
  bars->setPen(Qt::NoPen);
  bars->setBrush(color);
  return bars;
}

std::optional<double> measure_of(const pipeline::QuantVariant& v, QuantMeasure m) {
  switch (m) {
    case QuantMeasure::size:
      return double(v.bytes) / (1024.0 * 1024.0);
    case QuantMeasure::perplexity:
      return v.perplexity;
    case QuantMeasure::accuracy:
      return v.accuracy ? std::optional<double>(100.0 * *v.accuracy) : std::nullopt;
    case QuantMeasure::speed:
      return v.prompt_tokens_per_s;
  }
  return std::nullopt;
}

QString title_of(QuantMeasure m) {
  switch (m) {
    case QuantMeasure::size:
      return QObject::tr("file size (MiB)");
    case QuantMeasure::perplexity:
      return QObject::tr("perplexity (lower is better)");
    case QuantMeasure::accuracy:
      return QObject::tr("test accuracy (%)");
    case QuantMeasure::speed:
      return QObject::tr("tokens/s: prompt | generation");
  }
  return {};
}

}  // namespace

void plot_quant_measure(QCustomPlot* plot, const std::vector<pipeline::QuantVariant>& variants,
                        QuantMeasure measure, std::optional<size_t> highlighted) {
  plot->clearPlottables();
  const bool speed = measure == QuantMeasure::speed;
  const double width = speed ? 0.38 : 0.6;
  const QColor accent = class_color(0);
  auto* others = bar_set(plot, kOther, width);
  auto* chosen = bar_set(plot, accent, width);
  QCPBars* others_gen = speed ? bar_set(plot, kOther.lighter(130), width) : nullptr;
  QCPBars* chosen_gen = speed ? bar_set(plot, accent.lighter(150), width) : nullptr;
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  double high = 0;
  for (size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    const double x = double(i);
    ticker->addTick(x, QString::fromStdString(v.type));
    const bool is_chosen = highlighted == i;
    if (const auto value = measure_of(v, measure)) {
      (is_chosen ? chosen : others)->addData(speed ? x - 0.2 : x, *value);
      high = std::max(high, *value);
    }
    if (speed && v.gen_tokens_per_s) {
      (is_chosen ? chosen_gen : others_gen)->addData(x + 0.2, *v.gen_tokens_per_s);
      high = std::max(high, *v.gen_tokens_per_s);
    }
  }
  plot->xAxis->setTicker(ticker);
  plot->xAxis->setRange(-0.6, std::max(0.6, double(variants.size()) - 0.4));
  plot->yAxis->setLabel(title_of(measure));
  plot->yAxis->setRange(0, measure == QuantMeasure::accuracy ? 105.0 : std::max(1e-9, high * 1.15));
  style_plot(plot);
  plot->xAxis->grid()->setVisible(false);  // a line through each bar says nothing
  plot->replot();
}

}  // namespace tinyllm::ui
