#include "quantize_models.h"

#include <QFont>
#include <QGuiApplication>
#include <QPalette>

#include "deploy_text.h"

namespace tinyllm::ui {

namespace {

// " (0.30x)" / " (-1.2 pt)": a change against F32 beside a number; nothing when unknown.
QString ratio(const std::optional<double>& r) {
  return r ? QStringLiteral(" (%1x)").arg(*r, 0, 'f', 2) : QString();
}
QString points(const std::optional<double>& p) {
  return p ? QStringLiteral(" (%1%2 pt)").arg(*p >= 0 ? "+" : "").arg(*p, 0, 'f', 1) : QString();
}

}  // namespace

void QuantTableModel::set_report(pipeline::QuantReport report, std::set<std::string> stale) {
  beginResetModel();
  report_ = std::move(report);
  stale_ = std::move(stale);
  recommended_.reset();
  endResetModel();
}

void QuantTableModel::clear() {
  set_report({}, {});
}

void QuantTableModel::set_recommended(std::optional<size_t> row) {
  recommended_ = row;
  if (rowCount() > 0) emit dataChanged(index(0, 0), index(rowCount() - 1, kColumnCount - 1));
}

bool QuantTableModel::is_stale(size_t row) const {
  return row < report_.variants.size() && stale_.count(report_.variants[row].type) > 0;
}

int QuantTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(report_.variants.size());
}

int QuantTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant QuantTableModel::value(const pipeline::QuantVariant& v, int column) const {
  auto opt = [](const std::optional<double>& x) { return x ? QVariant(*x) : QVariant(); };
  switch (column) {
    case kType:
      return QString::fromStdString(v.type);
    case kSize:
      return double(v.bytes);
    case kBits:
      return v.bits_per_weight;
    case kPerplexity:
      return opt(v.perplexity);
    case kAccuracy:
      return opt(v.accuracy);
    case kPromptSpeed:
      return opt(v.prompt_tokens_per_s);
    case kGenSpeed:
      return opt(v.gen_tokens_per_s);
  }
  return {};
}

QString QuantTableModel::text(const pipeline::QuantVariant& v, int column) const {
  const QString none = tr("not measured");
  switch (column) {
    case kType: {
      QString t = QString::fromStdString(v.type);
      if (v.type == pipeline::kRecommendedQuantType) t += tr(" (recommended)");
      if (stale_.count(v.type)) t += tr(" - stale");
      return t;
    }
    case kSize:
      return format_size(double(v.bytes)) + ratio(v.size_vs_f32);
    case kBits:
      return QString::number(v.bits_per_weight, 'f', 2);
    case kPerplexity:
      return v.perplexity ? QString::number(*v.perplexity, 'f', 2) + ratio(v.perplexity_vs_f32)
                          : none;
    case kAccuracy:
      return v.accuracy ? QStringLiteral("%1%").arg(100.0 * *v.accuracy, 0, 'f', 1) +
                              points(v.accuracy_points_vs_f32)
                        : none;
    case kPromptSpeed:
      return v.prompt_tokens_per_s
                 ? QString::number(*v.prompt_tokens_per_s, 'f', 0) + ratio(v.prompt_speed_vs_f32)
                 : none;
    case kGenSpeed:
      return v.gen_tokens_per_s
                 ? QString::number(*v.gen_tokens_per_s, 'f', 0) + ratio(v.gen_speed_vs_f32)
                 : none;
  }
  return {};
}

QVariant QuantTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const size_t row = size_t(index.row());
  const auto& v = report_.variants[row];
  const bool recommended = recommended_ == row;
  switch (role) {
    case Qt::DisplayRole:
      return text(v, index.column());
    case kValueRole:
      return value(v, index.column());
    case Qt::TextAlignmentRole:
      return index.column() == kType ? QVariant() : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::FontRole:
      if (recommended) {
        QFont f;
        f.setBold(true);
        return f;
      }
      return {};
    case Qt::BackgroundRole:
      if (recommended) {
        QColor c = QGuiApplication::palette().color(QPalette::Highlight);
        c.setAlpha(60);
        return c;
      }
      return {};
    case Qt::ForegroundRole:
      if (is_stale(row)) return QGuiApplication::palette().color(QPalette::PlaceholderText);
      return {};
    case Qt::ToolTipRole: {
      QStringList tip;
      if (recommended) tip << tr("Recommended for the chosen Raspberry Pi.");
      if (is_stale(row))
        tip << tr("Stale: the model or its data changed since this file was exported.");
      tip << QString::fromStdString(v.file);
      for (const auto& [what, why] : v.not_measured)
        tip << tr("%1 not measured: %2")
                   .arg(QString::fromStdString(what), QString::fromStdString(why));
      return tip.join(QLatin1Char('\n'));
    }
  }
  return {};
}

QVariant QuantTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal) return {};
  if (role == Qt::ToolTipRole && section > kType && section != kBits)
    return tr("In brackets: against F32 (a ratio; accuracy in percentage points)");
  if (role != Qt::DisplayRole) return {};
  static const char* kNames[] = {QT_TR_NOOP("Type"),        QT_TR_NOOP("File size"),
                                 QT_TR_NOOP("Bits/weight"), QT_TR_NOOP("Perplexity"),
                                 QT_TR_NOOP("Accuracy"),    QT_TR_NOOP("Prompt tok/s"),
                                 QT_TR_NOOP("Gen tok/s")};
  return section < kColumnCount ? tr(kNames[section]) : QVariant();
}

}  // namespace tinyllm::ui
