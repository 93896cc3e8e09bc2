#!/usr/bin/python3
"""ONNX backend node tests (Debian's libonnx-testdata) through quiltc.

For each node test (a directory with model.onnx and test_data_set_*/input_*.pb,
output_*.pb) the harness converts the tensors to .npy, compiles the model with
quiltc for one rank, runs it, and compares every output with the reference
(float: max|out-ref| / max|ref| <= 1e-4 or the test's tolerance in TOLERANCE;
integers and bools exactly; the dtype and shape must match too). Each test is
one of:

  pass         compiled, ran, every output matches
  pass-baked   passes once the harness has baked the inputs that are parameters
               (shapes, axes, pads, scales, indices, weights: the inputs listed
               in PARAMETER_INPUTS, and whatever feeds only them) into
               initializers; tried only when the model as given does not pass
  wrong        ran, but an output differs (values, shape or dtype)
  reject       quiltc or the executable exited non-zero with an error message
               (its first line is recorded; a message of several lines, or one
               naming no op, node or value of the model, is flagged)
  crash        a signal, a stack dump, an IR dump, or a timeout

Every test that passes on one rank is compiled again for two ranks
(--mesh=2 --shard=INPUT:DIM, the largest dim of extent >= 2 of the first input
the executable reads) and run under mpirun; its 2-rank status is pass, fail
or n/a (no input has a dim of extent >= 2).

  run_node_tests.py [--quiltc PATH] [--work DIR] [--jobs N]       # every test, summary
  run_node_tests.py --update                   # ... and rewrite expected_pass.txt, summary.md
  run_node_tests.py --check --shard 0/4        # a ctest entry: the tests whose index % 4 == 0;
                                               # fails on a regression of expected_pass.txt or a crash
  run_node_tests.py --filter 'test_conv.*' -v  # some tests, with each test's result
  run_node_tests.py --merge 4                  # one summary of the 4 shards' results in --work

Needs onnx and numpy (Debian's /usr/bin/python3) and mpirun.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_TESTDATA = "/usr/share/libonnx-testdata/data/node"
DEFAULT_QUILTC = os.path.join(ROOT, "build", "tools", "quiltc", "quiltc")
EXPECTED = os.path.join(HERE, "expected_pass.txt")
SUMMARY_MD = os.path.join(HERE, "summary.md")
USER_GUIDE = os.path.join(ROOT, "docs", "user-guide.md")

DEFAULT_TOLERANCE = 1e-4
# Per-test relative tolerances where 1e-4 is not the right bar (with the reason).
TOLERANCE = {
}

COMPILE_TIMEOUT = 120
RUN_TIMEOUT = 60

# Inputs that node tests feed at run time but that are parameters in real
# models (initializers or constants): op -> input indices. Weights of
# convolutions and normalizations count: exporters always make them
# initializers. MatMul/Gemm operands do not (both may be activations).
PARAMETER_INPUTS = {
    "Reshape": [1], "Expand": [1], "Tile": [1], "Slice": [1, 2, 3, 4], "Pad": [1, 2, 3],
    "Resize": [1, 2, 3], "Upsample": [1], "Squeeze": [1], "Unsqueeze": [1],
    "ReduceSum": [1], "ReduceMean": [1], "ReduceMax": [1], "ReduceMin": [1], "ReduceProd": [1],
    "ReduceL1": [1], "ReduceL2": [1], "ReduceLogSum": [1], "ReduceLogSumExp": [1],
    "ReduceSumSquare": [1], "Split": [1], "TopK": [1], "ConstantOfShape": [0],
    "Range": [0, 1, 2], "OneHot": [1, 2], "Clip": [1, 2], "CumSum": [1], "Gather": [1],
    "GatherElements": [1], "GatherND": [1], "ScatterND": [1], "ScatterElements": [1],
    "Scatter": [1], "Trilu": [1], "DFT": [1], "Dropout": [1, 2], "MaxUnpool": [2],
    "CenterCropPad": [1], "Col2Im": [1, 2], "NonMaxSuppression": [2, 3, 4],
    "BlackmanWindow": [0], "HannWindow": [0], "HammingWindow": [0], "STFT": [1, 3],
    "MelWeightMatrix": [0, 1, 2, 3, 4], "QuantizeLinear": [1, 2], "DequantizeLinear": [1, 2],
    "Conv": [1, 2], "ConvTranspose": [1, 2], "BatchNormalization": [1, 2, 3, 4],
    "InstanceNormalization": [1, 2], "LayerNormalization": [1, 2], "PRelu": [1],
    "RoiAlign": [2],
}

CRASH_MARKERS = ("Stack dump", "PLEASE submit a bug report", "Segmentation fault",
                 "terminate called", "Assertion", "exited on signal", "AddressSanitizer",
                 "runtime error:", "core dumped", "see current operation", "Aborted")


# ---------------------------------------------------------------- helpers

def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def data_sets(test_dir):
    return sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))


def run(cmd, cwd, timeout, env=None):
    """(rc, output, timed_out); rc < 0 is a signal. Each command gets its own
    TMPDIR: Open MPI keeps its session directories there, and concurrent jobs
    sharing /tmp race on them ("A call to mkdir was unable to create the
    desired directory")."""
    tmp = tempfile.mkdtemp(prefix="qc")
    env = dict(env or os.environ, TMPDIR=tmp)
    try:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
            return p.returncode, out.decode("utf-8", "replace"), False
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)  # mpirun and its ranks too
            except ProcessLookupError:
                pass
            out, _ = p.communicate()
            return -signal.SIGKILL, out.decode("utf-8", "replace"), True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Open MPI's own reports: help blocks between dashed lines (MPI_ABORT's notice,
