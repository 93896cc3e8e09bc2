#!/usr/bin/python3
"""Sanity-check the ONNX Runtime references against torch eager outputs.

    /usr/bin/python3 test/e2e/check_ort_refs.py MODELS_DIR [WORK_DIR] [--tol=1e-4]

For every model in MODELS_DIR/manifest.json: runs run_ort.js on NAME.onnx with
NAME.input.npy (into WORK_DIR/NAME.ort/, default MODELS_DIR/../ort_refs) and
compares output 0 with NAME.torch.npy written by gen_models.py, both with
np.allclose(rtol=tol, atol=tol) and with the e2e metric
max|a-b| / max|ref| <= tol. Exits non-zero if any model fails.

Env: NODE (default: node on PATH, else /usr/bin/node), ORT_DIR (directory of
run_ort.js, default: <this dir>/ort).
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    tol = 1e-4
    for a in sys.argv[1:]:
        if a.startswith("--tol="):
            tol = float(a.split("=", 1)[1])
    if not args:
        sys.exit(__doc__)
    models_dir = args[0]
    work = args[1] if len(args) > 1 else os.path.join(os.path.dirname(os.path.abspath(models_dir)), "ort_refs")
    node = os.environ.get("NODE") or shutil.which("node") or "/usr/bin/node"
    ort_dir = os.environ.get("ORT_DIR", os.path.join(HERE, "ort"))
    manifest = json.load(open(os.path.join(models_dir, "manifest.json")))
    failures = 0
    for name, m in manifest["models"].items():
        out = os.path.join(work, f"{name}.ort")
        cmd = [node, os.path.join(ort_dir, "run_ort.js"), "--quiet",
               os.path.join(models_dir, m["onnx"]), out] + \
              [os.path.join(models_dir, i["file"]) for i in m["inputs"]]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: run_ort.js failed:\n{r.stdout}{r.stderr}")
            failures += 1
            continue
        got = np.load(os.path.join(out, "0.npy"))
        ref = np.load(os.path.join(models_dir, m["torch_reference"]))
        if got.shape != ref.shape:
            print(f"FAIL {name}: shape ORT {got.shape} != torch {ref.shape}")
            failures += 1
            continue
        err = float(np.max(np.abs(got.astype(np.float64) - ref)))
        scale = float(np.max(np.abs(ref)))
        rel = err / scale if scale > 0 else err
        close = np.allclose(got, ref, rtol=tol, atol=tol)
        ok = close and rel <= tol
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {name}: shape {list(ref.shape)} max|ort-torch|={err:.3e} "
              f"max|torch|={scale:.3e} rel={rel:.3e} allclose({tol:g})={close}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
