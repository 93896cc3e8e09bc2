// The oneDNN CPU engine and stream the kernels share (one per process).
#ifndef QUILT_RUNTIME_DNNL_UTIL_H
#define QUILT_RUNTIME_DNNL_UTIL_H

#include <dnnl.hpp>

namespace quilt {

dnnl::engine &dnnlEngine();
dnnl::stream &dnnlStream();

/// Scratch memory shared by every oneDNN primitive of the process: kernels
/// run one at a time, so the blocked-layout copies and scratchpads of all
/// convolutions can live in the same few buffers instead of one set per op.
enum class ScratchSlot { Source, Destination, Scratchpad, Count };
/// At least `bytes` of 64-byte-aligned memory for `slot`, valid until the
/// next call for the same slot with a larger size.
void *dnnlScratch(ScratchSlot slot, size_t bytes);

} // namespace quilt

#endif // QUILT_RUNTIME_DNNL_UTIL_H