# mpirun's "Primary job terminated normally, but ..."), a singleton's failure
# to print such a block, and mpirun's one-line summaries.
MPI_BLOCK = re.compile(r"^-{20,}\n.*?^-{20,}$\n?", re.S | re.M)
MPI_NOISE = re.compile(r"^(\[[^\]]*\] \[\[\d+,\d+\],\d+\] ORTE_ERROR_LOG: .*show_help\.c.*|"
                       r"\[[^\]]*\] \d+ more process(es)? ha(s|ve) sent help message.*|"
                       r"\[[^\]]*\] Set MCA parameter .*|-{20,})$")


def error_lines(output):
    """The distinct lines of an error output that are not remarks, warnings or
    Open MPI's own reports, in order."""
    seen, lines = set(), []
    for line in MPI_BLOCK.sub("", output).splitlines():
        s = line.rstrip()
        if not s.strip() or MPI_NOISE.match(s) or "remark:" in s or "warning:" in s:
            continue
        if re.match(r"^quiltc: wrote ", s) or re.match(r"^Output \d+ '.*': max abs", s):
            continue
        if s not in seen:
            seen.add(s)
            lines.append(s)
    return lines


def classify_failure(rc, output, timed_out, what):
    """A non-zero exit: ('crash' | 'reject', message, flags)."""
    lines = error_lines(output)
    if timed_out:
        return "crash", f"{what}: timeout", []
    if rc < 0:
        first = lines[0] if lines else ""
        return "crash", f"{what}: signal {-rc} {first}".strip(), []
    if rc > 128 or any(m in output for m in CRASH_MARKERS) or len(lines) > 10 or any(
            re.match(r"^\s*(%\w+ = |func\.func|module )", l) for l in lines):
        first = next((l for l in lines if any(m in l for m in CRASH_MARKERS)), lines[0] if lines else "")
        return "crash", f"{what}: exit {rc}: {first}"[:300], []
    if not lines:
        return "crash", f"{what}: exit {rc} without a message", []
    flags = [] if len(lines) == 1 else [f"not one line ({len(lines)} lines)"]
    return "reject", lines[0], flags


