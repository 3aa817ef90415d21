#include "trace_plot.h"

#include "appearance.h"

#include <qcustomplot.h>
#include <QVBoxLayout>
#include <cmath>
#include <map>

namespace tinyllm::ui {

TracePlot::TracePlot(QWidget* parent) : QWidget(parent), plot_(new QCustomPlot(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(plot_);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->setAutoAddPlottableToLegend(false);  // each panel has its own legend
  plot_->setMinimumHeight(240);
  plot_->setAccessibleName(tr("Recording plot"));
  connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] { reset(); });
}

void TracePlot::clear() {
  live_window_ = 0;
  plot_->clearPlottables();
  plot_->clearItems();
  plot_->plotLayout()->clear();
  plot_->plotLayout()->addElement(0, 0, new QCPAxisRect(plot_));
  plot_->replot();
}

void TracePlot::start_live(const QStringList& channels, const QString& x_label, double window) {
  clear();
  live_window_ = window;
  auto* rect = plot_->axisRect();
  rect->axis(QCPAxis::atBottom)->setLabel(x_label);
  rect->axis(QCPAxis::atBottom)->setRange(0, window);
  // Many channels (a WiFi scan hears dozens of access points) would bury the legend; the lines
  // are all drawn, the legend names the first few.
  constexpr int kLegendMax = 8;
  auto* legend = new QCPLegend;
  rect->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
  legend->setLayer(QLatin1String("legend"));
  for (int c = 0; c < channels.size(); ++c) {
    auto* g = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    g->setName(channels[c]);
    g->setPen(QPen(class_color(c), 1.2));
    if (c < kLegendMax) legend->addItem(new QCPPlottableLegendItem(legend, g));
  }
  style_plot(plot_);  // replots
}

void TracePlot::append_live(const QVector<double>& x, const QList<QVector<double>>& values) {
  if (x.isEmpty() || live_window_ <= 0) return;
  for (int c = 0; c < values.size() && c < plot_->graphCount(); ++c)
    plot_->graph(c)->addData(x, values[c], true);
  auto* rect = plot_->axisRect();
  const double last = x.back();
  rect->axis(QCPAxis::atBottom)
      ->setRange(std::max(0.0, last - live_window_), std::max(live_window_, last));
  // The value axis follows what is in view, so a quiet stretch is not flattened by a peak that
  // scrolled away.
  bool first = true;
  for (int i = 0; i < plot_->graphCount(); ++i) {
    plot_->graph(i)->rescaleValueAxis(!first, true);
    first = false;
  }
  auto* value_axis = rect->axis(QCPAxis::atLeft);
  value_axis->scaleRange(1.1, value_axis->range().center());  // no line on the frame
  plot_->replot(QCustomPlot::rpQueuedReplot);
}

std::vector<size_t> heard_channels(const nlohmann::json& source_stats) {
  std::vector<size_t> heard;
  const auto channels = source_stats.value("channels", nlohmann::json::array());
  for (size_t c = 0; c < channels.size(); ++c)
    if (channels[c].contains("min")) heard.push_back(c);
  return heard;
}

QStringList TracePlot::span_legend() const {
  QStringList names;
  for (int i = 0; i < plot_->graphCount(); ++i)
    if (plot_->graph(i)->property("label_span").toBool()) names << plot_->graph(i)->name();
  return names;
}

size_t TracePlot::point_count() const {
  size_t n = 0;
  for (int i = 0; i < plot_->graphCount(); ++i)
    n += size_t(plot_->graph(i)->dataCount());
  return n;
}

void TracePlot::reset() {
  // Ranges first: style_plot replots, and new data drawn against the previous ranges can lie
  // far outside the view, where the raster engine takes seconds to stroke each line.
  plot_->rescaleAxes();
  for (auto* rect : plot_->axisRects())
    for (auto* axis : rect->axes())
      axis->scaleRange(1.05, axis->range().center());
  style_plot(plot_);
}

