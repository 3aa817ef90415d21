#include "run_comparison_view.h"

#include <qcustomplot.h>
#include <QHeaderView>
#include <QLabel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "appearance.h"
#include "run_display.h"

namespace tinyllm::ui {
using nlohmann::json;

namespace {

// "1.2 MB", "840 kB", "512 B".
QString size_text(double bytes) {
  if (bytes >= 1e6) return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
  if (bytes >= 1e3) return QStringLiteral("%1 kB").arg(bytes / 1e3, 0, 'f', 0);
  return QStringLiteral("%1 B").arg(bytes, 0, 'f', 0);
}

// "1.09M", "820k".
QString count_text(double n) {
  if (n >= 1e6) return QStringLiteral("%1M").arg(n / 1e6, 0, 'f', 2);
  if (n >= 1e3) return QStringLiteral("%1k").arg(n / 1e3, 0, 'f', 0);
  return QString::number(n, 'f', 0);
}

QString duration_text(double seconds) {
  if (seconds < 90) return QObject::tr("%1 s").arg(seconds, 0, 'f', 0);
  if (seconds < 5400) return QObject::tr("%1 min").arg(seconds / 60, 0, 'f', 1);
  return QObject::tr("%1 h").arg(seconds / 3600, 0, 'f', 1);
}

// How a non-expert reads a baseline's name.
QString baseline_name(const json& b) {
  const std::string name = b.value("name", std::string());
  if (name == "majority") return QObject::tr("majority class");
  if (name == "knn") return QObject::tr("k-NN (k=%1)").arg(b.value("k", 1));
  if (name == "logistic") return QObject::tr("logistic regression");
  return QString::fromStdString(name);
}

// The most accurate baseline, or null when there is none.
const json* best_baseline(const json& baselines) {
  const json* best = nullptr;
  for (const auto& b : baselines)
    if (!best || b.value("accuracy", 0.0) > best->value("accuracy", 0.0)) best = &b;
  return best;
}

const QColor kRunColor(0x1f, 0x77, 0xb4);
const QColor kBaselineColor(0x8c, 0x8c, 0x8c);

}  // namespace

void RunComparisonModel::set_comparison(pipeline::RunComparison comparison) {
  beginResetModel();
  comparison_ = std::move(comparison);
  endResetModel();
}

int RunComparisonModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(comparison_.runs.size());
}

int RunComparisonModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant RunComparisonModel::value(const eval::RunSummary& run, int column) const {
  switch (column) {
    case kParams:
      return double(run.params);
    case kTokens:
      return run.tokens_per_example;
    case kAccuracy:
      return run.accuracy;
    case kMacroF1:
      return run.macro_f1;
    case kVsBaseline: {
      const json* best = best_baseline(comparison_.baselines);
      return best ? QVariant(run.accuracy - best->value("accuracy", 0.0)) : QVariant();
    }
    case kTrainTime:
      return run.train_seconds;
    default:
      return text(run, column);
  }
}

QString RunComparisonModel::text(const eval::RunSummary& run, int column) const {
  switch (column) {
    case kRun:
      return QString::fromStdString(run.run_id);
    case kParams:
      return count_text(double(run.params));
    case kTokens:
      return QString::number(run.tokens_per_example, 'f', 0);
    case kAccuracy:
      return percent(run.accuracy);
    case kMacroF1:
      return QString::number(run.macro_f1, 'f', 2);
    case kVsBaseline: {
      const json* best = best_baseline(comparison_.baselines);
      if (!best) return tr("–");
      const double points = 100 * (run.accuracy - best->value("accuracy", 0.0));
      return tr("%1%2 pt vs %3")
          .arg(points >= 0 ? QStringLiteral("+") : QString())
          .arg(points, 0, 'f', 1)
          .arg(baseline_name(*best));
    }
    case kTrainTime:
      return run.train_seconds > 0 ? duration_text(run.train_seconds) : tr("–");
    case kDecoding:
      return QString::fromStdString(run.decoding);
    case kExported: {
      QStringList parts;
      for (const auto& v : run.variants) {
        QString part =
            QStringLiteral("%1 %2").arg(QString::fromStdString(v.type), size_text(double(v.bytes)));
        if (std::isfinite(v.mean_latency_ms))
          part += tr(", %1 ms").arg(v.mean_latency_ms, 0, 'f', 1);
        parts << part;
      }
      return parts.isEmpty() ? tr("not exported") : parts.join(QStringLiteral("; "));
    }
  }
  return {};
}

QVariant RunComparisonModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const eval::RunSummary& run = comparison_.runs[size_t(index.row())];
  if (role == Qt::DisplayRole) return text(run, index.column());
  if (role == kValueRole) return value(run, index.column());
  if (role == Qt::TextAlignmentRole && index.column() != kRun && index.column() != kDecoding &&
      index.column() != kExported && index.column() != kVsBaseline)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (role == Qt::ToolTipRole && index.column() == kExported)
    return tr(
        "Each exported file: its size and the mean time of one test example with the "
        "edge runtime on this computer (Quantize step).");
  return {};
}

