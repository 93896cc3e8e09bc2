// The attention and DFT kernels of device/kernel_list.h: their headers and their
// entries, X(KernelType) each, in QUILT_ATTENTION_DFT_KERNELS.
#ifndef QUILT_RUNTIME_ATTENTION_DFT_KERNEL_LIST_H
#define QUILT_RUNTIME_ATTENTION_DFT_KERNEL_LIST_H

#include "kernels/attention_kernels.h"
#include "kernels/dft_kernels.h"

#define QUILT_ATTENTION_DFT_KERNELS(X)                                                           \
  X(AttentionStartKernel)                                                                        \
  X(AttentionBiasKernel)                                                                         \
  X(AttentionMergeKernel)                                                                        \
  X(AttentionFinishKernel)                                                                       \
  X(DftScaleKernel)                                                                              \
  X(DftCompleteKernel)

#endif // QUILT_RUNTIME_ATTENTION_DFT_KERNEL_LIST_H
