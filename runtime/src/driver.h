// The model executable: flags, model info, weights, slab I/O of inputs and
// outputs, reference comparison and timing around the compiled model's run.
#ifndef QUILT_RUNTIME_DRIVER_H
#define QUILT_RUNTIME_DRIVER_H

#include "quilt/runtime.h"

namespace quilt {

/// The compiled model's symbols (runtime.h).
struct CompiledModel {
  const char *info;
  /// Once before the first run: the values that depend on the rank alone.
  void (*init)(quilt_rt_ctx *);
  /// One step.
  void (*run)(quilt_rt_ctx *);
};

/// What main() does; the model's symbols are passed in so that only main.cpp
/// refers to them.
int runExecutable(int argc, char **argv, const CompiledModel &model);

} // namespace quilt

#endif // QUILT_RUNTIME_DRIVER_H
