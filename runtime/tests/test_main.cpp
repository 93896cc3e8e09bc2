// main() of the single-process tests. The runtime library carries the model
// executable's main(), so every test binary defines its own to keep the
// linker from pulling that one in.
#include <gtest/gtest.h>

int main(int argc, char **argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
