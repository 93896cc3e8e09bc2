#!/usr/bin/env bash
# The whole test suite under sanitizers: configures a separate build tree with
# -DQUILT_SANITIZE=ON (ASan + UBSan on the runtime and the models it links,
# UBSan on the compiler), builds it, and runs ctest there. Any sanitizer
# report fails its test (-fno-sanitize-recover, halt_on_error).
#
#   scripts/sanitize.sh [--build-only] [BUILD_DIR] [-- CTEST_ARGS...]
#   scripts/sanitize.sh build-sanitize -- -R 'lit|unit|e2e_cnn1d'   # a subset
#
# QUILT_JOBS (default: the cores) sets the build's and ctest's parallelism.
# Run scripts/setup.sh (or scripts/test.sh) once first: it installs what the
# normal build needs, which is all this one needs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_ONLY=0
if [ "${1:-}" = "--build-only" ]; then
  BUILD_ONLY=1
  shift
fi
BUILD=$ROOT/build-sanitize
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  BUILD=$1
  shift
fi
[ "${1:-}" = "--" ] && shift
JOBS=${QUILT_JOBS:-$(nproc)}

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir -DQUILT_SANITIZE=ON
cmake --build "$BUILD" -j "$JOBS"
[ "$BUILD_ONLY" = 1 ] && exit 0

# Leaks that MPI and OpenMP keep until exit are theirs; Quilt's are reported.
# MPI's plugins stay loaded and stacks are unwound without frame pointers, so
# that a leak's stack names its library.
SUPPRESSIONS=$BUILD/lsan.supp
printf 'leak:libmpi\nleak:libopen-pal\nleak:libopen-rte\nleak:libpmix\nleak:libhwloc\nleak:libgomp\nleak:libevent\n' \
  > "$SUPPRESSIONS"
export OMPI_MCA_mca_base_component_disable_dlclose=1
# abort_on_error: a report is a crash, which `not quiltc ...` in lit does not
# take for the failure it expects.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$SUPPRESSIONS:print_suppressions=0:fast_unwind_on_malloc=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
cd "$BUILD"
ctest --output-on-failure -j "$JOBS" "$@"