def compare(out, ref, tol):
    """None when equal enough, else why not."""
    if out.dtype != ref.dtype:
        return f"dtype {out.dtype}, expected {ref.dtype}"
    if out.shape != ref.shape:
        return f"shape {out.shape}, expected {ref.shape}"
    if ref.size == 0:
        return None
    if np.issubdtype(ref.dtype, np.floating) or np.issubdtype(ref.dtype, np.complexfloating):
        o, r = out.astype(np.float64), ref.astype(np.float64)
        if not np.array_equal(np.isnan(o), np.isnan(r)):
            return "NaN positions differ"
        fin = np.isfinite(r)
        if not np.array_equal(o[~fin & ~np.isnan(r)], r[~fin & ~np.isnan(r)]):
            return "infinities differ"
        if not np.all(np.isfinite(o[fin])):
            return "non-finite output where the reference is finite"
        if not fin.any():
            return None
        err = float(np.max(np.abs(o[fin] - r[fin])))
        scale = float(np.max(np.abs(r[fin])))
        rel = err / scale if scale > 0 else err
        if rel > tol:
            return f"max rel error {rel:.3e} > {tol:g} (max abs {err:.3e})"
        return None
    if not np.array_equal(out, ref):
        n = int(np.sum(out != ref))
        return f"{n} of {ref.size} elements differ"
    return None


def tensor_inputs(graph):
    inits = {i.name for i in graph.initializer}
    return [i for i in graph.input if i.name not in inits]


def parameter_values(graph):
    """Values that flow only into parameter inputs: used at a parameter
    position, or only by nodes whose every output is such a value."""
    uses = {}
    for n in graph.node:
        for k, v in enumerate(n.input):
            if v:
                uses.setdefault(v, []).append((n, k))
    outputs = {o.name for o in graph.output}
    param = {}

    def is_param(v, depth=0):
        if v in param:
            return param[v]
        param[v] = False  # cycles and graph outputs: not a parameter
        if v in outputs or v not in uses or depth > 50:
            return False
        ok = True
        for n, k in uses[v]:
            if k in PARAMETER_INPUTS.get(n.op_type, []):
                continue
            if not all(o and is_param(o, depth + 1) for o in n.output) or n.op_type in (
                    "Loop", "If", "Scan"):
                ok = False
                break
        param[v] = ok
        return ok

    return {i.name for i in tensor_inputs(graph) if is_param(i.name)}


