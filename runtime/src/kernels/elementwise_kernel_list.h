// The binary, broadcast, select and window-map kernels of device/kernel_list.h: their headers and their
// entries, X(KernelType) each, in QUILT_ELEMENTWISE_KERNELS.
#ifndef QUILT_RUNTIME_ELEMENTWISE_KERNEL_LIST_H
#define QUILT_RUNTIME_ELEMENTWISE_KERNEL_LIST_H

#include "kernels/elementwise_kernels.h"

#define QUILT_ELEMENTWISE_KERNELS(X)                                                             \
  X(BinaryKernel)                                                                                \
  X(SelectKernel)

#endif // QUILT_RUNTIME_ELEMENTWISE_KERNEL_LIST_H
