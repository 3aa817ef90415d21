#!/usr/bin/env python3
"""Stream an MPU-6050 IMU on a Raspberry Pi as CSV for `tinyllm record`.

Only python3's standard library and the kernel's i2c-dev driver: enable I2C with
`sudo raspi-config nonint do_i2c 0`, wire the sensor to SDA/SCL (address 0x68), then add it to the
workbench with:

  tinyllm device add-source --project P pi4 imu --command "python3 ~/imu_mpu6050.py --hz 50"

Prints `time_ms,ax,ay,az,gx,gy,gz` (accelerations in milli-g at +-2 g, angular rates in rad/s at
+-250 deg/s), then one row per reading until stopped. --replay FILE reads recorded register
dumps (14 bytes per reading, as read from register 0x3B) instead of the bus, without waiting
(--paced: at --hz, as the sensor would).
"""
import argparse
import fcntl
import math
import os
import struct
import sys
import time

I2C_SLAVE = 0x0703  # linux/i2c-dev.h
PWR_MGMT_1, ACCEL_XOUT_H = 0x6B, 0x3B
ACCEL_LSB_PER_G = 16384.0   # +-2 g full scale (the reset default)
GYRO_LSB_PER_DPS = 131.0    # +-250 deg/s full scale (the reset default)


def row(t_ms, raw):
    ax, ay, az, _temp, gx, gy, gz = struct.unpack(">7h", raw)
    mg = [round(v * 1000.0 / ACCEL_LSB_PER_G, 2) for v in (ax, ay, az)]
    rad = [round(math.radians(v / GYRO_LSB_PER_DPS), 5) for v in (gx, gy, gz)]
    return "%d,%s" % (t_ms, ",".join(str(v) for v in mg + rad))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bus", default="/dev/i2c-1")
    parser.add_argument("--address", type=lambda s: int(s, 0), default=0x68)
    parser.add_argument("--hz", type=float, default=50.0)
    parser.add_argument("--replay", help="recorded 14-byte register dumps instead of the bus")
    parser.add_argument("--paced", action="store_true", help="replay at --hz, not at once")
    args = parser.parse_args()
    print("time_ms,ax,ay,az,gx,gy,gz", flush=True)
    if args.replay:
        with open(args.replay, "rb") as f:
            data = f.read()
        period_ms = 1000.0 / args.hz
        start = time.monotonic()
        for i in range(len(data) // 14):
            if args.paced:
                time.sleep(max(0.0, start + i * period_ms / 1000.0 - time.monotonic()))
            print(row(round(i * period_ms), data[i * 14:(i + 1) * 14]), flush=args.paced)
        return 0
    fd = os.open(args.bus, os.O_RDWR)
    fcntl.ioctl(fd, I2C_SLAVE, args.address)
    os.write(fd, bytes([PWR_MGMT_1, 0]))  # wake up from sleep
    period = 1.0 / args.hz
    start = time.monotonic()
    next_at = start
    while True:
        os.write(fd, bytes([ACCEL_XOUT_H]))
        raw = os.read(fd, 14)
        print(row(round((time.monotonic() - start) * 1000), raw), flush=True)
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(0)
