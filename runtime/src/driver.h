// The model executable: flags, model info, weights, slab I/O of inputs and
// outputs, reference comparison and timing around the compiled model's run.
#ifndef QUILT_RUNTIME_DRIVER_H
#define QUILT_RUNTIME_DRIVER_H

#include "quilt/runtime.h"

namespace quilt {

/// What main() does; the model's symbols are passed in so that only main.cpp
/// refers to them.
int runExecutable(int argc, char **argv, const char *modelInfo,
                  void (*modelRun)(quilt_rt_ctx *));

} // namespace quilt

#endif // QUILT_RUNTIME_DRIVER_H
