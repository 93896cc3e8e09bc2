// The oneDNN CPU engine and stream the kernels share (one per process).
#ifndef QUILT_RUNTIME_DNNL_UTIL_H
#define QUILT_RUNTIME_DNNL_UTIL_H

#include <dnnl.hpp>

namespace quilt {

dnnl::engine &dnnlEngine();
dnnl::stream &dnnlStream();

} // namespace quilt

#endif // QUILT_RUNTIME_DNNL_UTIL_H
