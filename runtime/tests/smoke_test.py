#!/usr/bin/python3
"""End-to-end check of a model executable built from smoke_model.cpp: runs it
under mpirun on .npy files made here, compares with a numpy reference, and
checks that bad invocations fail with one clear line.

Usage: smoke_test.py EXE [--mpirun "mpirun --allow-run-as-root --oversubscribe"]
"""
import argparse
import os
import re
import shlex
import struct
import subprocess
import sys
import tempfile

import numpy as np

RANKS = 3
WEIGHTS_BYTES = 336


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def model_weights():
    """Conv weights [4, 2, 3, 3] at byte 0 and bias [4] at byte 320; exact in float32."""
    w = np.array([((i * 37) % 17 - 8) / 16.0 for i in range(72)], np.float32).reshape(4, 2, 3, 3)
    b = np.array([(i - 1.5) / 4.0 for i in range(4)], np.float32)
    data = bytearray(WEIGHTS_BYTES)
    data[0:288] = w.tobytes()
    data[320:336] = b.tobytes()
    return w, b, bytes(data)


def write_weights(path, data: bytes):
    """The documented format: magic, version, reserved, size, checksum, pad to 64."""
    header = b"QUILTWTS" + struct.pack("<IIQQ", 1, 0, len(data), fnv1a64(data))
    with open(path, "wb") as f:
        f.write(header.ljust(64, b"\0") + data)


def reference(x, w, b):
    """Conv (stride 2, 1; pad 1) + bias, relu, and the mean over H and W."""
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    out_h, out_w = (11 + 2 - 3) // 2 + 1, (9 + 2 - 3) // 1 + 1
    y = np.zeros((1, 4, out_h, out_w))
    for o in range(4):
        for i in range(out_h):
            for j in range(out_w):
                y[0, o, i, j] = b[o] + np.sum(xp[0, :, 2 * i:2 * i + 3, j:j + 3] * w[o])
    relu = np.maximum(y, 0)
    return relu.astype(np.float32), relu.mean(axis=(2, 3), keepdims=True).astype(np.float32)


