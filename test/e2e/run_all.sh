#!/usr/bin/env bash
# Run run_e2e.sh for every model of MODELS_DIR/manifest.json (bench models
# excluded), every shard value listed there, and every P.
#
#   run_all.sh QUILTC MODELS_DIR WORK_DIR [P ...]      (default P: 1 2 3 4)
#
# Prints run_e2e.sh's PASS/FAIL line per case and a summary; exits non-zero if
# any case failed. Environment as for run_e2e.sh; E2E_MODELS="a b" restricts
# the models.
set -u -o pipefail
[ $# -ge 3 ] || { echo "usage: $0 QUILTC MODELS_DIR WORK_DIR [P ...]" >&2; exit 2; }
QUILTC_BIN=$1 MODELS_DIR=$2 WORK_DIR=$3
shift 3
PS=("$@"); [ ${#PS[@]} -gt 0 ] || PS=(1 2 3 4)
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
[ -f "$MODELS_DIR/manifest.json" ] || { echo "no $MODELS_DIR/manifest.json (run test/models/gen_models.py)" >&2; exit 2; }

# "model<TAB>shard" lines; shard empty = compiler default.
CASES=$("$PYTHON" -c '
import json, sys
want = sys.argv[2].split()
for name, m in json.load(open(sys.argv[1]))["models"].items():
    if m.get("bench") or (want and name not in want):
        continue
    for s in m.get("shard") or [None]:
        print(name + "\t" + (s or ""))
' "$MODELS_DIR/manifest.json" "${E2E_MODELS:-}") || exit 2

pass=0 fail=0 failed=()
while IFS=$'\t' read -r m shard; do
  [ -n "$m" ] || continue
  for p in "${PS[@]}"; do
    if [ -n "$shard" ]; then
      out=$("$SCRIPT_DIR/run_e2e.sh" "$QUILTC_BIN" "$MODELS_DIR" "$WORK_DIR" "$m" "$p" "$shard" 2>&1 </dev/null)
    else
      out=$("$SCRIPT_DIR/run_e2e.sh" "$QUILTC_BIN" "$MODELS_DIR" "$WORK_DIR" "$m" "$p" 2>&1 </dev/null)
    fi
    rc=$?
    if [ $rc = 0 ]; then
      pass=$((pass + 1)); echo "$out" | grep -m1 '^PASS'
    else
      fail=$((fail + 1)); failed+=("$m P=$p${shard:+ shard=$shard}"); echo "$out"
    fi
  done
done <<<"$CASES"
echo "== e2e: $pass passed, $fail failed"
for f in "${failed[@]+"${failed[@]}"}"; do echo "   FAILED: $f"; done
[ $fail = 0 ]
