// Plots of imported recordings (QCustomPlot): IMU axes over time with label spans shaded, the
// accelerometer and gyroscope in stacked panels with synchronized time axes; RSSI per access point
// over fingerprints and a heat map of fingerprints (rows, grouped by zone) x access points.
// Drag to pan, wheel to zoom, double-click or reset() to see everything. While a take records
// (start_live/append_live), the readings of a device as they arrive, scrolling.
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

#include "data/recording.h"

class QCustomPlot;

namespace tinyllm::ui {

// The channels (access points) heard at least once in a source, from its statistics
// ({"channels": [{"min": ...}, ...]}): the one count every tab shows.
std::vector<size_t> heard_channels(const nlohmann::json& source_stats);

class TracePlot : public QWidget {
  Q_OBJECT
 public:
  explicit TracePlot(QWidget* parent = nullptr);

  void show_imu(const data::Series& series, const data::Schema& schema,
                const std::vector<std::string>& classes);
  // `rows` are fingerprints (rows x channels, NaN = not heard), `labels` their class ids;
  // `heard` the access points heard anywhere in the source (heard_channels of its stats), so the
  // map shows the same count as the Overview tab whatever sample of fingerprints it draws.
  void show_rssi(const std::vector<float>& rows, const std::vector<int32_t>& labels,
                 const data::Schema& schema, const std::vector<std::string>& classes,
                 const std::vector<size_t>& heard);
  void clear();

  // A take while it records: one panel with a line per channel, scrolling so that the last
  // `window` of x stays in view (x: seconds, or readings when the device sends no time).
  void start_live(const QStringList& channels, const QString& x_label, double window);
  // Adds readings: `x` and one vector of values per channel (NaN = none), as start_live named.
  void append_live(const QVector<double>& x, const QList<QVector<double>>& values);

  size_t point_count() const;  // data points across all graphs (for tests and status)
  QCustomPlot* plot() const { return plot_; }
  // The label names in the span legend, in order (empty when the recording has no labels).
  QStringList span_legend() const;

 public slots:
  void reset();

 private:
  QCustomPlot* plot_;
  double live_window_ = 0;  // > 0 while a live take scrolls
};

}  // namespace tinyllm::ui