def documented_ops():
    """ONNX op types named in the user guide's 'Supported ONNX ops' section."""
    try:
        text = open(USER_GUIDE).read()
    except OSError:
        return set()
    m = re.search(r"^## Supported ONNX ops.*?$(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        return set()
    schemas = {s.name for s in onnx.defs.get_all_schemas() if s.domain in ("", "ai.onnx")}
    return {w for w in re.findall(r"[A-Z][A-Za-z0-9]*", m.group(1)) if w in schemas}


# ---------------------------------------------------------------- one test

class Test:
    def __init__(self, name, test_dir, work, quiltc, two_ranks, keep):
        self.name, self.dir, self.quiltc = name, test_dir, quiltc
        self.work = os.path.join(work, name)
        self.two_ranks, self.keep = two_ranks, keep
        self.last_output = ""
        self.env = dict(os.environ, OMP_NUM_THREADS="1")
        self.r = {"name": name, "status": None, "message": "", "flags": [], "baked": [],
                  "status_2rank": None, "message_2rank": "", "seconds": 0.0}

    def go(self):
        t0 = time.time()
        try:
            self._go()
        except Exception as e:  # a harness problem: counted as a crash so it is seen
            self.r["status"] = "crash"
            self.r["message"] = f"harness: {type(e).__name__}: {e}"
        self.r["seconds"] = round(time.time() - t0, 2)
        if not self.keep and self.r["status"] in ("pass", "pass-baked") and \
                self.r["status_2rank"] in ("pass", "n/a", None):
            shutil.rmtree(self.work, ignore_errors=True)
        return self.r

    def _go(self):
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        model = onnx.load(os.path.join(self.dir, "model.onnx"))
        g = model.graph
        self.r["ops"] = sorted({n.op_type for n in g.node})
        inputs = tensor_inputs(g)
        sets = data_sets(self.dir)
        # Inputs and references as .npy, per data set.
        self.sets = []
        for s in sets:
            d = os.path.join(self.dir, s)
            ins = {}
            for k, vi in enumerate(inputs):
                p = os.path.join(d, f"input_{k}.pb")
                ins[vi.name] = read_tensor(p) if vi.type.HasField("tensor_type") and \
                    os.path.exists(p) else None
            refs = []
            for k, vo in enumerate(g.output):
                p = os.path.join(d, f"output_{k}.pb")
                refs.append(read_tensor(p) if vo.type.HasField("tensor_type") else None)
            self.sets.append((s, ins, refs))
        tol = TOLERANCE.get(self.name, DEFAULT_TOLERANCE)

        status, msg, flags, used = self.attempt(model, [], tol, 1)
        output = self.last_output
        params = parameter_values(g)
        f32 = onnx.TensorProto.FLOAT
        self.r["float32_io"] = all(
            v.type.HasField("tensor_type") and v.type.tensor_type.elem_type == f32
            for v in [i for i in inputs if i.name not in params] + list(g.output))
        if status != "pass" and params:
            baked_model = self.bake(model, params)
            status_b, msg_b, flags_b, used_b = self.attempt(baked_model, sorted(params), tol, 1)
            if status_b == "pass" or status != "crash":
                self.r["message_unbaked"] = msg
                status, msg, flags, used = status_b, msg_b, flags_b, used_b
                self.r["baked"] = sorted(params)
                if status == "pass":
                    status = "pass-baked"
            else:
                self.last_output = output
        self.r["status"], self.r["message"] = status, msg
        self.r["flags"] += flags
        if status == "crash" or flags:
            self.r["output"] = self.last_output
        if status == "reject" and not self.names_something(g, msg):
            self.r["flags"].append("names no op, node or value")
        if self.two_ranks and status in ("pass", "pass-baked"):
            self.run_two_ranks(used, tol)

    def names_something(self, g, msg):
        names = {n.op_type for n in g.node} | {n.name for n in g.node if n.name}
        names |= {v.name for v in list(g.input) + list(g.output)}
        names |= {o for n in g.node for o in n.output if o}
        return any(re.search(r"(?<![\w])" + re.escape(x) + r"(?![\w])", msg) for x in names if x)

    def bake(self, model, params):
        m = onnx.ModelProto()
        m.CopyFrom(model)
        _, ins, _ = self.sets[0]
        keep = [i for i in m.graph.input if i.name not in params]
        del m.graph.input[:]
        m.graph.input.extend(keep)
        for p in sorted(params):
            if ins.get(p) is None:
                raise RuntimeError(f"no value to bake for input '{p}'")
            m.graph.initializer.append(numpy_helper.from_array(ins[p], p))
        if m.ir_version < 4:
            m.ir_version = 4
        return m

    def attempt(self, model, baked, tol, ranks, shard=None):
        """Compile and run every data set: (status, message, flags, model)."""
        tag = ("baked" if baked else "plain") + (f".p{ranks}" if ranks > 1 else "")
        wd = os.path.join(self.work, tag)
        os.makedirs(wd, exist_ok=True)
        mpath = os.path.join(wd, "model.onnx")
        onnx.save(model, mpath)
        exe = os.path.join(wd, "model")
        cmd = [self.quiltc, mpath, "-o", exe]
        if ranks > 1:
            cmd += [f"--mesh={ranks}"] + ([f"--shard={shard}"] if shard else [])
        rc, out, to = run(cmd, wd, COMPILE_TIMEOUT, self.env)
        if rc != 0 and "linking failed" in out:
            # Once more: a build rewriting the runtime archive meanwhile (the
            # other sessions on a dev machine) fails the link; a real link
            # error fails again.
            rc, out, to = run(cmd, wd, COMPILE_TIMEOUT, self.env)
        if rc != 0:
            self.last_output = out[-3000:]
            status, msg, flags = classify_failure(rc, out, to, "quiltc")
            msg = re.sub(r"^quiltc: error: " + re.escape(mpath) + r": ", "quiltc: ", msg)
            msg = msg.replace(mpath, "model.onnx")
            return status, msg, flags, model
        feeds = [i.name for i in tensor_inputs(model.graph)]
        for s, ins, refs in self.sets:
            if baked and any(not np.array_equal(ins[p], self.sets[0][1][p]) for p in baked):
                continue  # another data set's parameters: not this executable's
            args = []
            for k, name in enumerate(feeds):
                if ins.get(name) is None:
                    return "wrong", f"harness: cannot feed input '{name}' (not a tensor)", [], model
                p = os.path.join(wd, f"{s}.in{k}.npy")
                np.save(p, ins[name])
                args.append(f"--input=@{p}")
            outs = [os.path.join(wd, f"{s}.out{k}.npy") for k in range(len(refs))]
            args += [f"--output=@{p}" for p in outs]
            for p in outs:
                if os.path.exists(p):
                    os.remove(p)
            if ranks == 1:
                rcmd = [exe] + args
            else:
                rcmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks),
                        exe] + args
            rc, out, to = run(rcmd, wd, RUN_TIMEOUT, self.env)
            if rc != 0:
                self.last_output = out[-3000:]
                status, msg, flags = classify_failure(rc, out, to, "run")
                return status, msg, flags, model
            for k, (p, ref) in enumerate(zip(outs, refs)):
                if ref is None:
                    return "wrong", f"harness: output {k} is not a tensor", [], model
                if not os.path.exists(p):
                    return "wrong", f"output {k} '{model.graph.output[k].name}' not written", [], model
                why = compare(np.load(p), ref, tol)
                if why:
                    return "wrong", f"output {k} '{model.graph.output[k].name}': {why}", [], model
        return "pass", "", [], model

    def run_two_ranks(self, model, tol):
        shard = None
        for vi in tensor_inputs(model.graph):
            arr = self.sets[0][1].get(vi.name)
            if arr is None or arr.ndim == 0:
                continue
            dim = int(np.argmax(arr.shape))  # the first of the largest
            if arr.shape[dim] >= 2:
                shard = f"{vi.name}:{dim}"
                break
        if shard is None:
            self.r["status_2rank"] = "n/a"
            return
        self.r["shard_2rank"] = shard
        status, msg, flags, _ = self.attempt(model, self.r["baked"], tol, 2, shard)
        if status == "crash":
            self.r["status_2rank"], self.r["message_2rank"] = "crash", msg
            self.r["output_2rank"] = self.last_output
        else:
            self.r["status_2rank"] = "pass" if status == "pass" else "fail"
            self.r["message_2rank"] = f"{status}: {msg}" if msg else ""


