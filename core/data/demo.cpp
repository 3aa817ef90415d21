// Deterministic demo recordings: synthetic IMU gestures and WiFi fingerprints.
//
// Determinism: every random number comes from splitmix64 (integer arithmetic, exact everywhere);
// normals from Box-Muller. The maths functions (sin, log, ...) may differ in the last bit between
// C libraries, but every value is rounded to 3 decimals (or whole dBm) before it is written, so a
// last-bit difference could only show in a value lying on a rounding boundary to within 1e-15.
// Numbers are formatted with std::to_chars, which ignores the locale (a Qt application sets the
// user's locale, and "%.3f" would then write "9,810" into a CSV).
#include "data/demo.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>

#include "base/files.h"
#include "base/random.h"

namespace tinyllm::data {
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kGravity = 9.80665;

using Rng = SplitMix64;

// Appends `v` with a fixed number of decimals; "-0.000" is written as "0.000".
void append_fixed(std::string& out, double v, int decimals) {
  char buf[400];  // enough for any finite double in fixed notation
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  std::string_view s(buf, size_t(r.ptr - buf));
  if (s.size() > 1 && s.front() == '-' && s.find_first_not_of("-0.") == std::string_view::npos)
    s.remove_prefix(1);
  out += s;
}

// The shortest text that reads back as `v` ("-110", "100", "-99.5").
std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, size_t(r.ptr - buf));
}

