// The transpose, softmax, reduce and normalize kernels of device/kernel_list.h: their headers and their
// entries, X(KernelType) each, in QUILT_REDUCTION_KERNELS.
#ifndef QUILT_RUNTIME_REDUCTION_KERNEL_LIST_H
#define QUILT_RUNTIME_REDUCTION_KERNEL_LIST_H

#include "kernels/normalize_kernels.h"
#include "kernels/reduce_kernels.h"
#include "kernels/softmax_kernels.h"
#include "kernels/transpose_kernels.h"

#define QUILT_REDUCTION_KERNELS(X)                                                               \
  X(TransposeKernel)                                                                             \
  X(SoftmaxKernel)                                                                               \
  X(ReduceDimsKernel)                                                                            \
  X(RowMomentsKernel)                                                                            \
  X(NormalizeKernel)

#endif // QUILT_RUNTIME_REDUCTION_KERNEL_LIST_H
