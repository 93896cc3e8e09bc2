// Every kernel body Quilt owns, in one list: each is a struct with
//   QUILT_HD void operator()(int64_t i) const;   the work of index i
//   QUILT_HD int64_t threads() const;            how many indices
// written once and run by every device: the host device's loop, the
// emulated CUDA device's grid, the CUDA device's __global__ launcher
// (cuda/launch.cuh). A kernel joins by its header here and a line in
// QUILT_DEVICE_KERNELS (or its group's list, kernels/*_kernel_list.h);
// every device then launches it. A body that switches on a runtime kind
// also has `void runOnHost() const` that switches once and loops the same
// body (the host device uses it, so the CPU keeps vectorized loops).
#ifndef QUILT_RUNTIME_KERNEL_LIST_H
#define QUILT_RUNTIME_KERNEL_LIST_H

#include "box_kernels.h"
#include "moments.h"
#include "kernels/attention_dft_kernel_list.h"
#include "kernels/conv_kernel_list.h"
#include "kernels/elementwise_kernel_list.h"
#include "kernels/gemm_kernels.h"
#include "kernels/index_scan_kernel_list.h"
#include "kernels/reduction_kernel_list.h"
#include "kernels/unary_kernels.h"
#include "kernels/window_kernel_list.h"

#define QUILT_DEVICE_KERNELS(X)                                                                  \
  X(CopyBoxKernel)                                                                               \
  X(FillBoxKernel)                                                                               \
  X(MergeMomentsKernel)                                                                          \
  X(UnaryKernel)                                                                                 \
  X(BroadcastMatrixKernel)                                                                       \
  QUILT_ELEMENTWISE_KERNELS(X)                                                                   \
  QUILT_WINDOW_KERNELS(X)                                                                        \
  QUILT_REDUCTION_KERNELS(X)                                                                     \
  QUILT_INDEX_SCAN_KERNELS(X)                                                                    \
  QUILT_ATTENTION_DFT_KERNELS(X)                                                                 \
  QUILT_CONV_KERNELS(X)

#endif // QUILT_RUNTIME_KERNEL_LIST_H
