#!/usr/bin/env python3
"""Checks a topology file written by quilt-calibrate: every field of format
version 1 present, no unknown ones, and sane values.

    check_topology.py FILE [--ranks P] [-- COMMAND ...]

With a COMMAND after `--`, runs it first (e.g. the mpirun line that writes
FILE) and fails if it fails. --ranks P: measured_collectives must hold every
kind, by every algorithm that serves it, at every group size 2..P.
Stricter than quiltc's reader: it checks what quilt-calibrate writes (every
collective entry with its points, an algorithm on exactly the kinds that
carry one); algorithms() follows runtime/include/quilt/collective_algorithms.h. Prints PASS or FAIL lines; exit 0 on PASS.
"""
import argparse
import json
import math
import subprocess
import sys
import time

TOP_KEYS = {"format", "version", "name", "description", "levels", "device",
            "measured_collectives", "calibration"}
LEVEL_KEYS = {"name", "kind", "devices", "alpha_us", "bandwidth_GBps", "source"}
LEVEL_KINDS = {"shared-memory", "switch", "fat-tree", "dragonfly", "torus"}
DEVICE_KEYS = {"name", "memory_GB", "peak_GFLOPs", "memory_bandwidth_GBps", "launch_us",
               "pack_bandwidth_GBps", "copy_run_us", "index_row_us", "fft_cached_plane_bytes", "copy_points_bytes_us", "cores", "efficiency",
               "memory_efficiency", "source"}
# The classes quilt-calibrate measures (a topology may name more: resize and
# conv_transpose, the runtime's own loops, which it does not).
OP_CLASSES = {"conv", "conv3d", "gemm", "fft", "fft_strided", "elementwise", "reduction",
              "normalization", "attention", "data_movement", "softmax", "pool", "pool3d"}
# The classes whose bytes it times apart (a bytes-bound pool).
MEMORY_CLASSES = {"pool"}
COLLECTIVE_KEYS = {"kind", "ranks", "alpha_us", "bandwidth_GBps", "points_bytes_us"}
COLLECTIVE_KINDS = ["all_reduce", "all_gather", "reduce_scatter", "all_to_all",
                    "halo_exchange", "collective_permute"]


def measured_points(points, where, problems):
    """A measured curve: a non-empty list of [bytes, us], both positive,
    bytes increasing."""
    if not isinstance(points, list) or not points:
        problems.append(f"{where}: not a non-empty list")
        return
    last = 0
    for j, point in enumerate(points):
        if not (isinstance(point, list) and len(point) == 2
                and all(is_number(v) and v > 0 for v in point) and point[0] > last):
            problems.append(f"{where}[{j}]: {point!r} is not [bytes > {last}, us > 0]")
            return
        last = point[0]


