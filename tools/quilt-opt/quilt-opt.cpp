//===- quilt-opt.cpp - run quilt passes on MLIR files ----------------------===//
#include "quilt/Conversion/Passes.h"
#include "quilt/Planning/Passes.h"
#include "quilt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  quilt::registerQuiltPasses();
  quilt::registerQuiltConversionPasses();
  quilt::registerQuiltPlanningPasses();
  mlir::DialectRegistry registry;
  registry.insert<quilt::QuiltDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::LLVM::LLVMDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Quilt optimizer driver\n", registry));
}