# ---------------------------------------------------------------- suite

def load_expected(path):
    exp = {}
    if not os.path.exists(path):
        return exp
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if line:
            parts = line.split()
            exp[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "n/a")
    return exp


def write_expected(path, results):
    rows = [r for r in results if r["status"] in ("pass", "pass-baked")]
    with open(path, "w") as f:
        f.write("# ONNX node tests (libonnx-testdata) that pass: NAME 1-RANK 2-RANK\n"
                "# 1-RANK: pass | pass-baked (parameter inputs baked into initializers)\n"
                "# 2-RANK: pass | fail | n/a (--mesh=2, first input split on its largest dim)\n"
                "# Regenerate: /usr/bin/python3 test/conformance/run_node_tests.py --update\n")
        for r in sorted(rows, key=lambda r: r["name"]):
            f.write(f"{r['name']} {r['status']} {r['status_2rank']}\n")


def reject_key(msg):
    m = re.search(r"unsupported ops?: (.*)", msg)
    if m:
        return None  # counted per op
    key = re.sub(r"'[^']*'", "'…'", msg)
    key = re.sub(r"\(\d+(, \d+)*\)", "(…)", key)
    key = re.sub(r"\b\d+\b(?!-D)", "N", key)
    return key


def unsupported_ops(msg):
    m = re.search(r"unsupported ops?: (.*)", msg)
    if not m:
        return []
    # "Op (node 'n')", "Op x 3 (first 'n')", "Op of domain 'd' (node 'n')",
    # "Op (Quilt reads opsets 5 to 17) (node 'n')"
    return re.findall(r"(?:^|, )([A-Za-z0-9_]+)(?: x \d+)?(?: of domain '[^']*')?"
                      r"(?: \(Quilt reads opsets [^)]*\))? \((?:node|first) ", m.group(1))


