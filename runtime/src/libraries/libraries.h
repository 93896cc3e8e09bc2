// The vendor libraries a backend brings for the ops Quilt does not write
// itself: dense products (Blas: oneDNN on the host, cuBLAS on CUDA), FFTs
// (Fft: FFTW, cuFFT) and convolutions (Dnn: oneDNN, cuDNN). Entry points are
// written once against these interfaces (and the device's kernels); each
// backend file (backends/*.cpp) fills the context's Libraries with its own.
// Each interface lives in its own header (blas.h, fft.h, dnn.h).
#ifndef QUILT_RUNTIME_LIBRARIES_H
#define QUILT_RUNTIME_LIBRARIES_H

#include <memory>

namespace quilt {

class Blas;
class Fft;
class Dnn;

/// What the context hands the entry points; null: the backend has none
/// (quiltc's target registry keeps models that need it away).
struct Libraries {
  Blas *blas = nullptr;
  Fft *fft = nullptr;
  Dnn *dnn = nullptr;
};

} // namespace quilt

#endif // QUILT_RUNTIME_LIBRARIES_H
