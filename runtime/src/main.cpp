// main() of every model executable: the compiled model object supplies
// quilt_model_info, quilt_model_init and quilt_model_run, the runtime library
// everything else.
#include "driver.h"

int main(int argc, char **argv) {
  return quilt::runExecutable(argc, argv, {quilt_model_info, quilt_model_init, quilt_model_run});
}
