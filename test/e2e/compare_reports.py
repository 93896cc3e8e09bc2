#!/usr/bin/env python3
"""Checks that an executable's --report measured what quiltc --report predicted.

    compare_reports.py PREDICTED.json MEASURED.json

Both files have the shape documented in docs/user-guide.md ("Communication
report"). Every op must have the same kind and the same bytes on every rank,
and the per-rank totals, the mesh, the peak arena and the pack region each
rank uses must agree. Prints one
line starting with OK (exit 0) or MISMATCH (exit 1), the latter naming the op
index, kind, rank, predicted and measured bytes of every difference.
"""
import json
import sys


def differences(predicted, measured):
    for key in ("mesh", "ranks", "peak_arena_bytes"):
        if predicted.get(key) != measured.get(key):
            yield f"{key}: predicted {predicted.get(key)}, measured {measured.get(key)}"
    p_ops, m_ops = predicted["ops"], measured["ops"]
    if len(p_ops) != len(m_ops):
        yield (f"predicted {len(p_ops)} communication ops "
               f"({', '.join(op['kind'] for op in p_ops)}), measured {len(m_ops)} "
               f"({', '.join(op['kind'] for op in m_ops)})")
    for index, (p, m) in enumerate(zip(p_ops, m_ops)):
        if p["kind"] != m["kind"]:
            yield f"op {index}: predicted kind {p['kind']}, measured {m['kind']}"
            continue
        for rank, (pb, mb) in enumerate(zip(p["bytes_sent_per_rank"],
                                            m["bytes_sent_per_rank"])):
            if pb != mb:
                node = f" (node {p['node']})" if p.get("node") else ""
                yield (f"op {index} {p['kind']}{node} rank {rank}: "
                       f"predicted {pb} bytes, measured {mb}")
    for rank, (pb, mb) in enumerate(zip(predicted["total_bytes_sent_per_rank"],
                                        measured["total_bytes_sent_per_rank"])):
        if pb != mb:
            yield f"total rank {rank}: predicted {pb} bytes, measured {mb}"
    # The pack region: what each rank's communication ops packed at most.
    p_pack = predicted.get("pack_scratch_bytes_per_rank")
    m_pack = measured.get("pack_scratch_bytes_per_rank")
    if p_pack != m_pack:
        yield f"pack_scratch_bytes_per_rank: predicted {p_pack}, measured {m_pack}"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare_reports.py PREDICTED.json MEASURED.json")
    reports = []
    for path in sys.argv[1:]:
        try:
            with open(path) as f:
                reports.append(json.load(f))
        except (OSError, ValueError) as e:
            print(f"MISMATCH cannot read {path}: {e}")
            return 1
    predicted, measured = reports
    found = list(differences(predicted, measured))
    if found:
        print("MISMATCH " + "; ".join(found))
        return 1
    total = sum(predicted["total_bytes_sent_per_rank"])
    print(f"OK {len(predicted['ops'])} communication ops, {total} bytes over "
          f"{predicted['ranks']} ranks, as predicted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
