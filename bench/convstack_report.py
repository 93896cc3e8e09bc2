#!/usr/bin/python3
"""Report for bench/convstack.sh (not meant to be run by hand).

    convstack_report.py MANIFEST MODEL ORT_LOG ITERS  {P LOG RC T0 T1 T2}...

LOG is the output of `mpirun -n P ./model --iterations=ITERS`; T0..T1 is the
wall-clock span of the --iterations=1 run and T1..T2 that of the
--iterations=ITERS run. The executable's output format is not fixed, so it is
parsed loosely:
  * a line mentioning "time" contributes every number that carries a time unit
    (suffix: 12.3 ms / 0.5s / 800us, or a key ending in the unit: total_ms=12.3);
    the value of a line that mentions "total" is the rank's time, else the sum of
    the rank's phase values; the run's time is the max over ranks;
  * a line mentioning "bytes" (and not only received bytes) contributes the
    number after "bytes [sent]" (bytes_sent=N, bytes: N) or before "bytes"
    (N bytes, 2.5 KiB bytes), else the largest number of that clause, to the
    line's rank (max over its lines);
  * the rank comes from "rank N", "rank=N", "[N]" or "rN:"; lines without one
    are numbered in order.
The executable's own --iterations report is parsed (its exact format, see
parse()); if nothing parses, the raw output is printed.
"""
import json
import re
import sys



RE_PHASE = re.compile(r"^\s*(total|compute|halo|collectives)\s+([0-9.]+)\s*ms\s*$")
RE_BYTES_LINE = re.compile(r"bytes sent per rank per iteration:\s*(.*)$")


def parse(text):
    """Reads the executable's --iterations report:
         per iteration (mean over iterations, max over ranks):
           total 12.3 ms / compute ... / halo ... / collectives ...
         bytes sent per rank per iteration: 0: N, 1: M
    Returns (total ms or None, {phase: ms}, {rank: bytes}, report lines)."""
    phases, bytes_, lines = {}, {}, []
    for line in text.splitlines():
        m = RE_PHASE.match(line)
        if m:
            phases[m.group(1)] = float(m.group(2))
            lines.append(line)
            continue
        m = RE_BYTES_LINE.search(line)
        if m:
            lines.append(line)
            for item in m.group(1).split(","):
                rank, _, value = item.partition(":")
                if value.strip():
                    bytes_[int(rank)] = int(value)
    return phases.get("total"), phases, bytes_, lines


def analytical(manifest, model):
    m = manifest["models"][model]
    shape = m["inputs"][0]["shape"]          # [N, C, H, W]
    n, c, h, w = shape
    convs = [x for x in m["nodes"] if x["op"] == "Conv"]
    flop = 0
    lo_rows = hi_rows = 0
    for cv in convs:
        a = cv.get("attrs", {})
        kh, kw = a.get("kernel_shape", [3, 3])
        flop += 2 * n * c * c * kh * kw * h * w   # convstack: C->C, stride 1, same
        pads = a.get("pads", [0, 0, 0, 0])
        lo_rows += pads[0]                      # rows needed from the rank above
        hi_rows += pads[2]                      # rows needed from the rank below
    row_bytes = n * c * w * 4
    return dict(shape=shape, nconv=len(convs), flop=flop, row_bytes=row_bytes,
                lo_rows=lo_rows, hi_rows=hi_rows)


def halo_bytes(an, p, r):
    """Bytes rank r of p sends per forward pass (H split in contiguous blocks)."""
    b = 0
    if r > 0:        # rank above needs our first hi rows (its bottom halo)
        b += an["hi_rows"] * an["row_bytes"]
    if r < p - 1:    # rank below needs our last lo rows (its top halo)
        b += an["lo_rows"] * an["row_bytes"]
    return b


def fmt_bytes(x):
    return f"{x:,.0f} B ({x / 1024:.1f} KiB)"


