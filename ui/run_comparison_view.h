// The Fine-tune page's "Compare runs" tab: every evaluated fine-tuning run of the project side
// by side, as the paper compares models, so a user picks the smallest model that is good enough.
// A table (one row per run: parameters, tokens per example, test accuracy and macro-F1, how far
// it is from the best baseline, training time, decoding, and each exported file's size and
// latency) and a scatter of test accuracy against parameters (log scale), one labelled point per
// run, the baselines as dashed horizontal lines. The data is core's (pipeline/run_comparison.h),
// read from the reports on disk: a few small JSON files, fine on the GUI thread.
#pragma once

#include <QAbstractTableModel>
#include <QWidget>

#include "pipeline/run_comparison.h"

class QCPGraph;
class QCustomPlot;
class QLabel;
class QTableView;

namespace tinyllm::ui {

class RunComparisonModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    kRun,
    kParams,
    kTokens,
    kAccuracy,
    kMacroF1,
    kVsBaseline,
    kTrainTime,
    kDecoding,
    kExported,
    kColumnCount
  };
  // The number behind a cell as the report holds it (accuracy 0..1, seconds), for sorting and
  // tests; text columns give their text.
  static constexpr int kValueRole = Qt::UserRole;
  using QAbstractTableModel::QAbstractTableModel;

  void set_comparison(pipeline::RunComparison comparison);
  const pipeline::RunComparison& comparison() const { return comparison_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

 private:
  QVariant value(const eval::RunSummary& run, int column) const;
  QString text(const eval::RunSummary& run, int column) const;

  pipeline::RunComparison comparison_;
};

class RunComparisonView : public QWidget {
  Q_OBJECT
 public:
  explicit RunComparisonView(QWidget* parent = nullptr);

  // Reads the project's reports and shows every evaluated run (none: an empty table and a note).
  void load(const project::Project& project);
  void clear();

  RunComparisonModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  QCustomPlot* scatter() const { return scatter_; }
  // The runs' points (x: parameters, y: test accuracy in %).
  QCPGraph* runs_graph() const { return runs_graph_; }
  // The baselines drawn as dashed lines (those with the same accuracy share one line).
  int baseline_lines() const { return baseline_lines_; }
  QLabel* note() const { return note_; }

 private:
  void plot();

  RunComparisonModel* model_;
  QLabel* note_;
  QTableView* table_;
  QCustomPlot* scatter_;
  QCPGraph* runs_graph_;
  int baseline_lines_ = 0;
};

}  // namespace tinyllm::ui
