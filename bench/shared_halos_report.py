#!/usr/bin/env python3
"""Summarizes bench/shared_halos.sh: bytes per rank with and without
quilt-share-halos, against the one-shared-halo count.

    shared_halos_report.py BEFORE_DIR AFTER_DIR

Each directory holds partition.mlir (quiltc --compile-to=partition) and
predicted.json (quiltc --report), and measured.json when the executable ran.
The one-shared-halo count is worked out from BEFORE_DIR alone, not from the
pass: halo exchanges of the same value, dim, mesh axis and boundary (one per
reader) are grouped, and each group counts the bytes of its widest exchange
only (one exchange at the widest halo; on a 2-D split, an exchange of the
second dim is grouped by the value its chain starts from); every other
communication op counts as it is.
"""
import collections
import json
import os
import re
import sys

HALO = re.compile(r'(%[\w#]+) = quilt\.halo_exchange (%[\w#]+) on @\w+ axis "(\w+)" dim (\d+) '
                  r'window <([^>]*)> global = (\d+) -> global_out = (\d+) boundary = (\w+)')


def load(d):
    report = json.load(open(os.path.join(d, "predicted.json")))
    halos = [m.groups() for m in HALO.finditer(open(os.path.join(d, "partition.mlir")).read())]
    ops = [op for op in report["ops"] if op["kind"] == "halo_exchange"]
    if len(halos) != len(ops):
        sys.exit(f"{d}: {len(halos)} halo exchanges in the IR, {len(ops)} in the report")
    for h, op in zip(halos, ops):
        if int(h[3]) != op["dim"] or h[2] != op["axis"]:
            sys.exit(f"{d}: IR and report disagree on halo exchange {op['index']}")
    measured = os.path.join(d, "measured.json")
    measured = json.load(open(measured)) if os.path.exists(measured) else None
    return report, halos, measured


def mb(x):
    return f"{x / 1e6:.2f} MB"


def main():
    before_dir, after_dir = sys.argv[1:3]
    before, halos, measured_before = load(before_dir)
    after, after_halos, measured_after = load(after_dir)
    ranks = before["ranks"]
    # One shared halo per (value, dim, axis, boundary): its widest exchange.
    # On a 2-D split an exchange of a further dim reads the first one's
    # result: it is keyed by the value at the root of its chain and the dims.
    groups = collections.OrderedDict()
    chain_of = {}
    halo_ops = [op for op in before["ops"] if op["kind"] == "halo_exchange"]
    for h, op in zip(halos, halo_ops):
        result, value, axis, dim, boundary = h[0], h[1], h[2], h[3], h[7]
        root, chain = chain_of.get(value, (value, ()))
        key = (root, chain + ((dim, axis, boundary),))
        chain_of[result] = key
        groups.setdefault(key, []).append(op)
    ideal = [0] * ranks
    for op in before["ops"]:
        if op["kind"] != "halo_exchange":
            ideal = [a + b for a, b in zip(ideal, op["bytes_sent_per_rank"])]
    for ops in groups.values():
        widest = max(ops, key=lambda o: sum(o["bytes_sent_per_rank"]))
        ideal = [a + b for a, b in zip(ideal, widest["bytes_sent_per_rank"])]
    shared = [(key, ops) for key, ops in groups.items() if len(ops) > 1]

    print(f"halo exchanges: {len(halos)} without sharing, {len(after_halos)} with")
    for (value, chain), ops in shared:
        dim, boundary = chain[-1][0], chain[-1][2]
        sizes = " + ".join(mb(max(o["bytes_sent_per_rank"])) for o in ops)
        print(f"  {len(ops)} readers of {value} (dim {dim}, {boundary}), first "
              f"{ops[0]['node']}: {sizes} per rank before, "
              f"{mb(max(max(o['bytes_sent_per_rank']) for o in ops))} shared")
    worst = 0.0
    print(f"{'rank':>4} {'before':>14} {'after':>14} {'one-shared-halo':>16} {'after/ideal':>12}")
    for r in range(ranks):
        b = before["total_bytes_sent_per_rank"][r]
        a = after["total_bytes_sent_per_rank"][r]
        i = ideal[r]
        ratio = a / i if i else 1.0
        worst = max(worst, abs(ratio - 1))
        print(f"{r:>4} {b:>14,} {a:>14,} {i:>16,} {ratio:>12.3f}")
    for name, predicted, measured in (("without sharing", before, measured_before),
                                      ("with sharing", after, measured_after)):
        if measured is None:
            print(f"measured ({name}): not run")
        else:
            same = measured["total_bytes_sent_per_rank"] == predicted["total_bytes_sent_per_rank"]
            print(f"measured ({name}): {measured['total_bytes_sent_per_rank']} bytes per rank, "
                  + ("as predicted" if same else "DIFFERENT from the prediction"))
    ok = worst <= 0.10
    print(("OK" if ok else "FAIL") + f": bytes per rank with sharing within {worst:.1%} of the "
          "one-shared-halo count (target 10%)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
