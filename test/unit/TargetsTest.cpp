// The target registry: names, alignments, and the capability check quiltc
// uses to refuse a model whose ops a target's runtime lacks.
#include "quilt/Target/Targets.h"

#include <gtest/gtest.h>

using namespace quilt;

TEST(Targets, KnowsEveryTargetWithItsAlignment) {
  ASSERT_NE(findTarget("cpu"), nullptr);
  EXPECT_EQ(findTarget("cpu")->alignment, 64);
  ASSERT_NE(findTarget("cuda"), nullptr);
  EXPECT_EQ(findTarget("cuda")->alignment, 256);
  ASSERT_NE(findTarget("cuda-emulated"), nullptr);
  EXPECT_EQ(findTarget("cuda-emulated")->alignment, 256);
  EXPECT_EQ(findTarget("gpu"), nullptr);
  EXPECT_EQ(allTargets().size(), 3u);
}

TEST(Targets, EveryTargetProvidesEveryEntryPointToday) {
  for (const TargetSpec &target : allTargets())
    for (const char *call : {"conv", "conv_transpose", "gemm", "einsum", "attention", "dft",
                             "halo_exchange", "all_reduce"})
      EXPECT_TRUE(target.provides(call)) << target.name << " " << call;
}

TEST(Targets, ATargetWithMissingCallsRefusesThem) {
  static const char *const missing[] = {"conv", "dft", nullptr};
  TargetSpec partial{"partial", "", "", 64, "", missing};
  EXPECT_FALSE(partial.provides("conv"));
  EXPECT_FALSE(partial.provides("dft"));
  EXPECT_TRUE(partial.provides("gemm"));
  TargetSpec complete{"complete", "", "", 64, ""};
  EXPECT_TRUE(complete.provides("conv"));
}
