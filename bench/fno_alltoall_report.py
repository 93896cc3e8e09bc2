#!/usr/bin/python3
"""Report for bench/fno_alltoall.sh (not meant to be run by hand).

    fno_alltoall_report.py {MESH SLICED_DIR UNSLICED_DIR}...

Each DIR holds measured.json (the executable's --report), partition.mlir
(quiltc --compile-to=partition) and predicted.json (quiltc --report). The
all-to-alls of the two variants are paired by the ONNX node they belong to;
for each pair it prints the bytes sent (sum over ranks) with and without
slicing the kept modes before the transpose, their ratio, and the ratio of
the element counts of the tensors moved (read from the partitioned IR's
#quilt.local global shapes): the fraction of Fourier modes kept.
"""
import json
import os
import re
import sys

RE_ALL_TO_ALL = re.compile(r"quilt\.all_to_all .*-> tensor<[^>]*#quilt\.local<@\w+, \[([0-9, ]+)\]")


def load(run_dir):
    measured = json.load(open(os.path.join(run_dir, "measured.json")))
    ops = [op for op in measured["ops"] if op["kind"] == "all_to_all"]
    predicted = json.load(open(os.path.join(run_dir, "predicted.json")))
    nodes = [op["node"] for op in predicted["ops"] if op["kind"] == "all_to_all"]
    shapes = []
    for line in open(os.path.join(run_dir, "partition.mlir")):
        m = RE_ALL_TO_ALL.search(line)
        if m:
            shapes.append([int(v) for v in m.group(1).split(",")])
    if not (len(ops) == len(nodes) == len(shapes)):
        sys.exit(f"fno_alltoall_report.py: {run_dir}: {len(ops)} measured all-to-alls, "
                 f"{len(nodes)} predicted, {len(shapes)} in the IR")
    return {
        "all_to_all": [dict(node=n, bytes=sum(op["bytes_sent_per_rank"]), shape=s)
                       for n, op, s in zip(nodes, ops, shapes)],
        "total": sum(measured["total_bytes_sent_per_rank"]),
    }


def elements(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3:
        sys.exit(__doc__)
    for i in range(0, len(args), 3):
        mesh, with_dir, without_dir = args[i:i + 3]
        sliced, unsliced = load(with_dir), load(without_dir)
        print(f"== mesh {mesh}: all-to-all bytes (sum over ranks), measured by ./model --report")
        print(f"  {'node':<16} {'moved (sliced)':<22} {'moved (unsliced)':<22} "
              f"{'sliced':>10} {'unsliced':>10} {'ratio':>7} {'kept modes':>10}")
        by_node = {op["node"]: op for op in unsliced["all_to_all"]}
        sum_with = sum_without = 0
        for op in sliced["all_to_all"]:
            other = by_node.get(op["node"])
            if other is None:
                print(f"  {op['node']:<16} {str(op['shape']):<22} {'(none)':<22} {op['bytes']:>10}")
                continue
            sum_with += op["bytes"]
            sum_without += other["bytes"]
            ratio = op["bytes"] / other["bytes"] if other["bytes"] else float("nan")
            kept = elements(op["shape"]) / elements(other["shape"])
            print(f"  {op['node']:<16} {str(op['shape']):<22} {str(other['shape']):<22} "
                  f"{op['bytes']:>10} {other['bytes']:>10} {ratio:>7.4f} {kept:>10.4f}")
        unpaired = [op for op in unsliced["all_to_all"]
                    if op["node"] not in {o["node"] for o in sliced["all_to_all"]}]
        for op in unpaired:
            print(f"  {op['node']:<16} {'(none)':<22} {str(op['shape']):<22} {'':>10} {op['bytes']:>10}")
            sum_without += op["bytes"]
        print(f"  all-to-all total: sliced {sum_with} bytes, unsliced {sum_without} bytes, "
              f"ratio {sum_with / sum_without:.4f}")
        print(f"  all communication: sliced {sliced['total']} bytes, unsliced {unsliced['total']} "
              f"bytes, ratio {sliced['total'] / unsliced['total']:.4f}")


if __name__ == "__main__":
    main()
