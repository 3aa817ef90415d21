// Plots of imported recordings (QCustomPlot): IMU axes over time with label spans shaded, the
// accelerometer and gyroscope in stacked panels with synchronized time axes; RSSI per access point
// over fingerprints and a heat map of fingerprints (rows, grouped by zone) x access points.
// Drag to pan, wheel to zoom, double-click or reset() to see everything.
#pragma once

#include <QWidget>

#include "data/recording.h"

class QCustomPlot;

namespace tinyllm::ui {

class TracePlot : public QWidget {
  Q_OBJECT
 public:
  explicit TracePlot(QWidget* parent = nullptr);

  void show_imu(const data::Series& series, const data::Schema& schema,
                const std::vector<std::string>& classes);
  // `rows` are fingerprints (rows x channels, NaN = not heard), `labels` their class ids.
  void show_rssi(const std::vector<float>& rows, const std::vector<int32_t>& labels,
                 const data::Schema& schema, const std::vector<std::string>& classes);
  void clear();

  size_t point_count() const;  // data points across all graphs (for tests and status)
  QCustomPlot* plot() const { return plot_; }

 public slots:
  void reset();

 private:
  QCustomPlot* plot_;
};

}  // namespace tinyllm::ui
