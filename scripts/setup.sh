#!/usr/bin/env bash
# Installs every package Quilt needs (Debian + npm), then configures and builds.
# The CUDA 13 toolkit (nvcc, NCCL, cuBLAS, cuFFT, cuDNN) is not a Debian
# package: where /usr/local/cuda has it, the CUDA targets are built too
# (--target=cuda, cuda-emulated); without it they are left out.
# Idempotent: re-running only rebuilds what changed.
#   scripts/setup.sh [BUILD_DIR]     (default: build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"

PACKAGES=(
  build-essential cmake ninja-build git ca-certificates
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler libabsl-dev
  libopenmpi-dev openmpi-bin libdnnl-dev libfftw3-dev nlohmann-json3-dev libgtest-dev
  python3-torch python3-torchvision python3-onnx python3-numpy
  chromium
  libonnx-testdata   # ONNX's backend node tests (test/conformance)
)
# Node.js may come from elsewhere (e.g. NodeSource, which bundles npm); only
# install Debian's when there is none.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime (the reference for end-to-end tests) from npm; its install
# script would fetch from the internet, and the CPU library is in the package.
ORT_DIR="$ROOT/test/e2e/ort"
if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
  echo "setup: installing onnxruntime-node"
  (cd "$ORT_DIR" && npm ci --ignore-scripts --no-audit --no-fund)
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
# Two cores: LLVM-heavy translation units need the memory of one job each.
cmake --build "$BUILD_DIR" -j "$(nproc)"