class Runner:
    def __init__(self, exe, mpirun, tmp):
        self.exe, self.mpirun, self.tmp = exe, shlex.split(mpirun), tmp
        self.failures = 0

    def path(self, name):
        return os.path.join(self.tmp, name)

    def run(self, args, ranks=RANKS):
        cmd = self.mpirun + ["-n", str(ranks), self.exe] + args
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)

    def check(self, what, ok, result=None):
        print(("PASS " if ok else "FAIL ") + what)
        if not ok:
            self.failures += 1
            if result is not None:
                print("  stdout:", result.stdout.strip())
                print("  stderr:", result.stderr.strip())

    def expect_error(self, what, args, needles, ranks=RANKS):
        r = self.run(args, ranks)
        lines = [l for l in r.stderr.splitlines() if l.startswith("quilt: error:")]
        ok = r.returncode != 0 and len(lines) == 1 and all(n in lines[0] for n in needles)
        self.check(f"{what}: {lines[0] if lines else '(no error line)'}", ok, r)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("exe")
    parser.add_argument("--mpirun", default="mpirun --allow-run-as-root --oversubscribe")
    opts = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        t = Runner(os.path.abspath(opts.exe), opts.mpirun, tmp)
        w, b, data = model_weights()
        write_weights(t.path("model.weights"), data)
        x = np.random.default_rng(7).standard_normal((1, 2, 11, 9)).astype(np.float32)
        np.save(t.path("x.npy"), x)
        ref_relu, ref_mean = reference(x, w, b)
        np.save(t.path("ref_relu.npy"), ref_relu)
        np.save(t.path("ref_mean.npy"), ref_mean)
        io = [f"--input=@{t.path('x.npy')}", f"--weights={t.path('model.weights')}"]
        outs = [f"--output=@{t.path('relu.npy')}", f"--output=@{t.path('mean.npy')}"]
        refs = [f"--expected_output=@{t.path('ref_relu.npy')}",
                f"--expected_output=@{t.path('ref_mean.npy')}"]

        r = t.run(io + outs + refs + ["--iterations=3"])
        t.check("run, compare with references, time 3 iterations",
                r.returncode == 0 and r.stdout.count(": ok") == 2 and "halo" in r.stdout, r)
        print(r.stdout, end="")
        t.check("plain timing prints no wait phase", "wait" not in r.stdout, r)
        r = t.run(io + refs + ["--iterations=3", "--sync-phases"])
        t.check("--sync-phases: same outputs, and the barriers timed apart as wait",
                r.returncode == 0 and r.stdout.count(": ok") == 2 and
                re.search(r"^\s+wait\s+[0-9.]+ ms$", r.stdout, re.M) is not None, r)
        r = t.run(io + ["--iterations=2", "--profile-ops"])
        t.check("--profile-ops: a line per runtime entry point the model calls, 1 call each "
                "per iteration",
                r.returncode == 0 and "per runtime entry point" in r.stdout and
                re.search(r"^\s+conv\s+[0-9.]+ ms\s+1 calls$", r.stdout, re.M) is not None and
                re.search(r"^\s+halo_exchange\s+[0-9.]+ ms\s+1 calls$", r.stdout, re.M)
                is not None, r)
        comm_ops = re.findall(r"^\s+#(\d+)\s+(\w+)\s+(\d+) B\s+([0-9.]+) ms$", r.stdout, re.M)
        t.check("--profile-ops: a line per communication op in program order, the halo "
                "exchange first, with the bytes a rank sends per iteration",
                "per communication op" in r.stdout and len(comm_ops) >= 2 and
                [int(op[0]) for op in comm_ops] == list(range(len(comm_ops))) and
                comm_ops[0][1] == "halo_exchange" and int(comm_ops[0][2]) > 0, r)
        r = t.run(io + ["--sync-phases=1"])
        t.check("--sync-phases takes no value", r.returncode != 0 and
                "flag --sync-phases takes no value" in r.stderr, r)
        relu, mean = np.load(t.path("relu.npy")), np.load(t.path("mean.npy"))
        t.check("numpy reads outputs that match the reference",
                relu.shape == ref_relu.shape and np.allclose(relu, ref_relu, atol=1e-5)
                and np.allclose(mean, ref_mean, atol=1e-5))

        bad_ref = ref_relu.copy()
        bad_ref[0, 1, 3, 4] += 1.0
        np.save(t.path("bad_ref.npy"), bad_ref)
        r = t.run(io + [f"--expected_output=@{t.path('bad_ref.npy')}"])
        t.check("a wrong reference is reported as MISMATCH with exit 1",
                r.returncode == 1 and "MISMATCH" in r.stdout, r)

        np.save(t.path("x_shape.npy"), np.zeros((1, 2, 10, 9), np.float32))
        np.save(t.path("x_f64.npy"), x.astype(np.float64))
        bad_w = bytearray(data)
        bad_w[5] ^= 1
        write_weights(t.path("other.weights"), bytes(bad_w))
        weights = io[1]
        t.expect_error("wrong shape", [f"--input=@{t.path('x_shape.npy')}", weights],
                       ["input", "(1, 2, 10, 9)", "(1, 2, 11, 9)"])
        t.expect_error("wrong dtype", [f"--input=@{t.path('x_f64.npy')}", weights], ["'<f8'"])
        t.expect_error("missing input file", [f"--input=@{t.path('none.npy')}", weights],
                       ["none.npy"])
        t.expect_error("too few inputs", [weights], ["1 input", "0 --input"])
        t.expect_error("too many inputs", io + [io[0]], ["2 --input"])
        t.expect_error("world size", io, ["3 ranks", "started 2"], ranks=2)
        t.expect_error("missing weights", [io[0], f"--weights={t.path('none.weights')}"],
                       ["none.weights"])
        t.expect_error("default weights path", [io[0]], [os.path.basename(opts.exe) + ".weights"])
        t.expect_error("weights checksum", [io[0], f"--weights={t.path('other.weights')}"],
                       ["checksum"])
        t.expect_error("unknown flag", io + ["--bogus=1"], ["--bogus"])

        r = subprocess.run([t.exe, "--print-signature"], capture_output=True, text=True)
        t.check("--print-signature without mpirun",
                r.returncode == 0 and "x=3" in r.stdout and "(1, 2, 11, 9)" in r.stdout
                and "split: dim 2 by x" in r.stdout and "replicated" in r.stdout
                and "x = rank / 1 % 3" in r.stdout and "rank 2: (x=2)" in r.stdout, r)
        print(r.stdout, end="")
        r = subprocess.run([t.exe, "--help"], capture_output=True, text=True)
        t.check("--help", r.returncode == 0 and "--expected_output" in r.stdout, r)
        print(f"{t.failures} failure(s)")
        return 1 if t.failures else 0


if __name__ == "__main__":
    sys.exit(main())