QVariant RunComparisonModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case kRun:
      return tr("Run");
    case kParams:
      return tr("Parameters");
    case kTokens:
      return tr("Tokens / example");
    case kAccuracy:
      return tr("Test accuracy");
    case kMacroF1:
      return tr("Macro-F1");
    case kVsBaseline:
      return tr("Against the best baseline");
    case kTrainTime:
      return tr("Training time");
    case kDecoding:
      return tr("Decoding");
    case kExported:
      return tr("Exported (size, latency)");
  }
  return {};
}

RunComparisonView::RunComparisonView(QWidget* parent)
    : QWidget(parent), model_(new RunComparisonModel(this)) {
  auto* layout = new QVBoxLayout(this);
  note_ = new QLabel;
  note_->setWordWrap(true);
  note_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(note_);
  table_ = new QTableView;
  table_->setModel(model_);
  table_->verticalHeader()->setVisible(false);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(table_, 1);

  scatter_ = new QCustomPlot;
  scatter_->setMinimumHeight(180);
  scatter_->setInteractions(QCP::Interactions());
  scatter_->xAxis->setLabel(tr("parameters (log scale)"));
  scatter_->yAxis->setLabel(tr("test accuracy (%)"));
  scatter_->xAxis->setScaleType(QCPAxis::stLogarithmic);
  QSharedPointer<QCPAxisTickerLog> log_ticks(new QCPAxisTickerLog);
  scatter_->xAxis->setTicker(log_ticks);
  scatter_->xAxis->setNumberFormat(QStringLiteral("eb"));
  scatter_->xAxis->setNumberPrecision(0);
  scatter_->setToolTip(
      tr("Each point is a fine-tuned run: further right is larger (and slower on the device), "
         "higher is more accurate. The dashed lines are the baselines: a run under them is not "
         "worth deploying."));
  runs_graph_ = scatter_->addGraph();
  runs_graph_->setName(tr("fine-tuned runs"));
  runs_graph_->setLineStyle(QCPGraph::lsNone);
  runs_graph_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kRunColor, 9));
  layout->addWidget(scatter_, 3);
  clear();
}

void RunComparisonView::clear() {
  model_->set_comparison({});
  note_->setText(
      tr("No evaluated run yet: each evaluated fine-tuning run appears here, beside "
         "the others and the baselines."));
  plot();
}

void RunComparisonView::load(const project::Project& project) {
  model_->set_comparison(pipeline::compare_runs(project));
  const auto& c = model_->comparison();
  if (c.runs.empty()) {
    clear();
    return;
  }
  QStringList baselines;
  for (const auto& b : c.baselines)
    baselines << tr("%1 %2").arg(baseline_name(b), percent(b.value("accuracy", 0.0)));
  QString note =
      tr("%n evaluated run(s) on the test examples, from their reports.", "", int(c.runs.size()));
  if (!baselines.isEmpty())
    note += tr(" Baselines on the same examples: %1.").arg(baselines.join(QStringLiteral(", ")));
  note +=
      tr(" Pick the smallest run that is good enough: every parameter costs memory and time "
         "on the device.");
  note_->setText(note);
  plot();
}

void RunComparisonView::plot() {
  runs_graph_->data()->clear();
  scatter_->clearItems();
  baseline_lines_ = 0;
  const auto& c = model_->comparison();
  double lo = 1e300, hi = 0;
  for (const auto& run : c.runs) {
    if (run.params <= 0) continue;
    const double x = double(run.params), y = 100 * run.accuracy;
    runs_graph_->addData(x, y);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    auto* label = new QCPItemText(scatter_);
    label->position->setCoords(x, y);
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    label->setPadding(QMargins(6, 0, 0, 4));
    label->setText(
        QStringLiteral("%1 (%2)").arg(QString::fromStdString(run.run_id), count_text(x)));
  }
  // One dashed line per baseline; baselines with the same accuracy share a line and a label.
  std::vector<std::pair<double, QStringList>> levels;
  for (const auto& b : c.baselines) {
    const double y = 100 * b.value("accuracy", 0.0);
    auto same = std::find_if(levels.begin(), levels.end(),
                             [y](const auto& level) { return std::abs(level.first - y) < 0.05; });
    if (same == levels.end()) same = levels.insert(levels.end(), {y, {}});
    same->second << baseline_name(b);
    ++baseline_lines_;
  }
  for (const auto& [y, names] : levels) {
    auto* line = new QCPItemStraightLine(scatter_);
    line->point1->setCoords(1, y);
    line->point2->setCoords(10, y);
    line->setPen(QPen(kBaselineColor, 1.2, Qt::DashLine));
    line->setProperty("baselines", names.join(QStringLiteral(", ")));
    auto* label = new QCPItemText(scatter_);
    label->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
    label->position->setCoords(0.01, y);
    label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
    label->setColor(kBaselineColor.darker(130));
    label->setText(QStringLiteral("%1 %2").arg(names.join(QStringLiteral(", ")),
                                               QString::number(y, 'f', 1) + '%'));
  }
  if (hi > 0)
    scatter_->xAxis->setRange(lo / 3, hi * 3);  // room for the labels either side
  else
    scatter_->xAxis->setRange(1e4, 1e7);
  scatter_->yAxis->setRange(0, 105);
  style_plot(scatter_);
  scatter_->replot();
}

}  // namespace tinyllm::ui
