// The demo's take from a device: what `tinyllm demo --device` records before it trains, so that the
// demo goes through recording (data/raw/recorded/<device>/) the way a lab demo would.
//
// A development machine has no MPU-6050 on its I2C bus and no WiFi to scan, so the take runs the
// real example scripts of resources/device-scripts in their --replay mode: on bytes that the
// sensor would have returned (register dumps of a gesture of a new synthetic person for the IMU
// demo; an `iw dev wlan0 scan` printout of a spot in the demo floor's "lab" zone for the RSSI
// demo). The import mapping turns the script's columns into the project's channels (milli-g to
// m/s^2; BSSIDs to the project's access point names), as a user's mapping would.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "project/project.h"

namespace tinyllm::pipeline {

struct DemoTake {
  std::string script;             // a file of resources/device-scripts, e.g. "imu_mpu6050.py"
  std::string replay_file;        // the name the replay bytes get on the device
  std::string replay_bytes;       // what the sensor would have returned
  std::string interpreter;        // runs the script: "python3", "sh"
  std::vector<std::string> args;  // after the script's path; "{replay}" stands for the replay
                                  // file's path on the device
  std::string source;             // the sensor source's name in the device profile
  nlohmann::json mapping;         // the import mapping for the script's CSV
  std::string label;              // the take's class
  std::string person;  // who "recorded" it ("" for RSSI: the demo has phones, not people)
  uint64_t scans = 0;  // stop after so many readings (RSSI); 0: until the script ends
};

// The take for the demo project at `project` (the kind is read from its task). `seed` varies the
// gesture. Errors: a project that is not a demo project (its raw files are not the demo's).
Result<DemoTake> demo_take(const project::Project& project, uint64_t seed);

}  // namespace tinyllm::pipeline
