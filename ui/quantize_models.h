// The Quantize page's table: one row per exported variant of the quantization report (type,
// file size, bits per weight, perplexity, accuracy, prompt and generation tokens/s), each number
// with its change against F32. The row the Raspberry Pi rule recommends is highlighted, a stale
// export is marked. It only adapts core's QuantReport (core/pipeline/quantize_step.h).
#pragma once

#include <QAbstractTableModel>

#include <optional>
#include <set>
#include <string>

#include "pipeline/quantize_step.h"

namespace tinyllm::ui {

class QuantTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column {
    kType,
    kSize,
    kBits,
    kPerplexity,
    kAccuracy,
    kPromptSpeed,
    kGenSpeed,
    kColumnCount
  };
  // The number behind a cell, as the report holds it (accuracy 0..1), or no value when it was
  // not measured.
  static constexpr int kValueRole = Qt::UserRole;
  using QAbstractTableModel::QAbstractTableModel;

  void set_report(pipeline::QuantReport report, std::set<std::string> stale_types);
  void clear();
  void set_recommended(std::optional<size_t> row);
  const pipeline::QuantReport& report() const { return report_; }
  std::optional<size_t> recommended() const { return recommended_; }
  bool is_stale(size_t row) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

 private:
  QVariant value(const pipeline::QuantVariant& v, int column) const;
  QString text(const pipeline::QuantVariant& v, int column) const;

  pipeline::QuantReport report_;
  std::set<std::string> stale_;
  std::optional<size_t> recommended_;
};

}  // namespace tinyllm::ui
