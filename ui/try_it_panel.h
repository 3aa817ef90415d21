// "Try it": one example of the test split (data/prepared/task_test.jsonl, never used in
// training) or a typed prompt, and the runtime's answer: the label, right or wrong, the latency
// and a bar per answer's score. The page that holds the panel decides where it runs (a device
// over SSH on the Deploy page, this computer's runtime on the Quantize page) and hands the
// runtime's JSON back to show_result.
#pragma once

#include <QWidget>

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

class QCustomPlot;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace tinyllm::ui {

class TryItPanel : public QWidget {
  Q_OBJECT
 public:
  // `run_text`/`run_tip`: the run button's text and tooltip ("Run on the device").
  TryItPanel(const QString& run_text, const QString& run_tip, QWidget* parent = nullptr);

  // Reads the test examples again (after the data step ran).
  void load_examples(const std::filesystem::path& task_test);
  int example() const;             // 1-based; 0 when there are none
  QString example_prompt() const;  // the chosen example's prompt
  QString true_label() const;      // its true answer
  bool has_labels() const;         // the task answers with labels (classification)
  QString typed_prompt() const;    // the typed prompt, empty when none was typed
  void set_running(const QString& text);
  void show_failed();
  // `result`: tinyllm-run classify --json (label, scores, latency_ms, prompt_tokens) or generate
  // --json (text, prompt_ms, generate_ms, prompt_tokens). With `true_label`, says right or wrong;
  // `note` is a line of plain text under it (how the answer was got).
  void show_result(const nlohmann::json& result, const QString& true_label = {},
                   const QString& note = {});

  // The form the controls are in: a page adds its own rows (which model) on top.
  QFormLayout* form() const { return form_; }
  QSpinBox* example_spin() const { return example_; }
  QLabel* example_label() const { return example_label_; }
  QLineEdit* prompt_edit() const { return prompt_; }
  QPushButton* run_button() const { return run_; }
  QLabel* result_label() const { return result_; }
  QCustomPlot* scores_plot() const { return scores_plot_; }

 signals:
  void runRequested();

 private:
  void show_example();

  std::vector<nlohmann::json> examples_;
  QFormLayout* form_;
  QSpinBox* example_;
  QLabel* example_label_;
  QLineEdit* prompt_;
  QPushButton* run_;
  QLabel* result_;
  QCustomPlot* scores_plot_;
};

}  // namespace tinyllm::ui
