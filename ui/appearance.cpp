#include "appearance.h"

#include <qcustomplot.h>
#include <QApplication>
#include <QSettings>
#include <QSplitter>

namespace tinyllm::ui {

QColor class_color(int index) {
  static const QColor kColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
                                   QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
                                   QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b),
                                   QColor(0xe3, 0x77, 0xc2), QColor(0x7f, 0x7f, 0x7f),
                                   QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf)};
  return kColors[(index < 0 ? 0 : index) % 10];
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

}  // namespace tinyllm::ui
