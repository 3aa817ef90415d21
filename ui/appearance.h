// How the workbench looks and keeps its look: class colours, plots painted from the palette
// (light or dark), and panel sizes remembered between sessions.
#pragma once

#include <QColor>
#include <QString>

class QCPAxis;
class QCustomPlot;
class QSplitter;
class QWidget;

namespace tinyllm::ui {

// Colours for classes, stable by class index, readable on light and dark backgrounds.
QColor class_color(int index);

// WCAG contrast ratio of two colours: 1 (same) to 21 (black on white).
double contrast_ratio(const QColor& a, const QColor& b);
// `color` lightened or darkened just enough to reach `ratio` against `background`.
QColor readable_on(const QColor& color, const QColor& background, double ratio = 3.0);

// Paints a plot's background, axes, grid and legends from the application palette (light/dark),
// and makes each graph's line readable on that background (keeping its hue).
void style_plot(QCustomPlot* plot);

// Ticks only at whole numbers (steps): a short run otherwise shows steps 1.5, 2.5, ...
void integer_ticks(QCPAxis* axis);

// A step page's two panes: a horizontal splitter that fills `page` edge to edge; the page adds the
// panes, then remember_splitter.
QSplitter* fill_with_splitter(QWidget* page);

// Restores a splitter's sizes from the settings and saves them whenever the user moves it.
void remember_splitter(QSplitter* splitter, const QString& key);

}  // namespace tinyllm::ui