def summarize(results, total_suite, doc_ops, seconds):
    classes = ["pass", "pass-baked", "wrong", "reject", "crash"]
    counts = {c: sum(r["status"] == c for r in results) for c in classes}
    doc = [r for r in results if r.get("ops") and set(r["ops"]) <= doc_ops]
    doc_pass = sum(r["status"] in ("pass", "pass-baked") for r in doc)
    docf = [r for r in doc if r.get("float32_io")]
    docf_pass = sum(r["status"] in ("pass", "pass-baked") for r in docf)
    passing = [r for r in results if r["status"] in ("pass", "pass-baked")]
    two = {c: sum(r["status_2rank"] == c for r in passing) for c in ("pass", "fail", "crash", "n/a")}
    groups, missing = {}, {}
    for r in results:
        if r["status"] != "reject":
            continue
        ops = unsupported_ops(r["message"])
        for op in ops:
            missing[op] = missing.get(op, 0) + 1
        key = f"unsupported op: {ops[0]}" if len(ops) == 1 else (
            "unsupported ops: " + ", ".join(ops) if ops else reject_key(r["message"]))
        groups.setdefault(key, []).append(r["name"])
    return {
        "suite": total_suite, "run": len(results), "counts": counts,
        "pass_total": counts["pass"] + counts["pass-baked"],
        "pass_percent_of_suite": round(100.0 * (counts["pass"] + counts["pass-baked"]) /
                                       max(total_suite, 1), 1),
        "documented_ops": sorted(doc_ops), "documented_tests": len(doc),
        "documented_pass": doc_pass,
        "documented_pass_percent": round(100.0 * doc_pass / max(len(doc), 1), 1),
        "documented_float32_tests": len(docf), "documented_float32_pass": docf_pass,
        "documented_float32_pass_percent": round(100.0 * docf_pass / max(len(docf), 1), 1),
        "two_ranks": two, "seconds": round(seconds, 1),
        "rejects_by_message": dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))),
        "missing_ops": dict(sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))),
        "wrong": {r["name"]: r["message"] for r in results if r["status"] == "wrong"},
        "crash": {r["name"]: r["message"] for r in results if r["status"] == "crash"},
        "crash_2rank": {r["name"]: r["message_2rank"] for r in passing if r["status_2rank"] == "crash"},
        "fail_2rank": {r["name"]: r["message_2rank"] for r in passing if r["status_2rank"] == "fail"},
        "flagged_rejects": {r["name"]: [r["message"]] + r["flags"] for r in results
                            if r["status"] == "reject" and r["flags"]},
    }


def markdown(s):
    c = s["counts"]
    n = s["suite"]
    pct = lambda k: f"{100.0 * k / max(n, 1):.1f}%"
    out = ["# ONNX node-test conformance", "",
           "Generated by `/usr/bin/python3 test/conformance/run_node_tests.py --update` "
           "(Debian's libonnx-testdata, see docs/status.md).", "",
           "| class | tests | of the suite |", "|---|---|---|"]
    for k in ("pass", "pass-baked", "wrong", "reject", "crash"):
        out.append(f"| {k} | {c[k]} | {pct(c[k])} |")
    out += [f"| **passing** | **{s['pass_total']}** | **{pct(s['pass_total'])}** |", "",
            f"Tests of documented ops (every op of the test's graph in the user guide's op list): "
            f"{s['documented_pass']} / {s['documented_tests']} pass "
            f"({s['documented_pass_percent']}%); of those whose data inputs and outputs are all "
            f"float32 (what the user guide promises today), {s['documented_float32_pass']} / "
            f"{s['documented_float32_tests']} ({s['documented_float32_pass_percent']}%).", "",
            f"On 2 ranks (the passing tests, first input split on its largest dim): "
            f"{s['two_ranks']['pass']} pass, {s['two_ranks']['fail']} fail, "
            f"{s['two_ranks']['crash']} crash, {s['two_ranks']['n/a']} n/a (no dim >= 2).", ""]
    for title, key in (("Wrong", "wrong"), ("Crashes", "crash"), ("Crashes on 2 ranks", "crash_2rank"),
                       ("Failures on 2 ranks", "fail_2rank"), ("Rejects not one line or naming nothing",
                                                              "flagged_rejects")):
        if s[key]:
            out += [f"## {title}", ""]
            for name, msg in sorted(s[key].items()):
                out.append(f"- `{name}`: {msg if isinstance(msg, str) else '; '.join(msg)}")
            out.append("")
    out += ["## Rejects by message", "", "| tests | message | examples |", "|---|---|---|"]
    for key, names in s["rejects_by_message"].items():
        ex = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        out.append(f"| {len(names)} | {key.replace('|', '/')} | {ex} |")
    out += ["", "## Unsupported ops (tests naming each)", "",
            ", ".join(f"{op} {k}" for op, k in s["missing_ops"].items()), ""]
    return "\n".join(out)


