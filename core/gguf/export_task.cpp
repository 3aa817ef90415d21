// The task part of an export: what the device needs to make the training text from raw readings
// (the same recipe tests/test_sensor_text.cpp replays) and to read the answer, as typed
// tinyllm.* keys (no JSON inside the file).
#include "gguf/export.h"
#include "gguf/keys.h"
#include "text/prompt_template.h"

namespace tinyllm::gguf {

using nlohmann::json;

Status add_task_metadata(Writer& w, const json& prepared, const sensortext::Schema& schema) {
  try {
    const json& settings = prepared.at("settings");
    const auto classes = prepared.at("classes").get<std::vector<std::string>>();
    w.set_u32(keys::kTinyFormatVersion, keys::kTinyFormatVersionCurrent);
    w.set_string(keys::kTinyTask, prepared.at("task").get<std::string>());
    w.set_string(keys::kTinyTaskKind, classes.empty() ? "position" : "classification");
    if (!classes.empty()) w.set_string_array(keys::kTinyAnswers, classes);

    w.set_string(keys::kTinyInstruction, prepared.at("instruction").get<std::string>());
    w.set_string(keys::kTinyPromptTemplate, prompt::build_prompt("{instruction}", "{input}"));
    w.set_string(keys::kTinyResponseTemplate, prompt::build_response("{answer}"));
    std::vector<std::string> markers;
    for (auto m : prompt::kMarkers)
      markers.emplace_back(m);
    w.set_string_array(keys::kTinyMarkers, markers);
    w.set_string(keys::kTinyEndMarker, std::string(prompt::kEndMarker));

    std::vector<std::string> channels, units;
    for (const auto& c : schema.channels) {
      channels.push_back(c.name);
      units.push_back(c.unit);
    }
    if (channels.empty())
      return make_error("prepared.json", "the recording schema has no channels");
    w.set_string(keys::kTinySensorKind, std::string(sensortext::to_string(schema.kind)));
    w.set_string_array(keys::kTinyChannels, channels);
    w.set_string_array(keys::kTinyChannelUnits, units);
    w.set_f64(keys::kTinySampleRate, schema.sample_rate_hz);

    w.set_string(keys::kTinyTextStyle, settings.at("style").get<std::string>());
    w.set_bool(keys::kTinySiUnits, settings.at("si_units").get<bool>());
    w.set_i32(keys::kTinyDecimalsSetting, settings.at("decimals").get<int32_t>());
    w.set_i32_array(keys::kTinyDecimals, prepared.at("decimals").get<std::vector<int32_t>>());
    w.set_string_array(keys::kTinyTextUnits, prepared.at("units").get<std::vector<std::string>>());
    w.set_u32(keys::kTinyRssiTopK, settings.at("rssi_top_k").get<uint32_t>());
    w.set_f64(keys::kTinyResampleHz, settings.at("resample_hz").get<double>());
    w.set_f64(keys::kTinyRateHz, prepared.at("rate_hz").get<double>());
    w.set_u32(keys::kTinyWindowRows, prepared.at("window_rows").get<uint32_t>());
    w.set_f64(keys::kTinyWindowSeconds, settings.at("window_s").get<double>());
    w.set_f64(keys::kTinyStrideSeconds, settings.at("stride_s").get<double>());
    w.set_string(keys::kTinyNormalize, settings.at("normalize").get<std::string>());
    std::vector<double> mean, stdev;
    for (const auto& n : prepared.at("normalization")) {
      mean.push_back(n.at("mean").get<double>());
      stdev.push_back(n.at("std").get<double>());
    }
    if (!mean.empty()) {
      w.set_f64_array(keys::kTinyNormMean, mean);
      w.set_f64_array(keys::kTinyNormStd, stdev);
    }
    const json& levels = prepared.at("levels");
    if (levels.is_object()) {
      w.set_u32(keys::kTinyLevelCount, levels.at("count").get<uint32_t>());
      w.set_f64_array(keys::kTinyLevelCenter, levels.at("center").get<std::vector<double>>());
      w.set_f64_array(keys::kTinyLevelStep, levels.at("step").get<std::vector<double>>());
    }
  } catch (const json::exception& e) {
    return make_error("prepared.json", std::string("cannot read the task recipe: ") + e.what() +
                                           " (prepare the data again)");
  }
  return {};
}

}  // namespace tinyllm::gguf
