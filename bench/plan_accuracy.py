#!/usr/bin/env python3
"""Analysis of bench/plan_accuracy.sh: predicted (quiltc --simulate-json) vs
measured (the executable's --iterations timing) time per step, per phase.

    plan_accuracy.py OUT_DIR [--topology=T] [--runs=N] [--iters=N] [--start=EPOCH]
                     [--waited=S] [--probe-runs=N] [--command=...]
    plan_accuracy.py --match-auto AUTO_JSON ROWS_TXT MODEL

The first form reads OUT_DIR (rows.txt, plans/MODEL/TAG/{pred.json,run*.log},
auto/MODEL.pP.json, quiet.tsv, bindings.txt, models/plan_models.json), prints
the report and writes OUT_DIR/plan_accuracy.md and OUT_DIR/plan_accuracy.json.
The second prints `TAG||` when --mesh=auto's pick is one of MODEL's candidate
rows, else `new|MESH|SHARDS` (used by the shell script).

Only the standard library: runs with any python3.
"""
import datetime
import json
import math
import os
import platform
import re
import statistics
import sys

PHASES = ["total", "compute", "halo", "coll"]
PRED_KEY = {"total": "total_ms", "compute": "compute_ms", "halo": "halo_ms",
            "coll": "collective_ms"}
MEAS_RE = {"total": r"^\s+total\s+([0-9.]+) ms", "compute": r"^\s+compute\s+([0-9.]+) ms",
           "halo": r"^\s+halo\s+([0-9.]+) ms", "coll": r"^\s+collectives\s+([0-9.]+) ms"}
WAIT_RE = r"^\s+wait\s+([0-9.]+) ms"  # --sync-phases only
# --profile-ops: one line per communication op, in program order.
COMM_OP_RE = r"^\s+#(\d+)\s+(\w+)\s+(\d+) B\s+([0-9.]+) ms$"
# Plan sets whose order is compared: never across oversubscribed and not.
TAU_SETS = [("P<=2", lambda r: not r["oversubscribed"]),
            ("P=2 only", lambda r: not r["oversubscribed"] and r["P"] == 2),
            ("P=4 (oversubscribed)", lambda r: r["oversubscribed"])]
MIN_MS = 0.05  # measured phases below this are reported, not in the % error statistics


# ---- plan keys ---------------------------------------------------------------

def plan_key(mesh, shards):
    """(mesh, frozenset of (value, dim, axis)) for a mesh string ('2x2', or a
    list of sizes) and --shard specs ('input:2', 'input:2=0,3=1@p0', or a
    list of them); priorities are ignored."""
    if isinstance(mesh, list):
        mesh = "x".join(str(m) for m in mesh)
    if isinstance(shards, str):
        shards = shards.split() if shards else []
    splits = set()
    if mesh != "1":
        for spec in merge_shards(shards):
            spec = re.sub(r"@p\d+$", "", spec)
            name, _, dims = spec.rpartition(":")
            for item in dims.split(","):
                d, _, a = item.partition("=")
                splits.add((name, int(d), int(a or 0)))
    return mesh, frozenset(splits)


def merge_shards(shards):
    """--shard specs as list items ('input:3=0', '2=1@p0'), as quiltc's
    option list splits a spec at its commas: glue a piece without 'NAME:'
    back on (plan.shards of --simulate-json already lists whole specs)."""
    out = []
    for spec in shards:
        if ":" not in spec and out:
            out[-1] += "," + spec
        else:
            out.append(spec)
    return out


def read_rows(path):
    rows = []
    for line in open(path):
        f = line.rstrip("\n").split("|")
        if len(f) < 7:
            continue
        rows.append(dict(model=f[0], tag=f[1], mesh=f[2], shard=f[3], source=f[4],
                         status=f[5], extra=f[6]))
    return rows


def match_auto(auto_json, rows_path, model):
    plan = json.load(open(auto_json))["plan"]
    key = plan_key(plan["mesh"], plan["shards"])
    for r in read_rows(rows_path):
        if r["model"] == model and r["status"] == "ok" and r["source"] != "diagnostic" and \
                plan_key(r["mesh"], r["shard"]) == key:
            print(f"{r['tag']}||")
            return
    print(f"new|{key[0]}|{' '.join(merge_shards(plan['shards']))}")


# ---- statistics ----------------------------------------------------------------

