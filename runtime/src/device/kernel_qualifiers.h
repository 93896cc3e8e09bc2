// One kernel body for two launchers: a struct whose operator()(i) does the
// work of index i, compiled by g++ for the host loop and by nvcc for a
// __global__ wrapper (cuda/launch.cuh). QUILT_HD marks what both compile.
#ifndef QUILT_RUNTIME_KERNEL_QUALIFIERS_H
#define QUILT_RUNTIME_KERNEL_QUALIFIERS_H

// (quilt/unary_functions.h, which the compiler includes too, defines it
// identically when it comes first.)
#ifndef QUILT_HD
#if defined(__CUDACC__)
#define QUILT_HD __host__ __device__
#else
#define QUILT_HD
#endif
#endif

/// Unrolls the next loop in device code (the host compiler does not know
/// the pragma and warns).
#if defined(__CUDA_ARCH__)
#define QUILT_UNROLL _Pragma("unroll")
#else
#define QUILT_UNROLL
#endif

#endif // QUILT_RUNTIME_KERNEL_QUALIFIERS_H
