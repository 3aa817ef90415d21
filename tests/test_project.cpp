// tinyllm_project: the project folder and its manifest.
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "project/project.h"

using namespace tinyllm;
using nlohmann::json;
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
    const std::string current = "\"schema_version\": " + std::to_string(project::kSchemaVersion);
    text.replace(text.find(current), current.size(), "\"schema_version\": 99");
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

  void schemaOneIsMigratedWithABackup() {
    // A manifest as schema 1 wrote it: absolute paths, inside the project and outside it.
    QTemporaryDir dir;
    const fs::path root = temp_root(dir);
    fs::create_directories(root / "data/raw");
    const std::string inside = (root / "data/raw/a.csv").string();
    const json v1 = {{"format", "tinyllm-project"},
                     {"schema_version", 1},
                     {"name", "Old"},
                     {"created", "2026-01-01T00:00:00Z"},
                     {"task", "gesture"},
                     {"sources",
                      {{{"id", "src1"},
                        {"importer", "imu-csv"},
                        {"kind", "imu"},
                        {"store", "data/imported/src1.tls"},
                        {"files",
                         {{{"path", inside}, {"sha256", "aa"}, {"bytes", 1}},
                          {{"path", "/elsewhere/b.csv"}, {"sha256", "bb"}, {"bytes", 1}}}}}}},
                     {"artifacts",
                      {{{"id", "checkpoint-run1"},
                        {"kind", "checkpoint"},
                        {"path", "checkpoints/run1/step-00000004"},
                        {"settings",
                         {{"out_dir", (root / "checkpoints/run1").string()},
                          {"data_dir", (root / "tokenizer/shards").string()}}}}}}};
    const std::string old_text = v1.dump(2);
    QVERIFY(write_file_atomic(root / "project.json", old_text).ok());
    auto p = project::open_project(root);
    QVERIFY2(p.ok(), p.ok() ? "" : p.error().to_string().c_str());
    QCOMPARE(p->schema_version, project::kSchemaVersion);
    QCOMPARE(QString::fromStdString(p->sources[0].files[0].path), QString("data/raw/a.csv"));
    QCOMPARE(QString::fromStdString(p->sources[0].files[1].path), QString("/elsewhere/b.csv"));
    const auto& settings = p->find_artifact("checkpoint-run1")->settings;
    QCOMPARE(QString::fromStdString(settings["out_dir"].get<std::string>()),
             QString("checkpoints/run1"));
    QCOMPARE(QString::fromStdString(settings["data_dir"].get<std::string>()),
             QString("tokenizer/shards"));
    // The migrated manifest is saved and the old one kept byte for byte.
    QCOMPARE(QString::fromStdString(*read_file(root / "project.json.bak-v1")),
             QString::fromStdString(old_text));
    const std::string saved = *read_file(root / "project.json");
    QVERIFY(saved.find(root.string()) == std::string::npos);
    QCOMPARE(json::parse(saved)["schema_version"].get<int>(), project::kSchemaVersion);
  }

  void staleTempFilesAreCleanedAndNothingElse() {
    QTemporaryDir dir;
    auto p = project::create_project(temp_root(dir), "P", "");
    QVERIFY(p.ok());
    // A process that is gone: its pid names the temporary files it left.
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    const std::string dead = std::to_string(child);
    const fs::path left = p->root / "data/prepared" / (".task_val.jsonl.tmp-" + dead + "-12345");
    const fs::path left_folder = p->root / "checkpoints/run1" / (".step-00000004.tmp-" + dead);
    const fs::path live = p->root / "tokenizer" / (".x.tmp-" + std::to_string(::getpid()) + "-1");
    const fs::path real = p->root / "data/prepared" / "task_val.jsonl";
    const fs::path lookalike = p->root / "data/prepared" / "notes.tmp-123";  // not hidden
    for (const auto& f : {left, left_folder / "model.safetensors", live, real, lookalike})
      QVERIFY(write_file_atomic(f, "bytes").ok());
    const auto later = fs::file_time_type::clock::now() + std::chrono::seconds(5);
    QCOMPARE(project::remove_stale_temp_files(p->root, later), 2);
    QVERIFY(!fs::exists(left));
    QVERIFY(!fs::exists(left_folder));
    QVERIFY(fs::exists(live));  // its writer still runs
    QCOMPARE(QString::fromStdString(*read_file(real)), QString("bytes"));
    QVERIFY(fs::exists(lookalike));
    // Files newer than the cut-off are left alone even when their writer is gone.
    QVERIFY(write_file_atomic(left, "bytes").ok());
    QCOMPARE(project::remove_stale_temp_files(
                 p->root, fs::file_time_type::clock::now() - std::chrono::hours(1)),
             0);
    QVERIFY(fs::exists(left));
  }

  void pathsInsideAreStoredRelative() {
    QTemporaryDir dir;
    const fs::path root = temp_root(dir);
    fs::create_directories(root / "data");
    QCOMPARE(QString::fromStdString(project::stored_path(root, root / "data/raw/x.csv")),
             QString("data/raw/x.csv"));
    QCOMPARE(QString::fromStdString(project::stored_path(root, "/other/x.csv")),
             QString("/other/x.csv"));
    // A sibling whose name starts like the project is not inside it.
    QCOMPARE(QString::fromStdString(project::stored_path(root, root.string() + "2/x.csv")),
             QString::fromStdString(root.string() + "2/x.csv"));
    QCOMPARE(project::resolve_path(root, "data/raw/x.csv"), root / "data/raw/x.csv");
    QCOMPARE(project::resolve_path(root, "/other/x.csv"), fs::path("/other/x.csv"));
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
