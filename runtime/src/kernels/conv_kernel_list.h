// The convolution kernels of device/kernel_list.h: their header and their
// entries, X(KernelType) each, in QUILT_CONV_KERNELS.
#ifndef QUILT_RUNTIME_CONV_KERNEL_LIST_H
#define QUILT_RUNTIME_CONV_KERNEL_LIST_H

#include "kernels/conv_kernels.h"

#define QUILT_CONV_KERNELS(X) X(ConvCropBiasKernel)

#endif // QUILT_RUNTIME_CONV_KERNEL_LIST_H