def check(results, expected, all_run):
    """Regressions of the expected list and crashes: a list of lines."""
    bad, new = [], []
    by = {r["name"]: r for r in results}
    for name, (st1, st2) in sorted(expected.items()):
        if name not in by:
            if all_run:
                bad.append(f"{name}: expected {st1}, but the test is missing from the test data")
            continue
        r = by[name]
        if r["status"] not in ("pass", "pass-baked") or (st1 == "pass" and r["status"] != "pass"):
            bad.append(f"{name}: expected {st1}, now {r['status']}: {r['message']}")
        elif st2 == "pass" and r["status_2rank"] != "pass":
            bad.append(f"{name}: expected pass on 2 ranks ({r.get('shard_2rank')}), now "
                       f"{r['status_2rank']}: {r['message_2rank']}")
    for r in results:
        if r["status"] == "crash":
            bad.append(f"{r['name']}: CRASH: {r['message']}")
        if r["status_2rank"] == "crash":
            bad.append(f"{r['name']}: CRASH on 2 ranks: {r['message_2rank']}")
        e = expected.get(r["name"])
        if r["status"] in ("pass", "pass-baked") and (
                e is None or (e[0] == "pass-baked" and r["status"] == "pass") or
                (e[1] != "pass" and r["status_2rank"] == "pass")):
            new.append(f"{r['name']}: {r['status']}, 2 ranks {r['status_2rank']}"
                       + (f" (expected {e[0]} {e[1]})" if e else ""))
    return bad, new


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quiltc", default=DEFAULT_QUILTC)
    ap.add_argument("--testdata", default=DEFAULT_TESTDATA)
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "test", "conformance", "work"))
    ap.add_argument("--jobs", type=int, default=max(2, (os.cpu_count() or 2) * 3 // 2),
                    help="tests at a time (default 1.5 x the cores: a run waits on MPI start-up "
                         "about as long as it computes)")
    ap.add_argument("--shard", default=None, help="K/N: the tests whose index modulo N is K")
    ap.add_argument("--filter", default=None, help="regular expression on test names")
    ap.add_argument("--expected", default=EXPECTED)
    ap.add_argument("--check", action="store_true",
                    help="exit 1 if a test of the expected list no longer passes or any test crashes")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the expected list and summary.md from this run (all tests)")
    ap.add_argument("--no-2rank", action="store_true", help="skip the 2-rank runs")
    ap.add_argument("--keep", action="store_true", help="keep the work files of passing tests")
    ap.add_argument("--merge", type=int, default=0, metavar="N",
                    help="summarize the results.KofN.json that the N shards left in --work")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    if not os.path.isdir(a.testdata):
        print(f"run_node_tests: no node tests at {a.testdata} (apt-get install libonnx-testdata)")
        return 77
    names = sorted(d for d in os.listdir(a.testdata) if os.path.exists(
        os.path.join(a.testdata, d, "model.onnx")))
    total = len(names)
    os.makedirs(a.work, exist_ok=True)
    tag = "all"
    missing = []
    t0 = time.time()

    if a.merge:
        results, seconds = [], 0.0
        for k in range(a.merge):
            f = os.path.join(a.work, f"results.{k}of{a.merge}.json")
            if not os.path.exists(f):
                missing.append(os.path.basename(f))
                continue
            d = json.load(open(f))
            results += d["tests"]
            seconds += d["summary"]["seconds"]
        if missing:
            print(f"run_node_tests: missing shard results in {a.work}: {', '.join(missing)}")
        if not results:
            return 1
    else:
        if a.update and (a.shard or a.filter):
            ap.error("--update needs the whole suite (no --shard or --filter)")
        if not os.access(a.quiltc, os.X_OK):
            print(f"run_node_tests: no quiltc at {a.quiltc}")
            return 1
        # One compiler for the whole run, even if the build rewrites quiltc
        # meanwhile (its runtime link line is absolute, so a copy works).
        snapshot = os.path.join(a.work, f"quiltc.{os.getpid()}")
        shutil.copy2(a.quiltc, snapshot)
        if run([snapshot, "--help"], a.work, 60)[0] != 0:
            os.remove(snapshot)
            print(f"run_node_tests: {a.quiltc} does not run (being rebuilt?)")
            return 1
        if a.shard:
            k, n = (int(x) for x in a.shard.split("/"))
            names = [x for i, x in enumerate(names) if i % n == k]
            tag = f"{k}of{n}"
        if a.filter:
            names = [x for x in names if re.search(a.filter, x)]
        tests = [Test(x, os.path.join(a.testdata, x), a.work, snapshot, not a.no_2rank, a.keep)
                 for x in names]
        results = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
            for r in pool.map(lambda t: t.go(), tests):
                results.append(r)
                if a.verbose:
                    extra = f" [{r['message']}]" if r["message"] else ""
                    two = f" 2-rank {r['status_2rank']}" if r["status_2rank"] else ""
                    print(f"{r['name']}: {r['status']}{two}{extra} ({r['seconds']}s)", flush=True)
        seconds = time.time() - t0
        os.remove(snapshot)

    s = summarize(results, total, documented_ops(), seconds)
    if a.merge:
        tag = "merged"
    json.dump({"summary": s, "tests": results},
              open(os.path.join(a.work, f"results.{tag}.json"), "w"), indent=1)
    with open(os.path.join(a.work, f"summary.{tag}.md"), "w") as f:
        f.write(markdown(s))
    c = s["counts"]
    print(f"node tests: {len(results)} run of {total}: {c['pass']} pass, {c['pass-baked']} pass-baked, "
          f"{c['wrong']} wrong, {c['reject']} reject, {c['crash']} crash; "
          f"passing {s['pass_total']} ({s['pass_percent_of_suite']}% of the suite); documented ops "
          f"{s['documented_pass']}/{s['documented_tests']} ({s['documented_pass_percent']}%), "
          f"float32 I/O {s['documented_float32_pass']}/{s['documented_float32_tests']} "
          f"({s['documented_float32_pass_percent']}%); "
          f"2 ranks: {s['two_ranks']['pass']} pass, {s['two_ranks']['fail']} fail, "
          f"{s['two_ranks']['crash']} crash, {s['two_ranks']['n/a']} n/a; {s['seconds']}s"
          + (" (the shards' times added)" if a.merge else ""))
    for name, msg in sorted(s["wrong"].items()):
        print(f"  wrong {name}: {msg}")
    for name, msg in sorted(list(s["crash"].items()) + list(s["crash_2rank"].items())):
        print(f"  CRASH {name}: {msg}")
    for name, msg in sorted(s["flagged_rejects"].items()):
        print(f"  reject flagged {name}: {'; '.join(msg)}")

    rc = 0
    if a.check or a.merge or a.update:
        whole = not (a.shard or a.filter) and not (a.merge and missing)
        bad, new = check(results, load_expected(a.expected), whole)
        for line in new:
            print(f"  newly passing {line}")
        if new:
            print(f"{len(new)} tests pass beyond {os.path.relpath(a.expected, ROOT)}: "
                  "run_node_tests.py --update records them")
        for line in bad:
            print(f"  REGRESSION {line}")
        if bad and a.check:
            print(f"FAILED: {len(bad)} regressions or crashes")
            rc = 1
    harness = [r["name"] for r in results
               if r["status"] == "crash" and r["message"].startswith("harness:")]
    if a.update and harness:
        print(f"run_node_tests: not updating: {len(harness)} tests failed in the harness itself "
              f"(first: {harness[0]})")
        return 1
    if a.update:
        write_expected(a.expected, results)
        with open(SUMMARY_MD, "w") as f:
            f.write(markdown(s))
        print(f"wrote {os.path.relpath(a.expected, ROOT)} and {os.path.relpath(SUMMARY_MD, ROOT)}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
