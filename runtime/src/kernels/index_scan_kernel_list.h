// The arg-reduce, cumulative-sum and gather-elements kernels of
// device/kernel_list.h: their headers and their entries, X(KernelType) each,
// in QUILT_INDEX_SCAN_KERNELS.
#ifndef QUILT_RUNTIME_INDEX_SCAN_KERNEL_LIST_H
#define QUILT_RUNTIME_INDEX_SCAN_KERNEL_LIST_H

#include "kernels/arg_reduce_kernels.h"
#include "kernels/cumsum_kernels.h"
#include "kernels/gather_elements_kernels.h"

#define QUILT_INDEX_SCAN_KERNELS(X)                                                              \
  X(ArgReduceKernel)                                                                             \
  X(CumSumKernel)                                                                                \
  X(GatherElementsKernel)

#endif // QUILT_RUNTIME_INDEX_SCAN_KERNEL_LIST_H
