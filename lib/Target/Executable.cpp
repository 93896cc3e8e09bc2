//===- Executable.cpp - LLVM object emission and linking -------------------===//
#include "quilt/Target/Executable.h"
#include "quilt/Config.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

static std::unique_ptr<llvm::Module> translate(ModuleOp module, llvm::LLVMContext &llvmContext,
                                               std::string &error) {
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  auto llvmModule = translateModuleToLLVMIR(module, llvmContext, "quilt_model");
  if (!llvmModule)
    error = "translation to LLVM IR failed";
  return llvmModule;
}

LogicalResult quilt::emitLLVMIR(ModuleOp module, llvm::raw_ostream &os, std::string &error) {
  llvm::LLVMContext llvmContext;
  auto llvmModule = translate(module, llvmContext, error);
  if (!llvmModule)
    return failure();
  llvmModule->print(os, nullptr);
  return success();
}

LogicalResult quilt::emitObjectFile(ModuleOp module, const std::string &objectPath,
                                    std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::LLVMContext llvmContext;
  auto llvmModule = translate(module, llvmContext, error);
  if (!llvmModule)
    return failure();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return failure();
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, "generic", "", options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Default));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  std::error_code ec;
  llvm::raw_fd_ostream out(objectPath, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + objectPath + "': " + ec.message();
    return failure();
  }
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  passes.run(*llvmModule);
  out.flush();
  return success();
}

LogicalResult quilt::linkExecutable(const std::string &objectPath, const std::string &outputPath,
                                    const std::string &runtimeLinkLine, std::string &error) {
  std::string command = std::string(QUILT_LINKER) + " " + objectPath + " " + runtimeLinkLine +
                        " -o " + outputPath;
  auto shell = llvm::sys::findProgramByName("sh");
  if (!shell) {
    error = "cannot find sh to run the linker";
    return failure();
  }
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*shell, {"sh", "-c", command}, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    error = "linking failed (" + command + ")" + (message.empty() ? "" : ": " + message);
    return failure();
  }
  return success();
}
