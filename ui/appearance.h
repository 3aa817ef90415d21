// How the workbench looks and keeps its look: class colours, plots painted from the palette
// (light or dark), and panel sizes remembered between sessions.
#pragma once

#include <QColor>
#include <QString>

class QCustomPlot;
class QSplitter;

namespace tinyllm::ui {

// Colours for classes, stable by class index, readable on light and dark backgrounds.
QColor class_color(int index);

// Paints a plot's background, axes, grid and legends from the application palette (light/dark).
void style_plot(QCustomPlot* plot);

// Restores a splitter's sizes from the settings and saves them whenever the user moves it.
void remember_splitter(QSplitter* splitter, const QString& key);

}  // namespace tinyllm::ui
