import os
import lit.formats

config.name = "Quilt"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.excludes = ["e2e", "unit", "Inputs", "models", "lit.cfg.py"]
config.test_source_root = os.path.join(config.quilt_src_root, "test")
config.test_exec_root = os.path.join(config.quilt_obj_root, "test")
config.environment["PATH"] = os.pathsep.join([
    os.path.join(config.quilt_obj_root, "tools", "quilt-opt"),
    os.path.join(config.quilt_obj_root, "tools", "quiltc"),
    config.llvm_tools_dir,
    config.environment.get("PATH", os.environ.get("PATH", "")),
])
config.substitutions.append(("%inputs", os.path.join(config.quilt_src_root, "test", "Inputs")))
config.substitutions.append(("%python", "/usr/bin/python3"))
