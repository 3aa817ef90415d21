// tinyllm_project: the project folder and its manifest.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "base/files.h"
#include "project/project.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {
fs::path temp_root(const QTemporaryDir& dir) {
  return fs::path(dir.path().toStdString()) / "proj";
}
}  // namespace

class TestProject : public QObject {
  Q_OBJECT
 private slots:
  void createMakesLayoutAndManifest() {
    QTemporaryDir dir;
    auto p = project::create_project(temp_root(dir), "Gestures", "gesture");
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().to_string().c_str());
    for (const char* sub :
         {"data", "tokenizer", "checkpoints", "exports", "deployments", "reports"})
      QVERIFY2(fs::is_directory(temp_root(dir) / sub), sub);
    auto opened = project::open_project(temp_root(dir));
    QVERIFY(opened.ok());
    QCOMPARE(QString::fromStdString(opened->name), QString("Gestures"));
    QCOMPARE(QString::fromStdString(opened->task), QString("gesture"));
    QCOMPARE(opened->schema_version, project::kSchemaVersion);
    // A second create in the same folder refuses instead of overwriting.
    auto again = project::create_project(temp_root(dir), "Other", "");
    QVERIFY(!again.ok());
    QVERIFY(again.error().message.find("already exists") != std::string::npos);
  }

  void sourcesAndArtifactsRoundTrip() {
    QTemporaryDir dir;
    auto p = project::create_project(temp_root(dir), "P", "");
    QVERIFY(p.ok());
    project::Source s;
    s.id = p->next_source_id();
    s.importer = "imu-csv";
    s.kind = "imu";
    s.files = {{"/data/a.csv", "abc", 10}};
    s.store = "data/imported/src1.tls";
    s.rows = 100;
    p->sources.push_back(s);
    QCOMPARE(QString::fromStdString(p->next_source_id()), QString("src2"));
    project::Artifact a;
    a.id = "prepared";
    a.kind = "prepared-data";
    a.path = "data/prepared";
    a.sha256 = "f00";
    a.inputs = {"src1"};
    p->put_artifact(a);
    QVERIFY(!p->is_stale(*p->find_artifact("prepared")));
    QVERIFY(project::save_project(*p).ok());
    auto back = project::open_project(temp_root(dir));
    QVERIFY(back.ok());
    QCOMPARE(back->sources.size(), size_t(1));
    QCOMPARE(back->sources[0].rows, uint64_t(100));
    QVERIFY(!back->is_stale(*back->find_artifact("prepared")));
    // Lineage: a changed input makes the artifact stale.
    back->sources[0].files[0].sha256 = "changed";
    QVERIFY(back->is_stale(*back->find_artifact("prepared")));
  }

  void newerSchemaIsRefusedAndKept() {
    QTemporaryDir dir;
    auto p = project::create_project(temp_root(dir), "P", "");
    QVERIFY(p.ok());
    const fs::path manifest = temp_root(dir) / "project.json";
    std::string text = *read_file(manifest);
    text.replace(text.find("\"schema_version\": 1"), 19, "\"schema_version\": 99");
    QVERIFY(write_file_atomic(manifest, text).ok());
    auto opened = project::open_project(temp_root(dir));
    QVERIFY(!opened.ok());
    QVERIFY(opened.error().message.find("newer") != std::string::npos);
    QVERIFY(opened.error().where.find("project.json") != std::string::npos);
    QCOMPARE(QString::fromStdString(*read_file(manifest)), QString::fromStdString(text));
  }

  void corruptManifestSaysWhere() {
    QTemporaryDir dir;
    auto p = project::create_project(temp_root(dir), "P", "");
    QVERIFY(p.ok());
    const fs::path manifest = temp_root(dir) / "project.json";
    const std::string broken = "{\n  \"format\": \"tinyllm-project\",\n  \"name\": oops\n}\n";
    QVERIFY(write_file_atomic(manifest, broken).ok());
    auto opened = project::open_project(temp_root(dir));
    QVERIFY(!opened.ok());
    // Line 3 holds the bad value.
    QVERIFY2(opened.error().where.find("project.json:3:") != std::string::npos,
             opened.error().where.c_str());
    QCOMPARE(QString::fromStdString(*read_file(manifest)), QString::fromStdString(broken));
    QVERIFY(!project::validate_project(temp_root(dir)).ok());
  }

  void missingFieldIsNamed() {
    QTemporaryDir dir;
    fs::create_directories(temp_root(dir));
    QVERIFY(
        write_file_atomic(temp_root(dir) / "project.json",
                          R"({"format": "tinyllm-project", "schema_version": 1, "created": "x"})")
            .ok());
    auto opened = project::open_project(temp_root(dir));
    QVERIFY(!opened.ok());
    QVERIFY(opened.error().message.find("'name'") != std::string::npos);
  }

  void notAProject() {
    QTemporaryDir dir;
    auto opened = project::open_project(dir.path().toStdString());
    QVERIFY(!opened.ok());
    QVERIFY(opened.error().message.find("not a TinyLLM project") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(TestProject)
#include "test_project.moc"
