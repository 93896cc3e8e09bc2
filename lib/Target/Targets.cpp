//===- Targets.cpp - the runtime targets quiltc links for -----------------===//
#include "quilt/Target/Targets.h"
#include "quilt/Config.h"

using namespace quilt;

/// Entry points the CUDA runtime lacks (quiltc refuses models that call
/// one); none since cuDNN convolutions landed.
static const char *const kCudaMissingCalls[] = {nullptr};

llvm::ArrayRef<TargetSpec> quilt::allTargets() {
  // CUDA wants 256-byte alignment (cudaMalloc's, and what cuDNN/cuBLAS
  // prefer for vectorized access); the CPU runtime 64 (a cache line, AVX-512).
  static const TargetSpec targets[] = {
      {"cpu", "CPU: oneDNN, FFTW, MPI", QUILT_RUNTIME_LINK_LINE, 64, "", nullptr,
       /*runsCollectiveSchedules=*/true},
      {"cuda-emulated",
       "the CUDA backend's control flow on the host (NCCL over MPI), for machines without a GPU",
       QUILT_RUNTIME_LINK_LINE_CUDA_EMULATED, 256,
       "this Quilt was built without nccl.h (CUDA toolkit at /usr/local/cuda)"},
      {"cuda", "GPUs: one per rank, Quilt's kernels, cuBLAS, cuFFT, cuDNN and NCCL (sm_90)",
       QUILT_RUNTIME_LINK_LINE_CUDA, 256,
       "this Quilt was built without nvcc, NCCL, cuBLAS or cuDNN (CUDA toolkit at "
       "/usr/local/cuda)",
       kCudaMissingCalls, /*runsCollectiveSchedules=*/false, /*tensorCoreMath=*/true},
  };
  return targets;
}

const TargetSpec *quilt::findTarget(llvm::StringRef name) {
  for (const TargetSpec &target : allTargets())
    if (name == target.name)
      return &target;
  return nullptr;
}

bool TargetSpec::provides(llvm::StringRef call) const {
  for (const char *const *missing = missingCalls; missing && *missing; ++missing)
    if (call == *missing)
      return false;
  return true;
}
