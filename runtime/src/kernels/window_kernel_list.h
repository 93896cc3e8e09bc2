// The pad, resize and pool kernels of device/kernel_list.h: their headers and their
// entries, X(KernelType) each, in QUILT_WINDOW_KERNELS.
#ifndef QUILT_RUNTIME_WINDOW_KERNEL_LIST_H
#define QUILT_RUNTIME_WINDOW_KERNEL_LIST_H

#include "kernels/pad_kernels.h"
#include "kernels/pool_kernels.h"
#include "kernels/resize_kernels.h"

#define QUILT_WINDOW_KERNELS(X)                                                                  \
  X(IndexMapKernel)                                                                              \
  X(ResizeKernel)                                                                                \
  X(ResizeCubicKernel)                                                                           \
  X(PoolKernel)

#endif // QUILT_RUNTIME_WINDOW_KERNEL_LIST_H