// "7" -> "07"; larger numbers keep all their digits.
std::string two_digits(int n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

// Checks that `dir` is (or can be made) a folder, naming the path when it cannot.
Status ensure_folder(const fs::path& dir) {
  std::error_code ec;
  if (!dir.empty()) fs::create_directories(dir, ec);
  if (ec) return make_error(dir.string(), "cannot create the folder: " + ec.message());
  if (!dir.empty() && !fs::is_directory(dir, ec)) return make_error(dir.string(), "not a folder");
  return {};
}

// Option checks name the field, e.g. "demo option 'rate_hz'".
Error bad_option(const char* field, const std::string& message) {
  return make_error(std::string("demo option '") + field + "'", message);
}

// ---------------------------------------------------------------------------------------------
// IMU gestures

enum Gesture { kIdle = -1, kCircle = 0, kShake, kSwipe, kTap, kGestureCount };
constexpr const char* kGestureNames[kGestureCount] = {"circle", "shake", "swipe", "tap"};
// Typical durations in seconds at speed 1; a person's speed and each repetition vary them.
constexpr double kBaseDuration[kGestureCount] = {1.7, 1.4, 1.05, 0.9};

using Vec3 = std::array<double, 3>;

struct Person {
  double speed;       // > 1: gestures are quicker
  double amplitude;   // how big the movements are
  double shake_hz;    // how fast this person shakes
  Vec3 rest_gravity;  // gravity in the device frame as this person holds the phone
  Vec3 acc_bias, gyro_bias;
  double acc_noise, gyro_noise;
  double clock;  // this phone's sample clock relative to nominal (a cheap crystal is off ~1%)
};

struct Segment {
  double start, end;  // seconds
  int gesture;        // Gesture, kIdle between gestures
  double amp;         // this repetition's amplitude
  double variant;     // in [0, 1): small per-repetition differences of shape
};

struct Motion {
  Vec3 acc{};   // linear acceleration in the device frame, m/s^2, without gravity
  Vec3 gyro{};  // rotation rate in the device frame, rad/s
};

// 0 at both ends, 1 in the middle, with smooth ramps of `ramp` (fraction of the gesture): hands
// start and stop at rest.
double envelope(double u, double ramp) {
  if (u <= 0 || u >= 1) return 0;
  const double e = std::min({1.0, u / ramp, (1 - u) / ramp});
  return e * e * (3 - 2 * e);  // smoothstep
}

double bump(double x, double width) {
  return std::exp(-(x / width) * (x / width));
}

// Motion of one gesture at time `t` seconds into it (of `duration` seconds).
Motion gesture_motion(const Segment& s, const Person& p, double t) {
  Motion m;
  const double duration = s.end - s.start;
  const double u = t / duration;
  const double a = s.amp;
  switch (s.gesture) {
    case kCircle: {
      // Drawing a circle of ~15 cm in the x/y plane: centripetal acceleration r*w^2 points to
      // the centre, so x and y are sinusoids 90 degrees apart; the wrist turns about z.
      const double turns = 1.0 + 0.25 * s.variant;
      const double w = 2 * kPi * turns / duration;
      const double acc = 0.15 * a * w * w;
      const double th = w * t;
      const double e = envelope(u, 0.15);
      m.acc = {-acc * std::cos(th) * e, -acc * std::sin(th) * e, 0.3 * a * std::sin(2 * th) * e};
      m.gyro = {0.35 * a * std::sin(th) * e, -0.35 * a * std::cos(th) * e,
                1.6 * a * std::sin(2 * kPi * u) * e};
      break;
    }
    case kShake: {
      // Fast back-and-forth along x; the wrist rocks about y, so the gyroscope is busy.
      const double f = p.shake_hz * (0.9 + 0.2 * s.variant);
      const double ph = 2 * kPi * f * t;
      const double e = envelope(u, 0.12);
      m.acc = {10.0 * a * std::sin(ph) * e, 0.8 * a * std::sin(ph + 1.0) * e,
               1.5 * a * std::sin(2 * ph) * e};
      m.gyro = {0.6 * a * std::sin(ph + 0.3) * e, 5.0 * a * std::cos(ph) * e,
                1.2 * a * std::sin(ph + 0.5) * e};
      break;
    }
    case kSwipe: {
      // One movement along y: a short push, then a longer braking phase; the velocity never
      // changes sign and returns to zero (the push and brake areas are equal).
      const double s0 = 0.15, s1 = 0.85;
      if (u > s0 && u < s1) {
        const double v = (u - s0) / (s1 - s0);
        const double push = 0.4;
        const double peak = 6.5 * a / duration;
        const double ay = v < push
                              ? peak * std::sin(kPi * v / push)
                              : -peak * push / (1 - push) * std::sin(kPi * (v - push) / (1 - push));
        m.acc = {0.15 * ay, ay, 0.1 * ay};
        m.gyro = {0.4 * a * std::sin(kPi * v), 0.1 * a * std::sin(2 * kPi * v),
                  1.1 * a * std::sin(2 * kPi * v)};
      }
      break;
    }
    case kTap: {
      // Move down, hit the surface (a sharp z spike of a few tens of ms, then a short ring), lift.
      const double hit = duration * (0.4 + 0.15 * s.variant);
      const double dt = t - hit;
      double az = 0;
      if (dt > -0.2 && dt < 0) az -= 2.5 * a * std::sin(kPi * (dt + 0.2) / 0.2);
      az += 22.0 * a * bump(dt, 0.012);
      if (dt > 0) az += 4.0 * a * std::exp(-dt / 0.04) * std::sin(2 * kPi * 9 * dt);
      if (dt > 0.1 && dt < 0.35) az += 1.5 * a * std::sin(2 * kPi * (dt - 0.1) / 0.25);
      m.acc = {1.2 * a * bump(dt, 0.015), 0.6 * a * bump(dt, 0.02), az};
      // The wrist tilts down on the way in and back up on the lift (equal and opposite turns).
      double gx = 2.5 * a * bump(dt, 0.02);
      if (dt > -0.2 && dt < 0) gx -= 0.8 * a * std::sin(kPi * (dt + 0.2) / 0.2);
      if (dt > 0.1 && dt < 0.35) gx += 0.64 * a * std::sin(kPi * (dt - 0.1) / 0.25);
      m.gyro = {gx, -0.8 * a * bump(dt, 0.025), 0.0};
      break;
    }
    default:
      break;
  }
  return m;
}

Vec3 cross(const Vec3& x, const Vec3& y) {
  return {x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]};
}

double norm(const Vec3& v) {
  return std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
}

Person make_person(Rng& rng) {
  Person p;
  p.speed = rng.uniform(0.85, 1.2);
  p.amplitude = rng.uniform(0.75, 1.3);
  p.shake_hz = rng.uniform(4.5, 6.5);
  // Held tilted by up to ~25 degrees of pitch and roll: gravity lands on x and y too.
  const double pitch = rng.uniform(-0.45, 0.45), roll = rng.uniform(-0.45, 0.45);
  p.rest_gravity = {kGravity * std::sin(pitch), -kGravity * std::sin(roll) * std::cos(pitch),
                    kGravity * std::cos(roll) * std::cos(pitch)};
  for (double& b : p.acc_bias)
    b = std::clamp(0.04 * rng.normal(), -0.08, 0.08);
  for (double& b : p.gyro_bias)
    b = std::clamp(0.004 * rng.normal(), -0.01, 0.01);
  p.acc_noise = rng.uniform(0.025, 0.05);
  p.gyro_noise = rng.uniform(0.005, 0.012);
  p.clock = rng.uniform(0.99, 1.01);
  return p;
}

