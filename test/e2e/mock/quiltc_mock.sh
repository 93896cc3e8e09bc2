#!/usr/bin/env bash
# Stand-in for quiltc, to self-test run_e2e.sh / convstack.sh without the compiler.
#   quiltc_mock.sh model.onnx -o OUT --mesh=P [--shard=...]
# Writes OUT (an executable script) and OUT.weights (a copy of the model). The
# "executable" runs the model with ONNX Runtime on rank 0 only and implements
# --input=@ --output=@ --expected_output=@ --expected_f32_threshold= --iterations=.
# MOCK_PERTURB=x adds x to every output element (to test failure paths).
set -eu
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model=; out=
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2;;
    --mesh=*|--shard=*) shift;;
    -*) echo "quiltc_mock: unknown flag $1" >&2; exit 2;;
    *) model=$1; shift;;
  esac
done
[ -n "$model" ] && [ -n "$out" ] || { echo "usage: quiltc_mock.sh model.onnx -o OUT --mesh=P" >&2; exit 2; }
cp "$model" "$out.weights"
cat > "$out" <<EOS
#!/usr/bin/env bash
set -eu
exec /usr/bin/python3 "$HERE/mock_exe.py" "$HERE/../ort" "\$0.weights" "\$@"
EOS
chmod +x "$out"