void TracePlot::show_imu(const data::Series& s, const data::Schema& schema,
                         const std::vector<std::string>& classes) {
  plot_->clearPlottables();
  plot_->clearItems();
  plot_->plotLayout()->clear();
  const size_t nc = schema.channels.size(), rows = s.rows();
  // One panel per unit family: accelerometer, gyroscope, other.
  auto family = [](const std::string& unit) {
    if (unit == "g" || unit == "mg" || unit == "m/s^2") return 0;
    if (unit == "rad/s" || unit == "deg/s" || unit == "mdeg/s") return 1;
    return 2;
  };
  std::map<int, std::vector<size_t>> panels;
  for (size_t c = 0; c < nc; ++c)
    panels[family(schema.channels[c].unit)].push_back(c);
  const double rate = schema.sample_rate_hz > 0 ? schema.sample_rate_hz : 1.0;
  QVector<double> t(qsizetype(rows), 0.0);
  for (size_t r = 0; r < rows; ++r)
    t[int(r)] = s.time_s.empty() ? double(r) / rate : s.time_s[r] - s.time_s[0];

  static const QColor kAxisColors[] = {QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
                                       QColor(0x1f, 0x77, 0xb4)};
  int row = 0;
  QList<QCPAxisRect*> rects;
  for (const auto& [fam, channels] : panels) {
    auto* rect = new QCPAxisRect(plot_);
    plot_->plotLayout()->addElement(row++, 0, rect);
    rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
    rect->setRangeZoom(Qt::Horizontal);
    const std::string& unit = schema.channels[channels.front()].unit;
    rect->axis(QCPAxis::atLeft)
        ->setLabel(QString::fromStdString((fam == 0   ? "accel "
                                           : fam == 1 ? "gyro "
                                                      : "") +
                                          std::string("(") + unit + ")"));
    rect->axis(QCPAxis::atBottom)->setLabel(tr("time (s)"));
    auto* legend = new QCPLegend;
    rect->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
    legend->setLayer(QLatin1String("legend"));
    for (size_t k = 0; k < channels.size(); ++k) {
      const size_t c = channels[k];
      auto* g = plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
      QVector<double> v(qsizetype(rows), 0.0);
      for (size_t r = 0; r < rows; ++r)
        v[int(r)] = s.values[r * nc + c];
      g->setData(t, v, true);
      g->setName(QString::fromStdString(schema.channels[c].name));
      g->setPen(QPen(kAxisColors[k % 3], 1.2));
      legend->addItem(new QCPPlottableLegendItem(legend, g));
    }
    // Label spans: one shaded rectangle per run of the same label, named in a legend whose
    // colours are the class chart's (class_color of the class index).
    if (row == 1) {
      std::vector<int32_t> present;
      for (size_t r = 0; r < rows; ++r)
        if (s.labels[r] != data::kNoLabel &&
            std::find(present.begin(), present.end(), s.labels[r]) == present.end())
          present.push_back(s.labels[r]);
      std::sort(present.begin(), present.end());
      if (!present.empty()) {
        auto* labels_legend = new QCPLegend;
        rect->insetLayout()->addElement(labels_legend, Qt::AlignTop | Qt::AlignLeft);
        labels_legend->setLayer(QLatin1String("legend"));
        for (int32_t label : present) {
          auto* swatch =
              plot_->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
          QColor fill = class_color(label);
          fill.setAlpha(110);
          swatch->setPen(QPen(fill, 10));
          swatch->setName(tr("label: %1").arg(QString::fromStdString(classes.at(size_t(label)))));
          swatch->setProperty("label_span", true);
          labels_legend->addItem(new QCPPlottableLegendItem(labels_legend, swatch));
        }
      }
    }
    size_t start = 0;
    for (size_t r = 1; r <= rows; ++r) {
      if (r < rows && s.labels[r] == s.labels[start]) continue;
      const int32_t label = s.labels[start];
      if (label != data::kNoLabel) {
        auto* span = new QCPItemRect(plot_);
        span->setClipAxisRect(rect);
        span->topLeft->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        span->bottomRight->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        span->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        span->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        span->topLeft->setCoords(t[int(start)], 0);
        span->bottomRight->setCoords(t[int(r - 1)], 1);
        QColor fill = class_color(label);
        fill.setAlpha(40);
        span->setBrush(fill);
        span->setPen(Qt::NoPen);
        span->setLayer(QLatin1String("background"));
        // Name the span only where there is room for the text at the full view.
        const double total = std::max(1e-9, t[int(rows - 1)] - t[0]);
        if (row == 1 && (t[int(r - 1)] - t[int(start)]) / total > 0.04) {
          auto* text = new QCPItemText(plot_);
          text->setClipAxisRect(rect);
          text->position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
          text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
          text->position->setCoords((t[int(start)] + t[int(r - 1)]) / 2, 0.04);
          text->setPositionAlignment(Qt::AlignHCenter | Qt::AlignTop);
          text->setText(QString::fromStdString(classes.at(size_t(label))));
          text->setColor(class_color(label).darker(130));
        }
      }
      start = r;
    }
    rects.append(rect);
  }
  // Synchronized time axes across panels.
  for (auto* a : rects)
    for (auto* b : rects)
      if (a != b)
        connect(a->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::rangeChanged),
                b->axis(QCPAxis::atBottom), qOverload<const QCPRange&>(&QCPAxis::setRange));
  auto* group = new QCPMarginGroup(plot_);
  for (auto* r : rects)
    r->setMarginGroup(QCP::msLeft | QCP::msRight, group);
  reset();
}

