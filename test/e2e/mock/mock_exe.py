#!/usr/bin/python3
"""Body of the executables written by quiltc_mock.sh (see there)."""
import os, subprocess, sys, tempfile, time
import numpy as np

ort_dir, model = sys.argv[1], sys.argv[2]
ins, outs, exps, thr, iters = [], [], [], 1e-4, 1
for a in sys.argv[3:]:
    k, _, v = a.partition("=")
    v = v[1:] if v.startswith("@") else v
    if k == "--input": ins.append(v)
    elif k == "--output": outs.append(v)
    elif k == "--expected_output": exps.append(v)
    elif k == "--expected_f32_threshold": thr = float(v)
    elif k == "--iterations": iters = int(v)
    else: sys.exit(f"mock_exe: unknown flag {a}")
rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "0")))
if rank != 0:
    sys.exit(0)
with tempfile.TemporaryDirectory() as d:
    t0 = time.time()
    node = os.environ.get("NODE") or ("/usr/bin/node" if os.path.exists("/usr/bin/node") else "node")
    r = subprocess.run([node, os.path.join(ort_dir, "run_ort.js"), "--quiet", model, d] + ins)
    if r.returncode:
        sys.exit(r.returncode)
    dt = (time.time() - t0) * 1e3
    res = [np.load(os.path.join(d, f"{i}.npy")) + np.float32(os.environ.get("MOCK_PERTURB", "0"))
           for i in range(len(os.listdir(d)) - 1)]
for f, a in zip(outs, res):
    np.save(f, a)
bad = 0
for f, a in zip(exps, res):
    ref = np.load(f)
    rel = float(np.max(np.abs(a - ref)) / max(float(np.max(np.abs(ref))), 1e-30))
    print(f"expected_output check: rel_err={rel:.3e} threshold={thr:g}")
    bad += rel > thr
for it in range(iters if iters > 1 else 0):
    print(f"rank 0 iteration {it}: total time {dt:.3f} ms, bytes sent 0")
sys.exit(1 if bad else 0)
