#!/usr/bin/env bash
# Installs, builds and runs every test: lit + FileCheck, GoogleTest, the
# runtime's MPI tests and the end-to-end numerics under mpirun (all as ctest
# tests, so the last line is ctest's summary).
#   scripts/test.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
"$ROOT/scripts/setup.sh" "$BUILD_DIR"
cd "$BUILD_DIR"
ctest --output-on-failure -j 2
