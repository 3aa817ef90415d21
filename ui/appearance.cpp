#include "appearance.h"

#include <qcustomplot.h>
#include <QApplication>
#include <QHBoxLayout>
#include <QSettings>
#include <QSplitter>

#include <cmath>

namespace tinyllm::ui {

namespace {

double relative_luminance(const QColor& c) {
  auto channel = [](double v) {
    return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

}  // namespace

double contrast_ratio(const QColor& a, const QColor& b) {
  const double la = relative_luminance(a), lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QColor readable_on(const QColor& color, const QColor& background, double ratio) {
  const bool dark_background = relative_luminance(background) < 0.5;
  QColor c = color;
  for (int i = 0; i < 20 && contrast_ratio(c, background) < ratio; ++i)
    c = dark_background ? c.lighter(115) : c.darker(115);
  if (contrast_ratio(c, background) < ratio) c = dark_background ? Qt::white : Qt::black;
  c.setAlpha(color.alpha());
  return c;
}

QColor class_color(int index) {
  static const QColor kColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
                                   QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
                                   QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                   QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f),
                                   QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf)};
  return kColors[(index < 0 ? 0 : index) % 10];
}

QSplitter* fill_with_splitter(QWidget* page) {
  auto* splitter = new QSplitter(Qt::Horizontal, page);
  auto* outer = new QHBoxLayout(page);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(splitter);
  return splitter;
}

void remember_splitter(QSplitter* splitter, const QString& key) {
  splitter->restoreState(QSettings().value(key).toByteArray());
  QObject::connect(splitter, &QSplitter::splitterMoved, splitter,
                   [splitter, key] { QSettings().setValue(key, splitter->saveState()); });
}

void style_plot(QCustomPlot* plot) {
  const QPalette pal = qApp->palette();
  const QColor fg = pal.color(QPalette::WindowText), bg = pal.color(QPalette::Base);
  QColor grid = fg;
  grid.setAlpha(50);
  plot->setBackground(bg);
  // Lines keep their hue but not a colour the background swallows (navy on near-black). The
  // colour the page chose is kept, so switching back restores it.
  for (int i = 0; i < plot->graphCount(); ++i) {
    QCPGraph* graph = plot->graph(i);
    if (!graph->property("base_color").isValid())
      graph->setProperty("base_color", graph->pen().color());
    QPen pen = graph->pen();
    const QColor base = graph->property("base_color").value<QColor>();
    pen.setColor(base.alpha() < 255 ? base : readable_on(base, bg));
    graph->setPen(pen);
  }
  for (auto* rect : plot->axisRects()) {
    for (auto* axis : rect->axes()) {
      axis->setBasePen(QPen(fg));
      axis->setTickPen(QPen(fg));
      axis->setSubTickPen(QPen(fg));
      axis->setTickLabelColor(fg);
      axis->setLabelColor(fg);
      axis->grid()->setPen(QPen(grid, 1, Qt::DotLine));
      axis->grid()->setZeroLinePen(QPen(grid));
    }
    for (int i = 0; i < rect->insetLayout()->elementCount(); ++i)
      if (auto* legend = qobject_cast<QCPLegend*>(rect->insetLayout()->elementAt(i))) {
        legend->setBrush(bg);
        legend->setBorderPen(QPen(fg));
        legend->setTextColor(fg);
      }
  }
  if (plot->legend) {
    plot->legend->setBrush(bg);
    plot->legend->setBorderPen(QPen(fg));
    plot->legend->setTextColor(fg);
  }
  plot->replot();
}

void integer_ticks(QCPAxis* axis) {
  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(1.0);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);  // 1, 2, 5, 10, ... steps apart
  axis->setTicker(ticker);
}

}  // namespace tinyllm::ui