void TracePlot::show_rssi(const std::vector<float>& values, const std::vector<int32_t>& labels,
                          const data::Schema& schema, const std::vector<std::string>& classes,
                          const std::vector<size_t>& heard) {
  plot_->clearPlottables();
  plot_->clearItems();
  plot_->plotLayout()->clear();
  const size_t nc = schema.channels.size(), rows = labels.size();
  // Order fingerprints by zone so the heat map shows each zone's signature as a band.
  std::vector<size_t> order(rows);
  for (size_t i = 0; i < rows; ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return labels[a] < labels[b]; });
  std::vector<size_t> heard_count(nc, 0);
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < nc; ++c)
      heard_count[c] += !std::isnan(values[r * nc + c]);
  // APs heard at least once in the source, keeps the map readable with 520 columns.
  std::vector<size_t> aps;
  for (size_t c : heard)
    if (c < nc) aps.push_back(c);

  auto* lines = new QCPAxisRect(plot_);
  auto* heat = new QCPAxisRect(plot_);
  plot_->plotLayout()->addElement(0, 0, lines);
  plot_->plotLayout()->addElement(1, 0, heat);
  lines->axis(QCPAxis::atLeft)->setLabel(tr("RSSI (dBm)"));
  lines->axis(QCPAxis::atBottom)->setLabel(tr("fingerprint (ordered by zone)"));
  // The most-heard access points as lines.
  std::vector<size_t> top = aps;
  std::sort(top.begin(), top.end(),
            [&](size_t a, size_t b) { return heard_count[a] > heard_count[b]; });
  if (top.size() > 6) top.resize(6);
  auto* legend = new QCPLegend;
  lines->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
  for (size_t k = 0; k < top.size(); ++k) {
    auto* g = plot_->addGraph(lines->axis(QCPAxis::atBottom), lines->axis(QCPAxis::atLeft));
    QVector<double> x, y;
    for (size_t i = 0; i < rows; ++i) {
      float v = values[order[i] * nc + top[k]];
      if (std::isnan(v)) continue;
      x.push_back(double(i));
      y.push_back(v);
    }
    g->setData(x, y, true);
    g->setLineStyle(QCPGraph::lsNone);
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 3));
    g->setPen(QPen(class_color(int(k))));
    g->setName(QString::fromStdString(schema.channels[top[k]].name));
    legend->addItem(new QCPPlottableLegendItem(legend, g));
  }
  auto* map = new QCPColorMap(heat->axis(QCPAxis::atBottom), heat->axis(QCPAxis::atLeft));
  map->data()->setSize(int(aps.size()), int(rows));
  map->data()->setRange(QCPRange(0, double(aps.size()) - 1), QCPRange(0, double(rows) - 1));
  for (size_t k = 0; k < aps.size(); ++k)
    for (size_t i = 0; i < rows; ++i) {
      float v = values[order[i] * nc + aps[k]];
      map->data()->setCell(int(k), int(i), std::isnan(v) ? -110.0 : double(v));
    }
  map->setGradient(QCPColorGradient::gpThermal);
  map->setDataRange(QCPRange(-105, -30));
  map->setInterpolate(false);
  // The colour scale: what a colour means in dBm (decibels relative to a milliwatt: -30 is a
  // strong signal next to the access point, -100 barely heard).
  auto* scale = new QCPColorScale(plot_);
  plot_->plotLayout()->addElement(1, 1, scale);
  scale->setType(QCPAxis::atRight);
  scale->setGradient(map->gradient());
  scale->setDataRange(map->dataRange());
  scale->axis()->setLabel(tr("RSSI (dBm); darkest: not heard"));
  map->setColorScale(scale);
  auto* scale_group = new QCPMarginGroup(plot_);
  heat->setMarginGroup(QCP::msTop | QCP::msBottom, scale_group);
  scale->setMarginGroup(QCP::msTop | QCP::msBottom, scale_group);
  heat->axis(QCPAxis::atBottom)
      ->setLabel(tr("access point (%1 heard of %2)").arg(aps.size()).arg(nc));
  heat->axis(QCPAxis::atLeft)->setLabel(tr("fingerprint"));
  // Ticks that read: each column's access-point name under it (every k-th when there are more
  // than fit, slanted when several), never fractional positions such as "2.5"; fingerprints are
  // counted in whole numbers.
  constexpr size_t kMaxApTicks = 12;
  const size_t every = (aps.size() + kMaxApTicks - 1) / kMaxApTicks;
  auto ap_ticks = QSharedPointer<QCPAxisTickerText>::create();
  for (size_t k = 0; k < aps.size(); k += std::max<size_t>(every, 1))
    ap_ticks->addTick(double(k), QString::fromStdString(schema.channels[aps[k]].name));
  heat->axis(QCPAxis::atBottom)->setTicker(ap_ticks);
  heat->axis(QCPAxis::atBottom)->setTickLabelRotation(ap_ticks->ticks().size() > 6 ? -40 : 0);
  auto whole = QSharedPointer<QCPAxisTickerFixed>::create();
  whole->setTickStep(1);
  whole->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  heat->axis(QCPAxis::atLeft)->setTicker(whole);
  // Zone names in the middle of their band, on a backing so they read on any colour, and inside
  // the map so none is cut at its edges.
  size_t band_start = 0;
  for (size_t i = 1; i <= rows; ++i) {
    if (i < rows && labels[order[i]] == labels[order[band_start]]) continue;
    const int32_t label = labels[order[band_start]];
    auto* text = new QCPItemText(plot_);
    text->setClipAxisRect(heat);
    text->position->setAxes(heat->axis(QCPAxis::atBottom), heat->axis(QCPAxis::atLeft));
    text->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    text->position->setCoords(0.995, (double(band_start) + double(i - 1)) / 2.0);
    text->setPositionAlignment(Qt::AlignRight | Qt::AlignVCenter);
    text->setText(label == data::kNoLabel ? tr("(no zone)")
                                          : QString::fromStdString(classes.at(size_t(label))));
    text->setColor(Qt::white);
    text->setBrush(QColor(0, 0, 0, 150));
    text->setPadding(QMargins(3, 0, 3, 0));
    band_start = i;
  }
  heat->setMinimumSize(QSize(0, 200));
  reset();
}

}  // namespace tinyllm::ui
