// tinyllm-studio: the desktop workbench.
//   tinyllm-studio [PROJECT_FOLDER]
//   tinyllm-studio PROJECT_FOLDER --screenshot OUT.png [--step N] [--tab M] [--recording K]
//                  [--train-steps N] [--export TYPES]
// The screenshot form opens the project at a page, saves the window as PNG and exits (used by
// docs/screenshots.sh for the README).
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCommandLineParser>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTimer>

#include "base/version.h"
#include "data_page.h"
#include "finetune_page.h"
#include "main_window.h"
#include "pretrain_page.h"
#include "quantize_page.h"
#include "record_dialog.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("TinyLLM"));
  QApplication::setApplicationName(QStringLiteral("Workbench"));
  QApplication::setApplicationVersion(QString::fromLatin1(tinyllm::kWorkbenchVersion));
  QCommandLineParser parser;
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument(QStringLiteral("project"), QStringLiteral("project folder to open"));
  QCommandLineOption shot(QStringLiteral("screenshot"),
                          QStringLiteral("save the window to FILE and exit"),
                          QStringLiteral("file"));
  QCommandLineOption step(QStringLiteral("step"), QStringLiteral("step page to show (0-4)"),
                          QStringLiteral("n"), "0");
  QCommandLineOption tab(QStringLiteral("tab"), QStringLiteral("tab of the Data or Fine-tune page"),
                         QStringLiteral("n"), "0");
  QCommandLineOption recording(QStringLiteral("recording"), QStringLiteral("recording to plot"),
                               QStringLiteral("n"), "0");
  QCommandLineOption train(
      QStringLiteral("train-steps"),
      QStringLiteral("start a tiny training run of N steps; shoot when it ends"),
      QStringLiteral("n"));
  QCommandLineOption dark(QStringLiteral("dark"), QStringLiteral("use the dark palette"));
  QCommandLineOption export_types(
      QStringLiteral("export"),
      QStringLiteral("on the Quantize page, export these types (f32,q8_0); shoot when it ends"),
      QStringLiteral("types"));
  QCommandLineOption record(
      QStringLiteral("record"),
      QStringLiteral("open the Data page's Record dialog, record a take labelled LABEL from the "
                     "first device's sensor source SOURCE and shoot the dialog while it records"),
      QStringLiteral("source:label"));
  parser.addOptions({shot, step, tab, recording, train, export_types, record, dark});
  parser.process(app);

  tinyllm::ui::MainWindow window;
  window.resize(1360, 860);
  if (parser.isSet(dark)) window.set_dark(true);
  window.show();
  const QStringList args = parser.positionalArguments();
  if (!args.isEmpty()) window.open_project(args.at(0));
  if (parser.isSet(shot)) {
    window.step_rail()->setCurrentRow(parser.value(step).toInt());
    // --tab picks the tab of the page shown: the Data page's or the Fine-tune page's.
    window.data_page()->tabs()->setCurrentIndex(parser.value(tab).toInt());
    window.finetune_page()->tabs()->setCurrentIndex(parser.value(tab).toInt());
    window.data_page()->recording_picker()->setCurrentIndex(parser.value(recording).toInt());
    auto save = [&] {
      const bool ok = window.grab().save(parser.value(shot));
      QApplication::exit(ok ? 0 : 1);
    };
    if (parser.isSet(train)) {
      auto* page = window.pretrain_page();
      page->preset()->setCurrentIndex(page->preset()->findData(QStringLiteral("tiny")));
      page->steps()->setValue(parser.value(train).toInt());
      QObject::connect(page, &tinyllm::ui::PretrainPage::trainingFinished, &window,
                       [&] { QTimer::singleShot(500, &window, save); });
      QTimer::singleShot(300, &window, [page] { page->start_button()->click(); });
    } else if (parser.isSet(export_types)) {
      auto* page = window.quantize_page();
      const QStringList types = parser.value(export_types).split(QLatin1Char(','));
      for (const char* t : {"f32", "f16", "q8_0", "q4_0"})
        page->type_box(QLatin1String(t))->setChecked(types.contains(QLatin1String(t)));
      QObject::connect(page, &tinyllm::ui::QuantizePage::allJobsFinished, &window,
                       [&] { QTimer::singleShot(500, &window, save); });
      QTimer::singleShot(300, &window, [page] { page->export_button()->click(); });
    } else if (parser.isSet(record)) {
      const QStringList take = parser.value(record).split(QLatin1Char(':'));
      auto* data = window.data_page();
      QTimer::singleShot(300, &window, [&, data, take] {
        data->record_button()->click();
        auto* dialog = data->record_dialog();
        dialog->source_combo()->setCurrentIndex(dialog->source_combo()->findData(take.value(0)));
        dialog->label_combo()->setCurrentText(take.value(1));
        dialog->start_button()->click();
        // A few seconds of readings in the live plot, then the dialog as the user sees it.
        QTimer::singleShot(4000, dialog, [&, dialog] {
          const bool ok = dialog->grab().save(parser.value(shot));
          QApplication::exit(ok ? 0 : 1);
        });
      });
    } else {
      QTimer::singleShot(800, &window, save);
    }
  }
  return app.exec();
}