def main():
    a = sys.argv[1:]
    if len(a) < 4 or (len(a) - 4) % 6:
        sys.exit(__doc__)
    manifest = json.load(open(a[0]))
    model, ort_log, iters = a[1], a[2], int(a[3])
    an = analytical(manifest, model)

    ort_ms = None
    ort_text = open(ort_log).read()
    m = re.search(r"mean_ms=([0-9.]+)", ort_text)
    if m:
        ort_ms = float(m.group(1))
    ver = re.search(r"ort_version=(\S+)", ort_text)

    print()
    print(f"==== {model}: input {an['shape']}, {an['nconv']} convs, {an['flop'] / 1e9:.2f} GFLOP ====")
    if ort_ms:
        print(f"ORT {ver.group(1) if ver else ''} (1 thread):  {ort_ms:10.2f} ms   "
              f"({an['flop'] / ort_ms / 1e6:.2f} GFLOP/s)")
    else:
        print("ORT: could not parse mean_ms; raw output:\n" + ort_text)

    results = {}
    for i in range(4, len(a), 6):
        p, log, rc = int(a[i]), a[i + 1], int(a[i + 2])
        t0, t1, t2 = (float(x) for x in a[i + 3:i + 6])
        text = open(log, errors="replace").read()
        t, per_rank, by, tlines = parse(text)
        blines = []
        wall_diff = ((t2 - t1) - (t1 - t0)) * 1e3 / (iters - 1) if iters > 1 else None
        results[p] = dict(t=t, per_rank=per_rank, bytes=by, wall_diff=wall_diff, rc=rc,
                          wall_1=(t1 - t0) * 1e3, wall_k=(t2 - t1) * 1e3)
        print(f"\n-- Quilt, {p} rank(s), --iterations={iters} (exit {rc}) --")
        if tlines or blines:
            shown = (tlines + [l for l in blines if l not in tlines])
            for l in shown[:40]:
                print("   | " + l)
            if len(shown) > 40:
                print(f"   | ... ({len(shown) - 40} more lines in {log})")
        if t is None and not by:
            print(f"   could not parse timing/bytes lines; raw output of {log}:")
            for l in text.splitlines()[-80:]:
                print("   > " + l)
        if t is not None:
            print(f"   parsed time: {t:.2f} ms per iteration (max over ranks; phases: "
                  + ", ".join(f"{k}={v:.2f}" for k, v in per_rank.items()) + ")")
        if wall_diff is not None:
            print(f"   wall clock: iterations=1 {results[p]['wall_1']:.0f} ms, iterations={iters} "
                  f"{results[p]['wall_k']:.0f} ms -> {wall_diff:.2f} ms per extra iteration")

    def quilt_ms(p):
        r = results.get(p)
        if not r:
            return None
        return r["t"] if r["t"] is not None else r["wall_diff"]

    print("\n==== summary ====")
    if ort_ms:
        print(f"ORT (1 thread)        : {ort_ms:10.2f} ms")
    q1 = quilt_ms(1)
    if q1:
        src = "parsed" if results[1]["t"] is not None else "wall-clock diff"
        print(f"Quilt 1 rank          : {q1:10.2f} ms  [{src}]"
              + (f"   Quilt/ORT = {q1 / ort_ms:.3f}" if ort_ms else ""))
    for p in sorted(results):
        if p == 1:
            continue
        qp = quilt_ms(p)
        if qp:
            src = "parsed" if results[p]["t"] is not None else "wall-clock diff"
            print(f"Quilt {p} ranks         : {qp:10.2f} ms  [{src}]"
                  + (f"   speed-up vs 1 rank = {q1 / qp:.2f}x (ideal {p}x)" if q1 else "")
                  + (f"   vs ORT = {ort_ms / qp:.2f}x" if ort_ms else ""))
    for p in sorted(results):
        by = results[p]["bytes"]
        print(f"bytes sent, P={p} (analytical halo per forward pass: {an['nconv']} convs x "
              f"{an['lo_rows'] // max(an['nconv'], 1)}+{an['hi_rows'] // max(an['nconv'], 1)} rows x "
              f"C={an['shape'][1]} x W={an['shape'][3]} x 4 B):")
        for r in range(p):
            exp = halo_bytes(an, p, r)
            got = by.get(r)
            line = f"   rank {r}: analytical {fmt_bytes(exp)}"
            if got is not None:
                line += f", reported {fmt_bytes(got)}"
                if exp:
                    line += f"  (reported/analytical = {got / exp:.3f}; x{iters} iterations would be {got / (exp * iters):.3f})"
            else:
                line += ", reported: (not parsed)"
            print(line)
        if p > 1:
            h = an["shape"][2]
            blk = h // p
            print(f"   (not halo: input scatter / output gather would be ~{fmt_bytes(an['row_bytes'] * blk)} per rank block)")
    bad = [p for p in results if results[p]["rc"] != 0]
    if bad:
        print(f"WARNING: mpirun exited non-zero for P={bad} (see logs); timings may be invalid")
        sys.exit(1)


if __name__ == "__main__":
    main()