// The recording's timeline: idle, gesture, idle, ..., idle, gestures in a shuffled order.
std::vector<Segment> make_timeline(Rng& rng, const Person& p, int repetitions) {
  std::vector<int> plan;
  for (int r = 0; r < repetitions; ++r)
    for (int g = 0; g < kGestureCount; ++g)
      plan.push_back(g);
  for (size_t i = plan.size(); i > 1; --i)
    std::swap(plan[i - 1], plan[rng.below(i)]);

  std::vector<Segment> timeline;
  double t = 0;
  auto idle = [&] {
    const double d = rng.uniform(0.5, 1.5);
    timeline.push_back({t, t + d, kIdle, 0, 0});
    t += d;
  };
  idle();
  for (int g : plan) {
    const double d = std::clamp(kBaseDuration[g] / p.speed * rng.uniform(0.88, 1.12), 0.8, 2.0);
    const double amp = p.amplitude * rng.uniform(0.85, 1.15);
    timeline.push_back({t, t + d, g, amp, rng.uniform()});
    t += d;
    idle();
  }
  return timeline;
}

std::string imu_csv(uint64_t seed, int person_index, const DemoImuOptions& o) {
  Rng rng = Rng::stream(seed, uint64_t(person_index) + 1);
  const Person p = make_person(rng);
  const std::vector<Segment> timeline = make_timeline(rng, p, o.repetitions);
  const double total = timeline.back().end;
  const double dt = 1.0 / (o.rate_hz * p.clock);

  std::string text = "time_ms,ax,ay,az,gx,gy,gz,label\n";
  text.reserve(size_t(total * o.rate_hz * 56) + 64);
  Vec3 gravity = p.rest_gravity;
  Vec3 tremor_acc{}, tremor_gyro{};
  size_t seg = 0;
  double t = 0, step = dt;
  while (t < total) {
    while (timeline[seg].end <= t)
      ++seg;
    const Segment& s = timeline[seg];
    Motion m = s.gesture == kIdle ? Motion{} : gesture_motion(s, p, t - s.start);
    // A hand is never quite still: slow tremor (AR(1) noise) on top of any movement.
    for (int k = 0; k < 3; ++k) {
      tremor_acc[size_t(k)] = 0.9 * tremor_acc[size_t(k)] + 0.012 * rng.normal();
      tremor_gyro[size_t(k)] = 0.9 * tremor_gyro[size_t(k)] + 0.004 * rng.normal();
      m.acc[size_t(k)] += tremor_acc[size_t(k)];
      m.gyro[size_t(k)] += tremor_gyro[size_t(k)];
    }
    // Rotating the phone turns gravity in the device frame (dg/dt = -w x g); the person then
    // settles back to their usual grip, so orientation does not drift over the recording.
    const Vec3 turn = cross(m.gyro, gravity);
    for (int k = 0; k < 3; ++k)
      gravity[size_t(k)] -= turn[size_t(k)] * step;
    const double settle = 1 - std::exp(-step / 0.4);
    for (int k = 0; k < 3; ++k)
      gravity[size_t(k)] += (p.rest_gravity[size_t(k)] - gravity[size_t(k)]) * settle;
    const double scale = kGravity / norm(gravity);
    for (double& g : gravity)
      g *= scale;

    // Now and then the sensor drops a sample: time moves on, no row is written.
    const bool dropped = t > 0 && rng.uniform() < 0.004;
    if (!dropped) {
      append_fixed(text, t * 1000, 1);
      for (size_t k = 0; k < 3; ++k) {
        text += ',';
        append_fixed(text, m.acc[k] + gravity[k] + p.acc_bias[k] + p.acc_noise * rng.normal(), 3);
      }
      for (size_t k = 0; k < 3; ++k) {
        text += ',';
        append_fixed(text, m.gyro[k] + p.gyro_bias[k] + p.gyro_noise * rng.normal(), 3);
      }
      text += ',';
      text += s.gesture == kIdle ? "idle" : kGestureNames[s.gesture];
      text += '\n';
    }
    // Timestamps jitter by up to 2% of the period.
    step = dt * rng.uniform(0.98, 1.02);
    t += step;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// WiFi fingerprints

constexpr double kFloorWidth = 30, kFloorHeight = 20;
constexpr const char* kZoneNames[] = {"kitchen", "lab", "office", "hall", "lounge", "store"};

// n cells over the floor in rows of `cols` (the last row may have fewer, wider cells); interior
// boundaries are moved by up to `jitter` of a cell so that rooms differ in size.
struct Layout {
  std::vector<double> row_edges;               // rows + 1 y values
  std::vector<std::vector<double>> col_edges;  // per row, cells + 1 x values

  static Layout make(int n, double jitter, Rng& rng) {
    Layout l;
    const int cols = std::max(1, int(std::ceil(std::sqrt(double(n) * kFloorWidth / kFloorHeight))));
    const int rows = (n + cols - 1) / cols;
    auto edges = [&](int count, double length) {
      std::vector<double> e{0};
      for (int i = 1; i < count; ++i)
        e.push_back(length * (i + rng.uniform(-jitter, jitter)) / count);
      e.push_back(length);
      return e;
    };
    l.row_edges = edges(rows, kFloorHeight);
    for (int r = 0; r < rows; ++r)
      l.col_edges.push_back(edges(std::min(cols, n - r * cols), kFloorWidth));
    return l;
  }

  struct Rect {
    double x0, y0, x1, y1;
  };
  Rect cell(int index) const {
    size_t r = 0;
    while (index >= int(col_edges[r].size()) - 1) {
      index -= int(col_edges[r].size()) - 1;
      ++r;
    }
    const auto& xs = col_edges[r];
    return {xs[size_t(index)], row_edges[r], xs[size_t(index) + 1], row_edges[r + 1]};
  }
  // The cell holding (x, y), numbered as in cell().
  int at(double x, double y) const {
    int first = 0;
    for (size_t r = 0; r + 1 < row_edges.size(); ++r) {
      const auto& xs = col_edges[r];
      const int cells = int(xs.size()) - 1;
      if (y < row_edges[r + 1] || r + 2 == row_edges.size()) {
        int c = 0;
        while (c + 1 < cells && x >= xs[size_t(c) + 1])
          ++c;
        return first + c;
      }
      first += cells;
    }
    return 0;
  }
};

// Zone boundaries crossed on the straight line between two points: the walls a signal passes.
int walls_between(const Layout& zones, double x0, double y0, double x1, double y1) {
  const int steps = std::max(1, int(std::ceil(std::hypot(x1 - x0, y1 - y0) / 0.1)));
  int walls = 0, last = zones.at(x0, y0);
  for (int i = 1; i <= steps; ++i) {
    const double f = double(i) / steps;
    const int z = zones.at(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
    walls += z != last;
    last = z;
  }
  return walls;
}

std::string rssi_csv(const DemoRssiOptions& o) {
  Rng rng = Rng::stream(o.seed, 0x5255535349ULL);  // "RSSI": independent of the IMU streams
  const Layout zones = Layout::make(o.zones, 0.15, rng);

  // Access points: one per cell of a coarse grid, placed anywhere in the middle of its cell, so
  // the whole floor is covered.
  const Layout ap_grid = Layout::make(o.access_points, 0.0, rng);
  struct Ap {
    double x, y;
    double p0;  // RSSI at 1 m: transmit power and antenna differ between models
    double n;   // path loss exponent: how cluttered its surroundings are
  };
  std::vector<Ap> aps;
  for (int a = 0; a < o.access_points; ++a) {
    const auto c = ap_grid.cell(a);
    const double x = std::clamp(rng.uniform(c.x0 + 0.2 * (c.x1 - c.x0), c.x1 - 0.2 * (c.x1 - c.x0)),
                                0.5, kFloorWidth - 0.5);
    const double y = std::clamp(rng.uniform(c.y0 + 0.2 * (c.y1 - c.y0), c.y1 - 0.2 * (c.y1 - c.y0)),
                                0.5, kFloorHeight - 0.5);
    aps.push_back({x, y, rng.uniform(-41, -35), rng.uniform(2.5, 3.2)});
  }
  // Phones: offsets spread over about -5..+5 dB (so they really differ), and each its own
  // sensitivity around -95 dBm.
  std::vector<double> offset, sensitivity;
  for (int d = 0; d < o.devices; ++d) {
    const double spread = o.devices == 1 ? 0.0 : -5.0 + 10.0 * d / (o.devices - 1);
    offset.push_back(spread + rng.uniform(-1, 1));
    sensitivity.push_back(rng.uniform(-97, -93));
  }
  // Slow shadowing: furniture and people make each access point a bit stronger or weaker in a
  // whole zone; fast fading is drawn per reading below.
  std::vector<double> zone_shadow(size_t(o.zones) * aps.size());
  for (double& s : zone_shadow)
    s = 2.5 * rng.normal();
  constexpr double kWallLoss = 6.0, kFadingSigma = 3.5, kMissed = 0.05;

  std::string text;
  for (int a = 0; a < o.access_points; ++a) {
    text += "AP" + two_digits(a + 1) + ',';
  }
  text += "x_m,y_m,zone,device\n";
  const std::string not_heard = shortest(o.not_heard);
  for (int z = 0; z < o.zones; ++z) {
    const auto c = zones.cell(z);
    const std::string name =
        z < int(std::size(kZoneNames)) ? kZoneNames[z] : "zone" + std::to_string(z + 1);
    for (int k = 0; k < o.fingerprints_per_zone; ++k) {
      // Nobody stands inside a wall: keep 0.3 m (or a fifth of a small room) from the edges.
      const double mx = std::min(0.3, 0.2 * (c.x1 - c.x0)), my = std::min(0.3, 0.2 * (c.y1 - c.y0));
      // Round first, so the written point is the one the readings were computed for.
      const double x = std::round(rng.uniform(c.x0 + mx, c.x1 - mx) * 100) / 100;
      const double y = std::round(rng.uniform(c.y0 + my, c.y1 - my) * 100) / 100;
      const size_t device = size_t(rng.below(uint64_t(o.devices)));
      for (size_t a = 0; a < aps.size(); ++a) {
        const Ap& ap = aps[a];
        const double d = std::max(0.5, std::hypot(x - ap.x, y - ap.y));
        const double rssi =
            ap.p0 - 10 * ap.n * std::log10(d) - kWallLoss * walls_between(zones, ap.x, ap.y, x, y) +
            zone_shadow[size_t(z) * aps.size() + a] + kFadingSigma * rng.normal() + offset[device];
        const double dbm = std::min(-20.0, std::round(rssi));
        const bool missed = rng.uniform() < kMissed;
        text += dbm < sensitivity[device] || missed ? not_heard : shortest(dbm);
        text += ',';
      }
      append_fixed(text, x, 2);
      text += ',';
      append_fixed(text, y, 2);
      text += ',' + name + ",phone" + std::to_string(device + 1) + '\n';
    }
  }
  return text;
}

}  // namespace

Result<std::vector<fs::path>> write_demo_imu(const fs::path& dir, const DemoImuOptions& o) {
  // Upper limits keep a typo from filling the disk; they are far above any sensible demo.
  if (o.people < 1 || o.people > 100) return bad_option("people", "must be between 1 and 100");
  if (o.repetitions < 1 || o.repetitions > 200)
    return bad_option("repetitions", "must be between 1 and 200");
  if (!(o.rate_hz > 0 && o.rate_hz <= 1000))  // also rejects NaN
    return bad_option("rate_hz", "must be above 0 and at most 1000 Hz");
  TINYLLM_TRY(ensure_folder(dir));
  std::vector<fs::path> written;
  for (int p = 0; p < o.people; ++p) {
    const fs::path path = dir / ("imu_p" + two_digits(p + 1) + ".csv");
    TINYLLM_TRY(write_file_atomic(path, imu_csv(o.seed, p, o)));
    written.push_back(path);
  }
  return written;
}

Result<fs::path> write_demo_rssi(const fs::path& dir, const DemoRssiOptions& o) {
  if (o.access_points < 1 || o.access_points > 999)
    return bad_option("access_points", "must be between 1 and 999");
  // A zone must stay large enough to stand in: 100 zones on 600 m^2 are 6 m^2 each.
  if (o.zones < 1 || o.zones > 100) return bad_option("zones", "must be between 1 and 100");
  if (o.fingerprints_per_zone < 1 || o.fingerprints_per_zone > 100000)
    return bad_option("fingerprints_per_zone", "must be between 1 and 100000");
  if (o.devices < 1 || o.devices > 100) return bad_option("devices", "must be between 1 and 100");
  if (!std::isfinite(o.not_heard) || (o.not_heard >= -100 && o.not_heard <= -20))
    return bad_option("not_heard",
                      "must be a number outside the range of real readings, -100..-20 dBm "
                      "(e.g. -110 or 100)");
  TINYLLM_TRY(ensure_folder(dir));
  const fs::path path = dir / "rssi_fingerprints.csv";
  TINYLLM_TRY(write_file_atomic(path, rssi_csv(o)));
  return path;
}

}  // namespace tinyllm::data