def quantile(xs, q):
    """Linear interpolation between order statistics (numpy's default)."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def kendall(pred, meas, iqr):
    """Pair counts for Kendall's tau-b between two orders, plus the discordant
    pairs whose measured difference is beyond noise (> the sum of the IQRs)."""
    c = d = tp = tm = sig = 0
    n = len(pred)
    for i in range(n):
        for j in range(i + 1, n):
            a = pred[i] - pred[j]
            b = meas[i] - meas[j]
            if a == 0 and b == 0:
                continue
            if a == 0:
                tp += 1
            elif b == 0:
                tm += 1
            elif (a > 0) == (b > 0):
                c += 1
            else:
                d += 1
                if abs(b) > iqr[i] + iqr[j]:
                    sig += 1
    return dict(concordant=c, discordant=d, ties_pred=tp, ties_meas=tm, discordant_beyond_noise=sig)


def tau_b(k):
    den = math.sqrt((k["concordant"] + k["discordant"] + k["ties_pred"]) *
                    (k["concordant"] + k["discordant"] + k["ties_meas"]))
    return (k["concordant"] - k["discordant"]) / den if den else float("nan")


# ---- reading one row ------------------------------------------------------------

def measure(dirpath, runs):
    per_run, fails, envs = [], [], []
    check = None
    for r in range(1, runs + 1):
        log_path = os.path.join(dirpath, f"run{r}.log")
        if not os.path.exists(log_path):
            fails.append(r)
            continue
        log = open(log_path).read()
        vals = {}
        for ph, rx in MEAS_RE.items():
            m = re.search(rx, log, re.M)
            if m:
                vals[ph] = float(m.group(1))
        if len(vals) == 4:
            per_run.append(vals)
        else:
            fails.append(r)
        env_path = os.path.join(dirpath, f"run{r}.env")
        if os.path.exists(env_path):
            f = open(env_path).read().split()
            if len(f) == 3:
                envs.append(dict(run=r, busy_before=float(f[0]), foreign_during=float(f[1]),
                                 attempts=int(f[2])))
        if r == 1:
            outs = re.findall(r"^output \d+ .*: (ok|MISMATCH)$", log, re.M)
            check = ("ok" if outs and all(o == "ok" for o in outs) else "MISMATCH") if outs \
                else "no check"
    if not per_run:
        return None, None, fails, check, [], envs
    for v in per_run:
        # Communication on the critical path: the rest of the step once the
        # slowest rank's compute is done (the phases alone include the time a
        # rank waits in a halo or collective for a slower peer).
        v["comm"] = max(0.0, v["total"] - v["compute"])
    med = {ph: statistics.median(v[ph] for v in per_run) for ph in PHASES + ["comm"]}
    iqr = {ph: quantile([v[ph] for v in per_run], 0.75) - quantile([v[ph] for v in per_run], 0.25)
           for ph in PHASES + ["comm"]}
    # The --sync-phases runs (P > 1): halo and collectives without the wait
    # for slower peers, which they time apart as `wait`.
    synced = []
    for r in range(1, runs + 1):
        log_path = os.path.join(dirpath, f"sync{r}.log")
        if not os.path.exists(log_path):
            continue
        log = open(log_path).read()
        vals = {}
        for ph, rx in list(MEAS_RE.items()) + [("wait", WAIT_RE)]:
            m = re.search(rx, log, re.M)
            if m:
                vals[ph] = float(m.group(1))
        if len(vals) == 5:
            synced.append(vals)
            vals["comm_ops"] = [(kind, int(sent), float(ms))
                                for _, kind, sent, ms in re.findall(COMM_OP_RE, log, re.M)]
    med["synced_runs"] = len(synced)
    for ph in ("halo", "coll"):
        med[ph + "_unsynced"], iqr[ph + "_unsynced"] = med[ph], iqr[ph]
    # Per communication op (--profile-ops of the synced runs): kind, bytes a
    # rank sends, median ms over the runs.
    med["comm_ops"] = []
    profiled = [v["comm_ops"] for v in synced if v["comm_ops"]]
    if profiled and all(len(p) == len(profiled[0]) for p in profiled):
        for i, (kind, sent, _) in enumerate(profiled[0]):
            med["comm_ops"].append(dict(kind=kind, bytes=sent,
                                        ms=statistics.median(p[i][2] for p in profiled)))
    if synced:
        for ph in ("halo", "coll", "wait"):
            values = [v[ph] for v in synced]
            med[ph] = statistics.median(values)
            iqr[ph] = quantile(values, 0.75) - quantile(values, 0.25)
    else:
        med["wait"], iqr["wait"] = 0.0, 0.0
    return med, iqr, fails, check, per_run, envs


def comm_ops_matched(pred, measured):
    """The measured communication ops (program order) beside the predicted
    op of the same kind, in order: the runtime lists every communication
    entry point (shard_slice too, which the prediction counts as compute)."""
    ops, k = pred.get("ops", []), 0
    matched = []
    for m in measured:
        while k < len(ops) and ops[k].get("kind") != m["kind"]:
            k += 1
        if k == len(ops):
            return []
        p = ops[k]
        k += 1
        # The runtime times the whole op: a ring attention's kernel too.
        pred_ms = p.get("comm_ms", 0.0) if p.get("phase") in ("halo", "collective") and \
            p.get("kind") != "ring_attention" else p.get("ms", 0.0)
        matched.append(dict(kind=m["kind"], node=p.get("node", ""), bytes=m["bytes"],
                            pred_bytes=p.get("bytes_sent"), pred_ms=pred_ms, meas_ms=m["ms"]))
    return matched


def predicted_by_class(pred):
    by = {}
    for op in pred.get("ops", []):
        if op.get("phase") == "compute" or op.get("compute_ms", 0) > 0:
            cls = op.get("class", op.get("kind", "?"))
            by[cls] = by.get(cls, 0.0) + op.get("compute_ms", 0.0)
    return by


# ---- report ----------------------------------------------------------------------

def fmt(x, nd=2):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{nd}f}"


def fmt_err(e, excluded):
    if e is None:
        return "n/a"
    s = f"{e:+.0f}%"
    return s + "*" if excluded else s


def md_table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main(argv):
    if argv and argv[0] == "--match-auto":
        match_auto(*argv[1:4])
        return 0
    opts = {"topology": "", "runs": "5", "iters": "20", "start": "", "command": ""}
    pos = []
    for a in argv:
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            opts[k] = v
        else:
            pos.append(a)
    out = pos[0]
    runs = int(opts["runs"])
    models = json.load(open(os.path.join(out, "models", "plan_models.json")))
    rows = read_rows(os.path.join(out, "rows.txt"))

    # -- per row ------------------------------------------------------------
    table = []
    for r in rows:
        spec = models.get(r["model"], {})
        r["kind"] = spec.get("kind", "")
        r["held_out"] = bool(spec.get("held_out"))
        r["P"] = math.prod(int(n) for n in r["mesh"].split("x")) if r["mesh"] else 1
        if r["status"] != "ok":
            table.append(r)
            continue
        pdir = os.path.join(out, "plans", r["model"],
                            "m1_none" if r["source"] == "diagnostic" else r["tag"])
        pred = json.load(open(os.path.join(pdir, "pred.json")))
        r["oversubscribed"] = bool(pred.get("oversubscribed"))
        r["pred"] = {ph: pred[PRED_KEY[ph]] for ph in PHASES}
        r["pred_plan"] = pred.get("plan", {})
        r["pred_by_class"] = predicted_by_class(pred)
        # The runtime times a ring attention (its kernel too) as collectives;
        # the prediction puts its kernel under compute. `aligned` moves it.
        ring = sum(op.get("compute_ms", 0.0) for op in pred.get("ops", [])
                   if op.get("kind") == "ring_attention")
        r["pred_ring_attention_compute_ms"] = ring
        r["pred_aligned"] = dict(r["pred"], compute=r["pred"]["compute"] - ring,
                                 coll=r["pred"]["coll"] + ring)
        r["pred"]["comm"] = r["pred"]["halo"] + r["pred"]["coll"]
        r["pred_aligned"]["comm"] = r["pred"]["comm"] + ring
        res = measure(os.path.join(out, "plans", r["model"], r["tag"]), runs)
        if res[0] is None:
            r["status"] = "run failed"
            r["failed_runs"] = res[2]
            table.append(r)
            continue
        med, iqr, fails, check, per_run, envs = res
        r.update(meas=med, iqr=iqr, failed_runs=fails, check=check, runs=per_run, run_env=envs)
        r["comm_ops"] = comm_ops_matched(pred, med["comm_ops"])
        # Time in no phase (the compiled code between runtime calls).
        r["meas_unphased_ms"] = (med["total"] - med["compute"] - med["halo_unsynced"] -
                                 med["coll_unsynced"])
        r["err"], r["err_aligned"], r["excluded"] = {}, {}, {}
        for ph in PHASES + ["comm"]:
            m = med[ph]
            r["err"][ph] = 100.0 * (r["pred"][ph] - m) / m if m > 0 else None
            r["err_aligned"][ph] = 100.0 * (r["pred_aligned"][ph] - m) / m if m > 0 else None
            r["excluded"][ph] = m < MIN_MS
        table.append(r)
    ok = [r for r in table if r["status"] == "ok"]

    def group(pred_fn):
        return [r for r in ok if pred_fn(r)]

    main_rows = group(lambda r: r["source"] != "diagnostic" and not r["oversubscribed"])
    ring_rows = [r for r in main_rows if r["pred_ring_attention_compute_ms"] > 0]
    groups = [
        ("tuning models, P<=2", [r for r in main_rows if not r["held_out"]]),
        ("held-out model, P<=2", [r for r in main_rows if r["held_out"]]),
        ("all models, P<=2", main_rows),
        ("all models, P<=2, phases aligned (ring attention under coll)", main_rows),
        ("all models, P<=2, comm on the critical path", main_rows),
        ("OVERSUBSCRIBED P=4 (apart)",
         group(lambda r: r["source"] != "diagnostic" and r["oversubscribed"])),
        ("diagnostic: P=1 --bind-to none", group(lambda r: r["source"] == "diagnostic")),
    ]
    dist = []
    for gname, grows in groups:
        for ph in PHASES + ["comm"]:
            ek, pk = ("err_aligned", "pred_aligned") if "aligned" in gname or "critical" in gname \
                else ("err", "pred")
            if ("aligned" in gname and (ph not in ("compute", "coll") or not ring_rows)) or \
                    (("critical" in gname) != (ph == "comm")):
                continue
            inc = [r for r in grows if r[ek][ph] is not None and not r["excluded"][ph]]
            exc = [r for r in grows if r["excluded"][ph]]
            errs = [r[ek][ph] for r in inc]
            ratios = [r["meas"][ph] / r[pk][ph] for r in inc if r[pk][ph] > 0]
            dist.append(dict(group=gname, phase=ph, n=len(inc), excluded=len(exc),
                             median_abs=quantile([abs(e) for e in errs], 0.5),
                             p90_abs=quantile([abs(e) for e in errs], 0.9),
                             max_abs=max((abs(e) for e in errs), default=float("nan")),
                             median_signed=quantile(errs, 0.5),
                             median_meas_over_pred=quantile(ratios, 0.5)))

    # -- Kendall tau per model -------------------------------------------------
    taus = []
    pooled = {label: None for label, _ in TAU_SETS}
    for m in models:
        for label, sel in TAU_SETS:
            rs = [r for r in ok if r["model"] == m and r["source"] != "diagnostic" and sel(r)]
            if len(rs) < 2:
                continue
            k = kendall([r["pred"]["total"] for r in rs], [r["meas"]["total"] for r in rs],
                        [r["iqr"]["total"] for r in rs])
            taus.append(dict(model=m, held_out=models[m]["held_out"], set=label, plans=len(rs),
                             tau_b=tau_b(k), **k,
                             pred_all_equal=len({round(r["pred"]["total"], 6) for r in rs}) == 1,
                             pred_order=[r["tag"] for r in sorted(rs, key=lambda r: r["pred"]["total"])],
                             meas_order=[r["tag"] for r in sorted(rs, key=lambda r: r["meas"]["total"])]))
            acc = pooled[label] or dict.fromkeys(k, 0)
            pooled[label] = {x: acc[x] + k[x] for x in k}
    pooled_tau = {label: dict(tau_b=tau_b(k), **k) for label, k in pooled.items() if k}

    # -- --mesh=auto's pick ----------------------------------------------------------
    autos = []
    for m in models:
        for P in (2, 4):
            path = os.path.join(out, "auto", f"{m}.p{P}.json")
            if not os.path.exists(path):
                continue
            plan = json.load(open(path))["plan"]
            key = plan_key(plan["mesh"], plan["shards"])
            cands = [r for r in ok if r["model"] == m and r["P"] == P and r["source"] != "diagnostic"]
            pick = next((r for r in cands if plan_key(r["mesh"], r["shard"]) == key), None)
            if not pick or not cands:
                autos.append(dict(model=m, P=P, pick=plan.get("splits"), status="not measured"))
                continue
            best = min(cands, key=lambda r: r["meas"]["total"])
            p1 = next((r for r in ok if r["model"] == m and r["tag"] == "m1_none"), None)
            gap = 100.0 * (pick["meas"]["total"] / best["meas"]["total"] - 1)
            a = dict(model=m, held_out=models[m]["held_out"], P=P,
                     oversubscribed=pick["oversubscribed"], pick=pick["tag"],
                     pick_splits=plan.get("splits"), best=best["tag"],
                     pick_ms=pick["meas"]["total"], best_ms=best["meas"]["total"],
                     gap_pct=gap, noise_ms=pick["iqr"]["total"] + best["iqr"]["total"],
                     candidates=len(cands), p1_ms=p1["meas"]["total"] if p1 else None)
            a["miss"] = pick is not best
            a["within_noise"] = (pick["meas"]["total"] - best["meas"]["total"]) <= a["noise_ms"]
            if a["miss"]:
                errs = {ph: pick["pred"][ph] - pick["meas"][ph] for ph in PHASES[1:]}
                a["pick_biggest_error_phase"] = max(errs, key=lambda ph: abs(errs[ph]))
                a["pick_phase_errors_ms"] = errs
                # Which phase the model misjudged between the two plans:
                # measured difference minus predicted difference.
                mis = {ph: (pick["meas"][ph] - best["meas"][ph]) - (pick["pred"][ph] - best["pred"][ph])
                       for ph in PHASES[1:]}
                a["deciding_phase"] = max(mis, key=lambda ph: abs(mis[ph]))
                a["misjudged_ms"] = mis
                a["pred_pick_ms"], a["pred_best_ms"] = pick["pred"]["total"], best["pred"]["total"]
            autos.append(a)

    # -- compute: measured / predicted per row -----------------------------------------
    classes = sorted({c for r in ok for c in r["pred_by_class"]})
    ratio_cols = sorted({r["tag"] for r in ok if not r["oversubscribed"]},
                        key=lambda t: (not t.startswith("m1_"), t != "m1_none", t))
    compute_ratio = {m: {r["tag"]: r["meas"]["compute"] / r["pred_aligned"]["compute"]
                         for r in ok if r["model"] == m and not r["oversubscribed"]
                         and r["pred_aligned"]["compute"] > 0}
                     for m in models}

    # -- single-op probes -------------------------------------------------------------------
    probes = []
    probes_path = os.path.join(out, "models", "probes.json")
    if os.path.exists(probes_path):
        for name, spec in json.load(open(probes_path)).items():
            pdir = os.path.join(out, "probes", name)
            if not os.path.exists(os.path.join(pdir, "pred.json")):
                continue
            pred = json.load(open(os.path.join(pdir, "pred.json")))
            kernels = [op for op in pred.get("ops", []) if op.get("phase") == "compute"]
            top = max(kernels, key=lambda op: op.get("compute_ms", 0.0), default={})
            res = measure(pdir, int(opts.get("probe-runs", "3")))
            pr = dict(name=name, label=spec["label"], shape=spec["shape"],
                      kernel=f"{top.get('kind', '?')} ({top.get('class', '?')})",
                      pred_compute_ms=pred["compute_ms"], pred_halo_ms=pred["halo_ms"],
                      flops=sum(op.get("flops", 0) for op in kernels))
            if res[0] is not None:
                pr.update(meas_compute_ms=res[0]["compute"], iqr_ms=res[1]["compute"],
                          meas_over_pred=res[0]["compute"] / pred["compute_ms"]
                          if pred["compute_ms"] > 0 else None)
            probes.append(pr)

    # -- environment ---------------------------------------------------------------------
    topo_name = opts["topology"]
    try:
        t = json.load(open(opts["topology"]))
        cal = t.get("calibration", {})
        what = "network and copies calibrated" if cal.get("network_only") else "calibrated"
        topo_name = f"{t.get('name')} ({opts['topology']}; {what} {cal.get('date', '?')})"
    except (OSError, ValueError):
        pass
    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    envs = [e for r in ok for e in r.get("run_env", [])]
    quiet = [e["busy_before"] for e in envs]
    foreign = [e["foreign_during"] for e in envs if not math.isnan(e["foreign_during"])]
    repeated = sum(e["attempts"] > 1 for e in envs)
    disturbed = sum(f > 0.2 for f in foreign)
    bindings = open(os.path.join(out, "bindings.txt")).read().strip() \
        if os.path.exists(os.path.join(out, "bindings.txt")) else ""
    wall = (datetime.datetime.now().timestamp() - float(opts["start"])) if opts["start"] else None
    env = dict(date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               host=platform.node(), cpu=cpu, cores=os.cpu_count(), topology=topo_name,
               command=opts["command"], commit=opts.get("commit"), runs=runs, iterations=int(opts["iters"]),
               wall_s=wall, busy_cores_before_runs_max=max(quiet, default=None),
               foreign_cores_during_runs_max=max(foreign, default=None),
               foreign_cores_during_runs_median=quantile(foreign, 0.5) if foreign else None,
               runs_repeated=repeated, runs_kept_disturbed=disturbed,
               waited_for_idle_s=float(opts["waited"]) if opts.get("waited") else None,
               bindings=bindings)

    # -- markdown -----------------------------------------------------------------------
    L = []
    L.append("# Cost-model accuracy: predicted vs measured time per step\n")
    L.append(f"- date: {env['date']}; machine: {env['cores']} cores, {cpu} (host `{env['host']}`)")
    L.append(f"- topology: {topo_name}")
    if opts.get("commit"):
        L.append(f"- source: commit {opts['commit']}")
    L.append(f"- command: `{env['command']}`" + (f" ({wall / 60:.1f} min)" if wall else ""))
    L.append(f"- measured = median over {runs} runs of the executable's `--iterations={opts['iters']}` "
             "mean (max over ranks), IQR across runs; predicted = `quiltc --simulate-json` of the "
             "same compile. Error = (predicted - measured) / measured.")
    L.append(f"- `*`: measured phase < {MIN_MS} ms: shown, but left out of the error distributions.")
    L.append("- measured halo and collectives (P > 1) come from the same executable run with "
             "`--sync-phases` (median over as many runs): a timed barrier before every "
             "communication op, so these phases hold the transfers alone; the time ranks wait "
             "there for slower peers is the `wait` column (load imbalance and jitter; the cost "
             "model predicts none for equal blocks). Total and compute come from the plain "
             "runs. `comm` in the distributions = measured total - measured compute "
             "(communication and waiting on the critical path) against predicted halo + coll.")
    L.append("- P=4 rows are OVERSUBSCRIBED (4 ranks on 2 cores): reported apart, never pooled "
             "with P<=2. `held_out`: model not used while tuning the cost model. `diagnostic`: "
             "the P=1 executable under `mpirun --bind-to none` (Open MPI binds a lone rank to "
             "one core by default; see bindings below); not in any statistic.")
    if quiet:
        L.append(f"- quiet machine: before each run, CPU use by anything at most {max(quiet):.2f} "
                 f"cores (waited for < 0.15); during the runs, other processes took median "
                 f"{quantile(foreign, 0.5):.2f}, max {max(foreign, default=float('nan')):.2f} cores; "
                 f"{repeated} run(s) repeated for taking > 0.2, {disturbed} kept over 0.2"
                 + (f"; {float(opts['waited']):.0f} s spent waiting for idle CPUs." if opts.get("waited")
                    else "."))
    unph = [r["meas_unphased_ms"] / r["meas"]["total"] for r in ok if r["meas"]["total"] > 0]
    if unph:
        L.append(f"- measured total minus the three phases: median {100 * quantile(unph, 0.5):+.1f}%, "
                 f"range {100 * min(unph):+.1f}% .. {100 * max(unph):+.1f}% of total (each phase "
                 "is a max over ranks, so their sum can exceed the total).")
    if ring_rows:
        L.append("- phase attribution: the runtime times a ring attention, kernel included, as "
                 "`collectives`; the prediction puts its kernel under `compute` (e.g. "
                 f"{ring_rows[0]['pred_ring_attention_compute_ms']:.2f} ms of {ring_rows[0]['model']} "
                 f"{ring_rows[0]['tag']}). The table shows the prediction as it is; the "
                 "distributions add an `aligned` line with that kernel moved to coll.")
    L.append("")
    head = ["model", "mesh", "shard", "src", "ovs", "pred total", "comp", "halo", "coll",
            "meas total (IQR)", "comp", "halo", "coll", "wait", "err total", "comp", "halo", "coll",
            "check"]
    trs = []
    for r in table:
        name = r["model"] + (" (held_out)" if r["held_out"] else "")
        if r["status"] != "ok":
            trs.append([name, r["mesh"], r["shard"] or "-", r["source"], "", r["status"]] +
                       [""] * (len(head) - 6))
            continue
        trs.append([name, r["mesh"], r["shard"] or "-",
                    r["source"] + (" " + r["extra"] if r["extra"] else ""),
                    "yes" if r["oversubscribed"] else "no"] +
                   [fmt(r["pred"][ph]) for ph in PHASES] +
                   [f"{fmt(r['meas']['total'])} ({fmt(r['iqr']['total'])})"] +
                   [fmt(r["meas"][ph]) for ph in PHASES[1:] + ["wait"]] +
                   [fmt_err(r["err"][ph], r["excluded"][ph]) for ph in PHASES] +
                   [r["check"] + (f", failed runs {r['failed_runs']}" if r["failed_runs"] else "")])
    L.append("## Every plan (ms per step)\n")
    L.append(md_table(head, trs))
    L.append("")
    L.append("## Error distributions (|error| %; phases measured < 0.05 ms excluded)\n")
    L.append(md_table(["rows", "phase", "n", "excl.", "median |err|", "p90 |err|", "max |err|",
                       "median signed", "median meas/pred"],
                      [[d["group"], d["phase"], d["n"], d["excluded"], fmt(d["median_abs"], 0),
                        fmt(d["p90_abs"], 0), fmt(d["max_abs"], 0), fmt(d["median_signed"], 0),
                        fmt(d["median_meas_over_pred"])] for d in dist if d["n"] or d["excluded"]]))
    L.append("")
    L.append("## Plan order: Kendall tau-b between predicted and measured total, per model\n")
    L.append(md_table(["model", "plans", "tau-b", "concordant", "discordant",
                       "discordant beyond noise", "predicted order (fastest first)",
                       "measured order"],
                      [[t["model"] + (" (held_out)" if t["held_out"] else "") + " " + t["set"],
                        t["plans"],
                        fmt(t["tau_b"]) if not math.isnan(t["tau_b"]) else
                        "n/a (all predicted equal)" if t["pred_all_equal"] else "n/a", t["concordant"], t["discordant"],
                        t["discordant_beyond_noise"], ", ".join(t["pred_order"]),
                        ", ".join(t["meas_order"])] for t in taus] +
                      [[f"POOLED {label}", "", fmt(k["tau_b"]), k["concordant"], k["discordant"],
                        k["discordant_beyond_noise"], "", ""] for label, k in pooled_tau.items()]))
    L.append("\n(`beyond noise`: the measured difference exceeds the sum of the two IQRs; "
             "pooled = pairs within each model, summed.)\n")
    L.append("## `--mesh=auto` pick vs the best measured candidate\n")
    L.append(md_table(["model", "devices", "auto pick", "best measured", "pick ms", "best ms",
                       "gap", "noise ms", "P=1 ms"],
                      [[a["model"] + (" (held_out)" if a.get("held_out") else ""),
                        f"{a['P']}" + (" (oversubscribed)" if a.get("oversubscribed") else ""),
                        a["pick"] if "pick_ms" in a else f"{a.get('pick')} ({a['status']})",
                        a.get("best", ""), fmt(a.get("pick_ms")), fmt(a.get("best_ms")),
                        (f"{a['gap_pct']:+.1f}%" + (" (within noise)" if a["within_noise"] and a["miss"] else ""))
                        if "gap_pct" in a else "", fmt(a.get("noise_ms")), fmt(a.get("p1_ms"))]
                       for a in autos]))
    misses = [a for a in autos if a.get("miss")]
    L.append("")
    if misses:
        L.append("Misses (auto's pick is not the fastest measured):\n")
        for a in misses:
            e = a["pick_phase_errors_ms"]
            mj = a["misjudged_ms"]
            L.append(f"- {a['model']} P={a['P']}{' (oversubscribed)' if a['oversubscribed'] else ''}: "
                     f"picked {a['pick']} (pred {a['pred_pick_ms']:.2f}, meas {a['pick_ms']:.2f} ms) over "
                     f"{a['best']} (pred {a['pred_best_ms']:.2f}, meas {a['best_ms']:.2f} ms), "
                     f"{a['gap_pct']:+.1f}%; the pick's biggest-error phase: "
                     f"{a['pick_biggest_error_phase']} ({e[a['pick_biggest_error_phase']]:+.2f} ms "
                     f"pred - meas); phase misjudged between the two: {a['deciding_phase']} "
                     f"({mj[a['deciding_phase']]:+.2f} ms measured-minus-predicted difference)")
    else:
        L.append("No misses.")
    L.append("")
    L.append("## Compute: measured / predicted, P<=2\n")
    L.append("Ring attention's kernel moved out of the predicted compute (the runtime times "
             "it as collectives). 1.00 = exact; m1_unbound: the P=1 executable under "
             "`--bind-to none`.\n")
    L.append(md_table(["model"] + ratio_cols,
                      [[m + (" (held_out)" if models[m]["held_out"] else "")] +
                       [fmt(compute_ratio[m].get(c)) if c in compute_ratio[m] else "-"
                        for c in ratio_cols] for m in models]))
    L.append("")
    if probes:
        L.append("## Single-op probes: one kernel per model, P=2 (split on dim 2)\n")
        L.append("Each rank runs one thread on its own core: the measured compute is that "
                 "kernel's (median of the probe's runs). Not in the statistics above.\n")
        L.append(md_table(["kernel", "input", "predicted as", "GFLOP", "pred compute ms",
                           "meas compute ms (IQR)", "meas/pred"],
                          [[p["label"], "x".join(map(str, p["shape"])), p["kernel"],
                            f"{p['flops'] / 1e9:.3f}", fmt(p["pred_compute_ms"], 3),
                            f"{fmt(p.get('meas_compute_ms'), 3)} ({fmt(p.get('iqr_ms'), 3)})",
                            fmt(p.get("meas_over_pred"))] for p in probes]))
        L.append("")
    # Communication op by op, P=2 (not oversubscribed): predicted / measured.
    per_kind = {}
    for r in ok:
        if r["P"] != 2 or r.get("oversubscribed"):
            continue
        for op in r.get("comm_ops", []):
            if op["meas_ms"] * 1e3 >= 1.0:  # at least 1 us measured
                per_kind.setdefault(op["kind"], []).append(op)
    if per_kind:
        L.append("## Communication ops one by one, P=2 (`--sync-phases --profile-ops`)\n")
        L.append("Each communication op of every P=2 plan: the runtime's time for it (median "
                 "over the synced runs; the transfer, packing and the copy of the rank's own "
                 "block) against the prediction of the same op (shard_slice: its predicted "
                 "compute; ring_attention: its kernel and transfers). Ops measured under 1 us left out. pred/meas: 1.00 = exact.\n")
        rows_k = []
        for kind, ops in sorted(per_kind.items()):
            ratios = sorted(op["pred_ms"] / op["meas_ms"] for op in ops)
            rows_k.append([kind, str(len(ops)), fmt(quantile(ratios, 0.1)),
                           fmt(statistics.median(ratios)), fmt(quantile(ratios, 0.9)),
                           fmt(sum(op["pred_ms"] for op in ops)),
                           fmt(sum(op["meas_ms"] for op in ops))])
        L.append(md_table(["kind", "ops", "p10 pred/meas", "median", "p90", "sum pred ms",
                           "sum meas ms"], rows_k))
        L.append("")
    L.append("## Predicted compute by op class at P=1 (ms)\n")
    p1rows = [r for r in ok if r["tag"] == "m1_none"]
    L.append(md_table(["model", "measured compute"] + classes,
                      [[r["model"], fmt(r["meas"]["compute"])] +
                       [fmt(r["pred_by_class"].get(c)) if c in r["pred_by_class"] else "-"
                        for c in classes] for r in p1rows]))
    L.append("")
    if bindings:
        L.append("## Open MPI CPU binding per rank count\n")
        L.append("```\n" + bindings + "\n```\n")
    md = "\n".join(L) + "\n"
    with open(os.path.join(out, "plan_accuracy.md"), "w") as f:
        f.write(md)
    with open(os.path.join(out, "plan_accuracy.json"), "w") as f:
        json.dump(dict(environment=env, rows=table, distributions=dist, kendall=taus,
                       kendall_pooled=pooled_tau, auto=autos,
                       compute_meas_over_pred=compute_ratio, probes=probes),
                  f, indent=1, default=str)
        f.write("\n")
    print(md)
    print(f"wrote {os.path.join(out, 'plan_accuracy.md')} and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
