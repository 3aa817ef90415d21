// The built-in demo data: synthetic IMU gesture recordings and WiFi fingerprints for the
// out-of-the-box demo project, used when a user brings no data.
//
// The recordings are deterministic: the same options (seed included) give byte-identical files on
// every platform, because the generator uses its own fixed PRNG (splitmix64, Box-Muller normals)
// instead of the standard library's distributions, whose algorithms differ between
// implementations, and formats numbers without the C locale. They are also meant to be realistic
// enough to exercise every step: people differ, sensors are noisy and biased, timing jitters,
// samples drop, access points go unheard, phones disagree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "base/result.h"

namespace tinyllm::data {

struct DemoImuOptions {
  uint64_t seed = 42;
  int people = 6;         // synthetic people, named p01..p06
  int repetitions = 10;   // gestures of each class per person
  double rate_hz = 50.0;  // nominal sample rate
};

// Writes one CSV per person into `dir` ("imu_p01.csv", ...), creating the folder if needed. Header
// `time_ms,ax,ay,az,gx,gy,gz,label`: time in milliseconds since the start of the recording (±2%
// per-sample jitter, an occasional dropped sample), accelerometer in m/s^2 with gravity (device
// orientation varies per person), gyroscope in rad/s, and a label per row: "circle", "shake",
// "swipe" or "tap" during a gesture (0.8-2 s) and "idle" between gestures (0.5-1.5 s). Each person
// has their own speed, amplitude, orientation and sensor bias, so grouped splits matter. Values are
// rounded to 3 decimals (time to 1). Returns the paths written, in person order.
// Errors: an invalid option (the Error's `where` names the field); a folder that cannot be
// created or written (the Error names the path).
Result<std::vector<std::filesystem::path>> write_demo_imu(const std::filesystem::path& dir,
                                                          const DemoImuOptions& options);

struct DemoRssiOptions {
  uint64_t seed = 42;
  int access_points = 12;  // columns AP01..AP12
  int zones = 6;           // "kitchen", "lab", "office", "hall", "lounge", "store", then
                           // "zone7", "zone8", ...
  int fingerprints_per_zone = 120;
  int devices = 3;          // phones "phone1".."phone3", each with its own RSSI offset
  double not_heard = -110;  // written for an access point that was not heard; must lie
                            // outside the range of real readings, [-100, -20] dBm
};

// Writes `dir`/rssi_fingerprints.csv, creating the folder if needed. Header
// `AP01,...,AP12,x_m,y_m,zone,device`. A 30 m x 20 m floor is split into rectangular zones; the
// access points stand at fixed (seeded) positions; each fingerprint is taken at a random point
// inside its zone with log-distance path loss, shadowing, a wall loss per zone boundary crossed
// and the phone's offset, rounded to integer dBm. An access point below the phone's sensitivity
// (about -95 dBm) or randomly missed (~5%) is written as `not_heard`. Coordinates in metres with
// 2 decimals. Returns the path written. Errors as for write_demo_imu.
Result<std::filesystem::path> write_demo_rssi(const std::filesystem::path& dir,
                                              const DemoRssiOptions& options);

}  // namespace tinyllm::data