def algorithms(kind, ranks):
    """The algorithms quilt-calibrate times for `kind` over `ranks` ranks
    (runtime/include/quilt/collective_algorithms.h); None for the point-to-
    point kinds, which name none."""
    power_of_two = ranks & (ranks - 1) == 0
    return {"all_reduce": ["library", "ring", "recursive-doubling", "rabenseifner"],
            "all_gather": ["library", "ring", "bruck"],
            "reduce_scatter": ["library", "ring"] + (["recursive-halving"] if power_of_two
                                                     else []),
            "all_to_all": ["library", "pairwise"]}.get(kind)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check(topo, ranks):
    """Returns a list of problems, each naming the field."""
    problems = []

    def keys(obj, expected, where):
        if not isinstance(obj, dict):
            problems.append(f"{where}: not an object")
            return False
        for missing in sorted(expected - obj.keys()):
            problems.append(f"{where}: missing '{missing}'")
        for unknown in sorted(obj.keys() - expected):
            problems.append(f"{where}: unknown field '{unknown}'")
        return True

    def positive(obj, key, where, allow_zero=False):
        value = obj.get(key)
        ok = is_number(value) and (value >= 0 if allow_zero else value > 0)
        if not ok:
            bound = ">= 0" if allow_zero else "> 0"
            problems.append(f"{where}.{key}: {value!r} is not a number {bound}")

    def text(obj, key, where):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            problems.append(f"{where}.{key}: not a non-empty string")

    if not keys(topo, TOP_KEYS, "topology"):
        return problems
    if topo.get("format") != "quilt-topology":
        problems.append(f"format: {topo.get('format')!r}, expected 'quilt-topology'")
    if topo.get("version") != 1:
        problems.append(f"version: {topo.get('version')!r}, expected 1")
    text(topo, "name", "topology")
    text(topo, "description", "topology")

    levels = topo.get("levels")
    if not isinstance(levels, list) or not levels:
        problems.append("levels: not a non-empty list")
        levels = []
    for i, level in enumerate(levels):
        where = f"levels[{i}]"
        if not keys(level, LEVEL_KEYS, where):
            continue
        text(level, "name", where)
        text(level, "source", where)
        if level.get("kind") not in LEVEL_KINDS:
            problems.append(f"{where}.kind: {level.get('kind')!r} is not one of "
                            f"{sorted(LEVEL_KINDS)}")
        devices = level.get("devices")
        if not is_int(devices) or devices < 0:
            problems.append(f"{where}.devices: {devices!r} is not an integer >= 0")
        elif i == len(levels) - 1 and devices != 0:
            problems.append(f"{where}.devices: the last level must be 0 (whole machine)")
        positive(level, "alpha_us", where, allow_zero=True)
        positive(level, "bandwidth_GBps", where)

    device = topo.get("device")
    if keys(device, DEVICE_KEYS, "device"):
        text(device, "name", "device")
        text(device, "source", "device")
        for key in ("memory_GB", "memory_bandwidth_GBps", "pack_bandwidth_GBps"):
            positive(device, key, "device")
        positive(device, "copy_run_us", "device", allow_zero=True)
        positive(device, "index_row_us", "device", allow_zero=True)
        positive(device, "fft_cached_plane_bytes", "device")
        positive(device, "launch_us", "device", allow_zero=True)
        peak = device.get("peak_GFLOPs")
        if not isinstance(peak, dict) or "f32" not in peak:
            problems.append("device.peak_GFLOPs: no 'f32'")
        else:
            for dtype in peak:
                positive(peak, dtype, "device.peak_GFLOPs")
        if not is_int(device.get("cores")) or device.get("cores") <= 0:
            problems.append(f"device.cores: {device.get('cores')!r} is not an integer > 0")
        measured_points(device.get("copy_points_bytes_us"), "device.copy_points_bytes_us",
                        problems)
        for field, classes in (("efficiency", OP_CLASSES), ("memory_efficiency", MEMORY_CLASSES)):
            eff = device.get(field)
            if keys(eff, classes, f"device.{field}"):
                for op_class, value in eff.items():
                    if not is_number(value) or not 0 < value <= 1:
                        problems.append(f"device.{field}.{op_class}: {value!r} not in (0, 1]")

    measured = topo.get("measured_collectives")
    if not isinstance(measured, list):
        problems.append("measured_collectives: not a list")
        measured = []
    seen = set()
    for i, entry in enumerate(measured):
        where = f"measured_collectives[{i}]"
        kind, g = entry.get("kind"), entry.get("ranks")
        served = algorithms(kind, g) if is_int(g) else None
        if not keys(entry, COLLECTIVE_KEYS | ({"algorithm"} if served else set()), where):
            continue
        if kind not in COLLECTIVE_KINDS:
            problems.append(f"{where}.kind: {kind!r} is not a measured kind")
        if not is_int(g) or g < 2:
            problems.append(f"{where}.ranks: {g!r} is not an integer >= 2")
        if served and entry.get("algorithm") not in served:
            problems.append(f"{where}.algorithm: {entry.get('algorithm')!r} is not one of "
                            f"{served}")
        positive(entry, "alpha_us", where, allow_zero=True)
        positive(entry, "bandwidth_GBps", where)
        measured_points(entry.get("points_bytes_us"), f"{where}.points_bytes_us", problems)
        key = (kind, g, entry.get("algorithm"))
        if key in seen:
            problems.append(f"{where}: repeats {key}")
        seen.add(key)
    for g in range(2, (ranks or 0) + 1):
        for kind in COLLECTIVE_KINDS:
            for algorithm in algorithms(kind, g) or [None]:
                if (kind, g, algorithm) not in seen:
                    named = f" by {algorithm}" if algorithm else ""
                    problems.append(f"measured_collectives: no {kind}{named} at ranks {g}")

    calibration = topo.get("calibration")
    if not isinstance(calibration, dict):
        problems.append("calibration: not an object")
    else:
        for key in ("tool", "date", "command", "host"):
            text(calibration, key, "calibration")
    return problems


def main(argv):
    command = []
    if "--" in argv:
        split = argv.index("--")
        argv, command = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("file")
    parser.add_argument("--ranks", type=int, default=None)
    args = parser.parse_args(argv)
    path, ranks = args.file, args.ranks
    if command:
        start = time.monotonic()
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        print(run.stdout, end="")
        if run.returncode != 0:
            print(f"FAIL {path}: command exited with {run.returncode}: {' '.join(command)}")
            return 1
        print(f"command took {time.monotonic() - start:.1f} s")
    try:
        with open(path) as f:
            topo = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL {path}: {e}")
        return 1
    problems = check(topo, ranks)
    for problem in problems:
        print(f"FAIL {path}: {problem}")
    if not problems:
        print(f"PASS {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
